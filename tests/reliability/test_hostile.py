"""Hostile environments: read-only, full disk, a directory or symlink where the log should be.

Each gives one clear ``Error:`` line (exit 1 or 2) through the CLI, an
``EventLogError`` through the library, and leaves the log and everything
around it unchanged.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from eventlog.cli import main
from eventlog.errors import EventLogError, LogNotFound, LogUnavailable
from eventlog.index import Index
from eventlog.reader import log_file
from eventlog.store import append, read_tail
from eventlog.verify import verify
from reliability.conftest import log_bytes, note

DERIVED = (
    ".lock",
    ".index.sqlite",
    ".index.sqlite-journal",
    ".index.sqlite-wal",
    ".index.sqlite-shm",
    ".index.stamp",
    ".pending",
)


def _snapshot(root: Path) -> dict[str, Any]:
    """Every path under ``root`` with its content (or link target), derived files aside."""
    found: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        if path.name in DERIVED:
            continue
        if path.is_symlink():
            found[str(path)] = ("link", os.readlink(path))
        elif path.is_file():
            found[str(path)] = path.read_bytes()
        else:
            found[str(path)] = "dir"
    return found


def _refused(log: Path, root: Path, *, code: int = 1) -> str:
    """Append through the library and the CLI; both must refuse and change nothing."""
    before = _snapshot(root)
    with pytest.raises(EventLogError):
        append(log, [note("must not land", "refused")])
    assert _snapshot(root) == before
    result = CliRunner().invoke(
        main,
        ["--log", str(log), "append", "-"],
        input=orjson.dumps(note("must not land", "refused")),
    )
    assert isinstance(result.exception, SystemExit), f"traceback: {result.exception!r}"
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert _snapshot(root) == before
    return result.stderr


def _fail_writes_to(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...], code: int) -> None:
    """Make ``os.open`` for writing fail with ``code`` for files with these names."""
    real_open = os.open

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and Path(os.fsdecode(path)).name in names:
            raise OSError(code, os.strerror(code), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("names", [(".lock", "events.jsonl"), ("events.jsonl",)])
def test_read_only_log_is_refused_cleanly(
    seeded: Path, monkeypatch: pytest.MonkeyPatch, code: int, names: tuple[str, ...]
) -> None:
    """A log that cannot be opened for writing (simulated, works as root) is refused cleanly."""
    _fail_writes_to(monkeypatch, names, code)
    assert os.strerror(code) in _refused(seeded, seeded.parent)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; simulated above")
def test_read_only_log_directory_by_chmod(seeded: Path) -> None:
    """A really read-only log directory and files (chmod) are refused cleanly."""
    paths = [seeded, *seeded.rglob("*")]
    modes = {p: p.stat().st_mode for p in paths}
    try:
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        _refused(seeded, seeded.parent)
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def _disk_full_after(
    monkeypatch: pytest.MonkeyPatch, target: Callable[[int], bool], allowed: int
) -> None:
    """``os.write`` to matching fds writes ``allowed`` bytes in all, then fails with ENOSPC."""
    real_write = os.write
    left = [allowed]

    def fake_write(fd: int, data: Any) -> int:
        if not target(fd):
            return real_write(fd, data)
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, bytes(data)[: left[0]])
        left[0] -= written
        return written

    monkeypatch.setattr(os, "write", fake_write)


def _is_file(path: Path) -> Callable[[int], bool]:
    def check(fd: int) -> bool:
        try:
            st = os.fstat(fd)
        except OSError:
            return False
        return path.exists() and (st.st_dev, st.st_ino) == (path.stat().st_dev, path.stat().st_ino)

    return check


@pytest.mark.parametrize("allowed", [0, 1, 100])
@pytest.mark.parametrize("size", [1, 4])
def test_full_disk_during_the_write_changes_nothing(
    seeded: Path, monkeypatch: pytest.MonkeyPatch, allowed: int, size: int
) -> None:
    """ENOSPC after a partial write cuts the partial bytes back: clean error, log unchanged."""
    before = log_bytes(seeded)
    _disk_full_after(monkeypatch, _is_file(log_file(seeded)), allowed)
    with pytest.raises(LogUnavailable, match="No space left"):
        append(seeded, [note(f"full {i}", f"full-{i}") for i in range(size)])
    assert log_bytes(seeded) == before
    monkeypatch.undo()
    assert append(seeded, [note("after", "after")])[0].seq == 6
    assert verify(seeded).torn_bytes == 0


def test_full_disk_while_quarantining_changes_nothing(
    seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while copying a torn tail to quarantine: clean error, torn bytes still in the log."""
    with open(log_file(seeded), "ab") as handle:
        handle.write(b'{"seq":6,"id":"torn')
    before = log_bytes(seeded)
    _disk_full_after(
        monkeypatch,
        lambda fd: (
            not _is_file(log_file(seeded))(fd)
            and "quarantine" in os.readlink(f"/proc/self/fd/{fd}")
        ),
        3,
    )
    with pytest.raises(LogUnavailable, match="No space left"):
        append(seeded, [note("after torn", "after-torn")])
    assert log_bytes(seeded) == before
    monkeypatch.undo()
    assert append(seeded, [note("after torn", "after-torn")])[0].seq == 6


