"""Publishing generations atomically: the rebuild lock, the ``current`` symlink swap,
fsyncs, pruning, and the failpoints that crash tests stop at.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from eventlog.reader import Position
from projections.checkpoint import FORMAT, STATE_CODEC, save_state
from projections.errors import OutputUnavailable, RebuildLocked
from projections.facts import State
from projections.outputs import write_file

_GEN_RE = re.compile(r"gen-(\d{6,})")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path``; raises ``RebuildLocked`` if another holds it."""
    try:
        handle = open(path, "a")  # noqa: SIM115 (closed below, after the lock is released)
    except OSError as exc:
        raise OutputUnavailable(str(path), exc.strerror or str(exc)) from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RebuildLocked(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def published(out: Path) -> Path | None:
    """The generation ``current`` points at, if any."""
    link = out / "current"
    if not link.is_symlink():
        return None
    target = out / os.readlink(link)
    return target if target.is_dir() else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_all(directory: Path) -> None:
    for path in directory.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(directory)


def _next_name(out: Path) -> str:
    numbers = [int(m.group(1)) for p in out.iterdir() if (m := _GEN_RE.fullmatch(p.name))]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def publish(
    out: Path, staging: Path, state: State, position: Position, durable: bool = True
) -> Path:
    """Save the checkpoint in ``staging`` (outputs written) and make it ``current``."""
    meta = {
        "format": FORMAT,
        "codec": STATE_CODEC,
        "seq": position.seq,
        "offset": position.offset,
        "hash": position.hash,
    }
    write_file(staging / "checkpoint.json", orjson.dumps(meta) + b"\n", False)
    _failpoint("rebuild.mid-checkpoint")
    save_state(staging / "state.marshal", state)
    if durable:
        _fsync_all(staging)
    staging.chmod(0o755)
    name = _next_name(out)
    _failpoint("rebuild.before-rename")
    os.rename(staging, out / name)
    link = out / f".current-{name}"
    os.symlink(name, link)
    _failpoint("rebuild.before-swap")
    os.replace(link, out / "current")
    if durable:
        _fsync_dir(out)
    _failpoint("rebuild.after-swap")
    return out / name


FAILPOINT_ENV = "EVENTLOG_FAILPOINT"
"""Names a point of publication at which a rebuild stops dead (``os._exit(70)``), for
crash tests: ``rebuild.mid-checkpoint`` (checkpoint half saved), ``rebuild.before-rename``
(generation complete in staging), ``rebuild.before-swap`` (generation renamed into place,
``current`` not yet swapped), ``rebuild.after-swap`` (published, old generations not pruned)."""


def _failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(70)


def prune(out: Path, keep: set[Path]) -> None:
    """Remove generations other than ``keep`` and leftovers of interrupted rebuilds."""
    for path in out.iterdir():
        stale_gen = _GEN_RE.fullmatch(path.name) is not None and path not in keep
        if stale_gen or path.name.startswith(".tmp-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".current-"):
            path.unlink(missing_ok=True)
