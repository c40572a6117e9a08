"""The public, lock-free reader of the log: what projections and audits build on.

Readers take no lock. A writer appends each batch with one ``write`` of whole
lines, so a reader sees either a line with its newline or bytes without one at
the end of the file; bytes without a newline are never yielded.

A *torn tail* is what a crash can leave after the last valid line: a partial
line, a line that is not JSON, zero bytes. A damaged line that is followed by a
valid line is not a tail: it is corruption, and the reader refuses to go past it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from eventlog.codec import GENESIS, MAX_LINE, Record, decode, line_hash
from eventlog.errors import CheckpointMismatch, CorruptLog, LogNotFound, LogUnavailable

LOG_FILE = "events.jsonl"
_CHUNK = 1 << 20


def log_file(log_dir: str | os.PathLike[str]) -> Path:
    """Where the events of the log in ``log_dir`` are stored."""
    return Path(log_dir) / LOG_FILE


def existing_log(log_dir: str | os.PathLike[str]) -> Path:
    """The log file of ``log_dir``; raises ``LogNotFound`` or ``LogUnavailable`` if unusable."""
    path = log_file(log_dir)
    if path.is_file():
        return path
    if Path(log_dir).exists() and not Path(log_dir).is_dir():
        raise LogUnavailable(str(log_dir), "not a directory")
    if path.exists():
        raise LogUnavailable(str(path), "is not a regular file")
    raise LogNotFound(str(path))


@dataclass(frozen=True, slots=True)
class Position:
    """A point in the log: the last line covered, and where it ends."""

    seq: int
    offset: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


EMPTY = Position(0, 0, GENESIS)


def scan_lines(path: Path, start: int = 0) -> Iterator[tuple[bytes, int]]:
    """Yield each complete line (without newline) from ``start`` with the offset just past it."""
    with open(path, "rb") as fh:
        fh.seek(start)
        offset = start
        pending = b""
        while chunk := fh.read(_CHUNK):
            buf = pending + chunk if pending else chunk
            lines = buf.split(b"\n")
            pending = lines.pop()
            for line in lines:
                offset += len(line) + 1
                yield line, offset


def looks_like_record(segment: bytes) -> bool:
    """Whether bytes decode as a stored record: used to tell corruption from a torn tail."""
    try:
        value = orjson.loads(segment)
    except orjson.JSONDecodeError:
        return False
    return type(value) is dict and "seq" in value and "prev" in value


def valid_line_follows(path: Path, offset: int) -> bool:
    """Whether any line after ``offset`` decodes as a record (then the damage is not a tail)."""
    return any(looks_like_record(line) for line, _ in scan_lines(path, offset))


def line_ending_at(path: Path, offset: int) -> bytes | None:
    """The complete line whose newline ends just before ``offset``, or None if there is none."""
    if offset <= 0:
        return None
    start = max(0, offset - MAX_LINE - 2)
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            block = fh.read(offset - start)
    except FileNotFoundError:
        return None
    if len(block) != offset - start or not block.endswith(b"\n"):
        return None
    cut = block.rfind(b"\n", 0, len(block) - 1)
    if cut < 0 and start > 0:
        return None
    return block[cut + 1 : -1]


def check_position(path: Path, position: Position) -> None:
    """Raise ``CheckpointMismatch`` unless the log holds ``position``'s line where it says."""
    if position.seq == 0:
        return
    line = line_ending_at(path, position.offset)
    found = None if line is None else line_hash(line)
    if found != position.hash:
        raise CheckpointMismatch(position.seq, position.hash, found)
    try:
        seq = decode(line)["seq"] if line is not None else None
    except ValueError:
        seq = None
    if seq != position.seq:
        raise CheckpointMismatch(position.seq, position.hash, found)


class LogReader:
    """Reads the records of one log directory, from the start or from a checkpoint.

    ``position`` is the Position of the last record yielded (or of ``after``
    before any is), valid during and after iteration; its hash is computed on
    demand so that a replay pays for one hash, not one per line.
    """

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        self.path = log_file(log_dir)
        self._start = EMPTY
        self._seq = 0
        self._end = 0
        self._line: bytes | None = None

    @property
    def position(self) -> Position:
        if self._line is None:
            return self._start
        return Position(self._seq, self._end, line_hash(self._line))

    def records(self, after: Position | None = None) -> Iterator[Record]:
        """Yield upcast records of complete lines after ``after``; a torn tail ends the stream.

        Raises ``LogNotFound``, ``CheckpointMismatch`` (the log no longer holds
        ``after``) or ``CorruptLog`` (a damaged line followed by valid ones).
        """
        existing_log(self.path.parent)
        start = after or EMPTY
        check_position(self.path, start)
        self._start, self._line = start, None
        seq = start.seq
        for line, end in scan_lines(self.path, start.offset):
            try:
                record = decode(line)
            except ValueError:
                if valid_line_follows(self.path, end - len(line) - 1):
                    raise CorruptLog("line is not a valid record", line=seq + 1) from None
                return
            seq = record["seq"]
            self._seq, self._end, self._line = seq, end, line
            yield record

    def __iter__(self) -> Iterator[Record]:
        return self.records()
