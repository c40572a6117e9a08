"""The append index shared by processes: a connection kept between appends is never
undercut by another process closing its own (SQLite's POSIX locks must stay held).

SQLite tells "the last connection" by trying an exclusive lock on the database file;
if a process holding a connection ever opens and closes that file itself, its locks
are cancelled, and another process's close then checkpoints and deletes the WAL
under the live connection ("database disk image is malformed" at the next append).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from eventlog.index import INDEX_FILE
from eventlog.indexfile import STAMP_FILE, stamp_matches
from eventlog.reader import log_file
from eventlog.store import append
from reliability.conftest import log_bytes

_CLOSE_ANOTHER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("SELECT count(*) FROM events").fetchone()
db.close()
"""


def _note(event_id: str) -> dict[str, object]:
    source = {"attributed_to": "t", "party": "other"}
    return {
        "type": "note.recorded",
        "id": event_id,
        "data": {"text": f"note {event_id}", "source": source},
    }


def test_another_process_closing_the_index_leaves_a_kept_connection_its_wal(tmp_path: Path) -> None:
    """Another process's close of the index never deletes the WAL a kept connection uses."""
    log = tmp_path / "log"
    log.mkdir()
    append(log, [_note("a1")], by="t")  # this process now keeps a connection to the index
    index = log / INDEX_FILE
    wal = Path(f"{index}-wal")
    assert wal.exists() and stamp_matches(index, log / STAMP_FILE)
    subprocess.run([sys.executable, "-c", _CLOSE_ANOTHER, str(index)], check=True, timeout=60)
    assert wal.exists(), "another process's close deleted the WAL under a live connection"
    assert stamp_matches(index, log / STAMP_FILE)


def test_appends_interleaved_with_exiting_processes_keep_the_index_sound(tmp_path: Path) -> None:
    """Appends here between child processes that append and exit keep every index row."""
    log = tmp_path / "log"
    log.mkdir()
    child = (
        "import sys; from eventlog.store import append; "
        "append(sys.argv[1], [{'type': 'note.recorded', 'id': sys.argv[2], 'data': "
        "{'text': sys.argv[2], 'source': {'attributed_to': 't', 'party': 'other'}}}], by='c')"
    )
    for n in range(4):
        append(log, [_note(f"p{n}")], by="t")
        subprocess.run([sys.executable, "-c", child, str(log), f"c{n}"], check=True, timeout=60)
    append(log, [_note("last")], by="t")
    lines = log_bytes(log).split(b"\n")[:-1]
    assert len(lines) == 9 and log_file(log).exists()
    db = sqlite3.connect(log / INDEX_FILE)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM events").fetchone() == (9,)
        assert db.execute("SELECT v FROM meta WHERE k = 'seq'").fetchone() == ("9",)
    finally:
        db.close()
