"""kill -9 loop: a child appending in a loop is SIGKILLed at random moments.

After each kill every acknowledged event is in the log exactly once, ``eventlog
verify`` passes (a torn tail only as a warning) and the next append moves any
torn bytes to ``quarantine/`` and succeeds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from eventlog.cli import main
from eventlog.codec import decode
from eventlog.reader import log_file
from eventlog.store import QUARANTINE_DIR, append, read_tail
from reliability.conftest import CHILD, note, scaled

KILLS = 30


def _acked(out: bytes) -> dict[str, int]:
    """The ``SEQ ID`` lines a child printed completely before it died."""
    acked = {}
    for line in out.split(b"\n")[:-1]:
        seq, event_id = line.decode().split()
        acked[event_id] = int(seq)
    return acked


def _kill_one(log: Path, prefix: str, rng: random.Random) -> dict[str, int]:
    """Start a looping appender, let it acknowledge something, SIGKILL it at a random moment."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), "loop", str(log), prefix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # the child is past its imports and appending
    assert first, child.stderr.read() if child.stderr else b""
    time.sleep(rng.uniform(0, 0.06))
    os.kill(child.pid, signal.SIGKILL)
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return _acked(first + rest)


def test_kill9_loop_keeps_every_acknowledged_event(log_dir: Path) -> None:
    """Across >= 30 SIGKILLs every acknowledged event stays exactly once and the log recovers."""
    rng = random.Random(int(os.environ.get("EVENTLOG_SEED", "0")) or None)
    runner = CliRunner()
    acked: dict[str, int] = {}
    torn_seen = 0
    for kill in range(scaled(KILLS)):
        acked.update(_kill_one(log_dir, f"k{kill}", rng))
        lines = log_file(log_dir).read_bytes().split(b"\n")
        records = [decode(line) for line in lines[:-1] if line]
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)), "an event was written twice"
        where = {r["id"]: r["seq"] for r in records}
        missing = {i: s for i, s in acked.items() if where.get(i) != s}
        assert not missing, f"acknowledged events lost or moved: {missing}"

        result = runner.invoke(main, ["--log", str(log_dir), "verify"])
        assert result.exit_code == 0, result.output
        tail = read_tail(log_file(log_dir))
        if tail.torn:
            torn_seen += 1
            assert "Warning: torn tail" in result.stderr
            torn = log_file(log_dir).read_bytes()[tail.position.offset :]
        before = set((log_dir / QUARANTINE_DIR).glob("*")) if tail.torn else set()

        done = append(log_dir, [note(f"after kill {kill}", f"after-{kill}")])
        # A batch the kill cut mid-write is completed first (rolled forward), so the
        # new event may land a few seqs later; it is always the last line.
        assert done[0].seq >= tail.position.seq + 1
        assert done[0].seq == read_tail(log_file(log_dir)).position.seq
        acked[f"after-{kill}"] = done[0].seq
        if tail.torn:
            new = set((log_dir / QUARANTINE_DIR).glob("*")) - before
            assert [p.read_bytes() for p in new] == [torn]
        assert read_tail(log_file(log_dir)).torn == 0
    final = runner.invoke(main, ["--log", str(log_dir), "verify"])
    assert final.exit_code == 0 and "Warning" not in final.stderr, final.output
    assert len(acked) > scaled(KILLS)
