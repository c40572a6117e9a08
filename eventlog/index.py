"""A derived SQLite index of ids, slugs and current fact data, so appends need not re-read the log.

The index lives beside the log (``.index.sqlite``), can be deleted at any time
and is checked against the log before it is trusted: it records the seq,
end offset and line hash of the last line it covers, and is used only if the
log still holds that line there. Otherwise it is rebuilt from the log. It is
only ever written under the append lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson

from eventlog.codec import decode, line_hash
from eventlog.errors import CheckpointMismatch, CorruptLog
from eventlog.reader import EMPTY, Position, check_position, scan_lines
from eventlog.rules import EventInfo, MemoryCatalog, RuleError, apply, content_digest

INDEX_FILE = ".index.sqlite"
_VERSION = "2"
_COMMIT_EVERY = 50_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL,
    digest BLOB NOT NULL, data BLOB, retracted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS slugs (
    kind TEXT NOT NULL, slug TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (kind, slug));
CREATE TABLE IF NOT EXISTS contents (digest TEXT PRIMARY KEY, id TEXT NOT NULL);
"""


_Key = tuple[str, int, int]
_POOL: dict[_Key, tuple[tuple[int, int], sqlite3.Connection]] = {}
"""Connections kept open between appends of one process and thread, by index path.

Opening and closing the index (and its WAL checkpoint on close) cost several times
a single append's fsync; a kept connection is reused only if the file is still the
same inode and answers a probe, so a deleted, replaced or damaged index is reopened.
At most ``_POOL_SIZE`` are kept, so a process touching many logs holds few descriptors.
"""
_POOL_SIZE = 4


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class Index:
    """The SQLite index of one log directory (a ``Catalog``)."""

    def __init__(self, log_dir: Path) -> None:
        self.path = log_dir / INDEX_FILE
        self._key: _Key = (str(self.path), os.getpid(), threading.get_ident())
        self.db = self._reuse() or self._open()
        self._missing: set[str] = set()
        """Ids looked up and not found since the last commit: a batch asks twice for each new id."""
        self._found: dict[str, EventInfo] = {}
        self._owners: dict[tuple[str, str], str | None] = {}
        """Events and slug owners looked up since the last commit (the index only changes at
        a commit, under the append lock): a batch names the same rounds again and again."""

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError:
            # A damaged index is only derived data: throw it away and rebuild it.
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            # Derived data, checked against the log before use: durability is the log's job.
            db.execute("PRAGMA synchronous=OFF")
            # WAL: a commit appends to one file instead of creating and deleting a rollback
            # journal (the single-append cost), and a crash still leaves a consistent index.
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _reuse(self) -> sqlite3.Connection | None:
        kept = _POOL.pop(self._key, None)
        if kept is None:
            return None
        identity, db = kept
        try:
            if identity == _identity(self.path):
                db.execute("SELECT count(*) FROM meta").fetchone()
                return db
        except sqlite3.DatabaseError:
            pass
        db.close()
        return None

    def close(self) -> None:
        """Give the connection back for the next append of this process (see ``_POOL``)."""
        identity = _identity(self.path)
        if identity is None or self.db.in_transaction:
            self.db.close()
            return
        old = _POOL.pop(self._key, None)
        if old is not None:
            old[1].close()
        while len(_POOL) >= _POOL_SIZE:
            key = next(iter(_POOL))  # the least recently kept
            _, stale = _POOL.pop(key)
            if key[1] == os.getpid():  # never touch a connection inherited through fork
                # another thread's cannot be closed from here: it is closed when collected
                with suppress(sqlite3.ProgrammingError):
                    stale.close()
        _POOL[self._key] = (identity, self.db)

    # -- Catalog -------------------------------------------------------------
    def event(self, event_id: str) -> EventInfo | None:
        if event_id in self._missing:
            return None
        info = self._found.get(event_id)
        if info is not None:
            return info
        row = self.db.execute(
            "SELECT seq, type, digest, data, retracted FROM events WHERE id = ?", (event_id,)
        ).fetchone()
        if row is None:
            self._missing.add(event_id)
            return None
        info = self._found[event_id] = EventInfo(row[0], row[1], row[2], row[3], bool(row[4]))
        return info

    def fact_data(self, info: EventInfo) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(info.data or b"{}")
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
        """Find the owners of ``(kind, slug)`` keys in a few queries, so ``slug_owner`` need
        not ask once per slug a batch introduces (each is looked up to check it is new)."""
        by_kind: dict[str, list[str]] = {}
        for kind, slug in dict.fromkeys(keys):
            if (kind, slug) not in self._owners:
                by_kind.setdefault(kind, []).append(slug)
        for kind, slugs in by_kind.items():
            for start in range(0, len(slugs), 500):
                chunk = slugs[start : start + 500]
                for slug in chunk:
                    self._owners[(kind, slug)] = None
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT slug, id FROM slugs WHERE kind = ? AND slug IN ({marks})",
                    (kind, *chunk))
                for slug, owner in rows:
                    self._owners[(kind, slug)] = str(owner)

    def slug_owner(self, kind: str, slug: str) -> str | None:
        key = (kind, slug)
        if key in self._owners:
            return self._owners[key]
        row = self.db.execute(
            "SELECT id FROM slugs WHERE kind = ? AND slug = ?", key
        ).fetchone()
        owner = self._owners[key] = None if row is None else str(row[0])
        return owner

    def duplicate_of(self, event_type: str, digest: str) -> str | None:
        # A content row names the last fact that had that content; it is checked
        # against that fact's current data, so a corrected or retracted fact is no match.
        row = self.db.execute("SELECT id FROM contents WHERE digest = ?", (digest,)).fetchone()
        info = None if row is None else self.event(str(row[0]))
        if info is None or info.retracted or info.type != event_type:
            return None
        if content_digest(event_type, self.fact_data(info)) != digest:
            return None
        return str(row[0])

    def _forget(self) -> None:
        self._missing.clear()
        self._found.clear()
        self._owners.clear()

    # -- anchoring to the log --------------------------------------------------
    def position(self) -> Position | None:
        meta = dict(self.db.execute("SELECT k, v FROM meta").fetchall())
        if meta.get("version") != _VERSION or "seq" not in meta:
            return None
        return Position(int(meta["seq"]), int(meta["offset"]), meta["hash"])

    def commit(self, overlay: MemoryCatalog, position: Position) -> None:
        """Persist a batch's overlay and the position it brings the index to, atomically."""
        db = self.db
        self._forget()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?)",
                [(k, i.seq, i.type, i.digest, i.data, int(i.retracted))
                 for k, i in overlay.events.items()],
            )
            db.executemany(
                "INSERT OR REPLACE INTO slugs VALUES (?, ?, ?)",
                [(kind, slug, owner) for (kind, slug), owner in overlay.slugs.items()],
            )
            db.executemany("INSERT OR REPLACE INTO contents VALUES (?, ?)",
                           overlay.contents.items())
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("version", _VERSION), ("seq", str(position.seq)),
                 ("offset", str(position.offset)), ("hash", position.hash)],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def reset(self) -> None:
        self._forget()
        self.db.executescript(
            "DELETE FROM events; DELETE FROM slugs; DELETE FROM contents; DELETE FROM meta;")

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
        prev, seq, covered = start.hash, start.seq, start.offset
        for line, end in scan_lines(log_path, start.offset):
            if end > tail.offset:
                break
            seq += 1
            try:
                record = decode(line)
                if record["seq"] != seq or record["prev"] != prev:
                    raise ValueError("seq or prev does not continue the chain")
                apply(overlay, seq, record["id"], record["type"], record["data"])
            except (ValueError, KeyError, TypeError, RuleError) as exc:
                raise CorruptLog(f"cannot index this line: {exc}", line=seq) from None
            prev, covered = line_hash(line), end
            if len(overlay.events) >= _COMMIT_EVERY:
                self.commit(overlay, Position(seq, end, prev))
                overlay = MemoryCatalog(parent=self)
        pos = Position(seq, covered, prev)
        if pos != tail:
            raise CorruptLog("the index could not be brought up to the log's tail",
                             line=tail.seq, seq=tail.seq)
        self.commit(overlay, pos)

