"""Every ``eventlog`` command through CliRunner: exit codes, outputs and the stored lines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from eventlog.cli import main
from eventlog.codec import GENESIS

Run = Callable[..., Result]
Seed = list[dict[str, Any]]
UA_SOURCE = {"attributed_to": "Coordination Headquarters", "party": "UA"}
"""The source of the seeded log's Ukrainian accounts (see conftest.SEED)."""

NOTE = {
    "type": "note.recorded",
    "data": {"text": "the exchange of prisoners is still ongoing", "source": UA_SOURCE},
}


def stored(log_dir: Path) -> list[dict[str, Any]]:
    """The stored records of a log, parsed with the standard library."""
    text = (log_dir / "events.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def last(log_dir: Path) -> dict[str, Any]:
    return stored(log_dir)[-1]


def out_lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


SRC_ARGS = ("--attributed-to", "Coordination Headquarters", "--party", "UA")


# -- init -------------------------------------------------------------------------


def test_init_creates_an_empty_log(tmp_path: Path) -> None:
    """`init` creates the directory and an empty events.jsonl and says where."""
    target = tmp_path / "new" / "log"
    result = CliRunner().invoke(main, ["--log", str(target), "init"])
    assert result.exit_code == 0
    assert result.stdout == f"log ready at {target / 'events.jsonl'}\n"
    assert (target / "events.jsonl").read_bytes() == b""


def test_init_leaves_an_existing_log_untouched(seeded: Path, cli: Run) -> None:
    """`init` on an existing log changes none of its bytes."""
    before = (seeded / "events.jsonl").read_bytes()
    result = cli("init")
    assert result.exit_code == 0
    assert before == (seeded / "events.jsonl").read_bytes()


def test_log_location_defaults_to_eventlog_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --log, the log lives in $EVENTLOG_DIR."""
    monkeypatch.setenv("EVENTLOG_DIR", str(tmp_path / "envlog"))
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0
    assert (tmp_path / "envlog" / "events.jsonl").is_file()


# -- append -------------------------------------------------------------------------


def test_append_single_object_from_file(
    log_dir: Path, cli: Run, tmp_path: Path, seed: Seed
) -> None:
    """`append FILE` with one JSON object writes seq 1 chained to 64 zeros."""
    src = tmp_path / "one.json"
    src.write_text(json.dumps(seed[0], indent=2))
    result = cli("append", str(src))
    assert result.exit_code == 0, result.output
    line = (log_dir / "events.jsonl").read_bytes().rstrip(b"\n")
    assert out_lines(result) == [
        {
            "seq": 1,
            "id": "agr-istanbul",
            "type": "agreement.recorded",
            "prev": GENESIS,
            "hash": sha(line),
            "status": "appended",
        }
    ]
    assert result.stderr == ""


def test_append_json_lines_from_stdin(log_dir: Path, cli: Run, seed: Seed) -> None:
    """`append -` reads JSON lines from stdin and prints one result line per event, chained."""
    text = "\n".join(json.dumps(e) for e in seed[:3]) + "\n"
    result = cli("append", "-", input=text)
    assert result.exit_code == 0, result.output
    results = out_lines(result)
    lines = (log_dir / "events.jsonl").read_bytes().splitlines()
    assert [r["seq"] for r in results] == [1, 2, 3]
    assert [r["id"] for r in results] == ["agr-istanbul", "rnd-june", "tr-ua"]
    assert [r["prev"] for r in results] == [GENESIS, sha(lines[0]), sha(lines[1])]
    assert [r["hash"] for r in results] == [sha(line) for line in lines]


def test_append_reads_stdin_when_no_file_is_given(log_dir: Path, cli: Run, seed: Seed) -> None:
    """`append` with no FILE argument reads stdin."""
    result = cli("append", input=json.dumps(seed[0]))
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in stored(log_dir)] == ["agr-istanbul"]


def test_append_json_array(log_dir: Path, cli: Run, seed: Seed) -> None:
    """A JSON array is one batch, appended in order."""
    result = cli("append", input=json.dumps(seed))
    assert result.exit_code == 0, result.output
    assert [r["seq"] for r in out_lines(result)] == list(range(1, 8))
    assert [(r["id"], r["type"], r["data"]) for r in stored(log_dir)] == [
        (e["id"], e["type"], e["data"]) for e in seed
    ]


def test_append_skips_blank_lines(log_dir: Path, cli: Run, seed: Seed) -> None:
    """Blank lines between JSON lines are ignored."""
    text = f"\n{json.dumps(seed[0])}\n\n  \n{json.dumps(seed[1])}\n\n"
    result = cli("append", input=text)
    assert result.exit_code == 0, result.output
    assert len(stored(log_dir)) == 2


def test_append_stores_the_envelope(log_dir: Path, cli: Run, seed: Seed) -> None:
    """The stored record has seq, id, type, v 2, data, recorded_at (UTC), recorded_by, prev."""
    cli("append", input=json.dumps(seed[0]))
    record = last(log_dir)
    assert list(record) == ["seq", "id", "type", "v", "data", "recorded_at", "recorded_by", "prev"]
    assert record["v"] == 2
    assert record["recorded_by"] == "tester"
    assert record["recorded_at"].endswith("Z")
    assert record["prev"] == GENESIS


def test_append_generates_an_id_when_none_is_given(log_dir: Path, cli: Run) -> None:
    """An event without "id" gets a generated one, reported on stdout."""
    result = cli("append", input=json.dumps(NOTE))
    assert result.exit_code == 0, result.output
    generated = out_lines(result)[0]["id"]
    assert generated
    assert last(log_dir)["id"] == generated


def test_append_by_sets_recorded_by(log_dir: Path, cli: Run) -> None:
    """`--by NAME` is stored as recorded_by."""
    result = cli("append", "--by", "maintainer-7", input=json.dumps(NOTE))
    assert result.exit_code == 0
    assert last(log_dir)["recorded_by"] == "maintainer-7"


def test_append_normalizes_a_default_qualifier(seeded: Path, cli: Run, seed: Seed) -> None:
    """A count without qualifier is stored with qualifier "exact"."""
    event = {"type": "transfer.reported", "data": {**seed[2]["data"], "count": {"value": 5}}}
    result = cli("append", input=json.dumps(event))
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"]["count"] == {"value": 5, "qualifier": "exact"}


def test_append_expect_seq_matching_appends(seeded: Path, cli: Run) -> None:
    """`--expect-seq N` appends when the log's last seq is N."""
    result = cli("append", "--expect-seq", "7", input=json.dumps(NOTE))
    assert result.exit_code == 0
    assert out_lines(result)[0]["seq"] == 8


def test_append_expect_seq_zero_on_an_empty_log(log_dir: Path, cli: Run) -> None:
    """`--expect-seq 0` appends to an empty log."""
    result = cli("append", "--expect-seq", "0", input=json.dumps(NOTE))
    assert result.exit_code == 0
    assert out_lines(result)[0]["seq"] == 1


def test_append_expect_seq_conflict_exits_3_and_writes_nothing(seeded: Path, cli: Run) -> None:
    """`--expect-seq` that is not the last seq exits 3 with one Error line; the log is unchanged."""
    before = (seeded / "events.jsonl").read_bytes()
    result = cli("append", "--expect-seq", "5", input=json.dumps(NOTE))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == "Error: expected the log's last seq to be 5, found 7\n"
    assert before == (seeded / "events.jsonl").read_bytes()


def test_report_expect_seq_conflict_exits_3(seeded: Path, cli: Run) -> None:
    """`report ... --expect-seq` conflicts exit 3 too, writing nothing."""
    before = (seeded / "events.jsonl").read_bytes()
    result = cli("report", "note", "--text", "x", *SRC_ARGS, "--expect-seq", "99")
    assert result.exit_code == 3
    assert result.stderr == "Error: expected the log's last seq to be 99, found 7\n"
    assert before == (seeded / "events.jsonl").read_bytes()


def test_idempotent_reappend_reports_the_existing_seq(seeded: Path, cli: Run, seed: Seed) -> None:
    """Re-appending an event with the same id, type and data is a no-op reporting its line."""
    before = (seeded / "events.jsonl").read_bytes()
    lines = before.split(b"\n")
    result = cli("append", input=json.dumps(seed[2]))
    assert result.exit_code == 0, result.output
    assert out_lines(result) == [
        {
            "seq": 3,
            "id": "tr-ua",
            "type": "transfer.reported",
            "prev": hashlib.sha256(lines[1]).hexdigest(),
            "hash": hashlib.sha256(lines[2]).hexdigest(),
            "status": "exists",
        }
    ]
    assert before == (seeded / "events.jsonl").read_bytes()


def test_idempotent_reappend_of_a_whole_batch_appends_only_new_events(
    seeded: Path, cli: Run, seed: Seed
) -> None:
    """A batch mixing an existing event and a new one appends only the new one."""
    text = json.dumps(seed[0]) + "\n" + json.dumps(NOTE) + "\n"
    result = cli("append", input=text)
    assert result.exit_code == 0, result.output
    assert [(r["seq"], r["status"]) for r in out_lines(result)] == [(1, "exists"), (8, "appended")]
    assert len(stored(seeded)) == 8


def test_same_id_with_other_content_is_rejected(
    seeded: Path, cli: Run, rejected: Callable[..., None], seed: Seed
) -> None:
    """An existing id with other data is refused, naming the id field and the existing seq."""
    other = {**seed[2], "data": {**seed[2]["data"], "kind": "pows"}}
    rejected(
        cli("append", input=json.dumps(other)),
        "Error: event 1, field 'id': id 'tr-ua' already exists (seq 3) with other content",
    )


def test_same_id_with_another_type_is_rejected(
    seeded: Path, cli: Run, rejected: Callable[..., None]
) -> None:
    """An existing id reused for an event of another type is refused."""
    rejected(
        cli("append", input=json.dumps({**NOTE, "id": "tr-ua"})),
        "Error: event 1, field 'id': id 'tr-ua' already exists (seq 3)",
    )


# -- report -----------------------------------------------------------------------------


def test_report_agreement(log_dir: Path, cli: Run) -> None:
    """`report agreement` stores an agreement.recorded with the options given."""
    result = cli(
        "report",
        "agreement",
        "--agreement",
        "istanbul-2025",
        "--title",
        "Istanbul",
        "--concluded-on",
        "2025-06-02",
        "--place",
        "Istanbul",
        *SRC_ARGS,
        "--id",
        "agr-1",
    )
    assert result.exit_code == 0, result.output
    assert out_lines(result)[0]["id"] == "agr-1"
    record = last(log_dir)
    assert record["type"] == "agreement.recorded"
    assert record["data"] == {
        "agreement": "istanbul-2025",
        "title": "Istanbul",
        "concluded_on": "2025-06-02",
        "place": "Istanbul",
        "source": UA_SOURCE,
    }


def test_report_round(seeded: Path, cli: Run) -> None:
    """`report round` stores mediators as a list and links the agreement."""
    result = cli(
        "report",
        "round",
        "--round",
        "july-2025",
        "--occurred-on",
        "2025-07",
        "--agreement",
        "istanbul-2025",
        "--label",
        "July",
        "--mediator",
        "ICRC",
        "--mediator",
        "UAE",
        *SRC_ARGS,
        "--outlet",
        "Reuters",
        "--url",
        "https://www.reuters.com/x",
        "--published-on",
        "2025-07-01",
        "--quote",
        "we received them",
    )
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"] == {
        "round": "july-2025",
        "occurred_on": "2025-07",
        "agreement": "istanbul-2025",
        "label": "July",
        "mediators": ["ICRC", "UAE"],
        "source": {
            **UA_SOURCE,
            "outlet": "Reuters",
            "url": "https://www.reuters.com/x",
            "published_on": "2025-07-01",
            "quote": "we received them",
        },
    }


