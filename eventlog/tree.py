"""The Merkle tree's derived store: ``.tree.sqlite`` beside the log, rebuildable at any time.

It holds the hash of every complete subtree (``node``: level, index, hash, and
for a leaf the end offset of its line), and the receipt of the prefix it covers
(``meta``: seq, offset and chain hash of the last line). Before it is used the
receipt is checked against the log (that line is still there, and its leaf hash
is the stored leaf); otherwise it is rebuilt. Appending a line adds its leaf and
the subtrees it completes: O(log n) hashes, never a pass over the log.

The store is caught up lazily: an append does not touch it (that keeps the durable
append exactly as fast as without a tree); ``checkpoint`` and ``prove`` bring it up
to the log's tail from its receipt under the append lock, hashing only the new lines.

A stored hash is never what a checkpoint or a proof is trusted on: ``checkpoints``
re-derives each signed root from the log's bytes, and every proof is verified
against its signed root before it is printed.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from eventlog.codec import decode, line_hash
from eventlog.errors import CorruptLog
from eventlog.merkle import Frontier, Nodes, leaf_hash, node_hash
from eventlog.reader import EMPTY, Position, line_ending_at, scan_lines

TREE_FILE = ".tree.sqlite"
_VERSION = "2"
_COMMIT_ROWS = 200_000
"""A rebuild commits every so many rows (about half as many lines): bounded memory."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS node (
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    end_offset INTEGER,  -- leaves only: where line idx + 1 ends in the log
    PRIMARY KEY (level, idx)) WITHOUT ROWID;
"""
_Row = tuple[int, int, bytes, int | None]
"""A ``node`` row: level, index, hash, and the line's end offset for a leaf."""
_POOL: dict[tuple[str, int, int], tuple[tuple[int, int], sqlite3.Connection]] = {}
"""One kept connection per store, process and thread: opening one costs as much as an append."""


