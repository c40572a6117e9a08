"""Scheduled rebuilds: outputs, checkpoint, lock, atomic publication, determinism."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projection_logs import Log, istanbul, qty

from eventlog.errors import LogNotFound
from projections import outputs as po
from projections import rebuild as rb
from projections.checkpoint import load_state, save_state
from projections.errors import (
    CorruptCheckpoint,
    OutputUnavailable,
    RebuildLocked,
    StaleCheckpoint,
)
from projections.intervals import ZERO, Interval, add
from projections.outputs import ROUND_INDEX, TRAIL_INDEX
from projections.rebuild import OUTPUTS, locked, rebuild
from projections.rounds import RoundView, collect
from projections.state import fold
from projections.timeaxes import occurred_by, occurred_since
from projections.totals import Scopes


def outputs(out: Path) -> dict[str, bytes]:
    """The bytes of every published output."""
    return {name: (out / "current" / name).read_bytes() for name in OUTPUTS}


def build(log: Log, root: Path, upto: int | None = None, full: bool = False) -> rb.RebuildResult:
    """Write the log (or its first lines) and rebuild into root/out."""
    log.write(root / "log", upto)
    return rebuild(root / "log", root / "out", full=full, durable=False)


def test_full_rebuild_publishes_every_output(tmp_path: Path) -> None:
    """A first rebuild is full and publishes the four outputs under current/."""
    result = build(istanbul(), tmp_path)
    assert (result.mode, result.seq, result.folded) == ("full", 20, 20)
    assert (tmp_path / "out" / "current").is_symlink()
    assert sorted(outputs(tmp_path / "out")) == sorted(OUTPUTS)


def test_summary_is_one_line(tmp_path: Path) -> None:
    """The summary names the generation, the seq and the mode on one line."""
    summary = build(istanbul(), tmp_path).summary()
    assert "\n" not in summary
    assert "at seq 20: full, 20 events folded" in summary


def test_incremental_rebuild_folds_only_new_events(tmp_path: Path) -> None:
    """A second rebuild resumes from the checkpoint and folds only what was appended."""
    build(istanbul(), tmp_path, upto=12)
    result = build(istanbul(), tmp_path)
    assert (result.mode, result.folded, result.seq) == ("incremental", 8, 20)


def test_incremental_equals_full_byte_for_byte(tmp_path: Path) -> None:
    """Outputs built incrementally are byte-identical to those of a full rebuild."""
    build(istanbul(), tmp_path / "a", upto=12)
    build(istanbul(), tmp_path / "a")
    build(istanbul(), tmp_path / "b")
    assert outputs(tmp_path / "a" / "out") == outputs(tmp_path / "b" / "out")


def test_nothing_new_publishes_nothing(tmp_path: Path) -> None:
    """With no new events the rebuild reports up to date and keeps the generation."""
    first = build(istanbul(), tmp_path)
    again = build(istanbul(), tmp_path)
    assert (again.mode, again.generation) == ("unchanged", first.generation)
    assert again.summary().startswith("up to date at seq 20")


def test_rewritten_log_is_refused(tmp_path: Path) -> None:
    """If the log no longer holds the checkpoint's line, the rebuild refuses."""
    build(istanbul(), tmp_path)
    other = istanbul()
    other.records[19]["recorded_by"] = "someone else"
    with pytest.raises(StaleCheckpoint) as caught:
        build(other, tmp_path)
    assert caught.value.seq == 20
    assert "--full" in str(caught.value)


def test_truncated_log_is_refused(tmp_path: Path) -> None:
    """A log shorter than the checkpoint is refused."""
    build(istanbul(), tmp_path)
    with pytest.raises(StaleCheckpoint):
        build(istanbul(), tmp_path, upto=10)


def test_full_rebuild_recovers_from_a_rewritten_log(tmp_path: Path) -> None:
    """--full ignores the checkpoint and rebuilds from the start."""
    build(istanbul(), tmp_path)
    result = build(istanbul(), tmp_path, upto=10, full=True)
    assert (result.mode, result.seq) == ("full", 10)


def test_a_held_lock_refuses_a_second_rebuild(tmp_path: Path) -> None:
    """While another rebuild holds the lock, a rebuild raises RebuildLocked."""
    istanbul().write(tmp_path / "log")
    (tmp_path / "out").mkdir()
    with locked(tmp_path / "out" / ".lock"), pytest.raises(RebuildLocked):
        rebuild(tmp_path / "log", tmp_path / "out", durable=False)


