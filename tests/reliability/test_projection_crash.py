"""A ``projections rebuild`` SIGKILLed at random moments never publishes a mixed set.

After each kill the published outputs are the old complete set or the new one
(every file of ``current`` reflects the same prefix of the log), and the next
rebuild succeeds. ``EVENTLOG_FAILPOINT=rebuild.*`` also stops a rebuild dead at
each step of publishing its checkpoint and outputs, and the next rebuild recovers.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eventlog.codec import decode
from eventlog.store import append
from reliability.conftest import log_bytes, note, round_, scaled, seed
from reliability.test_concurrency import _check_prefix, _published

KILLS = 8


def test_killed_rebuild_publishes_old_or_new_set(tmp_path: Path) -> None:
    """SIGKILL during rebuilds leaves ``current`` a complete set, and the next rebuild succeeds."""
    pytest.importorskip("projections.rebuild")
    from projections.rebuild import rebuild

    log, out = tmp_path / "log", tmp_path / "out"
    seed(log)
    rng = random.Random(7)
    published = []
    for kill in range(scaled(KILLS)):
        append(log, [note(f"n{kill}-{i}", f"n{kill}-{i}") for i in range(40)]
               + [round_(f"r-kill-{kill}", event_id=f"r-kill-{kill}")])
        child = subprocess.Popen([sys.executable, "-m", "projections", "--log", str(log),
                                  "rebuild", "--out", str(out)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.0))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        lines = log_bytes(log).split(b"\n")[:-1]
        records = [decode(line) for line in lines]
        if (out / "current").exists():
            seq, views = _published(out)
            _check_prefix(views, records, lines)
            published.append(seq)
        result = rebuild(log, out)
        assert result.seq == len(records)
        _check_prefix(_published(out)[1], records, lines)
    assert published == sorted(published)


PUBLICATION_POINTS = ["rebuild.mid-checkpoint", "rebuild.before-rename",
                      "rebuild.before-swap", "rebuild.after-swap"]


def _outputs(out: Path) -> dict[str, bytes]:
    generation = (out / "current").resolve()
    names = ("totals.json", "rounds.json", "trails.json", "archive.sqlite", "checkpoint.json")
    return {name: (generation / name).read_bytes() for name in names}


@pytest.mark.parametrize("point", PUBLICATION_POINTS)
def test_rebuild_failpoint_in_publication_is_recovered(tmp_path: Path, point: str) -> None:
    """A rebuild stopped dead while publishing leaves the old or the new set; the next one heals."""
    pytest.importorskip("projections.rebuild")
    from projections.rebuild import rebuild

    log, out = tmp_path / "log", tmp_path / "out"
    seed(log)
    rebuild(log, out)
    old = _outputs(out)
    append(log, [note(f"after-{i}", f"after-{i}") for i in range(5)]
           + [round_("r-after", event_id="r-after")])
    crashed = subprocess.run(
        [sys.executable, "-m", "projections", "--log", str(log), "rebuild", "--out", str(out)],
        env={**os.environ, "EVENTLOG_FAILPOINT": point}, capture_output=True, check=False)
    assert crashed.returncode == 70, crashed.stderr
    assert crashed.stdout == b""
    lines = log_bytes(log).split(b"\n")[:-1]
    records = [decode(line) for line in lines]
    seq, views = _published(out)
    _check_prefix(views, records, lines)
    assert seq in (records[-7]["seq"], len(records))
    if seq != len(records):
        assert _outputs(out) == old
    result = rebuild(log, out)
    assert result.seq == len(records)
    fresh = tmp_path / "fresh"
    rebuild(log, fresh, full=True)
    assert _outputs(out) == _outputs(fresh)
