"""The read model's store: one SQLite database kept in place, with its receipt.

``OUT/archive.sqlite`` (WAL, so readers are never blocked) holds the tables of
``projections/schema.sql`` and, in ``meta``, the log it belongs to (the hash
of line 1) and the position it has folded (seq, byte offset, hash of that
line). A catch-up is one transaction: the rows the new lines produce and the
new position are committed together, so a kill at any moment leaves the last
committed state, and the next catch-up resumes from it.

Nothing derived is trusted unchecked: before folding, the stored position's
line must still be at its offset with its hash, line 1 must still hash to the
identity, and each new line must carry the next seq and the previous line's
hash as ``prev`` (a full build checks the whole chain this way).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from eventlog.codec import GENESIS, MAX_LINE, Record, decode, line_hash
from eventlog.reader import existing_log, line_ending_at, scan_lines
from projections.errors import BrokenLog, OutputUnavailable, StoreMismatch
from projections.lines import Lines
from projections.timeaxes import stamp

STORE_FILE = "archive.sqlite"
FORMAT = "readmodel-6"
"""The store's format; a store of another format is rebuilt from the log."""
BIG_CATCH_UP = 32 << 20
"""A catch-up of more new bytes than this gets a 64 MiB page cache (8 MiB otherwise)."""
CHUNK = 20_000
"""Events folded per step of a catch-up (all steps in one transaction)."""


def schema() -> str:
    """The SQL that creates the store's tables (``projections/schema.sql``)."""
    return resources.files("projections").joinpath("schema.sql").read_text("utf-8")


@dataclass(frozen=True, slots=True)
class Head:
    """What the store reflects: the log's identity and the last line folded."""

    identity: str | None
    seq: int
    offset: int
    hash: str
    recorded_at: str | None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=60.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA cache_size=-8192")
    return conn


def _usable(conn: sqlite3.Connection) -> bool:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except (sqlite3.DatabaseError, ValueError):
        return False
    return row is not None and row[0] == FORMAT


def _remove(path: Path) -> None:
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        (path.parent / name).unlink(missing_ok=True)


def statements(script: str) -> list[str]:
    """The SQL statements of a script, one by one (to run them inside one transaction)."""
    found, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            found.append(buffer.strip())
            buffer = ""
    return found


def _create(conn: sqlite3.Connection) -> bool:
    """Create the tables under the write lock, unless another process just did; False if
    the file holds a store of another format."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _usable(conn):
            conn.execute("COMMIT")
            return True
        if conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
            conn.execute("ROLLBACK")
            return False
        for statement in statements(schema()):
            conn.execute(statement)
        conn.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        conn.execute("COMMIT")
        return True
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def open_store(out: Path, fresh: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the store in ``out``; one that is unreadable, of another
    format, or ``fresh`` is deleted and created empty (it is derived: the log rebuilds it)."""
    path = out / STORE_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        if fresh:
            _remove(path)
        try:
            conn = _connect(path)
            if _usable(conn) or _create(conn):
                return conn
            conn.close()
        except DAMAGE:
            pass
        _remove(path)
        conn = _connect(path)
        _create(conn)
        return conn
    except DAMAGE as exc:
        raise OutputUnavailable(
            str(path), f"cannot create the store ({type(exc).__name__})"
        ) from None
    except OSError as exc:
        raise OutputUnavailable(str(path), exc.strerror or str(exc)) from None


DAMAGE = (sqlite3.Error, ValueError, KeyError, TypeError, IndexError)
"""What reading a damaged store can raise (SQLite errors, undecodable text or JSON, rows
that do not have the shape the schema promises)."""


@contextmanager
def guarded(out: Path) -> Iterator[None]:
    """Turn damage found while reading the store into one ``OutputUnavailable``."""
    try:
        yield
    except DAMAGE as exc:
        raise OutputUnavailable(
            str(store_path(out)),
            f"the store is damaged ({type(exc).__name__}); delete it or rerun "
            "`projections rebuild --full`",
        ) from None


def read_head(conn: sqlite3.Connection) -> Head:
    """The position the store has folded (seq 0 for an empty store)."""
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    return Head(
        meta.get("log_identity"),
        int(meta.get("head_seq", 0)),
        int(meta.get("head_offset", 0)),
        meta.get("head_hash", GENESIS),
        meta.get("head_recorded_at"),
    )


def write_head(conn: sqlite3.Connection, head: Head, path: Path) -> None:
    """Record the new position (inside the catch-up's transaction)."""
    rows = [
        ("log_path", str(path.resolve())),
        ("log_identity", head.identity),
        ("head_seq", str(head.seq)),
        ("head_offset", str(head.offset)),
        ("head_hash", head.hash),
        ("head_recorded_at", head.recorded_at),
        ("built_at", stamp(datetime.now(UTC))),
    ]
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows)


def first_line_hash(path: Path) -> str | None:
    """The hash of the log's line 1 (None while the log has no complete line)."""
    with open(path, "rb") as fh:
        block = fh.read(MAX_LINE + 2)
    cut = block.find(b"\n")
    return None if cut < 0 else line_hash(block[:cut])


