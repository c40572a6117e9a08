"""Failpoints: ``EVENTLOG_FAILPOINT`` stops the writer dead at each dangerous point.

Each point is exercised through the real CLI in a subprocess and recovered
from: ``verify`` passes (a torn tail only as a warning), the acknowledged
events are intact, and the next append quarantines torn bytes and succeeds.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from eventlog.codec import decode
from eventlog.reader import log_file
from eventlog.store import QUARANTINE_DIR, read_tail
from reliability.conftest import cli, log_bytes, note, scaled, seed

POINTS = ("append.half-write", "append.before-fsync", "append.before-ack")
CRASHED = 70


def _write_batch(path: Path, events: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


def _ids(log: Path) -> list[str]:
    lines = log_bytes(log).split(b"\n")[:-1]
    return [decode(line)["id"] for line in lines]


@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.parametrize("point", POINTS)
def test_failpoint_crash_is_recovered(tmp_path: Path, point: str, size: int) -> None:
    """A writer dying at the failpoint leaves a log that verifies and accepts the next append."""
    log = tmp_path / "log"
    seed(log)
    for attempt in range(scaled(1)):
        before = log_bytes(log)
        batch = [note(f"crash {attempt}.{i}", f"c{attempt}-{i}") for i in range(size)]
        crashed = cli(
            ["--log", str(log), "append", str(_write_batch(tmp_path / "b.jsonl", batch))],
            env={"EVENTLOG_FAILPOINT": point},
        )
        assert crashed.returncode == CRASHED, crashed.stderr
        assert crashed.stdout == b"", "nothing may be acknowledged before the crash point"
        after = log_bytes(log)
        assert after.startswith(before), "acknowledged bytes changed"

        checked = cli(["--log", str(log), "verify"])
        assert checked.returncode == 0, checked.stderr
        tail = read_tail(log_file(log))
        if point == "append.half-write":
            assert tail.torn > 0
            assert b"Warning: torn tail" in checked.stderr
        else:
            assert tail.torn == 0 and after.endswith(b"\n")
            assert _ids(log)[-size:] == [e["id"] for e in batch]

        quarantined = set((log / QUARANTINE_DIR).glob("*"))
        nxt = cli(
            ["--log", str(log), "append", "-"],
            input=orjson.dumps(note(f"next {attempt}", f"next-{attempt}")),
        )
        assert nxt.returncode == 0, nxt.stderr
        recovered = log_bytes(log)
        kept = after[: tail.position.offset]
        partial = kept.count(b"\n") - before.count(b"\n")
        rolled = size - partial if 0 < partial < size else 0  # a cut batch is completed
        assert recovered.startswith(kept)
        assert recovered.count(b"\n") == kept.count(b"\n") + rolled + 1
        new = set((log / QUARANTINE_DIR).glob("*")) - quarantined
        torn = [after[tail.position.offset :]] if tail.torn else []
        assert [p.read_bytes() for p in new] == torn

        retry = cli(["--log", str(log), "append", str(tmp_path / "b.jsonl")])
        assert retry.returncode == 0, retry.stderr
        ids = _ids(log)
        assert all(ids.count(str(e["id"])) == 1 for e in batch), "retry duplicated an event"
        final = cli(["--log", str(log), "verify"])
        assert final.returncode == 0 and b"Warning" not in final.stderr, final.stderr


@pytest.mark.parametrize("point", POINTS)
def test_failpoint_crash_keeps_a_batch_all_or_nothing(tmp_path: Path, point: str) -> None:
    """After a crash mid-batch and recovery, the log holds all of the batch or none of it."""
    log = tmp_path / "log"
    seed(log)
    batch = [note(f"batch {i}", f"b-{i}") for i in range(4)]
    crashed = cli(
        ["--log", str(log), "append", str(_write_batch(tmp_path / "b.jsonl", batch))],
        env={"EVENTLOG_FAILPOINT": point},
    )
    assert crashed.returncode == CRASHED, crashed.stderr
    nxt = cli(["--log", str(log), "append", "-"], input=orjson.dumps(note("x", "x")))
    assert nxt.returncode == 0, nxt.stderr
    present = [e["id"] for e in batch if e["id"] in _ids(log)]
    assert present in ([], [e["id"] for e in batch])
