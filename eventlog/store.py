"""The store: append batches durably, under an exclusive lock, to the hash chain.

Appending only ever adds bytes at the end of ``events.jsonl``. A batch is
validated as a whole and written with one ``write``, then ``fsync``'d, before
success is returned. A torn tail left by a crash is moved to a quarantine file
and truncated away just before the next write; a damaged line followed by valid
lines is corruption and is never truncated.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from eventlog.codec import GENESIS, MAX_LINE, Record, check_envelope, decode, line_hash
from eventlog.collector import collector_paused
from eventlog.errors import CorruptLog, InvalidEvent, LogNotFound, LogUnavailable, SeqConflict
from eventlog.events import EVENT_TYPES, IDENTITY_FIELDS, SCHEMA_VERSION, SUBMISSION, dump_data
from eventlog.index import Index
from eventlog.reader import EMPTY, Position, line_ending_at, log_file
from eventlog.rules import MemoryCatalog, RuleError, admit, digest, stored_changes

LOCK_FILE = ".lock"
QUARANTINE_DIR = "quarantine"
PENDING_FILE = ".pending"
"""The batch being written (its offset, then its bytes), so a crash never leaves half a batch."""
FAILPOINT_ENV = "EVENTLOG_FAILPOINT"
"""Names a point at which the writer stops dead (``os._exit(70)``), for crash tests:
``append.half-write``, ``append.before-fsync``, ``append.before-ack``."""


def _failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(70)


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


def utc_stamp(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- reading the tail -----------------------------------------------------------


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


def _check_dir(log_dir: Path) -> None:
    if not log_dir.exists():
        raise LogNotFound(str(log_dir))
    if not log_dir.is_dir():
        raise LogUnavailable(str(log_dir), "not a directory")
    path = log_file(log_dir)
    if path.is_symlink():
        raise LogUnavailable(str(path), "is a symbolic link; the log must be a regular file")
    if path.exists() and not path.is_file():
        raise LogUnavailable(str(path), "is not a regular file")


@contextmanager
def locked(log_dir: Path) -> Iterator[None]:
    """Hold the log's exclusive append lock (``flock`` on ``.lock``)."""
    try:
        fd = os.open(log_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise LogUnavailable(str(log_dir), f"cannot take the append lock: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _quarantine(log_dir: Path, fd: int, tail: Tail) -> Path:
    """Copy the torn bytes to ``quarantine/`` (durably), then truncate them from the log."""
    qdir = log_dir / QUARANTINE_DIR
    if qdir.is_symlink():
        raise LogUnavailable(str(qdir), "is a symbolic link; quarantine must be a directory")
    qdir.mkdir(exist_ok=True)
    os.lseek(fd, tail.position.offset, os.SEEK_SET)
    torn = os.read(fd, tail.torn)
    stamp = utc_stamp().replace(":", "").replace("-", "")
    target = qdir / f"torn-{stamp}-seq{tail.position.seq}-at{tail.position.offset}.bin"
    qfd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        _write_all(qfd, torn)
        os.fsync(qfd)
    except OSError:
        target.unlink(missing_ok=True)  # no partial copy: the torn bytes stay in the log
        raise
    finally:
        os.close(qfd)
    _fsync_dir(qdir)
    _fsync_dir(log_dir)
    os.ftruncate(fd, tail.position.offset)
    os.fsync(fd)
    return target


# -- validation of a batch -----------------------------------------------------


def _error_field(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    if loc and "." in loc[0] and loc[0].split(".")[0].isalpha():
        loc = loc[1:]  # drop the union tag ("transfer.reported") pydantic puts first
    field = ".".join(loc).replace("from_", "from")
    message = err["msg"]
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
) -> list[Appended]:
    """Append a batch of submitted events, all or nothing; durable when it returns.

    Raises ``InvalidEvent`` (nothing written), ``SeqConflict`` (``expect_seq``
    is not the last seq), ``CorruptLog``, ``LogNotFound`` or ``LogUnavailable``.
    """
    log_dir = Path(log_dir)
    batch = parse_submissions(items)
    recorded_by = by or default_user()
    _check_dir(log_dir)
    path = log_file(log_dir)
    with locked(log_dir):
        created = not path.exists()
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise LogUnavailable(str(path), exc.strerror or str(exc)) from None
        try:
            return _append_locked(log_dir, fd, created, batch, recorded_by, expect_seq, now)
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
) -> list[Appended]:
    path = log_file(log_dir)
    tail = _finish_batch(log_dir, fd, read_tail(path))
    if expect_seq is not None and expect_seq != tail.position.seq:
        raise SeqConflict(expect_seq, tail.position.seq)
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
        results, lines = _stage(overlay, batch, tail.position, stamp, recorded_by)
        if not lines:
            return results
        if tail.torn:
            _quarantine(log_dir, fd, tail)
        data = b"".join(lines)
        try:
            if len(lines) > 1:
                _begin_batch(log_dir, tail.position.offset, data)
            _write(fd, data, log_dir if created else None)
        except OSError as exc:
            _cut_back(fd, tail.position.offset)
            _end_batch(log_dir)
            raise LogUnavailable(str(path), f"write failed: {exc.strerror or exc}") from None
        if len(lines) > 1:
            _end_batch(log_dir)
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
            admit(overlay, seq, new_id, event_type, data, blob)
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


def _write(fd: int, data: bytes, created_in: Path | None) -> None:
    half = len(data) // 2
    if os.environ.get(FAILPOINT_ENV) == "append.half-write":
        _write_all(fd, data[:half])
        _failpoint("append.half-write")
    _write_all(fd, data)
    _failpoint("append.before-fsync")
    os.fsync(fd)
    if created_in is not None:
        _fsync_dir(created_in)
    _failpoint("append.before-ack")


def _begin_batch(log_dir: Path, offset: int, data: bytes) -> None:
    """Record a multi-line batch durably before writing it, so a crash can be rolled forward."""
    path = log_dir / PENDING_FILE
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        _write_all(fd, b"%d\n" % offset + data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(log_dir)


def _end_batch(log_dir: Path) -> None:
    # Not fsync'd: a stale record is harmless, its batch is whole in the log.
    with suppress(OSError):
        os.truncate(log_dir / PENDING_FILE, 0)


def _finish_batch(log_dir: Path, fd: int, tail: Tail) -> Tail:
    """Complete a batch a crash cut after some of its lines: a batch is all or nothing.

    Readers may already have seen the batch's first lines, so it is rolled
    forward, never back; the torn bytes go to quarantine as usual. A batch of
    which no complete line reached the log is dropped with the torn tail.
    """
    try:
        offset_text, _, data = (log_dir / PENDING_FILE).read_bytes().partition(b"\n")
        offset = int(offset_text)
    except (OSError, ValueError):
        return tail
    done = tail.position.offset - offset
    if not 0 < done < len(data):
        return tail
    os.lseek(fd, offset, os.SEEK_SET)
    if os.read(fd, done) != data[:done]:
        return tail
    if tail.torn:
        _quarantine(log_dir, fd, tail)
    _write_all(fd, data[done:])
    os.fsync(fd)
    _end_batch(log_dir)
    return read_tail(log_file(log_dir))


def _cut_back(fd: int, size: int) -> None:
    """After a failed write (disk full), cut the partial bytes of this batch back off."""
    try:
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
            os.fsync(fd)
    except OSError:
        pass  # the next append will find and quarantine a torn tail instead


def init_log(log_dir: str | os.PathLike[str]) -> Path:
    """Create the log directory and an empty ``events.jsonl`` (durably) if missing."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    _check_dir(log_dir)
    path = log_file(log_dir)
    if not path.exists():
        with locked(log_dir):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            os.fsync(fd)
            os.close(fd)
            _fsync_dir(log_dir)
    return path
