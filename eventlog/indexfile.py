"""The append index's files: the stamp that tells our writes from anyone else's, and the
connections kept open between appends of one process.

The stamp (``.index.stamp``) is what the index's files were after our last commit or
close: inode, size and mtime of the database and of its WAL, taken with ``stat`` only.
An index whose files no longer match it was written by something else (or a crash
came between a commit and its stamp) and is rebuilt from the log.

Nothing here ever opens the database file itself: SQLite's locks are POSIX locks,
which a process loses on *every* descriptor of a file when it closes *any* one of
them. A process that read the header while it kept a connection lost its lock, and
another process closing its own connection then believed itself the last, checkpointed
and deleted the WAL under the live connection ("database disk image is malformed").
"""

from __future__ import annotations

import atexit
import fcntl
import os
import sqlite3
from contextlib import suppress
from pathlib import Path

from eventlog.durable import LOCK_FILE

STAMP_FILE = ".index.stamp"
_STAMP_SIZE = 160


def stamp_of(path: Path) -> bytes | None:
    """What the index files are now: inode, size, mtime of the database and of its WAL.

    ``stat`` only, never ``open``: see the module docstring.
    """
    parts = []
    for name in (path, Path(f"{path}-wal")):
        try:
            st = os.stat(name)
        except FileNotFoundError:
            parts.append(b"-")
            continue
        except OSError:
            return None
        parts.append(b"%d:%d:%d" % (st.st_ino, st.st_size, st.st_mtime_ns))
    if parts[0] == b"-":
        return None
    return b" ".join(parts)


def write_stamp(path: Path, stamp_path: Path) -> None:
    stamp = stamp_of(path)
    if stamp is None:
        stamp_path.unlink(missing_ok=True)
        return
    # Written in place at a fixed length, neither renamed nor truncated (either cost more
    # than the log's own fsync): a stamp torn by a crash matches nothing, and the index
    # is then rebuilt.
    fd = os.open(stamp_path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        os.pwrite(fd, stamp.ljust(_STAMP_SIZE), 0)
    finally:
        os.close(fd)


def stamp_matches(path: Path, stamp_path: Path) -> bool:
    try:
        kept = stamp_path.read_bytes()
    except OSError:
        return False
    stamp = stamp_of(path)
    return stamp is not None and kept == stamp.ljust(_STAMP_SIZE)


def release(path: Path, stamp_path: Path, db: sqlite3.Connection) -> None:
    """Close a connection, stamping what its close (a WAL checkpoint) left, if still ours."""
    ours = stamp_matches(path, stamp_path)
    db.close()
    if ours:
        write_stamp(path, stamp_path)
    else:
        stamp_path.unlink(missing_ok=True)


Key = tuple[str, int, int]
POOL: dict[Key, tuple[Path, Path, sqlite3.Connection]] = {}
"""Connections kept open between appends of one process and thread, by index path.

Opening the index, and the WAL checkpoint when it is closed, cost more than a single
append's own fsync. A kept connection is reused only while the stamp still matches;
at most ``POOL_SIZE`` are kept, and all are released (and restamped) at exit.
"""
POOL_SIZE = 4


@atexit.register
def _release_pool() -> None:
    """At exit, outside any append: restamp only under the append lock, if it is free."""
    for key in list(POOL):
        path, stamp_path, db = POOL.pop(key)
        if key[1] != os.getpid():
            continue
        with suppress(sqlite3.Error, OSError):
            fd = os.open(path.parent / LOCK_FILE, os.O_RDWR | os.O_NOFOLLOW)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                release(path, stamp_path, db)
            except BlockingIOError:
                db.close()  # an append is running: it stamps what it leaves
            finally:
                os.close(fd)