def test_two_generations_are_kept(tmp_path: Path) -> None:
    """Only the published generation and the one before it remain."""
    for upto in (5, 10, 15, 20):
        build(istanbul(), tmp_path, upto=upto)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [".lock", "current", "gen-000003", "gen-000004"]
    assert os.readlink(tmp_path / "out" / "current") == "gen-000004"


def test_leftovers_of_an_interrupted_rebuild_are_removed(tmp_path: Path) -> None:
    """A staging directory left by a crash is never published and is cleaned up."""
    (tmp_path / "out" / ".tmp-crashed").mkdir(parents=True)
    build(istanbul(), tmp_path)
    assert not (tmp_path / "out" / ".tmp-crashed").exists()


def test_damaged_checkpoint_is_refused(tmp_path: Path) -> None:
    """An unreadable saved state raises CorruptCheckpoint."""
    first = build(istanbul(), tmp_path, upto=10)
    (first.generation / "state.marshal").write_bytes(b"not a state")
    with pytest.raises(CorruptCheckpoint):
        build(istanbul(), tmp_path)


def test_checkpoint_of_another_format_forces_a_full_rebuild(tmp_path: Path) -> None:
    """A checkpoint written by another layout version is ignored: the rebuild is full."""
    first = build(istanbul(), tmp_path, upto=10)
    meta = orjson.loads((first.generation / "checkpoint.json").read_bytes())
    (first.generation / "checkpoint.json").write_bytes(orjson.dumps({**meta, "format": 0}))
    assert build(istanbul(), tmp_path).mode == "full"


def test_missing_log_is_reported(tmp_path: Path) -> None:
    """A rebuild of a directory without a log raises LogNotFound."""
    with pytest.raises(LogNotFound):
        rebuild(tmp_path / "nolog", tmp_path / "out", durable=False)


def test_empty_log_builds_empty_outputs(tmp_path: Path) -> None:
    """An empty log gives outputs at seq 0 with no totals."""
    result = build(Log(), tmp_path)
    totals = orjson.loads(outputs(tmp_path / "out")["totals.json"])
    assert (result.seq, totals["known_at"]["seq"], totals["totals"]) == (0, 0, [])


def test_archive_tables_can_be_queried(tmp_path: Path) -> None:
    """archive.sqlite holds events, rounds, accounts, totals and trails."""
    build(istanbul(), tmp_path)
    db = sqlite3.connect(tmp_path / "out" / "current" / "archive.sqlite")
    try:
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("events", "rounds", "accounts", "totals", "trails")
        }
        trail = db.execute(
            "SELECT step, action, data ->> '$.count.value' FROM trails"
            " WHERE fact_id = 'e6' ORDER BY step"
        ).fetchall()
        best = db.execute(
            "SELECT best, low, high FROM totals"
            " WHERE kind = 'bodies' AND from_party = 'RU' AND party = 'all'"
        ).fetchone()
    finally:
        db.close()
    assert counts == {"events": 20, "rounds": 4, "accounts": 9, "totals": 12, "trails": 20}
    assert trail == [(0, "reported", 3640), (1, "corrected", 3645)]
    assert best == (6057, 6057, 6060)


def test_progress_is_reported_to_the_end(tmp_path: Path) -> None:
    """The progress callback ends with all bytes folded."""
    path = istanbul().write(tmp_path / "log")
    calls: list[tuple[int, int]] = []
    rebuild(tmp_path / "log", tmp_path / "out", progress=lambda d, t: calls.append((d, t)))
    size = path.stat().st_size
    assert calls[-1] == (size, size)


# -- the law: folding a log in two parts equals folding it whole ---------------

DATES = st.sampled_from(
    ["2024", "2024-12", "2025", "2025-05", "2025-06", "2025-06-11", "2025-06-14", "2025-06-16"]
)
FLOWS = st.sampled_from([("bodies", "RU", "UA"), ("bodies", "UA", "RU"), ("pows", "RU", "UA")])
QUANTITIES = st.builds(
    qty, st.integers(0, 5000), st.sampled_from(["exact", "exact", "at_least", "at_most", "about"])
)
PARTIES = st.sampled_from(["UA", "RU", "other"])
OPS = ["round", "transfer", "transfer", "total", "offer", "note", "fix", "drop"]
OTHER_SOURCE = {"attributed_to": "x", "party": "other"}


