"""A tampered append index never admits what the log's rules refuse.

The index is derived: its rows are checked against the lines they name, a write by
anything but an append makes it rebuilt, and after any tampering every append either
is refused or leaves a log that ``verify`` accepts.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlog.errors import InvalidEvent
from eventlog.index import INDEX_FILE
from eventlog.indexfile import STAMP_FILE, stamp_matches, write_stamp
from eventlog.reader import LogReader
from eventlog.store import append
from eventlog.verify import verify
from reliability.conftest import cli, log_bytes, note, round_, scaled, seed, transfer

RETRACT = {"type": "fact.retracted", "id": "ret-2", "data": {"target": "tr-2", "reason": "dup"}}


def _correct(target: str, value: int) -> dict[str, Any]:
    return {
        "type": "fact.corrected",
        "data": {"target": target, "changes": {"count": {"value": value}}, "reason": "r"},
    }


REFUSED = {
    "a correction of a retracted fact": _correct("tr-2", 5),
    "a reused slug": round_("r-2025-06"),
    "a reused id": note("other content", "tr-1"),
}
ALLOWED = [
    transfer("r-2025-06", 9),
    _correct("tr-1", 1213),
    note("the exchange of prisoners is still ongoing", "note-1"),
]


def _log(tmp: Path) -> Path:
    log = tmp / "log"
    seed(log)
    append(log, [RETRACT])
    return log


def _tamper(log: Path, sql: str, *, forge_stamp: bool = False) -> None:
    db = sqlite3.connect(log / INDEX_FILE, isolation_level=None)
    db.execute(sql)
    db.close()
    if forge_stamp:  # as an editor who knows the stamp would: only row checks are left
        write_stamp(log / INDEX_FILE, log / STAMP_FILE)


EDITS = {
    "un-retract a fact": "UPDATE events SET status = 0 WHERE id = 'tr-2'",
    "delete a slug row": "DELETE FROM slugs WHERE slug = 'r-2025-06'",
    "delete an id row": "DELETE FROM events WHERE id = 'tr-1'",
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("refused", sorted(REFUSED))
def test_an_edited_index_admits_nothing_the_log_refuses(
    tmp_path: Path, edit: str, refused: str
) -> None:
    """The issue's edits: the next append is still refused, and the log still verifies."""
    log = _log(tmp_path)
    _tamper(log, EDITS[edit])
    before = log_bytes(log)
    with pytest.raises(InvalidEvent):
        append(log, [REFUSED[refused]])
    assert log_bytes(log) == before
    assert verify(log).events == 6


POSITIVE_EDITS = {
    "slug owned by another event": "UPDATE slugs SET id = 'note-1' WHERE slug = 'r-2025-06'",
    "row points at another line": "UPDATE events SET start = start + 1 WHERE id = 'tr-1'",
    "row with another hash": "UPDATE events SET hash = zeroblob(16) WHERE id = 'rnd-1'",
    "row with another seq": "UPDATE events SET seq = 2 WHERE id = 'tr-1'",
    "a retracted fact's digest kept": "INSERT INTO facts VALUES (zeroblob(16), 'tr-2')",
}


@pytest.mark.parametrize("edit", sorted(POSITIVE_EDITS))
def test_a_row_that_disagrees_with_its_line_is_caught_even_with_a_forged_stamp(
    tmp_path: Path, edit: str
) -> None:
    """Rows an append relies on are checked against the line they name; then it rebuilds."""
    log = _log(tmp_path)
    _tamper(log, POSITIVE_EDITS[edit], forge_stamp=True)
    for refused in REFUSED.values():
        with pytest.raises(InvalidEvent):
            append(log, [refused])
    results = append(log, ALLOWED)
    assert [r.status for r in results] == ["appended", "appended", "exists"]
    assert verify(log).events == 8


COLUMNS = {
    "events": ["id", "seq", "type", "start", "size", "hash", "status"],
    "slugs": ["kind", "slug", "id"],
    "corrections": ["target", "seq", "start", "size", "hash"],
    "facts": ["digest", "id"],
    "meta": ["k", "v"],
}
VALUES = st.one_of(
    st.integers(-2, 3000),
    st.sampled_from(
        ["tr-1", "tr-2", "note-1", "rnd-1", "agr-1", "r-2025-06", "round", "seq", "offset"]
    ),
    st.binary(min_size=0, max_size=17),
)
EDIT = st.one_of(
    st.tuples(st.just("update"), st.sampled_from(sorted(COLUMNS)), st.data()),
    st.tuples(st.just("delete"), st.sampled_from(sorted(COLUMNS)), st.data()),
)


def _random_edit(db: sqlite3.Connection, kind: str, table: str, data: st.DataObject) -> None:
    rows = db.execute(
        f"SELECT rowid FROM {table}" if table == "meta" else f"SELECT count(*) FROM {table}"
    ).fetchall()
    if not rows:
        return
    offset = data.draw(st.integers(0, 20))
    if kind == "delete":
        db.execute(
            f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} LIMIT 1 "
            f"OFFSET {offset})"
            if table == "meta"
            else f"DELETE FROM {table} WHERE {COLUMNS[table][0]} IN (SELECT "
            f"{COLUMNS[table][0]} FROM {table} LIMIT 1 OFFSET {offset})"
        )
        return
    column = data.draw(st.sampled_from(COLUMNS[table]))
    value = data.draw(VALUES)
    key = COLUMNS[table][0]
    with suppress(sqlite3.IntegrityError):  # a duplicate key: that edit is not possible
        db.execute(
            f"UPDATE {table} SET {column} = ? WHERE {key} IN (SELECT {key} FROM "
            f"{table} LIMIT 1 OFFSET {offset})",
            (value,),
        )


@settings(
    max_examples=scaled(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(EDIT, min_size=1, max_size=4),
    forge=st.booleans(),
    attempt=st.sampled_from([*REFUSED.values(), *ALLOWED]),
)
def test_any_tampering_of_the_index_never_lets_an_append_break_the_log(
    tmp_path_factory: pytest.TempPathFactory, edits: list[Any], forge: bool, attempt: dict[str, Any]
) -> None:
    """Random row edits and deletions (stamp kept or forged): the log always verifies."""
    log = _log(tmp_path_factory.mktemp("tamper"))
    db = sqlite3.connect(log / INDEX_FILE, isolation_level=None)
    for kind, table, data in edits:
        if forge and kind == "delete":
            continue  # a deletion hidden by a forged stamp is the documented limit
        if forge and table == "events" and data.draw(st.booleans()):
            continue
        _random_edit(db, kind, table, data)
    db.close()
    if forge:
        write_stamp(log / INDEX_FILE, log / STAMP_FILE)
    before = log_bytes(log)
    try:
        append(log, [attempt])
    except InvalidEvent:
        assert log_bytes(log) == before
    report = verify(log)
    assert report.events == len(list(LogReader(log)))


def test_an_append_process_leaves_a_stamp_that_matches_its_index(tmp_path: Path) -> None:
    """After a CLI append exits (its connection checkpointed), the next append trusts the index."""
    log = _log(tmp_path)
    result = cli(["--log", str(log), "append", "-"], input=orjson.dumps(note("one", "one")))
    assert result.returncode == 0, result.stderr
    assert stamp_matches(log / INDEX_FILE, log / STAMP_FILE)
