"""Readers racing a recovery, interleaved deterministically: a hook runs between two reads.

A lock-free reader that has read part of a torn tail must never join it to the
bytes a recovery and a new append later wrote at the same offset: every line a
reader returns is a line the log really held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlog import reader
from eventlog.codec import encode
from eventlog.reader import LogReader, log_file
from eventlog.store import append
from eventlog.verify import verify
from reliability.conftest import log_bytes, scaled, seed, transfer

NOW = dt.datetime(2025, 6, 16, 10, 0, tzinfo=dt.UTC)


class _HookedFile:
    """A file whose ``read`` runs ``hook(n)`` before its n-th call (n from 1)."""

    def __init__(self, fh: Any, hook: Callable[[int], None]) -> None:
        self._fh, self._hook, self._reads = fh, hook, 0

    def read(self, size: int = -1) -> bytes:
        self._reads += 1
        self._hook(self._reads)
        data: bytes = self._fh.read(size)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _HookedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def _hook_reads(monkeypatch: pytest.MonkeyPatch, hook: Callable[[int], None]) -> None:
    """Hook the reads of the next file the reader opens (not those of the append it runs)."""
    opened: list[_HookedFile] = []

    def hooked_open(*args: Any, **kwargs: Any) -> Any:
        fh = open(*args, **kwargs)  # noqa: SIM115 - closed by the reader's ``with``
        if opened:
            return fh
        opened.append(_HookedFile(fh, hook))
        return opened[0]

    monkeypatch.setattr(reader, "open", hooked_open, raising=False)


def _torn_then_recovered(log: Path, cut: int) -> tuple[bytes, Callable[[], None]]:
    """Leave a transfer of 1234 torn after ``cut`` bytes; return it and the recovery append."""
    base = log_bytes(log)
    append(log, [transfer("r-2025-06", 1234, "tr-x")], by="race", now=NOW)
    line = log_bytes(log)[len(base) :]
    log_file(log).write_bytes(base + line[:cut])
    index = log / ".index.sqlite"
    index.unlink(missing_ok=True)

    def recover() -> None:  # once: the hook may run it, else the test does after the pass
        if not log_bytes(log).endswith(b"\n"):
            append(log, [transfer("r-2025-06", 5678, "tr-x")], by="race", now=NOW)

    return line, recover


def _held(*contents: bytes) -> set[bytes]:
    return {line for content in contents for line in content.split(b"\n")[:-1]}


def test_a_reader_never_joins_a_torn_tail_to_what_recovery_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: torn ``...12``, recovered as 5678; no reader ever sees 1278."""
    log = tmp_path / "log"
    seed(log)
    base = log_bytes(log)
    line, recover = _torn_then_recovered(log, 0)
    cut = line.index(b"1234") + 2
    log_file(log).write_bytes(base + line[:cut])
    monkeypatch.setattr(reader, "_CHUNK", len(base) + cut)
    _hook_reads(monkeypatch, lambda n: recover() if n == 2 else None)
    counts = [r["data"].get("count", {}).get("value") for r in LogReader(log)]
    monkeypatch.undo()
    recover()
    assert 1278 not in counts
    assert verify(log).events == 6
    assert [r["data"].get("count", {}).get("value") for r in LogReader(log)][-1] == 5678


@settings(
    max_examples=scaled(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_line_a_racing_reader_returns_was_held_by_the_log(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Whatever the cut, chunk size and moment of the recovery, readers return real lines."""
    log = tmp_path_factory.mktemp("race") / "log"
    seed(log)
    base = log_bytes(log)
    line, recover = _torn_then_recovered(log, 1)
    cut = data.draw(st.integers(1, len(line) - 1), label="cut")
    log_file(log).write_bytes(base + line[:cut])
    before = log_bytes(log)
    chunk = data.draw(st.integers(16, 2 * len(before)), label="chunk")
    moment = data.draw(st.integers(1, 1 + len(before) // 16), label="read before which")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_CHUNK", chunk)
        _hook_reads(patch, lambda n: recover() if n == moment else None)
        seen = [encode(r) for r in LogReader(log)]
    recover()
    assert set(seen) <= _held(before, log_bytes(log))
    assert verify(log).events == 6
