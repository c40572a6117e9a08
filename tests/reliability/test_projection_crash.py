"""A catch-up of the store SIGKILLed at random moments leaves the last committed state.

The store's rows and its position are committed in one transaction, so after
each kill the store answers exactly as the fold of the log up to the position
it records (which is the old or the new head), and the next catch-up resumes
from there and ends equal to a store built in one pass.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from eventlog.codec import decode
from eventlog.store import append, init_log
from reliability.conftest import log_bytes, scaled
from tests.benchmarks.generate import Generator

KILLS = 6


def _answers(log: Path, out: Path) -> tuple[int, Any]:
    """The store's head seq and its totals and rounds, read without catching up."""
    from projections import queries
    from projections.lines import Lines
    from projections.store import open_store, read_head

    conn = open_store(out)
    lines = Lines(log / "events.jsonl")
    try:
        conn.execute("BEGIN")
        seq = read_head(conn).seq
        view = [queries.totals(conn, seq, lines), queries.rounds(conn, seq, lines)]
        conn.execute("COMMIT")
    finally:
        conn.close()
        lines.close()
    return seq, orjson.loads(orjson.dumps(view))


def _folded(records: list[dict[str, Any]]) -> Any:
    from projections.rounds import rounds_view
    from projections.state import fold
    from projections.totals import totals_view

    state = fold(records)
    return orjson.loads(orjson.dumps([totals_view(state), rounds_view(state)]))


def test_killed_catch_up_leaves_the_last_committed_state(tmp_path: Path) -> None:
    """SIGKILL during `projections rebuild`: the store answers as the fold up to its recorded
    position (old or new head), and the next catch-up resumes and ends equal to the fold."""
    from projections.store import catch_up

    log, out = tmp_path / "log", tmp_path / "out"
    init_log(log)
    gen = Generator(seed=3)
    rng = random.Random(11)
    heads = []
    for _ in range(scaled(KILLS)):
        append(log, gen.take(3000), by="bench")
        child = subprocess.Popen(
            [sys.executable, "-m", "projections", "--log", str(log), "--out", str(out), "rebuild"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.1, 1.5))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        records = [decode(line) for line in log_bytes(log).split(b"\n")[:-1]]
        if (out / "archive.sqlite").exists():
            seq, answers = _answers(log, out)
            assert answers == _folded(records[:seq])
            heads.append(seq)
        catch_up(log, out).close()
        assert _answers(log, out) == (len(records), _folded(records))
    assert heads == sorted(heads)


def test_readers_see_whole_catch_ups_while_one_runs(tmp_path: Path) -> None:
    """A plain SQLite reader polling the store while `projections rebuild` folds 20,000
    events never waits and always sees a committed state: per flow, the maintained totals
    equal the sum of the flows, and the head's seq is one the rebuild committed."""
    import sqlite3

    log, out = tmp_path / "log", tmp_path / "out"
    init_log(log)
    gen = Generator(seed=5)
    append(log, gen.take(2000), by="bench")
    from projections.store import catch_up

    catch_up(log, out).close()
    append(log, gen.take(20000), by="bench")
    child = subprocess.Popen(
        [sys.executable, "-m", "projections", "--log", str(log), "--out", str(out), "rebuild"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen = set()
    while child.poll() is None or not seen:
        conn = sqlite3.connect(f"file:{out / 'archive.sqlite'}?mode=ro", uri=True, timeout=0.1)
        try:
            conn.execute("BEGIN")
            (seq,) = conn.execute("SELECT value FROM meta WHERE key = 'head_seq'").fetchone()
            totals = conn.execute(
                "SELECT kind, sender, receiver, low, best, rounds FROM flow_totals"
                " WHERE rounds > 0 ORDER BY 1, 2, 3"
            ).fetchall()
            summed = conn.execute(
                "SELECT kind, sender, receiver, sum(low), sum(best), count(*) FROM flows"
                " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ).fetchall()
            conn.execute("COMMIT")
        finally:
            conn.close()
        assert totals == summed
        seen.add(int(seq))
    assert child.wait(timeout=300) == 0, child.stderr.read() if child.stderr else ""
    if child.stderr is not None:
        child.stderr.close()
    assert seen <= {2000, 22000}
