"""Durable file operations of the store: the append lock, fsyncs, whole writes,
quarantine of torn tails, the pending-batch journal, and the crash failpoints.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import stat
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


_COPY = 1 << 20
"""Bytes copied per read: ``os.read`` returns at most about 2 GiB, whatever it is asked."""


def quarantine(log_dir: Path, fd: int, tail: Tail) -> Path:
    """Copy the torn bytes to ``quarantine/`` (durably), then truncate them from the log.

    The copy is made in bounded chunks and checked for length; a torn tail that cannot
    be copied whole is left in the log. Names are unique even when the clock stands still.
    """
    qdir = log_dir / QUARANTINE_DIR
    if qdir.is_symlink():
        raise LogUnavailable(str(qdir), "is a symbolic link; quarantine must be a directory")
    if qdir.exists() and not qdir.is_dir():
        raise LogUnavailable(str(qdir), "is not a directory; quarantine must be a directory")
    qdir.mkdir(mode=0o755, exist_ok=True)
    stamp = utc_stamp().replace(":", "").replace("-", "")
    name = f"torn-{stamp}-seq{tail.position.seq}-at{tail.position.offset}"
    for attempt in range(1000):
        target = qdir / (f"{name}.bin" if attempt == 0 else f"{name}-{attempt}.bin")
        try:
            qfd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            break
        except FileExistsError:
            continue
    else:
        raise LogUnavailable(str(qdir), "cannot choose a new quarantine file name")
    try:
        copied = 0
        while copied < tail.torn:
            chunk = os.pread(fd, min(_COPY, tail.torn - copied), tail.position.offset + copied)
            if not chunk:
                break
            write_all(qfd, chunk)
            copied += len(chunk)
        if copied != tail.torn:
            raise OSError(0, f"copied {copied} of {tail.torn} torn bytes")
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


MAX_PENDING = 1 << 32
"""Largest journal a writer will read: a larger (or non-regular) ``.pending`` is refused."""


def begin_batch(log_dir: Path, offset: int, data: bytes) -> None:
    """Record a multi-line batch durably before writing it, so a crash can be rolled forward.

    The header names the batch's offset, length and SHA-256, so a journal cut short by
    a crash is never mistaken for a batch that was begun.
    """
    path = log_dir / PENDING_FILE
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LogUnavailable(str(path), "is not a regular file")
        header = b"%d %d %s\n" % (offset, len(data), hashlib.sha256(data).hexdigest().encode())
        write_all(fd, header + data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(log_dir)


def end_batch(log_dir: Path, *, durable: bool = False) -> None:
    """Empty the journal; ``durable`` when a crash must not bring an unwritten batch back."""
    with suppress(OSError):
        fd = os.open(log_dir / PENDING_FILE, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.ftruncate(fd, 0)
                if durable:
                    os.fsync(fd)
        finally:
            os.close(fd)


def _open_journal(log_dir: Path) -> int | None:
    """The journal, opened without following links or blocking; None if absent or empty."""
    path = log_dir / PENDING_FILE
    try:
        jfd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LogUnavailable(str(path), f"cannot be read as a journal: {exc.strerror}") from None
    st = os.fstat(jfd)
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_PENDING:
        os.close(jfd)
        raise LogUnavailable(str(path), "is not a regular file of a bounded size")
    if st.st_size == 0:
        os.close(jfd)
        return None
    return jfd


def _journal_batch(jfd: int) -> tuple[int, int, int] | None:
    """``(offset, length, where the data starts)`` of a whole journal, else None."""
    head = os.pread(jfd, 200, 0)
    line, sep, _ = head.partition(b"\n")
    parts = line.split(b" ")
    if not sep or len(parts) != 3 or not all(p.isdigit() for p in parts[:2]):
        return None
    offset, length, start = int(parts[0]), int(parts[1]), len(line) + 1
    if os.fstat(jfd).st_size != start + length:
        return None
    digest = hashlib.sha256()
    for at in range(0, length, _COPY):
        digest.update(os.pread(jfd, min(_COPY, length - at), start + at))
    if digest.hexdigest().encode() != parts[2]:
        return None
    return offset, length, start


def _same_bytes(fd: int, at: int, jfd: int, jat: int, count: int) -> bool:
    for done in range(0, count, _COPY):
        size = min(_COPY, count - done)
        if os.pread(fd, size, at + done) != os.pread(jfd, size, jat + done):
            return False
    return True


def finish_batch(log_dir: Path, fd: int, tail: Tail) -> Tail:
    """Complete a batch a crash cut after some of its lines: a batch is all or nothing.

    Readers may already have seen the batch's first lines, so it is rolled forward,
    never back, and only when the journal is whole (its checksum holds) and the log
    ends, at a line boundary of the batch, with exactly the batch's first lines; the
    torn bytes go to quarantine as usual. Whatever is decided, the journal is then
    emptied durably, before anything else is written: it describes only the batch that
    was in flight at the crash, never a later write that happens to look the same.
    """
    jfd = _open_journal(log_dir)
    if jfd is None:
        return tail
    try:
        found = _journal_batch(jfd)
        if found is not None:
            offset, length, start = found
            done = tail.position.offset - offset
            if (
                0 < done < length
                and os.pread(jfd, 1, start + done - 1) == b"\n"
                and _same_bytes(fd, offset, jfd, start, done)
            ):
                if tail.torn:
                    quarantine(log_dir, fd, tail)
                for at in range(done, length, _COPY):
                    write_all(fd, os.pread(jfd, min(_COPY, length - at), start + at))
                os.fsync(fd)
                tail = read_tail(log_file(log_dir))
    finally:
        os.close(jfd)
    end_batch(log_dir, durable=True)
    return tail


def cut_back(fd: int, size: int) -> None:
    """After a failed write (disk full), cut the partial bytes of this batch back off."""
    try:
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
            os.fsync(fd)
    except OSError:
        pass  # the next append will find and quarantine a torn tail instead