def test_report_transfer(seeded: Path, cli: Run) -> None:
    """`report transfer` stores from/to and a qualified count."""
    result = cli(
        "report",
        "transfer",
        "--round",
        "june-2025",
        "--kind",
        "pows",
        "--from",
        "UA",
        "--to",
        "RU",
        "--count",
        "1000",
        "--qualifier",
        "about",
        *SRC_ARGS,
    )
    assert result.exit_code == 0, result.output
    record = last(seeded)
    assert (record["seq"], record["type"]) == (8, "transfer.reported")
    assert record["data"] == {
        "round": "june-2025",
        "kind": "pows",
        "from": "UA",
        "to": "RU",
        "count": {"value": 1000, "qualifier": "about"},
        "source": UA_SOURCE,
    }


def test_report_total_since(log_dir: Path, cli: Run) -> None:
    """`report total --since` stores a since-scope; --from may be omitted."""
    result = cli(
        "report",
        "total",
        "--kind",
        "bodies",
        "--to",
        "UA",
        "--since",
        "2022-02",
        "--as-of",
        "2025-06",
        "--count",
        "4800",
        "--qualifier",
        "at_least",
        *SRC_ARGS,
    )
    assert result.exit_code == 0, result.output
    assert last(log_dir)["data"] == {
        "kind": "bodies",
        "to": "UA",
        "scope": {"since": "2022-02"},
        "as_of": "2025-06",
        "count": {"value": 4800, "qualifier": "at_least"},
        "source": UA_SOURCE,
    }


