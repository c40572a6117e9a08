"""A log stored in schema version 1 (bare-integer counts) is upcast on read and never rewritten.

``fixtures/v1_log.jsonl`` was written once, by hand, as version 1 wrote it:
``"v":1`` and ``"count": 6057``; its prev chain is correct. It is a stored
artefact: never regenerate it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from eventlog.cli import main
from eventlog.codec import decode, upcast
from eventlog.reader import LogReader
from eventlog.store import append
from eventlog.verify import verify

FIXTURE = Path(__file__).parent / "fixtures" / "v1_log.jsonl"
FIXTURE_SHA256 = "6cf335fc230425c639c3069a509cff6e5f6c8529ccf713c7a69709b2f716dee6"
"""Digest of the fixture file: it is a stored artefact and must never change."""
COUNTS = {"v1-tr-ua": 6057, "v1-tr-ru": 6060, "v1-tr-back": 78, "v1-total": 4800, "v1-offer": 2239}


@pytest.fixture
def v1_log(tmp_path: Path) -> Path:
    """A log directory holding a byte-for-byte copy of the version-1 fixture."""
    directory = tmp_path / "v1"
    directory.mkdir()
    shutil.copyfile(FIXTURE, directory / "events.jsonl")
    return directory


@pytest.fixture
def run(v1_log: Path) -> Callable[..., Result]:
    """Run eventlog on the copy of the version-1 log."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, ["--log", str(v1_log), *args], input=input)

    return invoke


def test_fixture_is_the_stored_version_1_file() -> None:
    """The fixture is unchanged, every line is version 1 and counts are bare integers."""
    raw = FIXTURE.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == FIXTURE_SHA256
    records = [json.loads(line) for line in raw.splitlines()]
    assert {r["v"] for r in records} == {1}
    assert {r["id"]: r["data"]["count"] for r in records if "count" in r["data"]} == COUNTS
    assert records[8]["data"]["changes"] == {"count": 27}


def test_verify_passes_on_the_version_1_log(run: Callable[..., Result]) -> None:
    """`verify` accepts the version-1 log: its chain, rules and upcast records are valid."""
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 10 events, chain intact; head 10:")


def test_reader_yields_upcast_records(v1_log: Path) -> None:
    """The reader yields version-2 records: a bare count becomes an exact Quantity."""
    records = list(LogReader(v1_log))
    assert [r["seq"] for r in records] == list(range(1, 11))
    assert {r["v"] for r in records} == {2}
    counts = {r["id"]: r["data"]["count"] for r in records if "count" in r["data"]}
    assert counts == {k: {"value": v, "qualifier": "exact"} for k, v in COUNTS.items()}


def test_reader_upcasts_counts_in_corrections(v1_log: Path) -> None:
    """A version-1 correction of a count is upcast too."""
    correction = next(r for r in LogReader(v1_log) if r["type"] == "fact.corrected")
    assert correction["data"]["changes"] == {"count": {"value": 27, "qualifier": "exact"}}


def test_upcast_changes_nothing_but_count_and_version(v1_log: Path) -> None:
    """Apart from ``v`` and counts, an upcast record equals the stored one."""
    stored = [json.loads(line) for line in FIXTURE.read_bytes().splitlines()]
    for old, new in zip(stored, LogReader(v1_log), strict=True):
        assert {k: v for k, v in new.items() if k not in ("v", "data")} == {
            k: v for k, v in old.items() if k not in ("v", "data")
        }
        for key, value in new["data"].items():
            if key not in ("count", "changes"):
                assert old["data"][key] == value


def test_show_json_prints_upcast_records(run: Callable[..., Result]) -> None:
    """`show --json` prints the records upcast to version 2."""
    records = [json.loads(line) for line in run("show", "--json").stdout.splitlines()]
    assert {r["v"] for r in records} == {2}
    assert records[2]["data"]["count"] == {"value": 6057, "qualifier": "exact"}


def test_reading_never_rewrites_the_log(v1_log: Path, run: Callable[..., Result]) -> None:
    """verify, show and head leave the version-1 bytes (and the file's mtime) untouched."""
    path = v1_log / "events.jsonl"
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    for args in (("verify",), ("show",), ("show", "--json"), ("head",)):
        assert run(*args).exit_code == 0
    list(LogReader(v1_log))
    assert before == path.read_bytes()
    assert mtime == path.stat().st_mtime_ns
    assert FIXTURE.read_bytes() == before


