"""Issue 12: the maintainer's command line, each behaviour through CliRunner."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from eventlog.cli import main

Run = Callable[..., Result]
SRC_ARGS = ("--attributed-to", "Coordination Headquarters", "--party", "UA")
ARTICLE = (
    "Ukraine and Russia exchanged 390 prisoners each on Friday. \u201cWe are bringing "
    "home 390 of our people,\u201d Zelensky said.\n\nThe ministry said 307 were freed on "
    "Saturday and 303 on Sunday, 1,000 in all."
)


def error_line(result: Result) -> str:
    """The one line of stderr (and there is exactly one)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def records(log_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (log_dir / "events.jsonl").read_bytes().splitlines()]


def add_article(cli: Run, tmp_path: Path, *extra: str) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = cli(
        "source",
        "add",
        str(path),
        "--slug",
        "reuters-may",
        "--outlet",
        "Reuters",
        "--published-on",
        "2025-05-25",
        *extra,
    )
    assert result.exit_code == 0, result.output
    return path


EXCHANGE = (
    "report",
    "exchange",
    "--kind",
    "pows",
    "--document",
    "reuters-may",
    "--round",
    "may-23",
    "--occurred-on",
    "2025-05-23",
    "--round",
    "may-24",
    "--occurred-on",
    "2025-05-24",
    "--round",
    "may-25",
    "--occurred-on",
    "2025-05-25",
    "--ua-account",
    "390/390,307/307,303/303",
    "--ua-attributed-to",
    "Zelensky",
    "--ru-account",
    "390/390,307/307,303/-",
    "--ru-attributed-to",
    "Russian Defence Ministry",
)


# -- sources as documents --------------------------------------------------------------------