class TreeMissing(LookupError):
    """The store lacks a hash it should hold (damaged or stale): rebuild it."""


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class TreeStore:
    """The tree store of one log directory; written only under the append lock."""

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        self.path = Path(log_dir) / TREE_FILE
        self._key = (str(self.path), os.getpid(), threading.get_ident())
        self.db = self._reuse() or self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError:  # derived data: a damaged store is thrown away
            self._remove_files()
            return self._connect()

    def _remove_files(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def discard(self) -> TreeStore:
        """Throw this (damaged) store away and start a new, empty one in its place."""
        self.db.close()
        self._remove_files()
        self.db = self._connect()
        return self

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous=OFF")  # checked against the log before use
            db.execute("PRAGMA journal_mode=WAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != int(_VERSION):
                # another layout (or a new file): derived data, so start again
                db.executescript(
                    "DROP TABLE IF EXISTS node; DROP TABLE IF EXISTS line; "
                    f"DROP TABLE IF EXISTS meta; PRAGMA user_version={_VERSION};"
                )
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
        if identity == _identity(self.path):  # the same file: damage in place shows on use
            return db
        db.close()
        return None

    def close(self) -> None:
        identity = _identity(self.path)
        if identity is None or self.db.in_transaction:
            self.db.close()
            return
        old = _POOL.pop(self._key, None)
        if old is not None and old[1] is not self.db:
            old[1].close()
        _POOL[self._key] = (identity, self.db)

    def __enter__(self) -> TreeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT k, v FROM meta").fetchall())

    def position(self, meta: dict[str, str] | None = None) -> Position | None:
        meta = self._meta() if meta is None else meta
        if meta.get("version") != _VERSION or "seq" not in meta:
            return None
        return Position(int(meta["seq"]), int(meta["offset"]), meta["hash"])

    def node(self, level: int, idx: int) -> bytes:
        row = self.db.execute(
            "SELECT hash FROM node WHERE level = ? AND idx = ?", (level, idx)
        ).fetchone()
        if row is None or not isinstance(row[0], bytes):
            raise TreeMissing(f"no hash at level {level}, index {idx}")
        return bytes(row[0])

    def prefetch(self, keys: Sequence[tuple[int, int]]) -> Nodes:
        """The hashes at ``keys`` read in one query, as a ``Nodes`` callable (a proof's
        O(log n) hashes cost one round trip instead of one each)."""
        found: dict[tuple[int, int], bytes] = {}
        by_level: dict[int, list[int]] = {}
        for level, idx in dict.fromkeys(keys):
            by_level.setdefault(level, []).append(idx)
        # one "level = ? AND idx IN (...)" per level: a range of the primary key each, where
        # a row-value IN (VALUES ...) would scan the whole table
        query = " UNION ALL ".join(
            f"SELECT level, idx, hash FROM node WHERE level = ? AND idx IN "
            f"({','.join('?' * len(idxs))})"
            for idxs in by_level.values()
        )
        if query:
            params = [v for level, idxs in by_level.items() for v in (level, *idxs)]
            for level, idx, h in self.db.execute(query, params):
                found[(level, idx)] = bytes(h)

        def nodes(level: int, idx: int) -> bytes:
            h = found.get((level, idx))
            return self.node(level, idx) if h is None else h

        return nodes

    def end_offset(self, seq: int) -> int:
        """Where line ``seq`` ends in the log (0 for seq 0)."""
        if seq == 0:
            return 0
        row = self.db.execute(
            "SELECT end_offset FROM node WHERE level = 0 AND idx = ?", (seq - 1,)
        ).fetchone()
        if row is None or not isinstance(row[0], int):
            raise TreeMissing(f"no offset for line {seq}")
        return int(row[0])

    # -- writing ------------------------------------------------------------------
    def reset(self) -> None:
        self.db.executescript("DELETE FROM node; DELETE FROM meta;")

    def _trusted_start(self, log_path: Path, tail: Position) -> Position:
        """The stored receipt if the log still holds it and the stored leaf matches, else EMPTY."""
        start = self.position()
        if start is None or start.seq > tail.seq:
            return EMPTY
        if start.seq == 0:
            return start
        line = line_ending_at(log_path, start.offset)
        try:
            if (
                line is None
                or line_hash(line) != start.hash
                or self.node(0, start.seq - 1) != leaf_hash(line)
            ):
                return EMPTY
        except TreeMissing:
            return EMPTY
        return start

    def sync(self, log_path: Path, tail: Position) -> None:
        """Bring the store up to ``tail`` (the log's last valid line), rebuilding if stale."""
        start = self._trusted_start(log_path, tail)
        if start == tail:
            return
        if start.seq == 0:
            self.reset()
        frontier = self._frontier(start.seq)
        rows: list[_Row] = []
        seq, prev, covered = start.seq, start.hash, start.offset
        for line, end in scan_lines(log_path, start.offset):
            if end > tail.offset:
                break
            seq += 1
            if not _chains(line, seq, prev):
                raise CorruptLog(
                    "cannot add this line to the tree: its seq or prev does not continue the chain",
                    line=seq,
                )
            self._add(frontier, line, end, rows)
            prev, covered = line_hash(line), end
            if len(rows) >= _COMMIT_ROWS:
                self._commit(rows, Position(seq, covered, prev), frontier)
                rows = []
        position = Position(seq, covered, prev)
        if position != tail:
            raise CorruptLog(
                "the tree could not be brought up to the log's tail", line=tail.seq, seq=tail.seq
            )
        self._commit(rows, position, frontier)

    def extend(self, before: Position, lines: Sequence[bytes], after: Position) -> bool:
        """Add lines (without their newlines) written after ``before``, as an eager caller
        would after each append; False (nothing done) if the store is not at ``before``."""
        meta = self._meta()
        current = self.position(meta)
        if current is None and before.seq == 0:
            self.reset()  # a new (or unreadable) store starts with the log's first append
        elif current != before:
            return False
        frontier = self._frontier(before.seq, meta.get("frontier"))
        rows: list[_Row] = []
        end = before.offset
        for line in lines:
            end += len(line) + 1
            self._add(frontier, line, end, rows)
        if before.seq + len(lines) != after.seq or end != after.offset:
            return False
        self._commit(rows, after, frontier)
        return True

    def _frontier(self, size: int, kept: str | None = None) -> list[tuple[int, bytes]]:
        """The complete subtrees left of leaf ``size`` as (level, hash), largest first: from
        the copy ``meta`` keeps (one read for an append), else from ``node``."""
        levels = [b for b in range(size.bit_length() - 1, -1, -1) if size >> b & 1]
        if kept is not None and len(kept) == 64 * len(levels):
            raw = bytes.fromhex(kept)
            return [(level, raw[32 * i : 32 * i + 32]) for i, level in enumerate(levels)]
        f = Frontier.of(size, self.node)
        return [(n.bit_length() - 1, h) for n, h in f.stack]

    @staticmethod
    def _add(frontier: list[tuple[int, bytes]], line: bytes, end: int, rows: list[_Row]) -> None:
        """The rows for one more leaf (ending at ``end`` in the log) and the subtrees it
        completes; ``frontier`` moves past it."""
        index = sum(1 << level for level, _ in frontier)
        h = leaf_hash(line)
        rows.append((0, index, h, end))
        level = 0
        while frontier and frontier[-1][0] == level:
            _, left = frontier.pop()
            h = node_hash(left, h)
            level += 1
            rows.append((level, index >> level, h, None))
        frontier.append((level, h))

    def _commit(
        self, rows: list[_Row], position: Position, frontier: list[tuple[int, bytes]]
    ) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO node VALUES (?, ?, ?, ?)", rows)
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [
                    ("version", _VERSION),
                    ("seq", str(position.seq)),
                    ("offset", str(position.offset)),
                    ("hash", position.hash),
                    ("frontier", b"".join(h for _, h in frontier).hex()),
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _chains(line: bytes, seq: int, prev: str) -> bool:
    """Whether ``line`` is line ``seq`` and its ``prev`` is ``prev`` (the store writes prev
    last, so the usual line is checked without parsing it)."""
    if (
        line.endswith(b'"}')
        and line[-66:-2] == prev.encode()
        and line.startswith(b'{"seq":%d,' % seq)
    ):
        return True
    try:
        record = decode(line)
    except ValueError:
        return False
    return record.get("seq") == seq and record.get("prev") == prev


def read_line(log_path: Path, store: TreeStore, seq: int) -> bytes:
    """Line ``seq``'s exact bytes, found through the store and checked to carry that seq."""
    line = line_ending_at(log_path, store.end_offset(seq))
    try:
        found = decode(line)["seq"] if line is not None else None
    except ValueError:
        found = None
    if line is None or found != seq:
        raise TreeMissing(f"line {seq} is not where the store says")
    return line
