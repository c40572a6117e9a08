"""The store served by a real Datasette, with the metadata every catch-up writes."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from report_site import run

from eventlog import store
from projections.report.metadata import QUERIES, TITLE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    """A Datasette process serving one store; ``get`` fetches JSON over HTTP."""

    def __init__(self, store: Path, metadata: Path, log: Path) -> None:
        self.port = _free_port()
        self.output = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "datasette", "serve", str(store), "-m", str(metadata),
             "-h", "127.0.0.1", "-p", str(self.port)],
            stdout=self.output, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as r:
            return json.loads(r.read())

    def wait_ready(self) -> None:
        """Poll until the server answers (it takes a few seconds to import and bind)."""
        for _ in range(600):
            if self.process.poll() is not None:
                raise RuntimeError(f"datasette exited with {self.process.returncode}")
            try:
                self.get("/-/versions.json")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise RuntimeError("datasette did not answer in 60 s")

    def stop(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=30)
        self.output.close()
        return code


@pytest.fixture
def served(archive_log: Path, tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    """Datasette on 127.0.0.1 serving the real archive's store and metadata."""
    out = tmp_path / "out"
    assert run("--log", str(archive_log), "--out", str(out), "totals").exit_code == 0
    server = Served(out / "archive.sqlite", out / "metadata.json", tmp_path / "datasette.log")
    try:
        server.wait_ready()
        yield server, out
    finally:
        server.stop()


def test_metadata_is_written_by_a_catch_up(archive_log: Path, tmp_path: Path) -> None:
    """Any command that catches the store up writes metadata.json with its head."""
    out = tmp_path / "out"
    assert run("--log", str(archive_log), "--out", str(out), "totals").exit_code == 0
    meta = json.loads((out / "metadata.json").read_text())
    with closing(sqlite3.connect(out / "archive.sqlite")) as conn:
        head = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert meta["title"] == TITLE
    assert f"seq {head['head_seq']} " in meta["databases"]["archive"]["description"]
    assert head["head_hash"] in meta["description"]
    note = {"type": "note.recorded", "data": {"text": "later", "source": {
        "attributed_to": "tester", "party": "other"}}}  # fmt: skip
    store.append(archive_log, [note], by="tester")
    assert run("--log", str(archive_log), "--out", str(out), "totals").exit_code == 0
    later = json.loads((out / "metadata.json").read_text())
    assert f"seq {int(head['head_seq']) + 1} " in later["databases"]["archive"]["description"]


def test_every_table_and_column_is_described(archive_log: Path, tmp_path: Path) -> None:
    """Each table, view and column of the store has a description in the metadata."""
    out = tmp_path / "out"
    run("--log", str(archive_log), "--out", str(out), "totals")
    tables = json.loads((out / "metadata.json").read_text())["databases"]["archive"]["tables"]
    with closing(sqlite3.connect(out / "archive.sqlite")) as conn:
        _check_described(conn, tables)


def _check_described(conn: sqlite3.Connection, tables: dict[str, Any]) -> None:
    names = [n for (n,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        " AND name NOT LIKE 'sqlite_%'")]  # fmt: skip
    assert sorted(tables) == sorted(names)
    undocumented = [
        (name, column)
        for name in names
        for (_, column, *_) in conn.execute(f"PRAGMA table_xinfo('{name}')")
        if not tables[name]["columns"].get(column)
    ]
    assert undocumented == []
    assert all(tables[name]["description"] for name in names)
    assert "Unit: people" in tables["flows"]["columns"]["best"]


def test_datasette_serves_tables_and_canned_queries(served: tuple[Served, Path]) -> None:
    """Over HTTP: a table's .json, each canned query, and the metadata's descriptions."""
    server, out = served
    with closing(sqlite3.connect(out / "archive.sqlite")) as conn:
        _check_served(server, conn)


def _check_served(server: Served, conn: sqlite3.Connection) -> None:
    rounds = server.get("/archive/rounds.json?_shape=array")
    assert [r["round"] for r in rounds] == [
        s for (s,) in conn.execute("SELECT round FROM rounds ORDER BY round")
    ]
    gaps = server.get("/archive/reported-totals-with-gaps.json?_shape=array")
    by_id = {g["id"]: g for g in gaps}
    for fid, gap_low, gap_high in conn.execute("SELECT id, gap_low, gap_high FROM reported_totals"):
        assert (by_id[fid]["gap_low"], by_id[fid]["gap_high"]) == (gap_low, gap_high)
        if gap_high is None and gap_low is not None:
            assert by_id[fid]["gap_range"] == f">= {gap_low}"
    for name in QUERIES:
        assert isinstance(server.get(f"/archive/{name}.json?_shape=array"), list)
    meta = server.get("/-/metadata.json")
    assert meta["databases"]["archive"]["queries"].keys() == QUERIES.keys()
    assert meta["databases"]["archive"]["tables"]["rounds"]["columns"]["earliest"]


def test_canned_queries_answer_on_a_discrepant_log(hostile_log: Path, tmp_path: Path) -> None:
    """Run as SQL on the store: the discrepant round and all its accounts are listed."""
    out = tmp_path / "out"
    assert run("--log", str(hostile_log), "--out", str(out), "totals").exit_code == 0
    with closing(sqlite3.connect(out / "archive.sqlite")) as conn:
        discrepant = conn.execute(QUERIES["discrepant-rounds"]["sql"]).fetchall()
        accounts = conn.execute(QUERIES["accounts-per-round"]["sql"]).fetchall()
    assert [(row[1], row[2]) for row in discrepant] == [("r1", "bodies")]
    assert sorted((row[1], row[5], row[6]) for row in accounts if row[1] == "r1") == [
        ("r1", "RU", 1200), ("r1", "RU", 1250), ("r1", "UA", 1100)
    ]  # fmt: skip


def test_rebuild_writes_metadata_and_leaves_it_when_nothing_changed(
    archive_log: Path, tmp_path: Path
) -> None:
    """The cron rebuild writes metadata.json; a catch-up that folds nothing leaves it."""
    out = tmp_path / "out"
    assert run("--log", str(archive_log), "--out", str(out), "rebuild").exit_code == 0
    path = out / "metadata.json"
    before = path.stat()
    seq = len((archive_log / "events.jsonl").read_bytes().splitlines())
    assert f"seq {seq} " in json.loads(path.read_text())["databases"]["archive"]["description"]
    assert run("--log", str(archive_log), "--out", str(out), "rebuild").exit_code == 0
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_a_hand_edited_metadata_is_rewritten_by_the_next_catch_up(
    archive_log: Path, tmp_path: Path
) -> None:
    """metadata.json edited by hand (invalid JSON) is rewritten by a catch-up folding nothing."""
    out = tmp_path / "out"
    assert run("--log", str(archive_log), "--out", str(out), "rebuild").exit_code == 0
    path = out / "metadata.json"
    written = path.read_bytes()
    path.write_bytes(written[:-10] + b"{{ broken")
    assert run("--log", str(archive_log), "--out", str(out), "totals").exit_code == 0
    assert path.read_bytes() == written