def test_report_total_agreement_scope(seeded: Path, cli: Run) -> None:
    """`report total --scope-agreement` stores an agreement scope."""
    result = cli(
        "report",
        "total",
        "--kind",
        "bodies",
        "--from",
        "RU",
        "--to",
        "UA",
        "--scope-agreement",
        "istanbul-2025",
        "--as-of",
        "2025-06-16",
        "--count",
        "6057",
        *SRC_ARGS,
    )
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"]["scope"] == {"agreement": "istanbul-2025"}
    assert last(seeded)["data"]["from"] == "RU"


@pytest.mark.parametrize("scope", [(), ("--since", "2022", "--scope-agreement", "a")])
def test_report_total_needs_exactly_one_scope(
    seeded: Path, cli: Run, scope: tuple[str, ...]
) -> None:
    """`report total` without a scope, or with both, is a usage error (exit 2)."""
    before = (seeded / "events.jsonl").read_bytes()
    result = cli(
        "report",
        "total",
        "--kind",
        "bodies",
        "--to",
        "UA",
        "--as-of",
        "2025",
        "--count",
        "1",
        *scope,
        *SRC_ARGS,
    )
    assert result.exit_code == 2
    assert "exactly one of --scope-agreement and --since" in result.stderr
    assert before == (seeded / "events.jsonl").read_bytes()


