"""Verification: prove the log is intact, from its first byte, without trusting any index.

Every line must parse, pass the schema, carry the next seq, chain to the line
before it through ``prev``, keep ``recorded_at`` from decreasing and satisfy the
append rules (references resolve, corrections target live facts). A checkpoint
``SEQ:HASH`` an auditor kept (from ``eventlog head``) proves the log still
begins with exactly that prefix, which also exposes an edit or cut at the tail.
"""

from __future__ import annotations

import fcntl
import os
from array import array
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from eventlog.codec import (
    GENESIS,
    MAX_LINE,
    Record,
    check_envelope,
    decode,
    line_hash,
    upcast,
    well_formed,
)
from eventlog.collector import collector_paused
from eventlog.durable import LOCK_FILE
from eventlog.errors import CorruptLog, InvalidEvent
from eventlog.reader import Position, existing_log, scan_lines, stable_end
from eventlog.rules import MemoryCatalog, RuleError, admit
from eventlog.verifypool import ENVELOPE, RULES, Checks, checking, schema_error


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A prefix of the log an auditor kept: ``seq`` and the hash of that line."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        seq, sep, digest = text.partition(":")
        if (
            not sep
            or not (seq.isascii() and seq.isdigit())
            or len(digest) != 64
            or not all(c in "0123456789abcdef" for c in digest)
        ):
            raise InvalidEvent(f"checkpoint must be SEQ:HASH (64 lowercase hex), got {text!r}")
        try:
            return cls(int(seq), digest)
        except ValueError:  # over Python's int-conversion digit limit
            raise InvalidEvent(f"checkpoint seq has too many digits ({len(seq)})") from None


@dataclass(frozen=True, slots=True)
class Report:
    """The result of a successful verification."""

    head: Position
    events: int
    torn_bytes: int
    """Bytes after the last valid line left by a crash: a warning, not corruption."""
    checkpoint: Checkpoint | None
    in_flight: bool | None = False
    """Whether an appender held the lock when the torn bytes were seen (None: unknown)."""


@collector_paused
def verify(
    log_dir: str | os.PathLike[str], checkpoint: Checkpoint | None = None, *, parallel: bool = False
) -> Report:
    """Check the whole log; raise ``CorruptLog`` naming the first bad line, else a ``Report``.

    ``parallel`` runs the per-line checks in worker processes (``verifypool``), with
    the same result. It is off by default: on two cores shared with other work it
    was measured slower than one process (BENCHMARKS.md, "fixindex").
    """
    path = existing_log(log_dir)
    ends = array("q", [0])
    """``ends[n]``: the offset just past line n, so that a fact's line can be read back."""
    with open(path, "rb") as fh:
        fd = fh.fileno()
        size = os.fstat(fd).st_size
        stop = stable_end(fd, size)

        def load(seq: int) -> dict[str, Any]:
            # A fact's original data, read back from its line (already verified) when a
            # correction first targets it: the catalogue keeps no copy of every fact.
            start = ends[seq - 1]
            data: dict[str, Any] = decode(os.pread(fd, ends[seq] - start - 1, start))["data"]
            return data

        catalog = MemoryCatalog(digests=False, load=load)
        prev, stamp, number, end = GENESIS, "", 0, 0
        with checking(path, fd, stop) if parallel else nullcontext(None) as checks:
            try:
                for line, line_end in scan_lines(path, 0, stop):
                    number += 1
                    record = _check_line(catalog, line, number, prev, stamp, checks is None)
                    prev, stamp, end = line_hash(line), record["recorded_at"], line_end
                    ends.append(line_end)
                    if (
                        checkpoint is not None
                        and number == checkpoint.seq
                        and prev != checkpoint.hash
                    ):
                        raise CorruptLog(
                            f"does not match the checkpoint: hash {prev}, "
                            f"checkpoint {checkpoint.hash}",
                            line=number,
                            seq=number,
                        )
            except Exception as exc:
                if checks is None:
                    raise
                _first_of(checks, exc, number)
            if checks is not None:
                failure = checks.first_failure(None)
                if failure is not None:
                    raise CorruptLog(failure[2], line=failure[0], seq=failure[0])
    if checkpoint is not None and checkpoint.seq > number:
        raise CorruptLog(
            f"the log ends at seq {number} but the checkpoint names seq "
            f"{checkpoint.seq}: lines were removed",
            line=number + 1,
        )
    return Report(
        Position(number, end, prev),
        number,
        size - end,
        checkpoint,
        writer_active(Path(log_dir)) if size > end else False,
    )