def check_head(path: Path, head: Head, store: Path) -> None:
    """Raise ``StoreMismatch`` unless the log is the store's log and still holds its head."""
    if head.seq == 0:
        return
    if first_line_hash(path) != head.identity:
        raise StoreMismatch(str(store), "the store belongs to another log (line 1 differs)")
    line = line_ending_at(path, head.offset)
    if line is None or line_hash(line) != head.hash:
        raise StoreMismatch(
            str(store),
            f"the log no longer holds line {head.seq} (seq {head.seq}) at byte {head.offset} "
            f"with hash {head.hash[:12]}",
        )
    record = decode(line)  # the log's own bytes: the hash above vouches for them
    if record.get("seq") != head.seq or record.get("recorded_at") != head.recorded_at:
        raise StoreMismatch(
            str(store),
            f"the store's head says seq {head.seq} recorded at {head.recorded_at}, but the line "
            f"at byte {head.offset} is seq {record.get('seq')} recorded at "
            f"{record.get('recorded_at')}",
        )


Item = tuple[Record, int, bytes]
"""A new record, the byte offset of its line, and the line's SHA-256."""


class Chain:
    """Checks that each line continues the chain from a head; yields the decoded records."""

    def __init__(self, path: Path, head: Head) -> None:
        self.path = path
        self.head = head

    def records(self) -> Iterator[Item]:
        """The records after the head, each checked. The pass ends where the log's stable
        end was when it began (``eventlog.reader.scan_lines``: a torn tail is not read)."""
        head = self.head
        seq, prev, identity = head.seq, head.hash, head.identity
        for line, end in scan_lines(self.path, head.offset):
            try:
                record = decode(line)
                good = type(record.get("seq")) is int and type(record.get("prev")) is str
            except ValueError:
                good = False
            if not good:
                raise BrokenLog(seq + 1, None, "a line this version cannot read as a record")
            if record["seq"] != seq + 1:
                raise BrokenLog(seq + 1, record["seq"], f"expected seq {seq + 1}")
            if record["prev"] != prev:
                raise BrokenLog(
                    seq + 1, record["seq"], "prev does not match the hash of the line before"
                )
            digest = hashlib.sha256(line).digest()
            seq, prev = record["seq"], digest.hex()
            if identity is None:
                identity = prev
            self.head = Head(identity, seq, end, prev, record["recorded_at"])
            yield record, end - len(line) - 1, digest


def refuse_inside_log(log_dir: Path, out: Path) -> None:
    """The store never lives in (or under) the log directory: it would share its lock."""
    log, target = Path(log_dir).resolve(), Path(out).resolve()
    if target == log or log in target.parents:
        raise OutputUnavailable(str(out), "the output directory is inside the log directory")


def store_path(out: Path) -> Path:
    """Where the store of an output directory lives."""
    return out / STORE_FILE


def log_path(log_dir: Path) -> Path:
    """The log file of ``log_dir`` (raises eventlog's ``LogNotFound``/``LogUnavailable``)."""
    return existing_log(log_dir)


def meta(conn: sqlite3.Connection) -> dict[str, Any]:
    """The ``meta`` table as a dict."""
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """A caught-up store (open), its head, how many events were folded, and the log's lines."""

    conn: sqlite3.Connection
    head: Head
    folded: int
    lines: Lines

    def close(self) -> None:
        """Close the store and the log."""
        self.conn.close()
        self.lines.close()


def _describe(out: Path, conn: sqlite3.Connection, folded: int) -> None:
    """Datasette's ``metadata.json`` beside the store, on every catch-up: rewritten whenever
    its bytes differ from what would be written (events folded, or a hand edit), which costs
    one small read (``projections.report.metadata``)."""
    from projections.report.metadata import write_metadata

    write_metadata(out, conn)


def catch_up(
    log_dir: str | os.PathLike[str], out: str | os.PathLike[str], full: bool = False
) -> CaughtUp:
    """Fold the lines the store has not seen, in one transaction (with ``full``, the whole
    log into a new store: ``projections.build``); raises ``BrokenLog``, ``StoreMismatch``
    and eventlog's ``LogNotFound`` with the store unchanged."""
    from projections.apply import Step

    log_dir, out = Path(log_dir), Path(out)
    if full:
        return _full(log_dir, out)
    path = log_path(log_dir)
    lines = Lines(path)
    where = store_path(out)
    refuse_inside_log(log_dir, out)
    conn = open_store(out)
    try:
        head = read_head(conn)
        check_head(path, head, where)
        if os.stat(path).st_size == head.offset:
            _describe(out, conn, 0)
            return CaughtUp(conn, head, 0, lines)
        if os.stat(path).st_size - head.offset > BIG_CATCH_UP:
            conn.execute("PRAGMA cache_size=-65536")
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = read_head(conn)
            check_head(path, head, where)
            chain = Chain(path, head)
            folded, batch = 0, []
            for record in chain.records():
                batch.append(record)
                if len(batch) >= CHUNK:
                    Step(conn, lines).run(batch)
                    folded, batch = folded + len(batch), []
            if batch:
                Step(conn, lines).run(batch)
                folded += len(batch)
            if chain.head != head:
                write_head(conn, chain.head, path)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        _describe(out, conn, folded)
        return CaughtUp(conn, chain.head, folded, lines)
    except DAMAGE as exc:
        conn.close()
        lines.close()
        raise OutputUnavailable(
            str(where),
            f"the store is damaged ({type(exc).__name__}); delete it or rerun "
            "`projections rebuild --full`",
        ) from None
    except BaseException:
        conn.close()
        lines.close()
        raise


def _full(log_dir: Path, out: Path) -> CaughtUp:
    from projections.build import build

    try:
        return build(log_dir, out)
    except sqlite3.Error as exc:
        raise OutputUnavailable(
            str(store_path(out)), f"cannot create the store ({type(exc).__name__})"
        ) from None