def test_report_offer(seeded: Path, cli: Run) -> None:
    """`report offer` stores a pledge with its agreement."""
    result = cli(
        "report",
        "offer",
        "--kind",
        "bodies",
        "--from",
        "RU",
        "--to",
        "UA",
        "--as-of",
        "2025-06",
        "--agreement",
        "istanbul-2025",
        "--count",
        "2239",
        "--attributed-to",
        "Russian Defence Ministry",
        "--party",
        "RU",
    )
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"] == {
        "kind": "bodies",
        "from": "RU",
        "to": "UA",
        "count": {"value": 2239, "qualifier": "exact"},
        "as_of": "2025-06",
        "agreement": "istanbul-2025",
        "source": {"attributed_to": "Russian Defence Ministry", "party": "RU"},
    }


def test_report_note(seeded: Path, cli: Run) -> None:
    """`report note` stores a qualitative report with its round and kind."""
    result = cli(
        "report",
        "note",
        "--text",
        "still ongoing",
        "--round",
        "june-2025",
        "--kind",
        "pows",
        *SRC_ARGS,
    )
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"] == {
        "text": "still ongoing",
        "round": "june-2025",
        "kind": "pows",
        "source": UA_SOURCE,
    }


def test_report_requires_a_source(seeded: Path, cli: Run) -> None:
    """`report` without --attributed-to/--party is a usage error (exit 2)."""
    result = cli("report", "note", "--text", "x")
    assert result.exit_code == 2
    assert "--attributed-to" in result.stderr


