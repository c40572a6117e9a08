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

from eventlog import codec
from eventlog.catalog import CORRECTED
from eventlog.codec import MAX_LINE, LineBuilder
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
from eventlog.errors import CorruptLog, InvalidEvent, LogUnavailable, SeqConflict
from eventlog.events import FACT_DATA, IDENTITY_FIELDS
from eventlog.index import Index, Line, StaleIndex
from eventlog.reader import EMPTY, Position, log_file
from eventlog.rules import (
    MemoryCatalog,
    RuleError,
    admit,
    check_duplicate,
    content_digest,
    stored_changes,
)
from eventlog.submissions import Parsed, parse_submissions
from eventlog.tail import Tail, read_tail

__all__ = [
    "FAILPOINT_ENV",
    "LOCK_FILE",
    "PENDING_FILE",
    "QUARANTINE_DIR",
    "Appended",
    "Results",
    "Tail",
    "append",
    "default_user",
    "init_log",
    "parse_submissions",
    "read_tail",
    "utc_stamp",
]


class Appended(NamedTuple):
    """The outcome for one submitted event (a named tuple: one is built per event)."""

    seq: int
    id: str
    type: str
    prev: str | None
    hash: str | None
    status: str  # "appended", or "exists" for an idempotent repeat (the existing line's)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": self.id,
            "type": self.type,
            "prev": self.prev,
            "hash": self.hash,
            "status": self.status,
        }


class Results(list[Appended]):
    """The outcome of each submitted event, in order, and whether the clock was behind.

    ``pinned_to`` is set when this machine's clock read earlier than the log's last
    ``recorded_at``: ``recorded_at`` never decreases along the log, so the batch was
    stamped with that later time instead (a clock that once ran ahead pins every later
    stamp until real time catches up; the CLI warns).
    """

    pinned_to: str | None = None


def default_user() -> str:
    """Who records: ``$EVENTLOG_USER``, else the OS user."""
    name = os.environ.get("EVENTLOG_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


# -- append -----------------------------------------------------------------------


@collector_paused
def append(
    log_dir: str | os.PathLike[str],
    items: Sequence[Any],
    *,
    by: str | None = None,
    expect_seq: int | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    allow_duplicate: bool = False,
) -> Results:
    """Append a batch of submitted events, all or nothing; durable when it returns.

    Raises ``InvalidEvent`` (nothing written), ``SeqConflict`` (``expect_seq``
    is not the last seq, and the batch is not a pure repeat), ``CorruptLog``,
    ``LogNotFound`` or ``LogUnavailable``. Before checking the batch, an append
    completes the recovery of an earlier crash (a pending batch rolled forward), which
    it does even if it then refuses the batch. With ``dry_run`` every check is made
    against the log as it is, nothing is written, no recovery is performed, and the
    results say what would be appended. ``allow_duplicate`` accepts a fact identical to
    a current fact under a new id (another report of the same); without it that is refused.
    """
    log_dir = Path(log_dir)
    batch = parse_submissions(items)
    recorded_by = by or default_user()
    check_dir(log_dir)
    path = log_file(log_dir)
    with locked(log_dir):
        created = not path.exists()
        flags = os.O_RDONLY if dry_run else os.O_RDWR | os.O_CREAT | os.O_APPEND
        try:
            fd = os.open(path, flags | os.O_NOFOLLOW, 0o644)
        except FileNotFoundError:
            fd = os.open(os.devnull, os.O_RDONLY)  # a dry run against a log not yet made
        except OSError as exc:
            raise LogUnavailable(str(path), exc.strerror or str(exc)) from None
        try:
            if created and not dry_run:
                os.fchmod(fd, 0o644)
            return _append_locked(
                log_dir, fd, created, batch, recorded_by, expect_seq, now, dry_run, allow_duplicate
            )
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
    dry_run: bool,
    allow_duplicate: bool = False,
) -> Results:
    path = log_file(log_dir)
    tail = read_tail(path) if path.exists() else Tail(EMPTY, None, 0)
    if not dry_run:
        tail = finish_batch(log_dir, fd, tail)
    index = Index(log_dir, fd)
    try:
        stamp = utc_stamp(now)
        pinned = None
        if tail.record is not None and tail.record["recorded_at"] > stamp:
            stamp = pinned = tail.record["recorded_at"]  # never decreasing along the log
        for attempt in (1, 2):
            try:
                index.sync(path, tail.position)
                index.preload(item[0] for item in batch if item[0] is not None)
                index.preload_slugs(
                    (kind, item[2][kind])
                    for item in batch
                    if (kind := IDENTITY_FIELDS.get(item[1])) is not None
                )
                contents = _contents(batch, allow_duplicate)
                index.preload_digests(c for c in contents if c is not None)
                overlay = MemoryCatalog(parent=index)  # its digests find in-batch duplicates
                results, lines = _stage(
                    index,
                    overlay,
                    batch,
                    tail.position,
                    stamp,
                    recorded_by,
                    allow_duplicate,
                    contents,
                )
                break
            except StaleIndex:
                if attempt == 2:
                    raise CorruptLog(
                        "the append index cannot be rebuilt to agree with the log",
                        line=tail.position.seq,
                    ) from None
                index.reset()  # a row disagreed with the log: rebuild it from the log
        if expect_seq is not None and expect_seq != tail.position.seq and lines:
            raise SeqConflict(expect_seq, tail.position.seq)
        results.pinned_to = pinned if lines else None
        if not lines or dry_run:
            return results
        if tail.torn:
            quarantine(log_dir, fd, tail)
        data = b"".join(line + b"\n" for line, _, _ in lines)
        try:
            if len(lines) > 1:
                begin_batch(log_dir, tail.position.offset, data)
            write_batch(fd, data, log_dir if created else None)
        except OSError as exc:
            cut_back(fd, tail.position.offset)
            end_batch(log_dir, durable=True)
            raise LogUnavailable(str(path), f"write failed: {exc.strerror or exc}") from None
        if len(lines) > 1:
            end_batch(log_dir)
        _after_write(log_dir, index, overlay, tail.position, lines)
        return results
    finally:
        index.close()