def test_source_add_records_the_hash_of_the_text(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """`source add` records a source.recorded with the SHA-256 of the file's UTF-8 text."""
    add_article(cli, tmp_path)
    data = records(seeded)[-1]["data"]
    assert data == {
        "document": "reuters-may",
        "outlet": "Reuters",
        "published_on": "2025-05-25",
        "sha256": hashlib.sha256(ARTICLE.encode()).hexdigest(),
    }
    assert not (seeded / "sources").exists()


def test_source_slug_is_never_reused(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """A second document under a recorded slug is refused, naming the slug."""
    path = add_article(cli, tmp_path)
    result = cli("source", "add", str(path), "--slug", "reuters-may", "--outlet", "AP")
    assert result.exit_code == 1
    assert "document 'reuters-may' is already recorded" in error_line(result)


def test_kept_document_refuses_a_quote_not_in_it(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """With --keep, a quote citing the document must occur in it; the log is left unchanged."""
    add_article(cli, tmp_path, "--keep")
    digest = hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert (seeded / "sources" / f"{digest}.txt").read_text(encoding="utf-8") == ARTICLE
    before = (seeded / "events.jsonl").read_bytes()
    result = cli(
        "report",
        "note",
        "--text",
        "n",
        *SRC_ARGS,
        "--document",
        "reuters-may",
        "--quote",
        "We are bringing home 400 of our people",
    )
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: --quote: the quote 'We are bringing home 400 of our "
        "people' does not occur in document 'reuters-may'"
    )
    assert before == (seeded / "events.jsonl").read_bytes()


def test_quotes_match_after_normalising_quotes_and_whitespace(
    seeded: Path, cli: Run, tmp_path: Path
) -> None:
    """Typographic quote marks and runs of whitespace (newlines too) do not block a match."""
    add_article(cli, tmp_path, "--keep")
    result = cli(
        "report",
        "note",
        "--text",
        "n",
        *SRC_ARGS,
        "--document",
        "reuters-may",
        "--quote",
        '"We are bringing home 390 of our people," Zelensky said. The ministry said 307',
    )
    assert result.exit_code == 0, result.output


def test_append_document_option_checks_quotes(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """`append --document FILE` makes the file's text known for the quotes of the batch."""
    path = add_article(cli, tmp_path)
    note = {
        "type": "note.recorded",
        "data": {
            "text": "n",
            "source": {
                "attributed_to": "Reuters",
                "party": "other",
                "document": "reuters-may",
                "quote": "1,001 in all",
            },
        },
    }
    result = cli("append", "--document", str(path), input=json.dumps(note))
    assert result.exit_code == 1
    assert "does not occur in document 'reuters-may'" in error_line(result)
    assert cli("append", input=json.dumps(note)).exit_code == 0  # text unknown: not checked


def test_sources_check_finds_documents_by_hash(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """`sources check DIR` checks quotes in documents found by hash and lists unquoted numbers."""
    path = add_article(cli, tmp_path)
    assert cli(*EXCHANGE[:-4], "--ua-quote", "bringing home 390 of our people").exit_code == 0
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "any-name.txt").write_bytes(path.read_bytes())
    result = cli("sources", "check", str(shelf))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "document reuters-may: any-name.txt; 6 quotes, all found",
        "  numbers no fact quotes: 307, 303, 1,000",
    ]


def test_sources_check_escapes_file_and_directory_names(
    seeded: Path, cli: Run, tmp_path: Path
) -> None:
    """File and directory names from DIR are shown with bidi and control characters escaped."""
    path = add_article(cli, tmp_path)
    shelf = tmp_path / "shelf\u202e"
    shelf.mkdir()
    (shelf / "a\u202eb\tc.txt").write_bytes(path.read_bytes())
    result = cli("sources", "check", str(shelf))
    assert result.stdout.splitlines()[0].startswith("document reuters-may: a\\u202eb\\tc.txt;")
    (shelf / "a\u202eb\tc.txt").unlink()
    result = cli("sources", "check", str(shelf))
    assert result.exit_code == 1
    assert "NOT FOUND in " + str(tmp_path) + "/shelf\\u202e (" in result.stdout
    assert "\u202e" not in result.stdout


def test_sources_check_fails_on_a_missing_quote(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """A quote that is not in its document, or a document not found, makes the check exit 1."""
    add_article(cli, tmp_path)
    assert (
        cli(
            "report",
            "note",
            "--text",
            "n",
            *SRC_ARGS,
            "--document",
            "reuters-may",
            "--quote",
            "not in it",
        ).exit_code
        == 0
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("sources", "check", str(empty)).exit_code == 1
    (empty / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = cli("sources", "check", str(empty))
    assert result.exit_code == 1
    assert "  quote not in the document: not in it" in result.stdout.splitlines()


# -- one command per exchange --------------------------------------------------------------


def test_exchange_records_rounds_and_accounts_in_one_batch(
    seeded: Path, cli: Run, tmp_path: Path
) -> None:
    """`report exchange` appends 3 rounds and every figure each party gave, citing the document."""
    add_article(cli, tmp_path)
    result = cli(*EXCHANGE)
    assert result.exit_code == 0, result.output
    new = records(seeded)[-14:]
    assert [r["type"] for r in new].count("round.recorded") == 3
    transfers = [r for r in new if r["type"] == "transfer.reported"]
    assert len(transfers) == 11
    last = transfers[-1]
    assert last["id"] == "tr-may-25-ru-ua-ru"
    assert last["data"] == {
        "round": "may-25",
        "kind": "pows",
        "from": "RU",
        "to": "UA",
        "count": {"value": 303, "qualifier": "exact"},
        "source": {
            "attributed_to": "Russian Defence Ministry",
            "party": "RU",
            "document": "reuters-may",
        },
    }
    again = cli(*EXCHANGE)
    assert {json.loads(line)["status"] for line in again.stdout.splitlines()} == {"exists"}


def test_exchange_is_all_or_nothing(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """A bad date in the third stage leaves the log unchanged and names the option."""
    add_article(cli, tmp_path)
    before = (seeded / "events.jsonl").read_bytes()
    bad = tuple("2025-02-30" if arg == "2025-05-25" else arg for arg in EXCHANGE)
    result = cli(*bad)
    assert result.exit_code == 1
    assert error_line(result).startswith("Error: --occurred-on: not a calendar date: 2025-02-30")
    assert before == (seeded / "events.jsonl").read_bytes()


def test_correct_several_targets_in_one_batch(seeded: Path, cli: Run) -> None:
    """`correct T1 T2 --count N` corrects both facts in one batch."""
    result = cli("correct", "tr-ua", "tr-ru", "--count", "6058", "--reason", "one figure")
    assert result.exit_code == 0, result.output
    changed = [r["data"]["target"] for r in records(seeded)[-2:]]
    assert changed == ["tr-ua", "tr-ru"]


# -- dry run and large batches -----------------------------------------------------------------


def test_dry_run_writes_nothing_and_summarises(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """`--dry-run` makes every check, writes nothing, and lists types, ids, rounds, figures."""
    add_article(cli, tmp_path)
    before = (seeded / "events.jsonl").read_bytes()
    result = cli(*EXCHANGE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert before == (seeded / "events.jsonl").read_bytes()
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "Dry run: nothing was written.",
        "Would append 14 events (seq 9..22); 0 already in the log.",
    ]
    assert lines[2].startswith("  round.recorded          3  ids: rnd-may-23, rnd-may-24")
    assert (
        "  round may-25: RU->UA pows 303 [UA]; UA->RU pows 303 [UA]; RU->UA pows 303 [RU]" in lines
    )


def test_dry_run_still_refuses_bad_input(seeded: Path, cli: Run) -> None:
    """A dry run of a bad correction fails as the append would."""
    result = cli("correct", "tr-ua", "--count", "6057", "--reason", "r", "--dry-run")
    assert result.exit_code == 1
    assert "changes nothing" in error_line(result)


def test_large_batch_needs_yes(seeded: Path, cli: Run) -> None:
    """Over 10,000 events need --yes; the refusal says how to check and confirm."""
    batch = [
        {
            "type": "note.recorded",
            "data": {"text": f"n{i}", "source": {"attributed_to": "x", "party": "UA"}},
        }
        for i in range(10_001)
    ]
    raw = "\n".join(json.dumps(e) for e in batch)
    result = cli("append", input=raw)
    assert result.exit_code == 1
    assert error_line(result).startswith("Error: a batch of 10,001 events (")
    assert error_line(result).endswith(
        " bytes) is over 10,000 events or 16 MiB: check it "
        "with --dry-run, then append it with --yes"
    )
    assert cli("append", "--yes", input=raw).exit_code == 0


# -- no silent replacement, no silent duplicate ---------------------------------------------


def test_an_input_over_16_mib_is_refused_without_reading_it_whole(
    seeded: Path, cli: Run, tmp_path: Path
) -> None:
    """Input over 16 MiB (a huge file, /dev/zero) needs --yes: one Error line, log unchanged,
    and no more than 16 MiB is read (an endless input is not an exhausted memory)."""
    before = (seeded / "events.jsonl").read_bytes()
    huge = tmp_path / "huge.jsonl"
    with open(huge, "wb") as fh:
        fh.truncate(17 * 2**20)
    result = cli("append", str(huge))
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: the input is over 16 MiB: check it with --dry-run, then append it with --yes"
    )
    if Path("/dev/zero").exists():  # a device is refused at once, before any read
        result = cli("append", "/dev/zero")
        assert result.exit_code == 1
        assert error_line(result) == (
            "Error: /dev/zero: not a regular file (a FIFO, device or directory)"
        )
    assert (seeded / "events.jsonl").read_bytes() == before


def test_identical_fact_under_a_new_id_is_refused(seeded: Path, cli: Run) -> None:
    """The same transfer again is refused naming the existing id, unless --allow-duplicate."""
    args = (
        "report",
        "transfer",
        "--round",
        "june-2025",
        "--kind",
        "bodies",
        "--from",
        "RU",
        "--to",
        "UA",
        "--count",
        "6057",
        *SRC_ARGS,
    )
    result = cli(*args)
    assert result.exit_code == 1
    assert "already recorded as 'tr-ua'" in error_line(result)
    assert cli(*args, "--allow-duplicate").exit_code == 0


def test_supersedes_names_a_same_party_report(seeded: Path, cli: Run) -> None:
    """A report may supersede the same party's report of the round and flow, not another's."""
    args = (
        "report",
        "transfer",
        "--round",
        "june-2025",
        "--kind",
        "bodies",
        "--from",
        "RU",
        "--to",
        "UA",
        "--count",
        "6058",
        *SRC_ARGS,
    )
    refused = cli(*args, "--supersedes", "tr-ru")
    assert refused.exit_code == 1
    assert error_line(refused).startswith("Error: --supersedes: 'tr-ru' has another party")
    assert cli(*args, "--supersedes", "tr-ua").exit_code == 0
    assert records(seeded)[-1]["data"]["supersedes"] == "tr-ua"


# -- a command line that fits a maintainer's hands ---------------------------------------------


def test_show_filters_by_id_round_until_and_status(seeded: Path, cli: Run) -> None:
    """`show --id`, `--round`, `--until` and `--status` select the events they name."""

    def ids(*args: str) -> list[str]:
        result = cli("show", "--json", *args)
        assert result.exit_code == 0, result.output
        return [json.loads(line)["id"] for line in result.stdout.splitlines()]

    assert ids("--id", "note-wrong") == ["note-wrong", "ret-note"]
    assert ids("--round", "june-2025") == ["rnd-june", "tr-ua", "tr-ru", "note-wrong", "ret-note"]
    assert ids("--until", "2") == ["agr-istanbul", "rnd-june"]
    assert ids("--status", "retracted") == ["note-wrong"]
    assert ids("--status", "current") == ["agr-istanbul", "rnd-june", "tr-ua", "tr-ru", "offer-1"]


def test_show_unknown_type_lists_the_types(seeded: Path, cli: Run) -> None:
    """An unknown --type is a usage error (exit 2) listing the types."""
    result = cli("show", "--type", "transfer")
    assert result.exit_code == 2
    assert "'transfer' is not one of" in result.stderr.splitlines()[0]
    assert "'transfer.reported'" in result.stderr.splitlines()[0]


def test_show_escapes_control_and_bidi_characters(seeded: Path, cli: Run) -> None:
    """A table cell shows a newline, ESC and an override escaped; --json keeps them exact."""
    note = {
        "id": "n-x",
        "type": "note.recorded",
        "data": {
            "text": "line one\nFAKE ROW \u001b",
            "source": {"attributed_to": "x", "party": "UA"},
        },
    }
    bad = {**note, "data": {**note["data"], "text": "a\tb"}}
    assert cli("append", input=json.dumps(bad)).exit_code == 0
    # a note's text may hold newlines and tabs, never ESC
    assert cli("append", input=json.dumps(note)).exit_code == 1
    table = cli("show", "--id", "n-x").stdout.splitlines()
    assert len(table) == 2
    assert table[1].endswith("a\\tb  [x]")
    assert json.loads(cli("show", "--json", "--id", "n-x").stdout)["data"]["text"] == "a\tb"


def test_exists_whatever_expect_seq_says(seeded: Path, cli: Run) -> None:
    """A retry with the same id and content is `exists` even with a stale --expect-seq."""
    event = {
        "id": "n-1",
        "type": "note.recorded",
        "data": {"text": "t", "source": {"attributed_to": "x", "party": "UA"}},
    }
    assert cli("append", "--expect-seq", "7", input=json.dumps(event)).exit_code == 0
    retry = cli("append", "--expect-seq", "7", input=json.dumps(event))
    assert retry.exit_code == 0, retry.output
    assert json.loads(retry.stdout)["status"] == "exists"
    other = {**event, "id": "n-2"} | {"data": {**event["data"], "text": "u"}}
    assert cli("append", "--expect-seq", "7", input=json.dumps(other)).exit_code == 3


def test_usage_error_is_one_line_and_a_hint(cli: Run) -> None:
    """A usage error prints one Error line and one hint line, exit 2."""
    result = cli("show", "--nope")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: No such option '--nope'. Did you mean '--type'?",
        "Try 'main show -h' for help.",
    ]


def test_version_and_short_help(cli: Run) -> None:
    """`--version` prints the version; `-h` is --help."""
    version = cli("--version")
    assert (version.exit_code, version.stdout) == (0, "eventlog, version 0.1.0\n")
    assert cli("show", "-h").stdout == cli("show", "--help").stdout


def test_python_dash_m_eventlog(tmp_path: Path) -> None:
    """`python -m eventlog` is the same command line."""
    result = subprocess.run(
        [sys.executable, "-m", "eventlog", "--version"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (0, "eventlog, version 0.1.0\n")


def test_closed_pipe_is_quiet(seeded: Path) -> None:
    """`eventlog show | head -1` prints no error and exits 141 (128 + SIGPIPE)."""
    for _ in range(5):
        subprocess.run(
            [sys.executable, "-m", "eventlog", "--log", str(seeded), "append"],
            input=json.dumps(
                [
                    {
                        "type": "note.recorded",
                        "data": {
                            "text": f"n {i} {_}",
                            "source": {"attributed_to": "x", "party": "UA"},
                        },
                    }
                    for i in range(2000)
                ]
            ).encode(),
            check=True,
            capture_output=True,
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "eventlog", "--log", str(seeded), "show"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert (proc.wait(), stderr) == (141, b"")


def test_help_is_never_cut_mid_sentence() -> None:
    """No command's short help in a listing ends in '...' (as a cut at 'e.g.' did)."""
    for args in ([], ["report"], ["source"], ["sources"]):
        listing = CliRunner().invoke(main, [*args, "--help"]).stdout
        assert "..." not in listing.split("Commands:")[1], listing


def test_examples_in_help() -> None:
    """`report`, `correct`, `retract` and `verify` show an Examples section."""
    for command in ("report", "correct", "retract", "verify"):
        assert "Examples:" in CliRunner().invoke(main, [command, "--help"]).stdout


def test_non_utf8_recorder_is_one_error_line(seeded: Path, cli: Run) -> None:
    """A --by that is not UTF-8 (a surrogate-escaped byte) is one Error line, nothing written."""
    before = (seeded / "events.jsonl").read_bytes()
    result = cli("retract", "offer-1", "--reason", "r", "--by", "b\udcffad")
    assert result.exit_code == 1
    assert error_line(result) == "Error: --by: not UTF-8 text"
    assert before == (seeded / "events.jsonl").read_bytes()


def test_non_utf8_eventlog_user_is_one_error_line(seeded: Path, cli: Run, monkeypatch: Any) -> None:
    """An EVENTLOG_USER that is not UTF-8 is one Error line naming the variable."""
    monkeypatch.setenv("EVENTLOG_USER", "b\udcffad")
    result = cli("retract", "offer-1", "--reason", "r")
    assert result.exit_code == 1
    assert error_line(result) == "Error: EVENTLOG_USER: not UTF-8 text"


def test_slug_error_says_what_a_slug_is(seeded: Path, cli: Run) -> None:
    """A bad slug typed as an option is explained in words, naming the option."""
    result = cli("report", "round", "--round", "June 2025", "--occurred-on", "2025", *SRC_ARGS)
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: --round: not a slug: 'June 2025' (a slug is 1 to 64 lowercase ASCII letters, "
        "digits and hyphens, as june-2025)"
    )


def test_superseded_status_in_show(seeded: Path, cli: Run) -> None:
    """A fact another current report supersedes is listed under --status superseded."""
    assert (
        cli(
            "report",
            "transfer",
            "--round",
            "june-2025",
            "--kind",
            "bodies",
            "--from",
            "RU",
            "--to",
            "UA",
            "--count",
            "6058",
            *SRC_ARGS,
            "--supersedes",
            "tr-ua",
            "--id",
            "tr-ua-2",
        ).exit_code
        == 0
    )
    result = cli("show", "--json", "--status", "superseded")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["tr-ua"]
    table = cli("show", "--id", "tr-ua-2").stdout.splitlines()[1]
    assert table.endswith(
        "RU->UA bodies 6,058 in round june-2025 (supersedes tr-ua)  [Coordination Headquarters]"
    )


def test_inferred_attribution_is_shown(seeded: Path, cli: Run) -> None:
    """`--attribution inferred` is stored and marked in the table; 'stated' is stored absent."""
    assert (
        cli(
            "report", "note", "--text", "t", *SRC_ARGS, "--attribution", "inferred", "--id", "n-inf"
        ).exit_code
        == 0
    )
    assert (
        cli(
            "report", "note", "--text", "u", *SRC_ARGS, "--attribution", "stated", "--id", "n-st"
        ).exit_code
        == 0
    )
    assert records(seeded)[-2]["data"]["source"]["attribution"] == "inferred"
    assert "attribution" not in records(seeded)[-1]["data"]["source"]
    assert (
        cli("show", "--id", "n-inf")
        .stdout.splitlines()[1]
        .endswith("t  [Coordination Headquarters (inferred)]")
    )


def test_interval_dates_are_accepted(seeded: Path, cli: Run) -> None:
    """A round dated by an interval START/END is recorded as given."""
    result = cli(
        "report", "round", "--round", "r-late", "--occurred-on", "2025-06/2025-12", *SRC_ARGS
    )
    assert result.exit_code == 0, result.output
    assert records(seeded)[-1]["data"]["occurred_on"] == "2025-06/2025-12"


def test_exists_carries_the_existing_prev_and_hash(seeded: Path, cli: Run) -> None:
    """An `exists` reply prints the existing line's prev and hash, not nulls."""
    event = {
        "id": "n-9",
        "type": "note.recorded",
        "data": {"text": "t", "source": {"attributed_to": "x", "party": "UA"}},
    }
    first = json.loads(cli("append", input=json.dumps(event)).stdout)
    again = json.loads(cli("append", input=json.dumps(event)).stdout)
    assert again == {**first, "status": "exists"}
    assert again["prev"] is not None and again["hash"] is not None


def test_source_add_of_a_non_utf8_file_is_one_error_line(
    seeded: Path, cli: Run, tmp_path: Path
) -> None:
    """A document that is not UTF-8 text is refused with one Error line, nothing written."""
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4 \xff\xfe")
    before = (seeded / "events.jsonl").read_bytes()
    result = cli("source", "add", str(path), "--slug", "scan")
    assert result.exit_code == 1
    assert error_line(result) == f"Error: {path}: not UTF-8 text (bad byte at offset 9)"
    assert before == (seeded / "events.jsonl").read_bytes()


def test_exchange_accounts_must_match_the_rounds(seeded: Path, cli: Run) -> None:
    """Two accounts for three rounds is a usage error naming the option, nothing written."""
    args = [a if a != "390/390,307/307,303/303" else "390/390,307/307" for a in EXCHANGE]
    args = [a for a in args if a not in {"--document", "reuters-may"}]
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "Error: Invalid value for --ua-account: 2 accounts for 3 rounds: give one TO_UA/TO_RU "
        "per --round, comma-separated"
    )


def test_dry_run_of_a_correction_names_its_change(seeded: Path, cli: Run) -> None:
    """A correction's dry run says which fact it corrects and how, and writes nothing."""
    result = cli("correct", "tr-ua", "--count", "6058", "--reason", "typo", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "  corrects tr-ua: count={'value': 6058, 'qualifier': 'exact'}"
    )
    assert len(records(seeded)) == 7


def test_correct_errors_name_the_set_option(seeded: Path, cli: Run) -> None:
    """A correction typed with --set that would be invalid names `--set FIELD`."""
    result = cli("correct", "rnd-june", "--set", "occurred_on=2025-02-30", "--reason", "r")
    assert result.exit_code == 1
    assert error_line(result).startswith(
        "Error: --set occurred_on: the corrected fact would be invalid: not a calendar date"
    )
