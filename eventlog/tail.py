"""Finding the end of the log without reading it all: the last line, any torn bytes a
crash left after it, and a chain check over the last block read.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import orjson

from eventlog.codec import GENESIS, MAX_LINE, Record, check_envelope, decode, line_hash, prev_of
from eventlog.errors import CorruptLog
from eventlog.reader import EMPTY, Position, stable_end


@dataclass(frozen=True, slots=True)
class Tail:
    """The end of the log: its last valid line and any torn bytes after it."""

    position: Position
    record: Record | None
    size: int

    @property
    def torn(self) -> int:
        """How many bytes after the last valid line a crash left behind."""
        return self.size - self.position.offset


_WINDOW = 2 * MAX_LINE + 2
"""How much of the log before its tail an append reads, and checks link by link."""


def read_tail(path: Path) -> Tail:
    """Find the last line by reading backwards from the end, never the whole log.

    What follows the last complete line that parses as JSON is a torn tail
    (``reader.stable_end``, the one rule). That line must be a record this version
    can read; it and every line before it in the last ``_WINDOW`` bytes must chain,
    each line's hash being the next one's ``prev``: otherwise the log is corrupt and
    the append refuses. ``verify`` checks the whole log.
    """
    with open(path, "rb") as fh:
        fd = fh.fileno()
        size = os.fstat(fd).st_size
        end = stable_end(fd, size)
        start = max(0, end - _WINDOW)
        block = os.pread(fd, end - start, start)
    if end == 0:
        return Tail(EMPTY, None, size)
    lines = block.split(b"\n")[:-1]
    if start > 0:
        lines = lines[1:]  # the first may begin before the block
    record = _record(lines[-1], None)
    seq = record["seq"]
    expected = record["prev"]
    for back, line in enumerate(reversed(lines[:-1]), start=1):
        if line_hash(line) != expected:
            _record(line, seq - back)  # a line that cannot be read is named as such
            raise CorruptLog(
                "'prev' is not the hash of the line before it: the chain is broken",
                line=seq - back + 1,
                seq=seq - back + 1,
            )
        expected = prev_of(line) or _record(line, seq - back)["prev"]
    if start == 0 and (expected != GENESIS or seq != len(lines)):
        raise CorruptLog("the first line does not begin the chain", line=seq - len(lines) + 1)
    return Tail(Position(seq, end, line_hash(lines[-1])), record, size)


def _record(line: bytes, number: int | None) -> Record:
    """A line before the torn tail, decoded and checked, or ``CorruptLog`` naming it."""
    try:
        record = decode(line)
        check_envelope(record)
    except ValueError as exc:
        seq = None
        with suppress(ValueError):
            raw = orjson.loads(line)
            seq = raw.get("seq") if type(raw) is dict and type(raw.get("seq")) is int else None
        where = number if number is not None else (seq or 0)
        raise CorruptLog(f"this version cannot read the line: {exc}", line=where, seq=seq) from None
    return record