def writer_active(log_dir: Path) -> bool | None:
    """Whether an appender holds the lock now (then a torn tail may be a write in flight).

    None when the lock file cannot be opened to ask. Only a hint: a writer may take
    the lock just after this asks, or a crashed writer's tail may be found by one.
    """
    try:
        fd = os.open(log_dir / LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)
    return False


def _first_of(checks: Checks, exc: Exception, number: int) -> None:
    """Raise whichever failed first: the main pass at line ``number`` (``exc``), or a
    worker's per-line check of a line up to it. A main-pass failure of the rules may
    come from data the workers refuse (it was not validated first): theirs wins."""
    kind = ENVELOPE
    if isinstance(exc, CorruptLog):
        number = exc.line
        if str(exc.reason).startswith("breaks a rule"):
            kind = RULES
        elif str(exc.reason).startswith("does not match the checkpoint"):
            kind = RULES + 1
    else:
        kind = RULES
    failure = checks.first_failure(number)
    if failure is not None and (failure[0], failure[1]) < (number, kind):
        raise CorruptLog(failure[2], line=failure[0], seq=failure[0]) from None
    raise exc


def _check_line(
    catalog: MemoryCatalog, line: bytes, number: int, prev: str, stamp: str, whole: bool = True
) -> Record:
    """Check one line before the torn tail (``reader.stable_end``): each must be a record."""
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise CorruptLog("not valid JSON, and valid lines follow it", line=number) from None
    if type(raw) is not dict:
        raise CorruptLog("not a JSON object: not a record", line=number)
    if well_formed(raw, len(line), number, prev, stamp):
        return _check_data(catalog, raw, number, number, whole)
    seq = raw.get("seq") if type(raw.get("seq")) is int else None
    try:
        if len(line) > MAX_LINE:
            raise ValueError(f"line is over {MAX_LINE} bytes")
        check_envelope(raw)
        record = upcast(raw)
    except ValueError as exc:
        raise CorruptLog(str(exc), line=number, seq=seq) from None
    if record["seq"] != number:
        raise CorruptLog(f"expected seq {number}, found {record['seq']}", line=number, seq=seq)
    if record["prev"] != prev:
        raise CorruptLog(
            "'prev' is not the hash of the line before it: the chain is broken "
            "(a line was changed, removed, inserted or reordered)",
            line=number,
            seq=seq,
        )
    if record["recorded_at"] < stamp:
        raise CorruptLog(
            f"'recorded_at' goes back in time ({record['recorded_at']} after {stamp})",
            line=number,
            seq=seq,
        )
    return _check_data(catalog, record, number, seq, whole)


def _check_data(
    catalog: MemoryCatalog, record: Record, number: int, seq: int | None, whole: bool = True
) -> Record:
    """Check a well-formed record's data against the schema and the rules.

    Without ``whole``, the schema and dates are left to ``verifypool``'s workers."""
    if whole:
        message = schema_error(record)
        if message is not None:
            raise CorruptLog(message, line=number, seq=seq)
    try:
        admit(
            catalog,
            seq or number,
            record["id"],
            record["type"],
            record["data"],
            recorded_on=record["recorded_at"][:10] if whole else None,
        )
    except RuleError as exc:
        raise CorruptLog(f"breaks a rule: {exc}", line=number, seq=seq) from None
    return record
