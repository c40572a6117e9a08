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

from eventlog.codec import GENESIS, MAX_LINE, Record, decode, line_hash, parses
from eventlog.errors import CheckpointMismatch, CorruptLog, LogNotFound, LogUnavailable

LOG_FILE = "events.jsonl"
_CHUNK = 1 << 20
_BACK = 1 << 20


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


def scan_lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int]]:
    """Yield each complete line (without newline) in ``[start, end)`` with the offset past it.

    ``end`` (default: the end of the file's last line that parses, fixed when the pass
    starts) bounds the pass, so that a pass never joins bytes read before a recovery cut
    them to bytes written after it. Bytes after the last newline are never yielded.
    """
    with open(path, "rb") as fh:
        if end is None:
            end = stable_end(fh.fileno(), os.fstat(fh.fileno()).st_size)
        fh.seek(start)
        offset = start
        pending: list[bytes] = []
        while offset < end:
            chunk = fh.read(min(_CHUNK, end - offset - sum(map(len, pending))))
            if not chunk:
                return
            cut = chunk.rfind(b"\n")
            if cut < 0:
                pending.append(chunk)  # a long line: joined once, when its newline comes
                continue
            buf = b"".join((*pending, chunk[: cut + 1])) if pending else chunk[: cut + 1]
            pending = [chunk[cut + 1 :]] if cut + 1 < len(chunk) else []
            for line in buf.split(b"\n")[:-1]:
                offset += len(line) + 1
                yield line, offset


def _rfind_newline(fd: int, before: int) -> int:
    """The offset of the last newline before ``before``, or -1; reads backwards in chunks."""
    step = 1024
    while before > 0:
        begin = max(0, before - step)
        block = os.pread(fd, before - begin, begin)
        cut = block.rfind(b"\n")
        if cut >= 0:
            return begin + cut
        before, step = begin, min(step * 2, _BACK)
    return -1


def stable_end(fd: int, size: int) -> int:
    """Where the torn tail starts: just past the last complete line that parses as JSON.

    The one rule for what a crash may have left: bytes after that line (a partial line,
    zero bytes, complete lines that are not JSON at all) are a torn tail, which recovery
    may cut. Everything before it is the log; a line there that cannot be read as a
    record is damage, refused by appends, readers and ``verify`` alike.
    """
    newline = _rfind_newline(fd, size)
    while newline >= 0:
        before = _rfind_newline(fd, newline)
        length = newline - before - 1
        if length <= MAX_LINE and parses(os.pread(fd, length, before + 1)):
            return newline + 1
        newline = before
    return 0


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
            except ValueError as exc:
                raise CorruptLog(f"line is not a valid record: {exc}", line=seq + 1) from None
            seq = record["seq"]
            self._seq, self._end, self._line = seq, end, line
            yield record

    def __iter__(self) -> Iterator[Record]:
        return self.records()
