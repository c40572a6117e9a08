"""Torn tails, exhaustively: every cut of the last line, bare, zero-padded or with garbage.

Recovery (the next append) leaves exactly the log minus that line plus the new
event and quarantines the rest byte-for-byte. A damaged line followed by valid
lines is corruption: ``verify`` fails naming it and appends refuse, log unchanged.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from eventlog.errors import CorruptLog
from eventlog.reader import LogReader, log_file
from eventlog.store import QUARANTINE_DIR, append, read_tail
from eventlog.verify import verify
from reliability.conftest import log_bytes, note, scaled, seed


@pytest.fixture
def pieces(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    """A seeded log plus one more line: (log dir, every line but the last, the last line)."""
    log = tmp_path / "log"
    seed(log)
    base = log_bytes(log)
    append(log, [note("the last line, about to be torn", "last")])
    last = log_bytes(log)[len(base) :]
    return log, base, last


def _tails(last: bytes) -> list[tuple[str, bytes]]:
    """Every prefix of the last line, bare, padded with zero bytes, and followed by garbage."""
    rng = random.Random(5)
    cases = []
    for cut in range(len(last)):  # cut == len(last) - 1 keeps the whole line but its newline
        part = last[:cut]
        cases.append((f"cut {cut}", part))
        cases.append((f"cut {cut} + zeros", part + b"\0" * rng.choice((1, 7, 512, 4096))))
        cases.append((f"cut {cut} + zeros + newline", part + b"\0" * 9 + b"\n"))
        for _ in range(scaled(1)):
            junk = rng.randbytes(rng.randint(1, 200))
            if cut == len(last) - 1 and junk.startswith(b"\n"):
                junk = b"x" + junk  # a newline here would complete the line: not torn
            cases.append((f"cut {cut} + garbage", part + junk))
    return cases


def test_every_torn_tail_is_quarantined_and_recovered(pieces: tuple[Path, bytes, bytes]) -> None:
    """For every cut of the last line, recovery keeps the rest and quarantines the torn bytes."""
    log, base, last = pieces
    quarantine = log / QUARANTINE_DIR
    for number, (name, torn) in enumerate(_tails(last)):
        log_file(log).write_bytes(base + torn)
        report = verify(log)
        assert (report.events, report.torn_bytes) == (5, len(torn)), name
        assert [r["id"] for r in LogReader(log)][-1] == "note-1", name
        for old in quarantine.glob("*") if quarantine.exists() else ():
            old.unlink()  # keep the directory small: each case checks only its own file

        done = append(log, [note(f"recovery {number}", f"rec-{number}")])

        assert done[0].seq == 6, name
        after = log_bytes(log)
        assert after.startswith(base) and after.count(b"\n") == base.count(b"\n") + 1, name
        assert verify(log).torn_bytes == 0, name
        new = list(quarantine.glob("*")) if quarantine.exists() else []
        assert [p.read_bytes() for p in new] == ([torn] if torn else []), name


def _lines(log: Path) -> list[bytes]:
    return log_bytes(log).split(b"\n")[:-1]


DAMAGE = {
    "cut in half": lambda line: line[: len(line) // 2],
    "zeroed": lambda line: b"\0" * len(line),
    "garbage": lambda line: random.Random(len(line)).randbytes(len(line)).replace(b"\n", b"?"),
    "not an object": lambda line: b"[1, 2, 3]",
    "emptied": lambda line: b"",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damage_followed_by_valid_lines_is_corruption(tmp_path: Path, damage: str) -> None:
    """A damaged line with valid lines after it fails verify naming it, and appends refuse."""
    log = tmp_path / "log"
    seed(log)
    append(log, [note("after the damage", "after")])
    lines = _lines(log)
    for number in range(1, len(lines)):
        damaged = list(lines)
        damaged[number - 1] = DAMAGE[damage](lines[number - 1])
        content = b"".join(line + b"\n" for line in damaged)
        log_file(log).write_bytes(content)
        with pytest.raises(CorruptLog) as caught:
            verify(log)
        assert caught.value.line == number, (damage, number, str(caught.value))
        with pytest.raises(CorruptLog):
            append(log, [note("must be refused", "refused")])
        assert log_bytes(log) == content
        assert not (log / QUARANTINE_DIR).exists()
        with pytest.raises(CorruptLog):
            list(LogReader(log))
    log_file(log).write_bytes(b"".join(line + b"\n" for line in lines))
    assert read_tail(log_file(log)).position.seq == len(lines)
