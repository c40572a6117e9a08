"""An append index of another layout (an older version's) is rebuilt, never written into."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from eventlog.store import append
from reliability.conftest import SOURCE, seed


def test_an_index_of_an_older_layout_is_rebuilt(tmp_path: Path) -> None:
    """An index whose tables have other columns (same version label) does not block appends."""
    log = tmp_path / "log"
    seed(log)
    index = log / ".index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(index)
    db.executescript(
        "CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('version', '2');"
        "CREATE TABLE events (id TEXT PRIMARY KEY, seq INTEGER, type INTEGER, start INTEGER,"
        " size INTEGER, hash BLOB);"
        "CREATE TABLE slugs (kind TEXT, slug TEXT, id TEXT, PRIMARY KEY (kind, slug));"
    )
    db.close()
    results = append(
        log,
        [{"type": "note.recorded", "data": {"text": "after an upgrade", "source": SOURCE}}],
        by="t",
    )
    assert [r.status for r in results] == ["appended"]