def test_report_rejects_a_bad_choice_as_usage(seeded: Path, cli: Run) -> None:
    """An unknown party on the command line is a usage error (exit 2), nothing written."""
    before = (seeded / "events.jsonl").read_bytes()
    result = cli(
        "report",
        "transfer",
        "--round",
        "june-2025",
        "--kind",
        "bodies",
        "--from",
        "US",
        "--to",
        "UA",
        "--count",
        "1",
        *SRC_ARGS,
    )
    assert result.exit_code == 2
    assert before == (seeded / "events.jsonl").read_bytes()


def test_report_invalid_value_is_rejected(
    seeded: Path, cli: Run, rejected: Callable[..., None]
) -> None:
    """`report` values the models refuse exit 1 naming the option typed and the value."""
    rejected(
        cli("report", "round", "--round", "r-x", "--occurred-on", "June 2025", *SRC_ARGS),
        "Error: --occurred-on: not a date: 'June 2025'",
    )


# -- correct and retract ----------------------------------------------------------------


def test_correct_set(seeded: Path, cli: Run) -> None:
    """`correct ID --set FIELD=TEXT` stores a fact.corrected with text changes."""
    result = cli(
        "correct",
        "rnd-june",
        "--set",
        "occurred_on=2025-06",
        "--set",
        "label=June",
        "--reason",
        "date was a guess",
        "--id",
        "fix-1",
    )
    assert result.exit_code == 0, result.output
    record = last(seeded)
    assert (record["id"], record["type"]) == ("fix-1", "fact.corrected")
    assert record["data"] == {
        "target": "rnd-june",
        "changes": {"occurred_on": "2025-06", "label": "June"},
        "reason": "date was a guess",
    }


def test_correct_set_json(seeded: Path, cli: Run) -> None:
    """`correct --set-json FIELD=JSON` stores JSON values (lists, objects)."""
    result = cli(
        "correct",
        "rnd-june",
        "--set-json",
        'mediators=["ICRC", "UAE"]',
        "--reason",
        "mediators named later",
        *SRC_ARGS,
    )
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"] == {
        "target": "rnd-june",
        "changes": {"mediators": ["ICRC", "UAE"]},
        "reason": "mediators named later",
        "source": UA_SOURCE,
    }


def test_correct_count(seeded: Path, cli: Run) -> None:
    """`correct --count N --qualifier Q` sets the count Quantity."""
    result = cli(
        "correct",
        "tr-ua",
        "--count",
        "6000",
        "--qualifier",
        "at_least",
        "--reason",
        "figure was rounded",
    )
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"]["changes"] == {"count": {"value": 6000, "qualifier": "at_least"}}


def test_correct_without_changes_is_a_usage_error(seeded: Path, cli: Run) -> None:
    """`correct` with neither --set, --set-json nor --count exits 2."""
    result = cli("correct", "tr-ua", "--reason", "x")
    assert result.exit_code == 2
    assert "nothing to correct" in result.stderr


@pytest.mark.parametrize("option", ["--set", "--set-json"])
def test_correct_malformed_pair_is_a_usage_error(seeded: Path, cli: Run, option: str) -> None:
    """`correct --set` without FIELD=VALUE exits 2."""
    result = cli("correct", "tr-ua", option, "count", "--reason", "x")
    assert result.exit_code == 2
    assert "expected FIELD=VALUE" in result.stderr


