"""The ``archive.sqlite`` output: the projections as tables for ``sqlite3`` or Datasette.

``trails`` is a view: the reported version of a fact is its row in ``events``,
and only corrections and retractions are stored again (in ``revisions``, with
the fact's data after that step), so the file holds each event's data once.

The file is always built from scratch, in a new file, in one transaction,
with fixed page settings and a fixed insert order, so that the same fold
state gives byte-identical files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from projections.facts import FACT_TYPES, State
from projections.rounds import RoundView

SCHEMA = """
CREATE TABLE events (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, target TEXT,
  recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE rounds (
  round TEXT PRIMARY KEY, id TEXT NOT NULL, position INTEGER NOT NULL,
  occurred_on TEXT NOT NULL, agreement TEXT, label TEXT, mediators TEXT NOT NULL,
  revisions INTEGER NOT NULL);
CREATE TABLE flows (
  round TEXT NOT NULL, kind TEXT NOT NULL, from_party TEXT NOT NULL, to_party TEXT NOT NULL,
  low INTEGER NOT NULL, high INTEGER, best INTEGER NOT NULL, exact INTEGER NOT NULL,
  best_party TEXT NOT NULL, discrepancy INTEGER NOT NULL);
CREATE TABLE accounts (
  round TEXT NOT NULL, kind TEXT NOT NULL, from_party TEXT NOT NULL, to_party TEXT NOT NULL,
  party TEXT NOT NULL, fact_id TEXT NOT NULL, value INTEGER NOT NULL, qualifier TEXT NOT NULL,
  is_best INTEGER NOT NULL);
CREATE TABLE totals (
  kind TEXT NOT NULL, from_party TEXT NOT NULL, to_party TEXT NOT NULL, party TEXT NOT NULL,
  low INTEGER NOT NULL, high INTEGER, best INTEGER NOT NULL, exact INTEGER NOT NULL,
  rounds INTEGER NOT NULL, discrepant_rounds TEXT);
CREATE TABLE reported_totals (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, from_party TEXT, to_party TEXT NOT NULL,
  scope TEXT NOT NULL, as_of TEXT NOT NULL, value INTEGER NOT NULL, qualifier TEXT NOT NULL,
  source TEXT NOT NULL, sum_low INTEGER NOT NULL, sum_high INTEGER, sum_best INTEGER NOT NULL,
  gap INTEGER NOT NULL);
CREATE TABLE offers (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, from_party TEXT NOT NULL, to_party TEXT NOT NULL,
  value INTEGER NOT NULL, qualifier TEXT NOT NULL, as_of TEXT NOT NULL, agreement TEXT,
  source TEXT NOT NULL);
CREATE TABLE revisions (
  fact_id TEXT NOT NULL, step INTEGER NOT NULL, fact_type TEXT NOT NULL, seq INTEGER NOT NULL,
  action TEXT NOT NULL, reason TEXT, data TEXT NOT NULL, changes TEXT,
  PRIMARY KEY (fact_id, step)) WITHOUT ROWID;
CREATE VIEW trails AS
  SELECT id AS fact_id, 0 AS step, type AS fact_type, seq, id AS event_id,
         'reported' AS action, recorded_at, recorded_by, NULL AS reason, data, NULL AS changes
  FROM events WHERE target IS NULL AND type IN ({fact_types})
  UNION ALL
  SELECT r.fact_id, r.step, r.fact_type, r.seq, e.id, r.action, e.recorded_at, e.recorded_by,
         r.reason, r.data, r.changes
  FROM revisions AS r JOIN events AS e ON e.seq = r.seq;
"""


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _events(state: State) -> Iterator[tuple[Any, ...]]:
    dumps = orjson.dumps
    for r in state["events"]:
        data = r["data"]
        yield (
            r["seq"],
            r["id"],
            r["type"],
            data.get("target"),
            r["recorded_at"],
            r["recorded_by"],
            dumps(data).decode(),
        )


def _rounds(views: list[RoundView]) -> Iterator[tuple[Any, ...]]:
    for position, view in enumerate(views, 1):
        d = view.data
        mediators = _json(d.get("mediators", []))
        yield (
            view.slug,
            view.id,
            position,
            d["occurred_on"],
            d.get("agreement"),
            d.get("label"),
            mediators,
            view.revisions,
        )


def _flows(views: list[RoundView]) -> Iterator[tuple[Any, ...]]:
    for view in views:
        for f in view.flows:
            g = f.figure
            yield (view.slug, *f.key, g.low, g.high, g.best, g.exact, f.best_party, f.discrepancy)


def _accounts(views: list[RoundView]) -> Iterator[tuple[Any, ...]]:
    for view in views:
        for f in view.flows:
            for party, (fact_id, count) in f.accounts.items():
                best = party == f.best_party
                yield (view.slug, *f.key, party, fact_id, count["value"], count["qualifier"], best)


def _totals(totals: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for t in totals:
        key = (t["kind"], t["from"], t["to"])
        yield (
            *key,
            "all",
            t["low"],
            t["high"],
            t["best"],
            t["exact"],
            t["rounds"],
            _json(t["discrepant_rounds"]),
        )
        for party, p in t["by_party"].items():
            yield (*key, party, p["low"], p["high"], p["best"], p["exact"], p["rounds"], None)


def _reported(reported: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for r in reported:
        s = r["rounds_sum"]
        count = r["count"]
        yield (
            r["id"], r["kind"], r["from"], r["to"], _json(r["scope"]), r["as_of"], count["value"],
            count["qualifier"], _json(r["source"]), s["low"], s["high"], s["best"], r["gap"],
        )  # fmt: skip


def _offers(offers: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for o in offers:
        count = o["count"]
        yield (
            o["id"], o["kind"], o["from"], o["to"], count["value"], count["qualifier"], o["as_of"],
            o["agreement"], _json(o["source"]),
        )  # fmt: skip


def _revisions(trails: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    dumps = orjson.dumps
    for t in trails:
        versions = t["versions"]
        for step in range(1, len(versions)):
            v = versions[step]
            yield (
                t["id"], step, t["type"], v["seq"], v["action"], v["reason"],
                dumps(v["data"]).decode(), _json(v["changes"]),
            )  # fmt: skip


def write(
    path: Path,
    state: State,
    views: list[RoundView],
    totals: dict[str, Any],
    trails: Iterable[dict[str, Any]],
) -> None:
    """Build ``archive.sqlite`` at ``path`` (which must not exist) from the outputs."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA page_size = 4096")
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        fact_types = ", ".join(f"'{t}'" for t in FACT_TYPES)
        for statement in SCHEMA.format(fact_types=fact_types).split(";"):
            if statement.strip():
                db.execute(statement)
        inserts = {
            "events": (7, _events(state)),
            "rounds": (8, _rounds(views)),
            "flows": (10, _flows(views)),
            "accounts": (9, _accounts(views)),
            "totals": (10, _totals(totals["totals"])),
            "reported_totals": (13, _reported(totals["reported_totals"])),
            "offers": (9, _offers(totals["offers"])),
            "revisions": (8, _revisions(trails)),
        }
        for table, (width, rows) in inserts.items():
            marks = ",".join("?" * width)
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        db.execute("COMMIT")
    finally:
        db.close()
