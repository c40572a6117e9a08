"""The full build writes a new file and renames it into place: the old store is kept whole
until then, and a reader already holding the store keeps reading it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_store import dump
from test_store_integrity import built, one_error, run, tamper


def test_a_full_build_over_a_broken_log_keeps_the_old_store(tmp_path: Path) -> None:
    """`rebuild --full` over a log edited deep inside fails in one line, leaves the store and
    totals.json byte-for-byte as they were and no build file behind."""
    log, out, story = built(tmp_path, 10)
    store, totals = (out / "archive.sqlite").read_bytes(), (out / "totals.json").read_bytes()
    story.write(log)
    tamper(log, 3)
    assert "line 4 (seq 4)" in one_error(run(log, out, "rebuild", "--full"))
    assert (out / "archive.sqlite").read_bytes() == store
    assert (out / "totals.json").read_bytes() == totals
    assert not list(out.glob(".archive.sqlite.build-*"))


def test_a_reader_open_during_a_full_build_keeps_its_store(tmp_path: Path) -> None:
    """A connection opened before `rebuild --full` still reads the old store whole; a new
    one reads the new store, which holds the rows an incremental catch-up holds."""
    log, out, story = built(tmp_path, 10)
    reader = sqlite3.connect(out / "archive.sqlite")
    try:
        before = reader.execute("SELECT count(*) FROM events").fetchone()[0]
        story.write(log)
        assert run(log, out, "rebuild", "--full").exit_code == 0
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == before == 10
    finally:
        reader.close()
    assert run(log, tmp_path / "steps", "rebuild").exit_code == 0
    assert dump(out) == dump(tmp_path / "steps")
    assert not list(out.glob(".archive.sqlite.build-*"))


def test_a_killed_full_builds_file_is_removed(tmp_path: Path) -> None:
    """A build file left by a killed full build is removed by the next full build."""
    log, out, _ = built(tmp_path, 10)
    (out / ".archive.sqlite.build-999999").write_bytes(b"half")
    assert run(log, out, "rebuild", "--full").exit_code == 0
    assert not list(out.glob(".archive.sqlite.build-*"))
