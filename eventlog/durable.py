"""Durable file operations of the store: the append lock, fsyncs, whole writes,
quarantine of torn tails, the pending-batch journal, and the crash failpoints.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from eventlog.catalog import TIMESTAMP_FORMAT
from eventlog.errors import LogNotFound, LogUnavailable
from eventlog.reader import log_file
from eventlog.tail import Tail, read_tail

LOCK_FILE = ".lock"
QUARANTINE_DIR = "quarantine"
PENDING_FILE = ".pending"
"""The batch being written (its offset, then its bytes), so a crash never leaves half a batch."""
FAILPOINT_ENV = "EVENTLOG_FAILPOINT"
"""Names a point at which the writer stops dead (``os._exit(70)``), for crash tests:
``append.half-write``, ``append.before-fsync``, ``append.before-ack``."""


def failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(70)



def utc_stamp(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).strftime(TIMESTAMP_FORMAT)




def check_dir(log_dir: Path) -> None:
    if not log_dir.exists():
        raise LogNotFound(str(log_dir))
    if not log_dir.is_dir():
        raise LogUnavailable(str(log_dir), "not a directory")
    path = log_file(log_dir)
    if path.is_symlink():
        raise LogUnavailable(str(path), "is a symbolic link; the log must be a regular file")
    if path.exists() and not path.is_file():
        raise LogUnavailable(str(path), "is not a regular file")


@contextmanager
def locked(log_dir: Path) -> Iterator[None]:
    """Hold the log's exclusive append lock (``flock`` on ``.lock``)."""
    try:
        fd = os.open(log_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise LogUnavailable(str(log_dir), f"cannot take the append lock: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def quarantine(log_dir: Path, fd: int, tail: Tail) -> Path:
    """Copy the torn bytes to ``quarantine/`` (durably), then truncate them from the log."""
    qdir = log_dir / QUARANTINE_DIR
    if qdir.is_symlink():
        raise LogUnavailable(str(qdir), "is a symbolic link; quarantine must be a directory")
    qdir.mkdir(exist_ok=True)
    os.lseek(fd, tail.position.offset, os.SEEK_SET)
    torn = os.read(fd, tail.torn)
    stamp = utc_stamp().replace(":", "").replace("-", "")
    target = qdir / f"torn-{stamp}-seq{tail.position.seq}-at{tail.position.offset}.bin"
    qfd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        write_all(qfd, torn)
        os.fsync(qfd)
    except OSError:
        target.unlink(missing_ok=True)  # no partial copy: the torn bytes stay in the log
        raise
    finally:
        os.close(qfd)
    fsync_dir(qdir)
    fsync_dir(log_dir)
    os.ftruncate(fd, tail.position.offset)
    os.fsync(fd)
    return target



def write_batch(fd: int, data: bytes, created_in: Path | None) -> None:
    half = len(data) // 2
    if os.environ.get(FAILPOINT_ENV) == "append.half-write":
        write_all(fd, data[:half])
        failpoint("append.half-write")
    write_all(fd, data)
    failpoint("append.before-fsync")
    os.fsync(fd)
    if created_in is not None:
        fsync_dir(created_in)
    failpoint("append.before-ack")


def begin_batch(log_dir: Path, offset: int, data: bytes) -> None:
    """Record a multi-line batch durably before writing it, so a crash can be rolled forward."""
    path = log_dir / PENDING_FILE
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        write_all(fd, b"%d\n" % offset + data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(log_dir)


def end_batch(log_dir: Path) -> None:
    # Not fsync'd: a stale record is harmless, its batch is whole in the log.
    with suppress(OSError):
        os.truncate(log_dir / PENDING_FILE, 0)


def finish_batch(log_dir: Path, fd: int, tail: Tail) -> Tail:
    """Complete a batch a crash cut after some of its lines: a batch is all or nothing.

    Readers may already have seen the batch's first lines, so it is rolled
    forward, never back; the torn bytes go to quarantine as usual. A batch of
    which no complete line reached the log is dropped with the torn tail.
    """
    try:
        offset_text, _, data = (log_dir / PENDING_FILE).read_bytes().partition(b"\n")
        offset = int(offset_text)
    except (OSError, ValueError):
        return tail
    done = tail.position.offset - offset
    if not 0 < done < len(data):
        return tail
    os.lseek(fd, offset, os.SEEK_SET)
    if os.read(fd, done) != data[:done]:
        return tail
    if tail.torn:
        quarantine(log_dir, fd, tail)
    write_all(fd, data[done:])
    os.fsync(fd)
    end_batch(log_dir)
    return read_tail(log_file(log_dir))


def cut_back(fd: int, size: int) -> None:
    """After a failed write (disk full), cut the partial bytes of this batch back off."""
    try:
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
            os.fsync(fd)
    except OSError:
        pass  # the next append will find and quarantine a torn tail instead

