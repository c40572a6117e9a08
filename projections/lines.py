"""A fact's data, read from its line in the log and checked against the hash the store kept.

The store does not copy what the log says: a fact's row keeps the byte offset
and the SHA-256 of the line that reported it, and its versions keep the
changes of each correction. A fact's data at a seq is that line's data with
the changes made by then applied. A line that no longer hashes as recorded is
refused (``StoreMismatch``), never used.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from eventlog.codec import MAX_LINE, decode
from projections.errors import StoreDamaged, StoreMismatch
from projections.facts import corrected
from projections.rows import chunks


class Lines:
    """Reads reported lines from one log file (kept open across reads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None

    def data(self, fid: str, offset: int, digest: bytes) -> dict[str, Any]:
        """The ``data`` of the line at ``offset``, if it still hashes to ``digest``."""
        if self._fh is None:
            self._fh = open(self.path, "rb")  # noqa: SIM115 (closed by close())
        if not isinstance(offset, int) or offset < 0:
            raise StoreDamaged(f"fact {fid!r} points at byte {offset!r} of {self.path}")
        self._fh.seek(offset)
        line = self._fh.read(MAX_LINE + 1).split(b"\n", 1)[0]
        if hashlib.sha256(line).digest() != digest:
            raise StoreMismatch(
                str(self.path),
                f"the line of fact {fid!r} at byte {offset} no longer hashes "
                "as the store recorded it",
            )
        data: dict[str, Any] = decode(line)["data"]
        return data

    def close(self) -> None:
        """Close the log file."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def apply_changes(data: dict[str, Any], changes: Iterable[str]) -> dict[str, Any]:
    """Apply stored changes (JSON ``{field: {"from", "to"}}``), oldest first."""
    for text in changes:
        data = corrected(data, {k: c["to"] for k, c in orjson.loads(text).items()})
    return data


def facts_data(
    conn: sqlite3.Connection, lines: Lines, ids: list[str], upto: int | None = None
) -> dict[str, dict[str, Any]]:
    """The data of each fact in ``ids`` as of seq ``upto`` (now, if None)."""
    found: dict[str, dict[str, Any]] = {}
    limit = (1 << 62) if upto is None else upto
    for part in chunks(ids):
        marks = ",".join("?" * len(part))
        changes: dict[str, list[str]] = {}
        for fid, text in conn.execute(
            f"SELECT fact_id, changes FROM fact_versions WHERE fact_id IN ({marks})"
            " AND changes IS NOT NULL AND seq <= ? ORDER BY fact_id, version",
            (*part, limit),
        ):
            changes.setdefault(fid, []).append(text)
        for fid, offset, digest in conn.execute(
            f"SELECT id, offset, hash FROM facts WHERE id IN ({marks})", part
        ):
            found[fid] = apply_changes(lines.data(fid, offset, digest), changes.get(fid, ()))
    return found
