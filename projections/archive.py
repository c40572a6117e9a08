"""The ``archive.sqlite`` output: the projections as tables for ``sqlite3`` or Datasette.

``trails`` is a view: the reported version of a fact is its row in ``events``,
and only corrections and retractions are stored again (in ``revisions``, with
the fact's data after that step), so the file holds each event's data once.

The file is always built in a new file, in one transaction, with fixed page
settings and a fixed insert order, so that the same log gives byte-identical
files. ``events`` is filled while the log is read (``Archive.add_events``,
one row per record, its data as compact JSON text), after the rows of the
previous generation's file when the rebuild is incremental
(``Archive.copy_events``); the other tables are written from the fold state
at the end (``Archive.finish``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from projections.facts import FACT_TYPES, Step
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


def round_rows(
    views: list[RoundView], first: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of ``rounds``, ``flows`` and ``accounts`` for consecutive rounds, the
    first of them at ``position`` ``first``."""
    rounds, flows, accounts = [], [], []
    for position, view in enumerate(views, first):
        slug = view.slug
        rounds.append(
            (
                slug,
                view.id,
                position,
                view.occurred_on,
                view.agreement,
                view.label,
                _json(view.mediators),
                view.revisions,
            )
        )
        for f in view.flows:
            low, high, best, approx = f.figure
            exact = not approx and high == low
            flows.append((slug, *f.key, low, high, best, exact, f.best_party, f.discrepancy))
            best_party = f.best_party
            for party, (fact_id, value, qualifier) in f.accounts.items():
                accounts.append(
                    (slug, *f.key, party, fact_id, value, qualifier, party == best_party)
                )
    return rounds, flows, accounts


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


