"""Regression tests of issue 10's write-side defects: each failed on 634d935.

What a torn tail is (one rule for appends, readers and ``verify``), the chain an
append checks, the pending-batch journal, quarantine, file modes and the clock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlog import durable, store
from eventlog.codec import decode, encode, line_hash
from eventlog.errors import CorruptLog, InvalidEvent, LogUnavailable
from eventlog.reader import LogReader, log_file
from eventlog.store import PENDING_FILE, QUARANTINE_DIR, append, init_log
from eventlog.verify import Checkpoint, verify
from reliability.conftest import cli, log_bytes, note, scaled, seed, transfer

PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _next_line(log: Path, **changes: Any) -> bytes:
    """A line chained to the log's last line (a note), with ``changes`` to its record."""
    last = log_bytes(log).split(b"\n")[-2]
    before = decode(last)
    record = {
        "seq": before["seq"] + 1,
        "id": "later-1",
        "type": "note.recorded",
        "v": 2,
        "data": {"text": "from a later version", "source": before["data"]["source"]},
        "recorded_at": before["recorded_at"],
        "recorded_by": "future",
        "prev": line_hash(last),
    }
    record.update(changes)
    if "drop" in changes:
        record.pop("drop")
        del record[changes["drop"]]
        return orjson.dumps(record)
    return encode(record)