def test_index_failure_after_the_durable_write_reports_success(
    seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk when updating the derived index does not turn a durable append into an error."""

    def full(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Index, "commit", full)
    done = append(seeded, [note("indexed later", "later")])
    assert done[0].seq == 6 and read_tail(log_file(seeded)).position.seq == 6
    monkeypatch.undo()
    assert append(seeded, [note("next", "next")])[0].seq == 7
    with pytest.raises(EventLogError, match="already exists"):
        append(seeded, [{**note("other content", "later")}])


def test_unusable_index_is_a_clean_error(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index that cannot be opened (disk full, read-only) gives a clean error, log unchanged."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(Index, "__init__", broken)
    _refused(seeded, seeded.parent)


def test_log_file_that_is_a_directory_is_refused(log_dir: Path) -> None:
    """``events.jsonl`` being a directory is refused with a clear error."""
    log_file(log_dir).unlink()
    log_file(log_dir).mkdir()
    assert "not a regular file" in _refused(log_dir, log_dir.parent)


def test_log_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """A ``--log`` path that is a regular file is refused with one ``Error:`` line."""
    path = tmp_path / "log"
    path.write_bytes(b"not a directory\n")
    before = _snapshot(tmp_path)
    with pytest.raises(LogUnavailable):
        append(path, [note("x", "x")])
    result = CliRunner().invoke(
        main, ["--log", str(path), "append", "-"], input=orjson.dumps(note("x", "x"))
    )
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: {path}: not a directory\n"
    assert _snapshot(tmp_path) == before


def test_log_file_that_is_a_symlink_is_refused(seeded: Path, tmp_path: Path) -> None:
    """``events.jsonl`` as a symlink to a file elsewhere is refused; neither file changes."""
    elsewhere = tmp_path / "elsewhere.jsonl"
    log_file(seeded).rename(elsewhere)
    log_file(seeded).symlink_to(elsewhere)
    assert "symbolic link" in _refused(seeded, tmp_path)


@pytest.mark.parametrize("name", [".lock", "quarantine"])
def test_symlinked_lock_or_quarantine_is_refused(seeded: Path, tmp_path: Path, name: str) -> None:
    """A lock file or quarantine directory that is a symlink elsewhere is not written through."""
    elsewhere = tmp_path / f"elsewhere-{name}"
    if name == "quarantine":
        elsewhere.mkdir()
        with open(log_file(seeded), "ab") as handle:
            handle.write(b'{"seq":6,"id":"torn')
    else:
        elsewhere.write_bytes(b"")
        (seeded / name).unlink(missing_ok=True)
    (seeded / name).symlink_to(elsewhere)
    _refused(seeded, tmp_path)


def test_missing_log_directory_is_refused_and_not_created(tmp_path: Path) -> None:
    """A missing log directory is refused, for append and verify, and is not created."""
    missing = tmp_path / "nowhere"
    with pytest.raises(LogNotFound):
        append(missing, [note("x", "x")])
    for args in (["append", "-"], ["verify"], ["head"], ["show"]):
        result = CliRunner().invoke(
            main, ["--log", str(missing), *args], input=orjson.dumps(note("x", "x"))
        )
        assert result.exit_code == 1 and result.stderr.startswith("Error: "), (args, result.output)
    assert not missing.exists()