def revision_rows(trail: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The ``revisions`` rows of one trail (its versions after the report)."""
    dumps = orjson.dumps
    versions = trail["versions"]
    for step in range(1, len(versions)):
        v = versions[step]
        yield (
            trail["id"], step, trail["type"], v["seq"], v["action"], v["reason"],
            dumps(v["data"]).decode(), _json(v["changes"]),
        )  # fmt: skip


ROUND_WIDTHS = {"rounds": 8, "flows": 10, "accounts": 9}
EVENT_INSERT = "INSERT INTO events VALUES (?,?,?,?,?,?,?)"


def event_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """A record as its row of ``events``."""
    data = record["data"]
    return (
        record["seq"],
        record["id"],
        record["type"],
        data.get("target"),
        record["recorded_at"],
        record["recorded_by"],
        orjson.dumps(data).decode(),
    )


class Archive:
    """``archive.sqlite`` under construction at ``path`` (which must not exist)."""

    def __init__(self, path: Path, previous: Path | None = None) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        if previous is not None:
            # attached before the transaction: a database cannot be detached within one
            uri = previous.resolve().as_uri() + "?mode=ro"
            self.db.execute("ATTACH DATABASE ? AS previous", (uri,))
        self.db.execute("PRAGMA main.page_size = 4096")
        self.db.execute("PRAGMA main.journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA main.cache_size = -16384")
        self.db.execute("BEGIN")
        fact_types = ", ".join(f"'{t}'" for t in FACT_TYPES)
        for statement in SCHEMA.format(fact_types=fact_types).split(";"):
            if statement.strip():
                self.db.execute(statement)
        if previous is not None:
            self.copy_previous_events()

    def copy_previous_events(self) -> None:
        """Copy the events of the previous generation's archive, in seq order.

        One ``INSERT ... SELECT`` from the attached file: the rows go from page
        to page inside SQLite, never through Python, and land in the same
        pages as rows inserted one by one in seq order (the incremental-equals-
        full property checks it).
        """
        self.db.execute("INSERT INTO main.events SELECT * FROM previous.events")

    def add_events(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append rows made by ``event_row``, in seq order."""
        self.db.executemany(EVENT_INSERT, rows)

    def steps(self, seqs: list[int]) -> list[Step]:
        """The events at ``seqs`` as trail steps (their data as recorded), in seq order."""
        marks = ",".join("?" * len(seqs))
        rows = self.db.execute(
            "SELECT seq, id, type, recorded_at, recorded_by, data FROM events"
            f" WHERE seq IN ({marks}) ORDER BY seq",
            seqs,
        ).fetchall()
        return [(seq, i, kind, at, by, orjson.loads(text)) for seq, i, kind, at, by, text in rows]

    def trail_texts(
        self, revised: Callable[[int], bytes | None], after: int = 0
    ) -> Iterator[tuple[int, bytes]]:
        """Every fact reported after seq ``after``: its report seq and trail as compact
        JSON, in report order.

        An unrevised fact's trail is its one ``reported`` version, spelled
        from its row; ``revised`` gives a revised fact's trail from the seq it
        was reported at (None for an unrevised fact).
        """
        fact_types = ", ".join(f"'{t}'" for t in FACT_TYPES)
        rows = self.db.execute(
            "SELECT seq, '{\"id\":' || json_quote(id) || ',\"type\":' || json_quote(type)"
            ' || \',"status":"current","versions":[{"seq":\' || seq'
            " || ',\"event_id\":' || json_quote(id)"
            " || ',\"recorded_at\":' || json_quote(recorded_at)"
            " || ',\"recorded_by\":' || json_quote(recorded_by)"
            ' || \',"action":"reported","data":\' || data'
            ' || \',"changes":null,"reason":null,"source":null}]}\''
            f" FROM events WHERE seq > ? AND target IS NULL AND type IN ({fact_types})"
            " ORDER BY seq",
            (after,),
        )
        for seq, text in rows:
            held = revised(seq)
            yield seq, text.encode() if held is None else held

    def stage_revisions(self) -> None:
        """Temporary tables for ``merge_revisions`` (outside the file being built)."""
        self.db.execute(
            "CREATE TEMP TABLE spelled (rseq INTEGER, fact_id TEXT, step INTEGER,"
            " fact_type TEXT, seq INTEGER, action TEXT, reason TEXT, data TEXT, changes TEXT)"
        )
        self.db.execute("CREATE TEMP TABLE kept (rseq INTEGER PRIMARY KEY, fact_id TEXT)")

    def add_spelled(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Stage ``revision_rows`` of facts spelled again, each led by its report seq."""
        self.db.executemany("INSERT INTO temp.spelled VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def add_kept(self, rows: Iterable[tuple[int, str]]) -> None:
        """Stage (report seq, fact id) of revised facts whose rows are unchanged."""
        self.db.executemany("INSERT INTO temp.kept VALUES (?,?)", rows)

    def merge_revisions(self) -> None:
        """Insert the ``revisions`` rows of the kept facts (from the attached previous
        archive) and of the spelled ones, in the order a full build inserts them:
        by the fact's report seq, then step."""
        self.db.execute(
            "INSERT INTO main.revisions SELECT fact_id, step, fact_type, seq, action, reason,"
            " data, changes FROM (SELECT k.rseq AS rseq, r.fact_id, r.step, r.fact_type,"
            " r.seq, r.action, r.reason, r.data, r.changes FROM temp.kept AS k"
            " JOIN previous.revisions AS r ON r.fact_id = k.fact_id"
            " UNION ALL SELECT * FROM temp.spelled) ORDER BY rseq, step"
        )

    def add_rounds(self, views: list[RoundView], first: int) -> None:
        """Add consecutive rounds, the first at ``position`` ``first``."""
        rounds, flows, accounts = round_rows(views, first)
        self.db.executemany("INSERT INTO rounds VALUES (?,?,?,?,?,?,?,?)", rounds)
        self.db.executemany("INSERT INTO flows VALUES (?,?,?,?,?,?,?,?,?,?)", flows)
        self.db.executemany("INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?)", accounts)

    def add_round_rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Add rows made by ``round_rows`` to ``table`` (rounds, flows or accounts)."""
        marks = ",".join("?" * ROUND_WIDTHS[table])
        self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def copy_rounds(self, table: str, rowids: tuple[int, int], shift: int = 0) -> None:
        """Copy the rows of unchanged rounds from the attached previous archive: the
        rows of ``table`` with rowids in ``rowids`` (for ``rounds``, their positions
        moved by ``shift``). They land as if inserted by ``add_round_rows``."""
        if table == "rounds":
            self.db.execute(
                "INSERT INTO main.rounds SELECT round, id, position + ?, occurred_on, agreement,"
                " label, mediators, revisions FROM previous.rounds WHERE rowid BETWEEN ? AND ?"
                " ORDER BY rowid",
                (shift, *rowids),
            )
        else:
            self.db.execute(
                f"INSERT INTO main.{table} SELECT * FROM previous.{table}"
                " WHERE rowid BETWEEN ? AND ? ORDER BY rowid",
                rowids,
            )

    def add_revisions(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Add rows made by ``revision_rows``."""
        self.db.executemany("INSERT INTO revisions VALUES (?,?,?,?,?,?,?,?)", rows)

    def finish(self, totals: dict[str, Any]) -> None:
        """Write the tables of the totals and commit."""
        inserts = {
            "totals": (10, _totals(totals["totals"])),
            "reported_totals": (13, _reported(totals["reported_totals"])),
            "offers": (9, _offers(totals["offers"])),
        }
        for table, (width, rows) in inserts.items():
            marks = ",".join("?" * width)
            self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        self.db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (an unfinished file is left for the caller to discard)."""
        self.db.close()
