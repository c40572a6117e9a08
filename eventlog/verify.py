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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

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
from eventlog.events import FACT_DATA, SUBMISSION, CorrectionData, RetractionData
from eventlog.reader import Position, existing_log, scan_lines, stable_end
from eventlog.rules import MemoryCatalog, RuleError, admit

_DATA_MODELS: dict[str, type[BaseModel]] = {
    **FACT_DATA, "fact.corrected": CorrectionData, "fact.retracted": RetractionData}
"""A known type's data is validated by its own model: the same schema as the discriminated
union, without building the submission around it (a quarter of the validation's cost)."""
_VALIDATE = {name: model.__pydantic_validator__.validate_python
             for name, model in _DATA_MODELS.items()}
"""``model.model_validate`` without its Python wrapper: the same validator, the same errors."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A prefix of the log an auditor kept: ``seq`` and the hash of that line."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        seq, sep, digest = text.partition(":")
        if not sep or not (seq.isascii() and seq.isdigit()) or len(digest) != 64 or not all(
            c in "0123456789abcdef" for c in digest
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
def verify(log_dir: str | os.PathLike[str], checkpoint: Checkpoint | None = None) -> Report:
    """Check the whole log; raise ``CorruptLog`` naming the first bad line, else a ``Report``."""
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
        for line, line_end in scan_lines(path, 0, stop):
            number += 1
            record = _check_line(catalog, line, number, prev, stamp)
            prev, stamp, end = line_hash(line), record["recorded_at"], line_end
            ends.append(line_end)
            if checkpoint is not None and number == checkpoint.seq and prev != checkpoint.hash:
                raise CorruptLog(f"does not match the checkpoint: hash {prev}, "
                                 f"checkpoint {checkpoint.hash}", line=number, seq=number)
    if checkpoint is not None and checkpoint.seq > number:
        raise CorruptLog(f"the log ends at seq {number} but the checkpoint names seq "
                         f"{checkpoint.seq}: lines were removed", line=number + 1)
    return Report(Position(number, end, prev), number, size - end, checkpoint,
                  writer_active(Path(log_dir)) if size > end else False)


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


def _check_line(catalog: MemoryCatalog, line: bytes, number: int, prev: str,
                stamp: str) -> Record:
    """Check one line before the torn tail (``reader.stable_end``): each must be a record."""
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise CorruptLog("not valid JSON, and valid lines follow it", line=number) from None
    if type(raw) is not dict:
        raise CorruptLog("not a JSON object: not a record", line=number)
    if well_formed(raw, len(line), number, prev, stamp):
        return _check_data(catalog, raw, number, number)
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
        raise CorruptLog("'prev' is not the hash of the line before it: the chain is broken "
                         "(a line was changed, removed, inserted or reordered)",
                         line=number, seq=seq)
    if record["recorded_at"] < stamp:
        raise CorruptLog(f"'recorded_at' goes back in time ({record['recorded_at']} after "
                         f"{stamp})", line=number, seq=seq)
    return _check_data(catalog, record, number, seq)


def _check_data(catalog: MemoryCatalog, record: Record, number: int,
                seq: int | None) -> Record:
    """Check a well-formed record's data against the schema and the rules."""
    validate = _VALIDATE.get(record["type"])
    try:
        if validate is None:  # an unknown type: the union names the error
            SUBMISSION.validate_python({"type": record["type"], "data": record["data"]})
        else:
            validate(record["data"])
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][1:] if validate is None else ("data", *err["loc"])
        where = ".".join(str(p) for p in loc)
        raise CorruptLog(f"invalid event: {where}: {err['msg']}", line=number, seq=seq) from None
    try:
        admit(catalog, seq or number, record["id"], record["type"], record["data"],
              recorded_on=record["recorded_at"][:10])
    except RuleError as exc:
        raise CorruptLog(f"breaks a rule: {exc}", line=number, seq=seq) from None
    return record
