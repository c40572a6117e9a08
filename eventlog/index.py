"""A derived SQLite index of where each event's line is, so appends need not re-read the log.

It holds what an append checks, never a copy of the data: each event's line offset,
length and hash, ids, slugs, each fact's status (retracted, superseded), the
corrections of each fact and a digest of each current fact (for ``duplicate_of``).
A fact's data is read back from its line (and its corrections' lines) by offset,
and every line read is hashed and compared with the row that named it: a row that
disagrees with the log makes the append rebuild the index (``StaleIndex``). The index
records the log position it covers and is rebuilt unless the log still holds that
line; a stamp beside it (inode, size, mtime and SQLite's change counter after our
last commit) makes any write by anything else, such as a deleted row, a rebuild too.
It is only written under the append lock, with ``synchronous=FULL`` so that a
committed row survives power loss.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson

from eventlog import codec
from eventlog.catalog import CORRECTED, EVENT_TYPES, FACT_TYPES, merge_correction
from eventlog.errors import CheckpointMismatch, CorruptLog
from eventlog.indexfile import POOL, POOL_SIZE, STAMP_FILE, Key, release, stamp_matches, write_stamp
from eventlog.reader import EMPTY, Position, check_position, scan_lines
from eventlog.rules import EventInfo, MemoryCatalog, RuleError, apply, content_digest

INDEX_FILE = ".index.sqlite"
_COMMIT_EVERY = 50_000
_HASH = 16
"""Bytes of a SHA-256 kept per line and per fact digest: a check, not an identity."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type INTEGER NOT NULL, start INTEGER NOT NULL,
    size INTEGER NOT NULL, hash BLOB NOT NULL, status INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS slugs (
    kind TEXT NOT NULL, slug TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (kind, slug)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS corrections (
    target TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL, size INTEGER NOT NULL,
    hash BLOB NOT NULL, PRIMARY KEY (target, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facts (
    digest BLOB NOT NULL, id TEXT NOT NULL, PRIMARY KEY (digest, id)) WITHOUT ROWID;
"""
_VERSION = "3-" + hashlib.sha256(_SCHEMA.encode()).hexdigest()[:12]
"""Any change of the tables changes the version, so an index of another layout is rebuilt."""
_TYPE_CODE = {name: code for code, name in enumerate(EVENT_TYPES)}
_RETRACTED, _SUPERSEDED = 1, 2
"""Bits of ``events.status`` (0: current); a retracted superseded fact has both."""


def _status(info: EventInfo) -> int:
    return (_RETRACTED if info.retracted else 0) | (_SUPERSEDED if info.superseded else 0)


Line = tuple[int, int, bytes, str | None]
"""Where a new line is: ``(start offset, length without newline, hash, correction target)``."""


class StaleIndex(Exception):
    """A row of the index disagrees with the log: rebuild it and try again."""


fact_digest = content_digest
"""The shared content digest of a fact (``rules.content_digest``), kept per current fact."""


class Index:
    """The SQLite index of one log directory (a ``Catalog``)."""

    def __init__(self, log_dir: Path, log_fd: int) -> None:
        self.path = log_dir / INDEX_FILE
        self.stamp_path = log_dir / STAMP_FILE
        self.fd = log_fd
        self._key: Key = (str(self.path), os.getpid(), threading.get_ident())
        trusted = stamp_matches(self.path, self.stamp_path)
        kept = POOL.pop(self._key, None)
        if kept is not None and not trusted:
            with suppress(sqlite3.Error):
                kept[2].close()
            kept = None
        self.db = kept[2] if kept is not None else self._open()
        if not trusted:
            self.reset()
        self._forget()

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.OperationalError:
            raise  # busy, locked or I/O: not damage, and other processes may hold it open
        except sqlite3.DatabaseError:
            # A damaged index is only derived data: throw it away and rebuild it.
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            # WAL with FULL: a commit is one append and one fsync of the WAL, and a
            # committed row survives power loss.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA journal_size_limit=4194304")
            db.executescript(_SCHEMA)
            meta = dict(db.execute("SELECT k, v FROM meta").fetchall())
            if meta.get("version") not in (None, _VERSION):
                db.executescript(
                    "DROP TABLE meta; DROP TABLE events; DROP TABLE slugs;"
                    "DROP TABLE IF EXISTS corrections; DROP TABLE IF EXISTS facts;"
                )
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Keep the connection for the next append of this process (see ``POOL``)."""
        if self.db.in_transaction or not self.path.exists():
            self.db.close()
            return
        while len(POOL) >= POOL_SIZE:
            key = next(iter(POOL))  # the least recently kept
            path, stamp_path, stale = POOL.pop(key)
            if key[1] == os.getpid():  # never touch a connection inherited through fork
                with suppress(sqlite3.Error, OSError):
                    release(path, stamp_path, stale)
        POOL[self._key] = (self.path, self.stamp_path, self.db)

    def _forget(self) -> None:
        self._missing: set[str] = set()
        self._found: dict[str, EventInfo] = {}
        self._rows: dict[int, tuple[str, int, int, bytes]] = {}
        """Checked rows by seq: ``(id, start, size, hash)``."""
        self._owners: dict[tuple[str, str], str | None] = {}
        self._data: dict[int, dict[str, Any]] = {}
        self._facts: dict[bytes, list[str]] = {}
        """Preloaded ``facts`` rows: digest prefix -> ids (``[]``: none)."""

    # -- reading lines the index names ------------------------------------------
    def _read(self, start: int, size: int, expected: bytes) -> bytes:
        line = os.pread(self.fd, size, start)
        if len(line) != size or hashlib.sha256(line).digest()[:_HASH] != expected:
            raise StaleIndex(f"the line at offset {start} is not the one the index names")
        return line

    def line_of(self, info: EventInfo) -> bytes:
        """The exact stored line of an event the index returned, checked against its hash."""
        _, start, size, expected = self._rows[info.seq]
        return self._read(start, size, expected)

    # -- Catalog -------------------------------------------------------------
    def event(self, event_id: str) -> EventInfo | None:
        if event_id in self._missing:
            return None
        info = self._found.get(event_id)
        if info is not None:
            return info
        row = self.db.execute(
            "SELECT seq, type, start, size, hash, status FROM events WHERE id = ?", (event_id,)
        ).fetchone()
        if row is None:
            self._missing.add(event_id)
            return None
        seq, code, start, size, expected, status = row
        record = codec.decode(self._read(start, size, expected))
        if (record["id"], record["seq"], _TYPE_CODE.get(record["type"])) != (event_id, seq, code):
            raise StaleIndex(f"the index's row for '{event_id}' does not match its line")
        self._rows[seq] = (event_id, start, size, expected)
        info = self._found[event_id] = EventInfo(
            seq, record["type"], b"", None, bool(status & _RETRACTED), bool(status & _SUPERSEDED)
        )
        return info

    def fact_data(self, info: EventInfo) -> dict[str, Any]:
        """A fact's current data: its line's, with each correction's line applied in order."""
        cached = self._data.get(info.seq)
        if cached is not None:
            return cached
        event_id = self._rows[info.seq][0]
        data: dict[str, Any] = codec.decode(self.line_of(info))["data"]
        rows = self.db.execute(
            "SELECT seq, start, size, hash FROM corrections WHERE target = ? ORDER BY seq",
            (event_id,),
        ).fetchall()
        for seq, start, size, expected in rows:
            record = codec.decode(self._read(start, size, expected))
            if (record["seq"], record["type"], record["data"].get("target")) != (
                seq,
                CORRECTED,
                event_id,
            ):
                raise StaleIndex(f"the index's correction {seq} does not match its line")
            data = merge_correction(data, record["data"]["changes"])
        self._data[info.seq] = data
        return data

    def content(self, info: EventInfo) -> dict[str, Any]:
        """The data an existing event was stored with (for idempotent repeats)."""
        data: dict[str, Any] = codec.decode(self.line_of(info))["data"]
        return data

    def preload(self, ids: Iterable[str]) -> None:
        """Find which of ``ids`` the index lacks in a few queries, so ``event`` need not ask."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT id FROM events WHERE id IN ({marks})", chunk)
            found.update(row[0] for row in rows)
        self._missing.update(i for i in wanted if i not in found)

    def preload_slugs(self, keys: Iterable[tuple[str, str]]) -> None:
        """Find the owners of ``(kind, slug)`` keys in a few queries (a batch names many)."""
        by_kind: dict[str, list[str]] = {}
        for kind, slug in dict.fromkeys(keys):
            if (kind, slug) not in self._owners:
                by_kind.setdefault(kind, []).append(slug)
        for kind, slugs in by_kind.items():
            for start in range(0, len(slugs), 500):
                chunk = slugs[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT slug, id FROM slugs WHERE kind = ? AND slug IN ({marks})",
                    (kind, *chunk),
                ).fetchall()
                owned = dict(rows)
                for slug in chunk:
                    if slug in owned:
                        self._check_owner(kind, slug, str(owned[slug]))
                    else:
                        self._owners[(kind, slug)] = None

    def _check_owner(self, kind: str, slug: str, owner: str) -> str:
        info = self.event(owner)
        if info is None or codec.decode(self.line_of(info))["data"].get(kind) != slug:
            raise StaleIndex(f"the index says {kind} '{slug}' is '{owner}', the log does not")
        self._owners[(kind, slug)] = owner
        return owner

    def slug_owner(self, kind: str, slug: str) -> str | None:
        key = (kind, slug)
        if key in self._owners:
            return self._owners[key]
        row = self.db.execute("SELECT id FROM slugs WHERE kind = ? AND slug = ?", key).fetchone()
        if row is None:
            self._owners[key] = None
            return None
        return self._check_owner(kind, slug, str(row[0]))

    def preload_digests(self, digests: Iterable[str]) -> None:
        """Find the facts of a batch's content digests in a few queries, not one per fact."""
        wanted = [
            key
            for key in dict.fromkeys(bytes.fromhex(d)[:_HASH] for d in digests)
            if key not in self._facts
        ]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for key in chunk:
                self._facts[key] = []
            marks = ",".join("?" * len(chunk))
            for key, event_id in self.db.execute(
                f"SELECT digest, id FROM facts WHERE digest IN ({marks})", chunk
            ):
                self._facts[key].append(event_id)

    def duplicate_of(self, event_type: str, digest: str) -> str | None:
        """The id of a current fact of ``event_type`` whose content digest is ``digest``."""
        key = bytes.fromhex(digest)[:_HASH]
        ids = self._facts.get(key)
        if ids is None:
            ids = [
                row[0] for row in self.db.execute("SELECT id FROM facts WHERE digest = ?", (key,))
            ]
        for event_id in ids:
            info = self.event(event_id)
            if info is None or info.retracted or info.superseded:
                raise StaleIndex(f"the index names '{event_id}' as a current fact")
            if info.type == event_type and fact_digest(info.type, self.fact_data(info)) == digest:
                return str(event_id)
        return None

    # -- anchoring to the log --------------------------------------------------
    def position(self) -> Position | None:
        meta = dict(self.db.execute("SELECT k, v FROM meta").fetchall())
        try:
            if meta["version"] != _VERSION:
                return None
            return Position(int(meta["seq"]), int(meta["offset"]), str(meta["hash"]))
        except (KeyError, ValueError, TypeError):
            return None  # missing or damaged: rebuild

    def commit(self, overlay: MemoryCatalog, position: Position, lines: dict[int, Line]) -> None:
        """Persist a batch (``lines`` by seq) and the position it brings the index to."""
        db = self.db
        new_rows, revised, facts_in, facts_out = [], [], [], []
        corrections = []
        digests: dict[str, list[str]] = {}  # the overlay's own, computed as it admitted facts
        for content, owner in overlay.contents.items():
            digests.setdefault(owner, []).append(content)
        for event_id, info in overlay.events.items():
            where = lines.get(info.seq)
            if where is not None:
                start, size, line_hash, target = where
                new_rows.append(
                    (
                        event_id,
                        info.seq,
                        _TYPE_CODE[info.type],
                        start,
                        size,
                        line_hash[:_HASH],
                        _status(info),
                    )
                )
                if target is not None:
                    corrections.append((target, info.seq, start, size, line_hash[:_HASH]))
            else:  # an earlier fact this batch corrected, retracted or superseded
                revised.append((_status(info), event_id))
                old = self._data.get(info.seq)
                if old is None:
                    old = self.fact_data(info)
                facts_out.append((bytes.fromhex(fact_digest(info.type, old))[:_HASH], event_id))
            if info.type in FACT_TYPES and not (info.retracted or info.superseded):
                known = digests.get(event_id, ())
                if len(known) == 1:  # else corrected within the batch: which is current?
                    facts_in.append((bytes.fromhex(known[0])[:_HASH], event_id))
                    continue
                current = (
                    orjson.loads(info.data) if info.data is not None else (self.fact_data(info))
                )
                facts_in.append((bytes.fromhex(fact_digest(info.type, current))[:_HASH], event_id))
        self._forget()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", new_rows)
            db.executemany("UPDATE events SET status = ? WHERE id = ?", revised)
            db.executemany("INSERT INTO corrections VALUES (?, ?, ?, ?, ?)", corrections)
            db.executemany("DELETE FROM facts WHERE digest = ? AND id = ?", facts_out)
            db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?)", facts_in)
            db.executemany(
                "INSERT OR REPLACE INTO slugs VALUES (?, ?, ?)",
                [(kind, slug, owner) for (kind, slug), owner in overlay.slugs.items()],
            )
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [
                    ("version", _VERSION),
                    ("seq", str(position.seq)),
                    ("offset", str(position.offset)),
                    ("hash", position.hash),
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        write_stamp(self.path, self.stamp_path)

    def reset(self) -> None:
        self._forget()
        self.stamp_path.unlink(missing_ok=True)
        self.db.executescript(
            "DELETE FROM events; DELETE FROM slugs; DELETE FROM meta; "
            "DELETE FROM corrections; DELETE FROM facts;"
        )

    def sync(self, log_path: Path, tail: Position) -> None:
        """Bring the index up to ``tail`` (the log's last valid line), rebuilding if it is stale."""
        start = self.position()
        if start == tail:
            return
        if start is None or start.seq > tail.seq:
            start = None
        else:
            try:
                check_position(log_path, start)
            except CheckpointMismatch:
                start = None
        if start is None:
            self.reset()
            start = EMPTY
        overlay = MemoryCatalog(parent=self)
        lines: dict[int, Line] = {}
        prev, seq, covered = start.hash, start.seq, start.offset
        for line, end in scan_lines(log_path, start.offset, tail.offset) if tail.seq else ():
            seq += 1
            try:
                record = codec.decode(line)
                if record["seq"] != seq or record["prev"] != prev:
                    raise ValueError("seq or prev does not continue the chain")
                apply(overlay, seq, record["id"], record["type"], record["data"])
            except (ValueError, KeyError, TypeError, RuleError) as exc:
                raise CorruptLog(f"cannot index this line: {exc}", line=seq) from None
            digest = hashlib.sha256(line).digest()
            target = record["data"]["target"] if record["type"] == CORRECTED else None
            lines[seq] = (end - len(line) - 1, len(line), digest, target)
            prev, covered = digest.hex(), end
            if len(overlay.events) >= _COMMIT_EVERY:
                self.commit(overlay, Position(seq, end, prev), lines)
                overlay, lines = MemoryCatalog(parent=self), {}
        pos = Position(seq, covered, prev)
        if pos != tail:
            raise CorruptLog(
                "the index could not be brought up to the log's tail", line=tail.seq, seq=tail.seq
            )
        self.commit(overlay, pos, lines)


__all__ = ["INDEX_FILE", "Index", "StaleIndex", "fact_digest"]