def test_correct_set_json_not_json_is_a_usage_error(seeded: Path, cli: Run) -> None:
    """`correct --set-json` with a value that is not JSON exits 2."""
    result = cli("correct", "rnd-june", "--set-json", "mediators=[oops", "--reason", "x")
    assert result.exit_code == 2
    assert "not JSON" in result.stderr


def test_retract(seeded: Path, cli: Run) -> None:
    """`retract ID --reason` stores a fact.retracted."""
    result = cli("retract", "tr-ru", "--reason", "duplicate account", "--id", "ret-2")
    assert result.exit_code == 0, result.output
    record = last(seeded)
    assert (record["seq"], record["id"], record["type"]) == (8, "ret-2", "fact.retracted")
    assert record["data"] == {"target": "tr-ru", "reason": "duplicate account"}


def test_retract_requires_a_reason(seeded: Path, cli: Run) -> None:
    """`retract` without --reason is a usage error."""
    assert cli("retract", "tr-ru").exit_code == 2


def test_correct_then_retract_then_verify(seeded: Path, cli: Run) -> None:
    """A maintainer's session (correct one fact, retract another) leaves a log that verifies."""
    assert cli("correct", "tr-ua", "--count", "6058", "--reason", "typo").exit_code == 0
    assert cli("retract", "offer-1", "--reason", "not confirmed").exit_code == 0
    result = cli("verify")
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 9 events, chain intact; head 9:")


# -- show ---------------------------------------------------------------------------------


def test_show_table(seeded: Path, cli: Run, seed: Seed) -> None:
    """`show` prints a header and one summary row per event."""
    result = cli("show")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SEQ", "RECORDED_AT", "TYPE", "ID", "SUMMARY"]
    assert len(lines) == 1 + len(seed)
    assert lines[3].split()[0] == "3"
    assert "transfer.reported" in lines[3]
    assert "RU->UA bodies 6,057 in round june-2025  [Coordination Headquarters]" in lines[3]
    assert "retracts note-wrong (misattributed)" in lines[6]


def test_show_table_on_an_empty_log(log_dir: Path, cli: Run) -> None:
    """`show` on an empty log prints only the header."""
    result = cli("show")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1


def test_show_json_prints_the_stored_lines(seeded: Path, cli: Run) -> None:
    """`show --json` prints each record as stored (current schema), one JSON line each."""
    result = cli("show", "--json")
    assert result.exit_code == 0
    assert result.stdout.encode() == (seeded / "events.jsonl").read_bytes()


def test_show_from_seq(seeded: Path, cli: Run) -> None:
    """`show --json --from-seq N` starts at seq N."""
    result = cli("show", "--json", "--from-seq", "5")
    assert [r["seq"] for r in out_lines(result)] == [5, 6, 7]


def test_show_type_filter(seeded: Path, cli: Run) -> None:
    """`show --type T` lists only events of type T."""
    result = cli("show", "--json", "--type", "transfer.reported")
    assert [r["id"] for r in out_lines(result)] == ["tr-ua", "tr-ru"]


def test_show_type_and_from_seq_combine(seeded: Path, cli: Run) -> None:
    """`--type` and `--from-seq` apply together."""
    result = cli("show", "--type", "transfer.reported", "--from-seq", "4")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "tr-ru" in lines[1]


