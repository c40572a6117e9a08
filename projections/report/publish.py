"""Publishing the site as a set: ``OUT/site`` is a symlink swapped in one rename.

The files are written and fsynced in a fresh ``OUT/.site-XXXX`` directory, then
a new symlink replaces ``OUT/site`` with ``rename(2)``: a reader (a browser, a
web server) sees the whole old site or the whole new one, never a mix. A lock
file keeps two reports from pruning each other's directories.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from projections.errors import OutputUnavailable

LINK = "site"
PREFIX = ".site-"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(directory: Path, files: dict[str, Iterable[bytes]]) -> None:
    for name, chunks in files.items():
        path = directory / name
        with open(path, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        path.chmod(0o644)
    directory.chmod(0o755)
    _fsync(directory)


def publish_site(out: Path, files: dict[str, Iterable[bytes]]) -> Path:
    """Write ``files`` (name -> chunks) as the new ``OUT/site`` and return its path.

    Raises ``OutputUnavailable`` when ``OUT`` cannot be written or ``OUT/site``
    is something other than the report's symlink.
    """
    link = out / LINK
    try:
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out / ".site.lock"):
            if link.exists() and not link.is_symlink():
                raise OutputUnavailable(str(link), "exists and is not the report's symlink")
            staging = Path(tempfile.mkdtemp(prefix=PREFIX, dir=out))
            _write(staging, files)
            swap = out / f".site-link-{os.getpid()}"
            swap.unlink(missing_ok=True)
            swap.symlink_to(staging.name)
            os.replace(swap, link)
            _fsync(out)
            for old in out.iterdir():
                if old.name.startswith(PREFIX) and old.is_dir() and old != staging:
                    shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise OutputUnavailable(str(exc.filename or out), exc.strerror or str(exc)) from None
    return link