UNREADABLE = {
    "schema v3": lambda log: _next_line(log, v=3) + b"\n",
    "no version": lambda log: _next_line(log, drop="v") + b"\n",
    "not an object": lambda log: b"[1, 2, 3]\n",
    "v3 then torn bytes": lambda log: _next_line(log, v=3) + b'\n{"seq":7,"id":"ha',
    "v3 then a record": lambda log: _next_line(log, v=3) + b"\n" + _next_line(log) + b"\n",
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_complete_lines_this_version_cannot_read_are_never_cut(seeded: Path, case: str) -> None:
    """A complete last line that parses but cannot be read is refused, never quarantined."""
    with open(log_file(seeded), "ab") as fh:
        fh.write(UNREADABLE[case](seeded))
    before = log_bytes(seeded)
    with pytest.raises(CorruptLog):
        verify(seeded)
    with pytest.raises(CorruptLog):
        append(seeded, [note("must be refused", "refused")])
    with pytest.raises(CorruptLog):
        list(LogReader(seeded))
    assert log_bytes(seeded) == before
    assert not (seeded / QUARANTINE_DIR).exists()


def test_an_edited_line_inside_the_window_is_refused_by_append(seeded: Path) -> None:
    """Every line an append reads to find the tail must chain: an edit of any is refused."""
    original = log_bytes(seeded)
    lines = original.split(b"\n")[:-1]
    for number in range(1, len(lines)):  # the last line: only a checkpoint can tell
        edited = list(lines)
        edited[number - 1] = edited[number - 1].replace(
            b'"recorded_by":"seed"', b'"recorded_by":"seeD"'
        )
        content = b"".join(line + b"\n" for line in edited)
        log_file(seeded).write_bytes(content)
        with pytest.raises(CorruptLog):
            append(seeded, [note("must be refused", "refused")])
        assert log_bytes(seeded) == content, number
    log_file(seeded).write_bytes(original)
    append(seeded, [note("accepted again", "accepted")])
    assert verify(seeded).events == 6


class _Crash(BaseException):
    """The process dying between journalling a batch and writing it."""


def _crash_before_write(*args: Any) -> None:
    raise _Crash


def test_a_dropped_batch_never_comes_back(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A journalled batch of which nothing was written is not rolled forward later."""
    with monkeypatch.context() as patch:
        patch.setattr(store, "write_batch", _crash_before_write)
        with pytest.raises(_Crash):
            append(seeded, [note("a1", "a1"), note("a2", "a2")], by="x", now=PAST)
    assert (seeded / PENDING_FILE).stat().st_size > 0
    append(seeded, [note("a1", "a1")], by="x", now=PAST)  # byte-identical to the batch's first
    append(seeded, [note("later", "later")], by="x", now=PAST)
    ids = [record["id"] for record in LogReader(seeded)]
    assert ids[-2:] == ["a1", "later"] and "a2" not in ids
    assert verify(seeded).events == 7


def test_a_rejected_append_may_complete_an_earlier_crashed_batch(seeded: Path) -> None:
    """Recovery of a crash runs before the batch is checked: documented, and shown here."""
    crashed = cli(
        ["--log", str(seeded), "append", "-"],
        input=b"\n".join(orjson.dumps(note(f"b{i}", f"b{i}")) for i in range(4)),
        env={"EVENTLOG_FAILPOINT": "append.half-write"},
    )
    assert crashed.returncode == 70
    with pytest.raises(InvalidEvent):
        append(seeded, [transfer("no-such-round", 1)])
    ids = [record["id"] for record in LogReader(seeded)]
    assert ids[-4:] == ["b0", "b1", "b2", "b3"]
    assert verify(seeded).torn_bytes == 0


HOSTILE = {
    "fifo": os.mkfifo,
    "symlink to /dev/zero": lambda path: path.symlink_to("/dev/zero"),
    "directory": lambda path: path.mkdir(),
    "larger than the bound": lambda path: os.truncate(
        os.open(path, os.O_WRONLY | os.O_CREAT, 0o644) and path, durable.MAX_PENDING + 1
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_pending_file_is_refused_naming_it(seeded: Path, case: str) -> None:
    """A ``.pending`` that is not a bounded regular file: one Error line, nothing written."""
    (seeded / PENDING_FILE).unlink(missing_ok=True)
    HOSTILE[case](seeded / PENDING_FILE)
    before = log_bytes(seeded)
    result = cli(
        ["--log", str(seeded), "append", "-"], input=orjson.dumps(note("x", "x")), timeout=30
    )
    assert result.returncode == 1, result.stderr
    stderr = result.stderr.decode()
    assert stderr.startswith("Error: ") and stderr.count("\n") == 1, stderr
    assert PENDING_FILE in stderr
    assert log_bytes(seeded) == before


class _CappedOs:
    """``os`` whose reads return at most ``cap`` bytes (as ``read`` does past 2 GiB)."""

    def __init__(self, cap: int, stop_after: int | None = None) -> None:
        self.cap, self.stop_after, self.given = cap, stop_after, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def _give(self, data: bytes) -> bytes:
        if self.stop_after is not None and self.given >= self.stop_after:
            return b""
        self.given += len(data)
        return data

    def read(self, fd: int, count: int) -> bytes:
        return self._give(os.read(fd, min(count, self.cap)))

    def pread(self, fd: int, count: int, offset: int) -> bytes:
        return self._give(os.pread(fd, min(count, self.cap), offset))


def test_quarantine_copies_a_torn_tail_longer_than_one_read(
    seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads that return less than asked still quarantine every torn byte."""
    torn = bytes(range(1, 256)) * 40  # no newline: all of it is torn
    with open(log_file(seeded), "ab") as fh:
        fh.write(torn)
    monkeypatch.setattr(durable, "os", _CappedOs(cap=1000))
    append(seeded, [note("after", "after")])
    (copy,) = (seeded / QUARANTINE_DIR).iterdir()
    assert copy.read_bytes() == torn


def test_a_torn_tail_that_cannot_be_copied_whole_is_not_truncated(
    seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the copy comes up short, the append fails and the torn bytes stay in the log."""
    with open(log_file(seeded), "ab") as fh:
        fh.write(b"\x01" * 5000)
    before = log_bytes(seeded)
    monkeypatch.setattr(durable, "os", _CappedOs(cap=1000, stop_after=2000))
    with pytest.raises(LogUnavailable):
        append(seeded, [note("after", "after")])
    assert log_bytes(seeded) == before
    assert list((seeded / QUARANTINE_DIR).iterdir()) == []


def test_quarantine_names_are_unique_with_a_frozen_clock(
    seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two torn tails at the same offset and the same instant get two quarantine files."""
    monkeypatch.setattr(durable, "utc_stamp", lambda now=None: "2025-06-16T10:00:00.000000Z")
    base = log_bytes(seeded)
    for torn in (b'{"seq":6,"id":"one', b'{"seq":6,"id":"two'):
        log_file(seeded).write_bytes(base + torn)
        append(seeded, [note("recovered", "rec")])
    copies = sorted(p.read_bytes() for p in (seeded / QUARANTINE_DIR).iterdir())
    assert copies == [b'{"seq":6,"id":"one', b'{"seq":6,"id":"two']


def test_quarantine_that_is_a_file_is_named_in_the_error(seeded: Path) -> None:
    """A file where ``quarantine/`` should be: the error names it, the log is unchanged."""
    (seeded / QUARANTINE_DIR).write_bytes(b"")
    with open(log_file(seeded), "ab") as fh:
        fh.write(b'{"seq":6')
    before = log_bytes(seeded)
    with pytest.raises(LogUnavailable) as caught:
        append(seeded, [note("x", "x")])
    assert caught.value.path == str(seeded / QUARANTINE_DIR)
    assert log_bytes(seeded) == before


_UMASK_SCRIPT = """
import sys
from eventlog.store import append, init_log
log = sys.argv[1]
init_log(log)
event = lambda n: {"type": "note.recorded", "id": f"n{n}",
                   "data": {"text": f"t{n}", "source": {"attributed_to": "a", "party": "UA"}}}
append(log, [event(1), event(2)])
open(log + "/events.jsonl", "ab").write(b'{"torn')
append(log, [event(3)])
"""


def test_files_are_created_without_group_or_other_write_under_umask_000(tmp_path: Path) -> None:
    """Under umask 000 the log, its directory, quarantine and derived files are 0644/0755."""
    log = tmp_path / "log"
    subprocess.run([sys.executable, "-c", _UMASK_SCRIPT, str(log)], check=True, umask=0)
    paths = [log, *log.rglob("*")]
    assert {p.name for p in paths} >= {
        "events.jsonl",
        ".lock",
        ".pending",
        ".index.sqlite",
        QUARANTINE_DIR,
    }
    loose = {p.name: oct(p.stat().st_mode & 0o777) for p in paths if p.stat().st_mode & 0o022}
    assert loose == {}


def test_verify_tells_a_write_in_flight_from_a_crash(seeded: Path) -> None:
    """A torn tail while an appender holds the lock is reported as probably in flight."""
    with open(log_file(seeded), "ab") as fh:
        fh.write(b'{"seq":6,"id":"in-fl')
    assert verify(seeded).in_flight is False
    fd = os.open(seeded / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert verify(seeded).in_flight is True
        result = cli(["--log", str(seeded), "verify"])
    finally:
        os.close(fd)
    assert result.returncode == 0
    assert b"in flight" in result.stderr


def test_a_clock_behind_the_log_is_pinned_and_warned(seeded: Path) -> None:
    """A clock that ran ahead pins later stamps; the library says so and the CLI warns."""
    ahead = dt.datetime(2037, 1, 1, tzinfo=dt.UTC)
    append(seeded, [note("from a clock in 2037", "ahead")], now=ahead)
    results = append(seeded, [note("now", "now")])
    assert results.pinned_to == "2037-01-01T00:00:00.000000Z"
    assert decode(log_bytes(seeded).split(b"\n")[-2])["recorded_at"] == results.pinned_to
    result = cli(["--log", str(seeded), "append", "-"], input=orjson.dumps(note("cli", "cli")))
    assert result.returncode == 0
    assert result.stderr.decode().startswith("Warning: this clock is behind")


def test_a_checkpoint_with_non_ascii_digits_is_one_error_line(seeded: Path) -> None:
    """``verify --checkpoint "²:<hash>"`` is refused with one Error line, no traceback."""
    with pytest.raises(InvalidEvent):
        Checkpoint.parse("²:" + "a" * 64)
    result = cli(["--log", str(seeded), "verify", "--checkpoint", "²:" + "a" * 64])
    assert result.returncode == 1
    assert result.stderr.decode().startswith("Error: checkpoint must be SEQ:HASH")
    assert result.stderr.count(b"\n") == 1


def test_a_checkpoint_seq_of_5000_digits_is_one_error_line(seeded: Path) -> None:
    """A seq longer than Python converts to an int is refused with one Error line."""
    with pytest.raises(InvalidEvent):
        Checkpoint.parse("9" * 5000 + ":" + "a" * 64)
    result = cli(["--log", str(seeded), "verify", "--checkpoint", "9" * 5000 + ":" + "a" * 64])
    assert result.returncode == 1
    assert result.stderr.decode().startswith("Error: checkpoint seq has too many digits")
    assert result.stderr.count(b"\n") == 1


def test_changes_nested_256_deep_are_one_error_line(seeded: Path) -> None:
    """Data nested deeper than the codec writes is an InvalidEvent, not a bare ValueError."""
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(300):
        inner["a"] = {}
        inner = inner["a"]
    event = {
        "type": "fact.corrected",
        "data": {"target": "note-1", "changes": {"text": deep}, "reason": "deep"},
    }
    before = log_bytes(seeded)
    with pytest.raises(InvalidEvent) as caught:
        append(seeded, [event])
    assert "nested deeper" in str(caught.value)
    result = cli(["--log", str(seeded), "append", "-"], input=json.dumps(event).encode())
    assert result.returncode == 1 and result.stderr.count(b"\n") == 1, result.stderr
    assert log_bytes(seeded) == before


def test_dry_run_checks_everything_and_writes_nothing(seeded: Path) -> None:
    """A dry run reports what would be appended, refuses what append refuses, writes nothing."""
    with open(log_file(seeded), "ab") as fh:
        fh.write(b'{"seq":6,"torn')
    before = {p.name: p.read_bytes() for p in seeded.iterdir() if p.is_file()}
    planned = append(seeded, [note("would land", "dry")], now=PAST, dry_run=True)
    assert [(r.seq, r.id, r.status) for r in planned] == [(6, "dry", "appended")]
    with pytest.raises(InvalidEvent):
        append(seeded, [transfer("no-such-round", 1)], dry_run=True)
    after = {p.name: p.read_bytes() for p in seeded.iterdir() if p.is_file()}
    assert after["events.jsonl"] == before["events.jsonl"]
    assert not (seeded / QUARANTINE_DIR).exists()
    done = append(seeded, [note("would land", "dry")], now=PAST)
    assert done[0].hash == planned[0].hash


def test_dry_run_against_a_missing_log_file_creates_nothing(tmp_path: Path) -> None:
    """A dry run in an empty directory plans seq 1 and leaves no events.jsonl behind."""
    log = tmp_path / "log"
    log.mkdir()
    planned = append(log, [note("first", "first")], dry_run=True)
    assert planned[0].seq == 1
    assert not log_file(log).exists()


def test_a_repeat_is_exists_whatever_expect_seq_says(seeded: Path) -> None:
    """Retrying an acknowledged event with a stale ``expect_seq`` reports it as existing."""
    lines = log_bytes(seeded).split(b"\n")
    results = append(
        seeded,
        [note("the exchange of prisoners is still ongoing", "note-1")],
        by="other",
        expect_seq=2,
    )
    assert [(r.seq, r.status, r.prev, r.hash) for r in results] == [
        (5, "exists", line_hash(lines[3]), line_hash(lines[4]))
    ]


def test_init_log_directory_mode(tmp_path: Path) -> None:
    """``init_log`` makes the log directory 0755 or stricter whatever the umask."""
    old = os.umask(0)
    try:
        init_log(tmp_path / "log")
    finally:
        os.umask(old)
    assert (tmp_path / "log").stat().st_mode & 0o022 == 0


@settings(
    max_examples=scaled(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_random_journal_never_adds_an_event_nobody_appended(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Whatever ``.pending`` holds (noise, a plausible header, a stale batch), no phantom lines."""
    log = tmp_path_factory.mktemp("journal") / "log"
    seed(log)
    size = len(log_bytes(log))
    body = data.draw(st.binary(max_size=600), label="body")
    offset = data.draw(st.integers(0, size + 10), label="offset")
    digest = data.draw(st.sampled_from([hashlib.sha256(body).hexdigest(), "0" * 64]))
    header = data.draw(
        st.sampled_from(
            [b"", b"%d\n" % offset, b"%d %d %s\n" % (offset, len(body), digest.encode())]
        )
    )
    (log / PENDING_FILE).write_bytes(header + body)
    append(log, [note("the only new event", "only")])
    assert [r["id"] for r in LogReader(log)][-2:] == ["note-1", "only"]
    assert verify(log).events == 6
