"""Finding the end of the log without reading it all: the last valid line, any torn
bytes a crash left after it, and a chain check over the last block read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from eventlog.codec import GENESIS, MAX_LINE, Record, check_envelope, decode, line_hash
from eventlog.errors import CorruptLog
from eventlog.reader import EMPTY, Position, line_ending_at


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




def _is_object_line(line: bytes) -> Record | None:
    try:
        record = decode(line)
    except ValueError:
        return None
    return record


def read_tail(path: Path) -> Tail:
    """Find the last valid line by reading backwards from the end, never the whole log.

    Everything after the last line that decodes as a JSON object is a torn
    tail. That line must be a well-formed record whose ``prev`` is the hash of
    the line before it; otherwise the log is corrupt.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        window = 2 * MAX_LINE + 2
        while True:
            start = max(0, size - window)
            fh.seek(start)
            block = fh.read(size - start)
            found = _last_record(block, start)
            if found is not None or start == 0:
                break
            window *= 4
    if found is None:
        return Tail(EMPTY, None, size)
    record, line, end = found
    try:
        check_envelope(record)
    except ValueError as exc:
        raise CorruptLog(f"last record is malformed: {exc}", line=_guess_line(record),
                         seq=record.get("seq") if isinstance(record.get("seq"), int) else None
                         ) from None
    seq = record["seq"]
    _check_window(block[: end - start - len(line) - 1], start, seq, record["prev"])
    before = line_ending_at(path, end - len(line) - 1)
    expected = GENESIS if before is None else line_hash(before)
    if record["prev"] != expected or (before is None and seq != 1):
        raise CorruptLog("'prev' does not match the hash of the line before it",
                         line=seq, seq=seq)
    return Tail(Position(seq, end, line_hash(line)), record, size)


_PREV_KEY = b',"prev":"'


def _check_window(head: bytes, start: int, seq: int, prev: str | None = None) -> None:
    """Damage followed by a valid line is corruption, not a torn tail: check the lines read.

    Only the lines already read to find the tail are checked, so this is cheap;
    ``verify`` checks the whole log. Walking back from the last record's ``prev``,
    a line whose SHA-256 is the ``prev`` of the line after it is byte for byte a
    line the store wrote and chained, so it is hashed instead of parsed (half the
    cost: this check was the larger part of a single append). The first line off
    the chain and every line before it are decoded, as before.
    """
    lines = head.split(b"\n")[:-1]
    if start > 0:
        lines = lines[1:]  # the first may begin before the block
    expected = prev
    for back, line in enumerate(reversed(lines), start=1):
        if expected is not None and line_hash(line) == expected:
            # the store writes "prev" last: ...,"prev":"<64 hex>"}
            chained = line[-75:-66] == _PREV_KEY and line.endswith(b'"}')
            expected = line[-66:-2].decode("ascii", "replace") if chained else None
            continue
        expected = None
        if _is_object_line(line) is None:
            raise CorruptLog("line is not a valid record, and valid lines follow it",
                             line=seq - back)


def _guess_line(record: Record) -> int:
    seq = record.get("seq")
    return seq if isinstance(seq, int) and seq > 0 else 0


def _last_record(block: bytes, start: int) -> tuple[Record, bytes, int] | None:
    """The last complete line of ``block`` that decodes as an object, with its end offset."""
    stop = block.rfind(b"\n")
    while stop >= 0:
        begin = block.rfind(b"\n", 0, stop) + 1
        if begin == 0 and start > 0:
            return None  # the line may begin before the block: read a larger one
        line = block[begin:stop]
        record = _is_object_line(line)
        if record is not None:
            return record, line, start + stop + 1
        stop = begin - 1
    return None


# -- the lock and the file ------------------------------------------------------