def test_show_without_a_log_fails_cleanly(tmp_path: Path) -> None:
    """`show` where there is no log exits 1 with one Error line saying where it looked and how
    to choose or create a log, and prints nothing else."""
    result = CliRunner().invoke(main, ["--log", str(tmp_path / "none"), "show"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: no event log at {tmp_path / 'none' / 'events.jsonl'} (looked in "
        f"{tmp_path / 'none' / 'events.jsonl'}): choose one with --log DIR or EVENTLOG_DIR, "
        "or create one with 'eventlog init'\n"
    )


# -- verify and head --------------------------------------------------------------------------


def test_verify_ok(seeded: Path, cli: Run) -> None:
    """`verify` on an intact log exits 0 and prints the count and head."""
    tail = (seeded / "events.jsonl").read_bytes().splitlines()[-1]
    result = cli("verify")
    assert result.exit_code == 0
    assert result.stdout == f"OK: 7 events, chain intact; head 7:{sha(tail)}\n"
    assert result.stderr == ""


def test_verify_empty_log(log_dir: Path, cli: Run) -> None:
    """`verify` on an empty log passes with 0 events."""
    result = cli("verify")
    assert result.exit_code == 0
    assert result.stdout == f"OK: 0 events, chain intact; head 0:{GENESIS}\n"


def test_verify_with_checkpoint_ok(seeded: Path, cli: Run) -> None:
    """`verify --checkpoint` from an earlier `head` holds after more appends."""
    head = json.loads(cli("head").stdout)
    cli("append", input=json.dumps(NOTE))
    result = cli("verify", "--checkpoint", f"{head['seq']}:{head['hash']}")
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 8 events, chain intact, checkpoint seq 7 holds; head 8:")


def test_verify_checkpoint_mismatch(seeded: Path, cli: Run) -> None:
    """`verify --checkpoint` with a hash the log does not hold exits 1 naming the line."""
    result = cli("verify", "--checkpoint", f"3:{'a' * 64}")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: line 3 (seq 3): does not match the checkpoint")
    assert len(result.stderr.splitlines()) == 1


def test_verify_checkpoint_beyond_the_log(seeded: Path, cli: Run) -> None:
    """A checkpoint naming a seq past the end of the log fails: lines were removed."""
    result = cli("verify", "--checkpoint", f"9:{'a' * 64}")
    assert result.exit_code == 1
    assert "the log ends at seq 7 but the checkpoint names seq 9" in result.stderr


@pytest.mark.parametrize("text", ["7", "x:abc", f"7:{'A' * 64}", f"7:{'a' * 63}"])
def test_verify_malformed_checkpoint(seeded: Path, cli: Run, text: str) -> None:
    """A checkpoint that is not SEQ:HASH is refused with one Error line."""
    result = cli("verify", "--checkpoint", text)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: checkpoint must be SEQ:HASH")


def test_verify_warns_on_a_torn_tail(seeded: Path, cli: Run) -> None:
    """A partial last line is a warning on stderr, not a failure (exit 0)."""
    path = seeded / "events.jsonl"
    with open(path, "ab") as fh:
        fh.write(b'{"seq":8,"id":"half')
    result = cli("verify")
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: torn tail: 19 bytes after seq 7 (left by a crash; "
        "the next append moves them to quarantine/)\n"
    )
    assert result.stdout.startswith("OK: 7 events, chain intact; head 7:")


def test_append_after_a_torn_tail_quarantines_it(seeded: Path, cli: Run) -> None:
    """The next append moves torn bytes to quarantine/, then the log verifies cleanly."""
    path = seeded / "events.jsonl"
    intact = path.read_bytes()
    with open(path, "ab") as fh:
        fh.write(b'{"seq":8,"id":"half')
    result = cli("append", input=json.dumps(NOTE))
    assert result.exit_code == 0, result.output
    assert out_lines(result)[0]["seq"] == 8
    assert path.read_bytes().startswith(intact)
    [quarantined] = (seeded / "quarantine").iterdir()
    assert quarantined.read_bytes() == b'{"seq":8,"id":"half'
    check = cli("verify")
    assert (check.exit_code, check.stderr) == (0, "")


def test_head(seeded: Path, cli: Run) -> None:
    """`head` prints the last seq and the SHA-256 of the last line."""
    tail = (seeded / "events.jsonl").read_bytes().splitlines()[-1]
    result = cli("head")
    assert result.exit_code == 0
    assert result.stdout == f'{{"seq":7,"hash":"{sha(tail)}"}}\n'


def test_head_of_an_empty_log(log_dir: Path, cli: Run) -> None:
    """`head` of an empty log is seq 0 and 64 zeros."""
    assert json.loads(cli("head").stdout) == {"seq": 0, "hash": GENESIS}


def test_head_without_a_log(tmp_path: Path) -> None:
    """`head` where there is no log exits 1 with one Error line."""
    result = CliRunner().invoke(main, ["--log", str(tmp_path / "none"), "head"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no event log at ")


# -- schema and help ----------------------------------------------------------------------------


def test_schema_lists_every_event_type(cli: Run) -> None:
    """`schema` prints a 2020-12 JSON Schema whose discriminator maps every catalogued type."""
    from eventlog.catalog import EVENT_TYPES

    result = cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Submitted event"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("https://")
    assert sorted(schema["discriminator"]["mapping"]) == sorted(EVENT_TYPES)


def test_schema_uses_the_public_field_names(cli: Run) -> None:
    """The schema names the public field "from", never the Python name "from_"."""
    text = cli("schema").stdout
    assert '"from"' in text
    assert "from_" not in text


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("path", _commands(main), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    """Every command and subcommand documents itself under --help."""
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help


def test_unknown_option_is_a_usage_error(cli: Run) -> None:
    """An unknown option exits 2."""
    assert cli("show", "--nope").exit_code == 2


# -- corrections are stored normalized ---------------------------------------------------------


def test_correction_count_is_stored_with_its_default_qualifier(seeded: Path, cli: Run) -> None:
    """A correction's count without qualifier is stored as {"value": n, "qualifier": "exact"}."""
    fix = {
        "id": "fix-count",
        "type": "fact.corrected",
        "data": {"target": "tr-ua", "changes": {"count": {"value": 6058}}, "reason": "typo"},
    }
    result = cli("append", input=json.dumps(fix))
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"]["changes"] == {"count": {"value": 6058, "qualifier": "exact"}}


def test_reappended_correction_is_idempotent(seeded: Path, cli: Run) -> None:
    """Re-submitting a correction as first submitted reports its seq, even after a retraction."""
    fix = {
        "id": "fix-count",
        "type": "fact.corrected",
        "data": {"target": "tr-ua", "changes": {"count": {"value": 6058}}, "reason": "typo"},
    }
    assert cli("append", input=json.dumps(fix)).exit_code == 0
    assert cli("retract", "tr-ua", "--reason", "superseded").exit_code == 0
    before = (seeded / "events.jsonl").read_bytes()
    result = cli("append", input=json.dumps(fix))
    assert result.exit_code == 0, result.output
    assert (out_lines(result)[0]["seq"], out_lines(result)[0]["status"]) == (8, "exists")
    assert before == (seeded / "events.jsonl").read_bytes()


def test_correction_to_null_removes_an_optional_field(seeded: Path, cli: Run) -> None:
    """`--set-json field=null` is stored as null (it removes an optional field)."""
    result = cli("correct", "rnd-june", "--set-json", "agreement=null", "--reason", "unlinked")
    assert result.exit_code == 0, result.output
    assert last(seeded)["data"]["changes"] == {"agreement": None}
    assert cli("verify").exit_code == 0


# -- unusable log locations ------------------------------------------------------------------------


def test_log_path_that_is_a_file(tmp_path: Path) -> None:
    """--log naming a regular file is refused with one Error line (exit 1), the file untouched."""
    target = tmp_path / "file"
    target.write_text("x")
    result = CliRunner().invoke(main, ["--log", str(target), "append"], input=json.dumps(NOTE))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {target}: not a directory\n"
    assert target.read_text() == "x"


def test_symlinked_events_file_is_refused(tmp_path: Path) -> None:
    """A log whose events.jsonl is a symbolic link is refused; the link target is untouched."""
    real = tmp_path / "elsewhere.jsonl"
    real.write_bytes(b"")
    directory = tmp_path / "log"
    directory.mkdir()
    (directory / "events.jsonl").symlink_to(real)
    result = CliRunner().invoke(main, ["--log", str(directory), "append"], input=json.dumps(NOTE))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "symbolic link" in result.stderr
    assert real.read_bytes() == b""
