"""The scheduled rebuild: catch the store up, then publish ``totals.json`` beside it.

Output directory (default ``build/projections``)::

    .lock            flock held for the whole rebuild (two rebuilds never interleave)
    archive.sqlite   the store (WAL: -wal and -shm beside it)
    totals.json      the totals of the store's head, replaced atomically

``totals.json`` is written to a temporary file in the same directory, fsynced
and renamed over the old one, so a reader sees the old or the new file whole.
A temporary file left by a killed rebuild is removed by the next one.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from projections.errors import OutputUnavailable, RebuildLocked

TOTALS = "totals.json"
_TEMP = ".totals.json.tmp-"


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``out/.lock``; raises ``RebuildLocked`` if another holds it."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RebuildLocked(str(out / ".lock")) from None
        yield
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a temporary file, fsync, rename, fsync the directory."""
    temp = path.with_name(f"{_TEMP}{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _sweep(out: Path) -> None:
    for stale in out.glob(f"{_TEMP}*"):
        stale.unlink(missing_ok=True)


class Rebuilt(NamedTuple):
    """What a rebuild did: the head it published, how many events it folded, the totals."""

    seq: int
    hash: str
    folded: int
    totals: dict[str, Any]
    path: Path
    seconds: float

    def summary(self) -> str:
        """The one line the cron job logs."""
        return (
            f"OK: store at seq {self.seq} ({self.hash[:12]}), {self.folded} new events folded,"
            f" {len(self.totals['totals'])} flows in {self.path} ({self.seconds:.2f}s)"
        )


def rebuild(
    log_dir: str | os.PathLike[str], out: str | os.PathLike[str], full: bool = False
) -> Rebuilt:
    """Catch the store up (from the start with ``full``) and publish ``totals.json``."""
    log_dir, out = Path(log_dir), Path(out)
    from projections import queries
    from projections.render import to_json
    from projections.store import catch_up, guarded, refuse_inside_log

    start = time.perf_counter()
    refuse_inside_log(log_dir, out)
    try:
        with locked(out):
            _sweep(out)
            caught = catch_up(log_dir, out, full=full)
            conn = caught.conn
            try:
                with guarded(out):
                    conn.execute("BEGIN")
                    view = queries.totals(conn, caught.head.seq, caught.lines)
                    conn.execute("COMMIT")
            finally:
                caught.close()
            view["head"] = {"seq": caught.head.seq, "hash": caught.head.hash}
            write_atomically(out / TOTALS, to_json(view) + b"\n")
    except OSError as exc:
        raise OutputUnavailable.of(exc, out) from None
    head = caught.head
    return Rebuilt(
        head.seq, head.hash, caught.folded, view, out / TOTALS, time.perf_counter() - start
    )
