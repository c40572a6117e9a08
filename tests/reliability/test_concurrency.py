"""Concurrent appenders: 8 processes x 250 events under the real flock, with rebuilds running.

Single events, batches and ``expect_seq`` retry loops give exactly 2,000
events, gapless, the chain intact, none lost or duplicated; a ``projections
rebuild`` running during the appends always publishes a consistent prefix.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from eventlog.codec import decode, line_hash
from eventlog.verify import verify
from reliability.conftest import CHILD, log_bytes, scaled

WORKERS = 8
EACH = 250


@contextmanager
def _started(log: Path, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start the workers; whatever happens, none outlives the test (killed and reaped)."""
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(WORKERS):
            workers.append(
                subprocess.Popen(
                    [sys.executable, str(CHILD), "worker", str(log), f"w{n}", str(count)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        for worker in workers:
            worker.wait()
            for pipe in (worker.stdout, worker.stderr):
                if pipe is not None:
                    pipe.close()


def _finish(workers: list[subprocess.Popen[bytes]]) -> dict[str, int]:
    acked: dict[str, int] = {}
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err.decode()
        for line in out.decode().splitlines():
            seq, event_id = line.split()
            assert event_id not in acked, f"{event_id} acknowledged twice"
            acked[event_id] = int(seq)
    return acked


def _check_log(log: Path, acked: dict[str, int], count: int) -> list[dict[str, Any]]:
    """The log holds exactly the acknowledged events, each once, gapless and chained."""
    records = [decode(line) for line in log_bytes(log).split(b"\n")[:-1]]
    assert len(records) == WORKERS * count
    assert [r["seq"] for r in records] == list(range(1, WORKERS * count + 1))
    assert {r["id"]: r["seq"] for r in records} == acked
    expected = {f"w{n}-{i}" for n in range(WORKERS) for i in range(count)}
    assert set(acked) == expected
    report = verify(log)
    assert (report.events, report.torn_bytes) == (WORKERS * count, 0)
    return records


def test_concurrent_appenders_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    """8 processes appending at once give every event exactly once, gapless, chain intact."""
    log = tmp_path / "log"
    log.mkdir()
    count = scaled(EACH)
    with _started(log, count) as workers:
        acked = _finish(workers)
    _check_log(log, acked, count)


def _published(out: Path) -> tuple[int, dict[str, Any]]:
    """Read the published totals.json and the store's answers, as a reader would."""
    from projections import queries
    from projections.lines import Lines
    from projections.store import open_store, read_head

    totals = orjson.loads((out / "totals.json").read_bytes())
    conn = open_store(out)
    lines = Lines(out.parent / "log" / "events.jsonl")
    try:
        conn.execute("BEGIN")
        seq = read_head(conn).seq
        views = {
            "published": totals,
            "head": read_head(conn),
            "rounds": queries.rounds(conn, seq, lines),
        }
        conn.execute("COMMIT")
    finally:
        conn.close()
        lines.close()
    return totals["head"]["seq"], views


def _check_prefix(views: dict[str, Any], records: list[dict[str, Any]], lines: list[bytes]) -> None:
    """totals.json and the store reflect a prefix of the log, and only it."""
    seq = views["published"]["head"]["seq"]
    assert views["published"]["known_at"]["seq"] == seq
    if seq:
        assert views["published"]["head"]["hash"] == line_hash(lines[seq - 1])
    head = views["head"]
    assert head.seq >= seq
    if head.seq:
        assert head.hash == line_hash(lines[head.seq - 1])
    prefix = records[: head.seq]
    rounds = sorted(r["data"]["round"] for r in prefix if r["type"] == "round.recorded")
    assert sorted(r["round"] for r in views["rounds"]["rounds"]) == rounds


def test_rebuilds_during_appends_publish_consistent_prefixes(tmp_path: Path) -> None:
    """Rebuilds racing 8 appenders always publish totals and a store that reflect a prefix."""
    pytest.importorskip("projections.rebuild")
    from projections.rebuild import rebuild

    log, out = tmp_path / "log", tmp_path / "out"
    log.mkdir()
    (log / "events.jsonl").touch()
    count = scaled(EACH)
    seen: list[tuple[int, dict[str, Any]]] = []
    with _started(log, count) as workers:
        while any(w.poll() is None for w in workers):
            rebuild(log, out)
            seen.append(_published(out))
        acked = _finish(workers)
    rebuild(log, out)
    seen.append(_published(out))
    records = _check_log(log, acked, count)
    lines = log_bytes(log).split(b"\n")[:-1]
    for _, views in seen:
        _check_prefix(views, records, lines)
    seqs = [seq for seq, _ in seen]
    assert seqs == sorted(seqs) and seqs[-1] == len(records)
    assert len(set(seqs)) >= 3, f"rebuilds did not overlap the appends: {seqs}"