def test_append_to_a_version_1_log(v1_log: Path, run: Callable[..., Result]) -> None:
    """Appending to a version-1 log adds version-2 lines after the untouched old bytes."""
    transfer = {
        "id": "v2-tr",
        "type": "transfer.reported",
        "data": {
            "round": "2025-06-repatriation",
            "kind": "pows",
            "from": "UA",
            "to": "RU",
            "count": {"value": 84, "qualifier": "at_least"},
            "source": {"attributed_to": "Ukrainian officials", "party": "UA"},
        },
    }
    result = run("append", "--expect-seq", "10", input=json.dumps(transfer))
    assert result.exit_code == 0, result.output
    raw = (v1_log / "events.jsonl").read_bytes()
    original = FIXTURE.read_bytes()
    assert raw.startswith(original)
    new = json.loads(raw[len(original) :])
    assert (new["seq"], new["v"]) == (11, 2)
    assert new["prev"] == hashlib.sha256(original.splitlines()[-1]).hexdigest()
    assert run("verify").exit_code == 0


def test_correct_a_version_1_count(v1_log: Path, run: Callable[..., Result]) -> None:
    """A version-1 fact can be corrected with a version-2 Quantity, and the log still verifies."""
    result = run(
        "correct", "v1-tr-ua", "--count", "6000", "--qualifier", "at_least", "--reason", "rounded"
    )
    assert result.exit_code == 0, result.output
    assert run("verify").exit_code == 0
    assert (v1_log / "events.jsonl").read_bytes().startswith(FIXTURE.read_bytes())


def test_idempotent_reappend_of_a_version_1_event(v1_log: Path) -> None:
    """Re-submitting a version-1 fact in its upcast form is recognised as the same event."""
    stored = next(r for r in LogReader(v1_log) if r["id"] == "v1-offer")
    [result] = append(v1_log, [{"id": "v1-offer", "type": stored["type"], "data": stored["data"]}])
    assert (result.seq, result.status) == (7, "exists")
    assert (v1_log / "events.jsonl").read_bytes() == FIXTURE.read_bytes()


def test_retracted_version_1_fact_stays_retracted(v1_log: Path) -> None:
    """A fact retracted in the version-1 log cannot be retracted again by a new append."""
    from eventlog.errors import InvalidEvent

    with pytest.raises(InvalidEvent, match="'v1-total' was retracted"):
        append(
            v1_log, [{"type": "fact.retracted", "data": {"target": "v1-total", "reason": "again"}}]
        )


def test_decode_upcasts_a_version_1_line() -> None:
    """codec.decode of a version-1 line returns the version-2 record."""
    line = FIXTURE.read_bytes().splitlines()[2]
    record = decode(line)
    assert record["v"] == 2
    assert record["data"]["count"] == {"value": 6057, "qualifier": "exact"}


def test_upcast_leaves_its_input_unchanged() -> None:
    """Upcasting builds a new record; the stored one is not mutated."""
    old = json.loads(FIXTURE.read_bytes().splitlines()[2])
    snapshot = json.loads(json.dumps(old))
    upcast(old)
    assert old == snapshot


@pytest.mark.parametrize("version", [0, 3, "1", None])
def test_unknown_schema_version_fails_verify(v1_log: Path, version: object) -> None:
    """A line with an unknown schema version is corruption, named by line and seq."""
    lines = FIXTURE.read_bytes().splitlines()
    lines[3] = lines[3].replace(b'"v":1,', b'"v":' + json.dumps(version).encode() + b",")
    (v1_log / "events.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    result = CliRunner().invoke(main, ["--log", str(v1_log), "verify"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: line 4 (seq 4): unknown schema version")


def test_library_verify_reports_the_version_1_head(v1_log: Path) -> None:
    """verify() reports 10 events and the hash of the fixture's last line as head."""
    report = verify(v1_log)
    last = FIXTURE.read_bytes().splitlines()[-1]
    assert (report.events, report.torn_bytes) == (10, 0)
    assert report.head.hash == hashlib.sha256(last).hexdigest()
