"""The store: append batches durably, under an exclusive lock, to the hash chain.

Appending only ever adds bytes at the end of ``events.jsonl``. A batch is
validated as a whole and written with one ``write``, then ``fsync``'d, before
success is returned. A torn tail left by a crash is moved to a quarantine file
and truncated away just before the next write; a damaged line followed by valid
lines is corruption and is never truncated.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import sqlite3
import uuid
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from eventlog.codec import MAX_LINE
from eventlog.collector import collector_paused
from eventlog.durable import (
    FAILPOINT_ENV,
    LOCK_FILE,
    PENDING_FILE,
    QUARANTINE_DIR,
    begin_batch,
    check_dir,
    cut_back,
    end_batch,
    finish_batch,
    fsync_dir,
    locked,
    quarantine,
    utc_stamp,
    write_batch,
)
from eventlog.errors import InvalidEvent, LogUnavailable, SeqConflict
from eventlog.events import EVENT_TYPES, IDENTITY_FIELDS, SCHEMA_VERSION, SUBMISSION, dump_data
from eventlog.index import Index
from eventlog.reader import Position, log_file
from eventlog.rules import (
    MemoryCatalog,
    RuleError,
    admit,
    check_duplicate,
    digest,
    stored_changes,
)
from eventlog.tail import Tail, read_tail

__all__ = [
    "FAILPOINT_ENV", "LOCK_FILE", "PENDING_FILE", "QUARANTINE_DIR", "Appended", "Tail",
    "append", "default_user", "init_log", "parse_submissions", "read_tail", "utc_stamp",
]


class Appended(NamedTuple):
    """The outcome for one submitted event (a named tuple: one is built per event)."""

    seq: int
    id: str
    type: str
    prev: str | None
    hash: str | None
    status: str  # "appended", or "exists" for an idempotent repeat (prev and hash then None)

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "id": self.id, "type": self.type, "prev": self.prev,
                "hash": self.hash, "status": self.status}


def default_user() -> str:
    """Who records: ``$EVENTLOG_USER``, else the OS user."""
    name = os.environ.get("EVENTLOG_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"




# -- validation of a batch -----------------------------------------------------


def _error_field(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    if loc and "." in loc[0] and loc[0].split(".")[0].isalpha():
        loc = loc[1:]  # drop the union tag ("transfer.reported") pydantic puts first
    field = ".".join(loc).replace("from_", "from")
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "union_tag_invalid":
        field, message = "type", f"unknown event type {err['input'].get('type')!r}"
    elif err["type"] == "union_tag_not_found":
        field, message = "type", "field required"
    elif err["type"] == "missing":
        message = "field required"
    elif err["type"] == "extra_forbidden":
        message = "unexpected field"
    return field, message


Parsed = tuple[str | None, str, dict[str, Any], bytes]
"""A validated submission: ``(id, type, stored data, the stored data's JSON)``."""


def parse_submissions(items: Sequence[Any]) -> list[Parsed]:
    """Validate each submitted event against the catalogue: ``(id, type, data, its JSON)``.

    Raises ``InvalidEvent`` naming the 1-based index and field of the first bad event.
    """
    if not items:
        raise InvalidEvent("empty batch: nothing to append")
    parsed: list[Parsed] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidEvent("an event must be a JSON object", index=index)
        try:
            model = SUBMISSION.validate_python(item)
        except ValidationError as exc:
            field, message = _error_field(exc)
            raise InvalidEvent(message, index=index, field=field or None) from None
        if model.id is not None:
            if model.id in seen:
                raise InvalidEvent(f"duplicate id '{model.id}' (also event {seen[model.id]})",
                                   index=index, field="id")
            seen[model.id] = index
        data = dump_data(model.data)
        try:
            # spliced into the stored line, so that data is dumped once; an exact-size copy,
            # as orjson returns its whole output buffer (about 4 KiB) as the bytes object
            blob = bytes(memoryview(orjson.dumps(data)))
        except TypeError:  # only what the codec can write: integers must fit in 64 bits
            raise InvalidEvent("a value cannot be stored: integers must fit in 64 bits",
                               index=index, field="data") from None
        parsed.append((model.id, model.type, data, blob))
    return parsed


# -- append -----------------------------------------------------------------------


@collector_paused
def append(
    log_dir: str | os.PathLike[str],
    items: Sequence[Any],
    *,
    by: str | None = None,
    expect_seq: int | None = None,
    now: dt.datetime | None = None,
    allow_duplicate: bool = False,
    dry_run: bool = False,
) -> list[Appended]:
    """Append a batch of submitted events, all or nothing; durable when it returns.

    ``dry_run``: every check, nothing written (no recovery of an earlier crash either);
    returns what would be appended. ``allow_duplicate``: accept a fact identical to a
    current fact under a new id (another report of the same).

    Raises ``InvalidEvent`` (nothing written), ``SeqConflict`` (``expect_seq``
    is not the last seq), ``CorruptLog``, ``LogNotFound`` or ``LogUnavailable``.
    """
    log_dir = Path(log_dir)
    batch = parse_submissions(items)
    recorded_by = by or default_user()
    check_dir(log_dir)
    path = log_file(log_dir)
    with locked(log_dir):
        created = not path.exists()
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise LogUnavailable(str(path), exc.strerror or str(exc)) from None
        try:
            return _append_locked(log_dir, fd, created, batch, recorded_by, expect_seq, now,
                                  allow_duplicate, dry_run)
        except (OSError, sqlite3.Error) as exc:  # quarantine or index: the log is unchanged
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise LogUnavailable(str(log_dir), reason) from None
        finally:
            os.close(fd)


def _append_locked(
    log_dir: Path,
    fd: int,
    created: bool,
    batch: list[Parsed],
    recorded_by: str,
    expect_seq: int | None,
    now: dt.datetime | None,
    allow_duplicate: bool = False,
    dry_run: bool = False,
) -> list[Appended]:
    path = log_file(log_dir)
    tail = read_tail(path) if dry_run else finish_batch(log_dir, fd, read_tail(path))
    stale = expect_seq is not None and expect_seq != tail.position.seq
    index = Index(log_dir)
    try:
        index.sync(path, tail.position)
        index.preload(item[0] for item in batch if item[0] is not None)
        index.preload_slugs((kind, item[2][kind]) for item in batch
                            if (kind := IDENTITY_FIELDS.get(item[1])) is not None)
        overlay = MemoryCatalog(parent=index)
        stamp = utc_stamp(now)
        if tail.record is not None and tail.record["recorded_at"] > stamp:
            stamp = tail.record["recorded_at"]  # never decreasing along the log
        try:
            results, lines = _stage(overlay, batch, tail.position, stamp, recorded_by,
                                    allow_duplicate)
        except InvalidEvent:
            if stale:
                raise SeqConflict(expect_seq or 0, tail.position.seq) from None
            raise
        if stale and lines:  # a retry of what is already in the log is "exists" regardless
            raise SeqConflict(expect_seq or 0, tail.position.seq)
        if not lines or dry_run:
            return results
        if tail.torn:
            quarantine(log_dir, fd, tail)
        data = b"".join(lines)
        try:
            if len(lines) > 1:
                begin_batch(log_dir, tail.position.offset, data)
            write_batch(fd, data, log_dir if created else None)
        except OSError as exc:
            cut_back(fd, tail.position.offset)
            end_batch(log_dir)
            raise LogUnavailable(str(path), f"write failed: {exc.strerror or exc}") from None
        if len(lines) > 1:
            end_batch(log_dir)
        last = results[-1] if results[-1].status == "appended" else next(
            r for r in reversed(results) if r.status == "appended")
        assert last.hash is not None
        with suppress(sqlite3.Error):  # the batch is durable; the next sync catches the index up
            index.commit(overlay, Position(last.seq, tail.position.offset + len(data), last.hash))
        return results
    finally:
        index.close()


def _stage(
    overlay: MemoryCatalog,
    batch: list[Parsed],
    position: Position,
    stamp: str,
    recorded_by: str,
    allow_duplicate: bool = False,
) -> tuple[list[Appended], list[bytes]]:
    """Check each event against the log and the batch so far; build the lines to write.

    A line is spliced from its parts, byte for byte what ``codec.encode`` writes of the
    record (compact, keys in the canonical order): the data's JSON from validation is
    reused rather than dumped again, and what every line of the batch shares is dumped once.
    """
    results: list[Appended] = []
    lines: list[bytes] = []
    seq, prev = position.seq, position.hash
    dumps, sha256 = orjson.dumps, hashlib.sha256
    types = {name: dumps(name) for name in EVENT_TYPES}
    middle = b',"v":%d,"data":' % SCHEMA_VERSION
    suffix = b',"recorded_at":' + dumps(stamp) + b',"recorded_by":' + dumps(recorded_by)
    suffix += b',"prev":"'
    for index, (event_id, event_type, submitted, submitted_blob) in enumerate(batch, start=1):
        data, blob = submitted, submitted_blob
        if event_type == "fact.corrected":  # store changes as the corrected fact stores them
            data = stored_changes(overlay, submitted)
            if data is not submitted:
                blob = bytes(memoryview(dumps(data)))
        existing = overlay.event(event_id) if event_id is not None else None
        if existing is not None and event_id is not None:
            if existing.type == event_type and existing.digest == digest(event_type, data):
                results.append(Appended(existing.seq, event_id, event_type, None, None, "exists"))
                continue
            raise InvalidEvent(f"id '{event_id}' already exists (seq {existing.seq}) "
                               "with other content", index=index, field="id")
        new_id = event_id or uuid.uuid4().hex
        seq += 1
        try:
            if not allow_duplicate:
                check_duplicate(overlay, event_type, data)
            admit(overlay, seq, new_id, event_type, data, blob, recorded_on=stamp[:10])
        except RuleError as exc:
            raise InvalidEvent(str(exc), index=index, field=exc.field) from None
        # an id matches ``EventId`` (or is hex): letters, digits and ``._:-``, never escaped
        line = b"".join((b'{"seq":%d,"id":"' % seq, new_id.encode(), b'","type":',
                         types[event_type], middle, blob, suffix, prev.encode(), b'"}'))
        if len(line) > MAX_LINE:
            raise InvalidEvent(f"the stored line would be {len(line)} bytes, over the "
                               f"{MAX_LINE}-byte limit", index=index)
        lines.append(line + b"\n")
        new_hash = sha256(line).hexdigest()
        results.append(Appended(seq, new_id, event_type, prev, new_hash, "appended"))
        prev = new_hash
    return results, lines





def init_log(log_dir: str | os.PathLike[str]) -> Path:
    """Create the log directory and an empty ``events.jsonl`` (durably) if missing."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    check_dir(log_dir)
    path = log_file(log_dir)
    if not path.exists():
        with locked(log_dir):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            os.fsync(fd)
            os.close(fd)
            fsync_dir(log_dir)
    return path

