"""``verify`` with its per-line checks in worker processes reports exactly what the
sequential ``verify`` reports: the same report on a sound log, the same first bad line
and message on a damaged one, whichever side (workers or main pass) finds it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eventlog import verifypool
from eventlog.codec import decode, encode, line_hash
from eventlog.errors import CorruptLog
from eventlog.store import append
from eventlog.verify import verify
from tests.benchmarks.generate import Generator

Edit = Callable[[list[dict[str, Any]]], None]


def _set(n: int, path: tuple[str, ...], value: Any) -> Edit:
    def edit(records: list[dict[str, Any]]) -> None:
        target = records[n - 1]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _first_with(records: list[dict[str, Any]], key: str, after: int) -> int:
    return next(i for i, r in enumerate(records, start=1) if i > after and key in r["data"])


def _write(log: Path, records: list[dict[str, Any]], rechain: bool = True) -> None:
    prev = records[0]["prev"]
    out = []
    for record in records:
        if rechain:
            record["prev"] = prev
        line = encode(record)
        prev = line_hash(line)
        out.append(line + b"\n")
    (log / "events.jsonl").write_bytes(b"".join(out))


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    log = tmp_path_factory.mktemp("sound") / "log"
    log.mkdir()
    append(log, Generator(seed=3).take(400), by="t")
    return [decode(x) for x in (log / "events.jsonl").read_bytes().split(b"\n")[:-1]]


def _outcome(log: Path, parallel: bool) -> str:
    try:
        report = verify(log, parallel=parallel)
    except CorruptLog as exc:
        return f"CorruptLog: {exc}"
    return repr(report)


CASES: dict[str, Callable[[list[dict[str, Any]]], list[Edit]]] = {
    "sound": lambda r: [],
    "schema": lambda r: [_set(200, ("data", "source"), 5)],
    "date after recording": lambda r: [
        _set(_first_with(r, "occurred_on", 150), ("data", "occurred_on"), "2999-01-01")
    ],
    "reused id": lambda r: [_set(300, ("id",), r[10]["id"])],
    "rule before schema": lambda r: [
        _set(120, ("id",), r[10]["id"]),
        _set(250, ("data", "source"), 5),
    ],
    "schema before rule": lambda r: [
        _set(120, ("data", "source"), 5),
        _set(250, ("id",), r[10]["id"]),
    ],
    "schema and rule on one line": lambda r: [
        _set(180, ("id",), r[10]["id"]),
        _set(180, ("data", "source"), 5),
    ],
    "unknown type": lambda r: [_set(90, ("type",), "no.such")],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_parallel_verify_reports_what_sequential_verify_reports(
    case: str, sound: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers over many small ranges give the same outcome as the one-process verify."""
    monkeypatch.setattr(verifypool, "_CHUNK", 4096)  # many ranges, not one

    def in_main(*_: object) -> None:
        raise AssertionError("a range was checked in the main process, not by a worker")

    records = [dict(r, data=dict(r["data"])) for r in sound]
    for edit in CASES[case](records):
        edit(records)
    log = tmp_path / "log"
    log.mkdir()
    _write(log, records)
    expected = _outcome(log, parallel=False)
    assert (case == "sound") == expected.startswith("Report")
    monkeypatch.setattr(verifypool, "_check_range", in_main)
    assert _outcome(log, parallel=True) == expected


def test_a_broken_chain_after_a_schema_failure_reports_the_schema(
    sound: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A worker's schema failure before the main pass's chain failure is the one reported."""
    records = [dict(r, data=dict(r["data"])) for r in sound]
    _set(100, ("data", "source"), 5)(records)
    log = tmp_path / "log"
    log.mkdir()
    _write(log, records)
    lines = (log / "events.jsonl").read_bytes().split(b"\n")
    lines[300] = lines[300].replace(b'"prev":"', b'"prev":"0', 1)[:-1] + lines[300][-1:]
    (log / "events.jsonl").write_bytes(b"\n".join(lines))
    expected = _outcome(log, parallel=False)
    assert "line 100" in expected
    assert _outcome(log, parallel=True) == expected