@st.composite
def logs(draw: st.DrawFn) -> Log:
    """A random valid log: rounds, accounts, totals, offers, notes, corrections, retractions."""
    log = Log()
    log.agreement("a1")
    rounds: list[str] = []
    live: list[tuple[str, str]] = []
    for step in range(draw(st.integers(1, 30))):
        op = draw(
            st.sampled_from(
                ["round", "transfer", "transfer", "total", "offer", "note", "fix", "drop"]
            )
        )
        if op == "round" or not rounds:
            slug = f"r{step}"
            extra = {"agreement": "a1"} if draw(st.booleans()) else {}
            live.append(("round", log.round(slug, draw(DATES), **extra)))
            rounds.append(slug)
        elif op == "transfer":
            kind, sender, receiver = draw(FLOWS)
            args = (draw(st.sampled_from(rounds)), draw(QUANTITIES), draw(PARTIES))
            live.append(
                ("transfer", log.transfer(*args, kind=kind, sender=sender, receiver=receiver))
            )
        elif op == "total":
            scope = draw(st.sampled_from([{"agreement": "a1"}, {"since": "2025-06"}]))
            live.append(("total", log.total(scope, draw(DATES), draw(st.integers(0, 9000)))))
        elif op == "offer":
            live.append(("offer", log.offer(draw(DATES), draw(st.integers(1, 900)), sender="RU")))
        elif op == "note":
            live.append(("note", log.note("seen", round=draw(st.sampled_from(rounds)))))
        elif live:
            kind, target = draw(st.sampled_from(live))
            if op == "drop":
                live.remove((kind, target))
                log.retract(target)
            elif kind == "round":
                log.correct(target, occurred_on=draw(DATES))
            elif kind == "transfer":
                log.correct(target, count=draw(QUANTITIES))
            else:
                log.correct(
                    target, reason="source", source={"attributed_to": "x", "party": "other"}
                )
    return log


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), data=st.data())
def test_incremental_rebuild_equals_full_rebuild(log: Log, data: st.DataObject) -> None:
    """For a random log split at a random point, incremental and full outputs are identical."""
    split = data.draw(st.integers(0, len(log.records)))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(log, root / "inc", upto=split)
        build(log, root / "inc")
        build(log, root / "full", full=True)
        assert outputs(root / "inc" / "out") == outputs(root / "full" / "out")


def long_log(rounds: int = 600) -> Log:
    """A log of a few thousand events, long enough that every table spans many pages."""
    log = Log()
    log.agreement("a1")
    firsts = []
    for n in range(rounds):
        slug = f"r{n:04d}"
        log.round(slug, f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}", agreement="a1")
        firsts.append(log.transfer(slug, qty(100 + n), "UA"))
        log.transfer(slug, qty(101 + n), "RU")
        log.note("x" * (n % 300), round=slug)
        if n % 7 == 0:
            log.correct(firsts[n], count=qty(99 + n))
        if n % 11 == 5:
            log.correct(firsts[n - 5], round=slug)  # an older report moves to a newer round
    return log


@pytest.mark.parametrize("split", [1, 997, 1500, 2399])
def test_incremental_equals_full_on_a_long_log(tmp_path: Path, split: int) -> None:
    """Over many pages, an archive resumed from a checkpoint is byte-identical to a full one."""
    log = long_log()
    build(log, tmp_path / "inc", upto=split)
    build(log, tmp_path / "inc")
    build(log, tmp_path / "full", full=True)
    assert outputs(tmp_path / "inc" / "out") == outputs(tmp_path / "full" / "out")


def naive_rounds_sum(views: list[RoundView], data: dict[str, Any]) -> tuple[Interval, int]:
    """The reconciliation rule applied round by round, as documented."""
    figure, count = ZERO, 0
    scope = data["scope"]
    for view in views:
        occurred_on = view.data["occurred_on"]
        if not occurred_by(occurred_on, data["as_of"]):
            continue
        if "agreement" in scope and view.data.get("agreement") != scope["agreement"]:
            continue
        if "since" in scope and not occurred_since(occurred_on, scope["since"]):
            continue
        for flow in view.flows:
            kind, sender, receiver = flow.key
            if (kind, receiver) == (data["kind"], data["to"]) and data.get(
                "from", sender
            ) == sender:
                figure, count = add(figure, flow.figure), count + 1
    return figure, count