def _after_write(
    log_dir: Path,
    index: Index,
    overlay: MemoryCatalog,
    before: Position,
    lines: list[tuple[bytes, str | None, bytes]],
) -> None:
    """Everything that follows the durable write, still under the lock: one place to extend.

    The batch is durable here; a failure of a step below must not undo it (the next
    append's ``sync`` catches the index up).
    """
    where: dict[int, Line] = {}
    offset, seq = before.offset, before.seq
    digest_bytes = b""
    for line, target, digest_bytes in lines:
        seq += 1
        where[seq] = (offset, len(line), digest_bytes, target)
        offset += len(line) + 1
    head = Position(seq, offset, digest_bytes.hex())
    with suppress(sqlite3.Error, OSError):
        index.commit(overlay, head, where)


def _contents(batch: list[Parsed], allow_duplicate: bool) -> list[str | None]:
    """Each submitted fact's ``content_digest`` (None for other events), computed once:
    the index looks them all up in a few queries, and the overlay keeps them."""
    if allow_duplicate:
        return [None] * len(batch)
    return [
        content_digest(event_type, data) if event_type in FACT_DATA else None
        for _, event_type, data, _ in batch
    ]


def _stage(
    index: Index,
    overlay: MemoryCatalog,
    batch: list[Parsed],
    position: Position,
    stamp: str,
    recorded_by: str,
    allow_duplicate: bool = False,
    contents: list[str | None] | None = None,
) -> tuple[Results, list[tuple[bytes, str | None, bytes]]]:
    """Check each event against the log and the batch so far; build the lines to write.

    Returns the results and each new line (without newline) with, for a correction,
    the id of its target (the index keeps a fact's corrections), and its SHA-256.
    """
    results = Results()
    lines: list[tuple[bytes, str | None, bytes]] = []
    seq, prev = position.seq, position.hash
    build = LineBuilder(stamp, recorded_by).line
    for number, (event_id, event_type, submitted, submitted_blob) in enumerate(batch, start=1):
        data, blob = submitted, submitted_blob
        if event_type == CORRECTED:  # store changes as the corrected fact stores them
            data = stored_changes(overlay, submitted)
            if data is not submitted:
                blob = codec.data_json(data)
        existing = overlay.event(event_id) if event_id is not None else None
        if existing is not None and event_id is not None:
            stored = index.line_of(existing)
            if existing.type == event_type and content_digest(
                event_type, codec.decode(stored)["data"]
            ) == content_digest(event_type, data):
                results.append(
                    Appended(
                        existing.seq,
                        event_id,
                        event_type,
                        codec.prev_of(stored),
                        codec.line_hash(stored),
                        "exists",
                    )
                )
                continue
            raise InvalidEvent(
                f"id '{event_id}' already exists (seq {existing.seq}) with other content",
                index=number,
                field="id",
            )
        new_id = event_id or uuid.uuid4().hex
        seq += 1
        try:
            content = None
            if not allow_duplicate:
                content = check_duplicate(
                    overlay, event_type, data, contents[number - 1] if contents else None
                )
            admit(
                overlay,
                seq,
                new_id,
                event_type,
                data,
                blob,
                recorded_on=stamp[:10],
                content=content,
            )
        except RuleError as exc:
            raise InvalidEvent(str(exc), index=number, field=exc.field) from None
        line = build(seq, new_id, event_type, blob, prev)
        if len(line) > MAX_LINE:
            raise InvalidEvent(
                f"the stored line would be {len(line)} bytes, over the {MAX_LINE}-byte limit",
                index=number,
            )
        line_digest = hashlib.sha256(line).digest()
        lines.append((line, data["target"] if event_type == CORRECTED else None, line_digest))
        new_hash = line_digest.hex()
        results.append(Appended(seq, new_id, event_type, prev, new_hash, "appended"))
        prev = new_hash
    return results, lines


def init_log(log_dir: str | os.PathLike[str]) -> Path:
    """Create the log directory and an empty ``events.jsonl`` (durably) if missing."""
    log_dir = Path(log_dir)
    log_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    check_dir(log_dir)
    path = log_file(log_dir)
    if not path.exists():
        with locked(log_dir):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            os.fsync(fd)
            os.close(fd)
            fsync_dir(log_dir)
    return path
