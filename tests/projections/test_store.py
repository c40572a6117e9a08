"""The store is the fold kept in place: same answers at every cut, built in one pass or many."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projection_logs import Log
from random_logs import AS_OF, logs
from trail_oracle import trail_in

from projections import queries
from projections.history import state_at
from projections.rounds import rounds_view
from projections.state import fold
from projections.store import catch_up
from projections.totals import totals_view


def plain(view: dict[str, Any]) -> Any:
    """A view as its JSON would read back (tuples become lists)."""
    return orjson.loads(orjson.dumps(view))


def dump(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the store, ordered by all its columns; meta without the build time."""
    conn = sqlite3.connect(out / "archive.sqlite")
    try:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        tables = {
            name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
            for name in names
        }
    finally:
        conn.close()
    tables["meta"] = [row for row in tables["meta"] if row[0] != "built_at"]
    return tables


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs())
def test_store_answers_as_the_fold_at_every_cut(log: Log) -> None:
    """At every known-at seq and several as-of dates, the store's answers equal the fold's."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log.write(root / "log")
        caught = catch_up(root / "log", root / "out")
        conn = caught.conn
        try:
            whole = fold(log.records)
            head = caught.head.seq
            assert plain(queries.totals(conn, head, caught.lines)) == plain(totals_view(whole))
            assert plain(queries.rounds(conn, head, caught.lines)) == plain(rounds_view(whole))
            for cut in range(len(log.records) + 1):
                expected = fold(log.records[:cut])
                state = state_at(conn, caught.lines, cut)
                for as_of in (None, *AS_OF):
                    assert plain(totals_view(state, as_of)) == plain(totals_view(expected, as_of))
                    assert plain(rounds_view(state, as_of)) == plain(rounds_view(expected, as_of))
                for record in log.records[:cut]:
                    if record["type"] in ("fact.corrected", "fact.retracted"):
                        continue
                    want = trail_in(log.records, record["id"], known_at=_seq(cut))
                    got = queries.trail(conn, record["id"], cut, caught.lines)
                    assert plain(got) == plain(want)
        finally:
            caught.close()


def _seq(cut: int) -> Any:
    from projections.timeaxes import KnownAt

    return KnownAt(seq=cut)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), data=st.data())
def test_stepwise_catch_up_holds_the_same_rows_as_one_pass(log: Log, data: st.DataObject) -> None:
    """A store caught up at random points holds the same rows as one built in one pass,
    and their totals.json exports are byte-identical."""
    from click.testing import CliRunner

    from projections.cli import main

    cuts = sorted(data.draw(st.lists(st.integers(0, len(log.records)), max_size=4)))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for cut in cuts:
            log.write(root / "log", cut)
            catch_up(root / "log", root / "steps").close()
        log.write(root / "log")
        runner = CliRunner()
        for out in ("steps", "once"):
            result = runner.invoke(
                main, ["--log", str(root / "log"), "--out", str(root / out), "rebuild"]
            )
            assert result.exit_code == 0, result.output
        assert dump(root / "steps") == dump(root / "once")
        assert (root / "steps" / "totals.json").read_bytes() == (
            root / "once" / "totals.json"
        ).read_bytes()


def test_views_answer_the_common_questions(tmp_path: Path) -> None:
    """`party_accounts` has one column per party, NULL (never 0) where a party gave no account;
    `discrepant_rounds` lists the flows whose accounts differ."""
    from projection_logs import istanbul

    istanbul().write(tmp_path / "log")
    catch_up(tmp_path / "log", tmp_path / "out").close()
    conn = sqlite3.connect(tmp_path / "out" / "archive.sqlite")
    try:
        accounts = conn.execute(
            "SELECT round, ua_value, ru_value, other_value, discrepant FROM party_accounts"
            " WHERE kind = 'bodies' AND sender = 'RU' ORDER BY earliest, latest, round"
        ).fetchall()
        discrepant = conn.execute("SELECT round, low, high FROM discrepant_rounds").fetchall()
    finally:
        conn.close()
    assert accounts == [
        ("r1", 1212, 1212, None, 0),
        ("r2", 1200, 1200, None, 0),  # ICRC's retracted account is gone, not 0
        ("r3", 3645, 3648, None, 1),  # UA's corrected 3645 against RU's 3648
    ]
    assert discrepant == [("r3", 3645, 3648)]