@settings(max_examples=60, deadline=None)
@given(log=logs(), since=DATES, as_of=DATES, sender=st.sampled_from([None, "RU", "UA"]))
def test_indexed_reconciliation_equals_the_rule(
    log: Log, since: str, as_of: str, sender: str | None
) -> None:
    """The indexed sum of a reported total's scope equals summing round by round."""
    views = collect(fold(log.records))
    scopes = Scopes(views)
    for scope in ({"since": since}, {"agreement": "a1"}):
        data = {"kind": "bodies", "to": "UA", "scope": scope, "as_of": as_of}
        if sender is not None:
            data["from"] = sender
        assert scopes.rounds_sum(data) == naive_rounds_sum(views, data)


def test_unwritable_output_is_reported(tmp_path: Path) -> None:
    """An output path that is a file raises OutputUnavailable."""
    istanbul().write(tmp_path / "log")
    (tmp_path / "out").write_text("not a directory")
    with pytest.raises(OutputUnavailable):
        rebuild(tmp_path / "log", tmp_path / "out", durable=False)


def test_saved_state_loads_equal_to_the_fold(tmp_path: Path) -> None:
    """A state saved and loaded (indexes rebuilt) equals the state the fold made."""
    state = fold(long_log().records)
    save_state(tmp_path / "state.marshal", state)
    assert load_state(tmp_path / "state.marshal") == state


def test_incremental_copies_clean_rounds_and_equals_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resumed several times (rounds interleaved by date, corrections moving reports
    between old rounds), the rebuild copies the unchanged rounds from the previous
    generation and still publishes the same bytes as a full one."""
    copied: list[tuple[int, int]] = []
    original = rb.archive.Archive.copy_rounds

    def spy(self: Any, rounds: tuple[int, int], *args: Any) -> None:
        copied.append(rounds)
        original(self, rounds, *args)

    monkeypatch.setattr(rb.archive.Archive, "copy_rounds", spy)
    log = long_log()
    for upto in (700, 1400, 2100, None):
        build(log, tmp_path / "inc", upto=upto)
    build(log, tmp_path / "full", full=True)
    assert copied
    assert outputs(tmp_path / "inc" / "out") == outputs(tmp_path / "full" / "out")
    index = tmp_path / "inc" / "out" / "current" / ROUND_INDEX
    assert (
        index.read_bytes() == (tmp_path / "full" / "out" / "current" / ROUND_INDEX).read_bytes()
    )


def test_incremental_copies_unchanged_trails_and_equals_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resumed several times (old facts corrected again), the rebuild copies the trails
    of facts neither reported nor revised since from the previous trails.json, spells
    the others, and publishes the same bytes (and trails.index) as a full one."""
    copied: list[int] = []
    original = po._TrailWriter.copy

    def spy(self: Any, source: Any, begin: int, end: int, entries: memoryview) -> None:
        copied.append(len(entries) // 16)
        original(self, source, begin, end, entries)

    monkeypatch.setattr(po._TrailWriter, "copy", spy)
    log = long_log()
    for upto in (700, 1400, 2100, None):
        build(log, tmp_path / "inc", upto=upto)
    build(log, tmp_path / "full", full=True)
    assert sum(copied) > 1000
    assert outputs(tmp_path / "inc" / "out") == outputs(tmp_path / "full" / "out")
    index = tmp_path / "inc" / "out" / "current" / TRAIL_INDEX
    assert (
        index.read_bytes() == (tmp_path / "full" / "out" / "current" / TRAIL_INDEX).read_bytes()
    )


def test_incremental_derives_only_dirty_rounds_and_equals_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resumed, the rebuild feeds the totals of clean rounds from the previous
    rounds.figures instead of deriving them again, and publishes the same bytes
    (rounds.figures itself is a cache, not an output: marshal's bytes vary)."""
    derived: list[str] = []
    original = po.derive

    def spy(state: Any, slug: str) -> Any:
        derived.append(slug)
        return original(state, slug)

    monkeypatch.setattr(po, "derive", spy)
    log = long_log()
    for upto in (700, 1400, 2100):
        build(log, tmp_path / "inc", upto=upto)
    derived.clear()
    result = build(log, tmp_path / "inc")
    assert 0 < len(derived) < result.rounds // 2
    build(log, tmp_path / "full", full=True)
    assert outputs(tmp_path / "inc" / "out") == outputs(tmp_path / "full" / "out")
