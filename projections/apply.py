"""Folding new events into the store: only the rows they touch.

One ``Step`` takes a chunk of records in log order and, like the pure fold
(``projections.state``), applies each to the facts it names, held in a small
working set loaded from the store on demand. Then it writes the touched rows:
the events, the facts and their versions, each touched fact's row of its
reader table (accounts, rounds, notes, offers, ...), the flows of every round
the chunk touched, and the sums by delta: the flow and party totals, the
flow sums by date, and the reported totals whose scope covers a touched round.
A reported total that is itself new or revised is summed again from the flow
sums by date (a few rows per day, not one per round).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from eventlog import catalog
from projections.errors import BrokenLog, DanglingTarget
from projections.facts import CURRENT, FACT_TYPES, RETRACTED, SUPERSEDED, Record, corrected
from projections.lines import Lines, facts_data
from projections.rows import (
    RoundRows,
    chunks,
    fact_rows,
    load_rounds,
    total_sums,
    version_columns,
)
from projections.store import Item
from projections.totals import Sums, add_figure, new_sums


class Fact:
    """A fact's row while a chunk is applied."""

    __slots__ = ("data", "digest", "id", "offset", "revisions", "seq", "status", "type")

    def __init__(
        self,
        fact_id: str,
        kind: str,
        status: str,
        seq: int,
        revisions: int,
        data: dict[str, Any],
        at: tuple[int, bytes],
    ) -> None:
        self.id = fact_id
        self.type = kind
        self.status = status
        self.seq = seq
        self.revisions = revisions
        self.data = data
        self.offset, self.digest = at

    @property
    def round(self) -> str | None:
        """The round a transfer or note names, or a round's own slug."""
        if self.type in (catalog.TRANSFER, catalog.NOTE, catalog.ROUND):
            slug: str | None = self.data.get("round")
            return slug
        return None


class Step:
    """One chunk of records applied to the store (inside the caller's transaction)."""

    def __init__(self, conn: sqlite3.Connection, lines: Lines) -> None:
        self.conn = conn
        self.lines = lines
        self.facts: dict[str, Fact] = {}
        self.touched: dict[str, Fact] = {}
        self.events: list[tuple[Any, ...]] = []
        self.versions: list[tuple[Any, ...]] = []
        self.closes: list[tuple[int, str, int]] = []
        self.rounds: set[str] = set()
        self.new_rounds: set[str] = set()
        self.new: set[str] = set()
        self.totals: set[str] = set()

    # -- the fold over the chunk ---------------------------------------------------
    def run(self, items: list[Item]) -> None:
        """Apply the records, then write every row they touch."""
        records = [record for record, _, _ in items]
        self._check_ids(records)
        self._preload(records)
        for record, offset, digest in items:
            self._apply(record, (offset, digest))
        # a round first recorded in this chunk has no rows yet (its slug is new: checked)
        before = load_rounds(self.conn, sorted(self.rounds - self.new_rounds))
        self._write_facts()
        after = load_rounds(self.conn, sorted(self.rounds))
        self._write_rounds(before, after)

    def _check_ids(self, records: list[Record]) -> None:
        seen: dict[str, int] = {}
        for record in records:
            if record["id"] in seen:
                raise BrokenLog(record["seq"], record["seq"], f"reuses id {record['id']!r}")
            seen[record["id"]] = record["seq"]
        for part in chunks(list(seen)):
            marks = ",".join("?" * len(part))
            row = self.conn.execute(
                f"SELECT id FROM facts WHERE id IN ({marks}) LIMIT 1", part
            ).fetchone()
            if row is not None:
                seq = seen[row[0]]
                raise BrokenLog(seq, seq, f"reuses id {row[0]!r} of an earlier event")
        slugs: dict[tuple[str, str], int] = {}
        for record in records:
            field = IDENTITY.get(record["type"])
            slug = None if field is None else record["data"].get(field)
            if slug is not None:
                if (record["type"], slug) in slugs:
                    raise BrokenLog(record["seq"], record["seq"], f"reuses slug {slug!r}")
                slugs[(record["type"], slug)] = record["seq"]
        for kind in {kind for kind, _ in slugs}:
            for part in chunks([slug for of, slug in slugs if of == kind]):
                marks = ",".join("?" * len(part))
                row = self.conn.execute(
                    f"SELECT slug FROM facts WHERE slug IN ({marks}) AND type = ? LIMIT 1",
                    (*part, kind),
                ).fetchone()
                if row is not None:
                    seq = slugs[(kind, row[0])]
                    raise BrokenLog(seq, seq, f"reuses slug {row[0]!r} of an earlier fact")

    def _preload(self, records: list[Record]) -> None:
        wanted = set()
        for record in records:
            data = record["data"]
            if record["type"] in catalog.REVISION_TYPES:
                wanted.add(data.get("target"))
            elif data.get("supersedes") is not None:
                wanted.add(data["supersedes"])
        wanted.discard(None)
        ids = sorted(wanted)
        datas = facts_data(self.conn, self.lines, ids)
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            for fid, kind, status, seq, revisions, offset, digest in self.conn.execute(
                "SELECT id, type, status, seq, revisions, offset, hash FROM facts "
                f"WHERE id IN ({marks})",
                part,
            ):
                self.facts[fid] = Fact(
                    fid, kind, status, seq, revisions, datas[fid], (offset, digest)
                )

    def _apply(self, record: Record, at: tuple[int, bytes]) -> None:
        kind, seq, data = record["type"], record["seq"], record["data"]
        self.events.append((seq, record["id"], kind, record["recorded_at"], record["recorded_by"]))
        if kind in FACT_TYPES:
            fact = Fact(record["id"], kind, CURRENT, seq, 0, data, at)
            self.new.add(fact.id)
            if kind == catalog.ROUND:
                self.new_rounds.add(data["round"])
            self.facts[fact.id] = fact
            self._version(fact, seq, "reported")
            replaced = self.facts.get(data.get("supersedes") or "")
            if replaced is not None and replaced.status == CURRENT:
                self._revise(replaced, seq, SUPERSEDED, "superseded", by=fact.id)
        elif kind in catalog.REVISION_TYPES:
            target = self.facts.get(data.get("target") or "")
            if target is None:
                raise DanglingTarget(seq, str(data.get("target")))
            if kind == catalog.CORRECTED:
                old = target.data
                self._mark(target)
                target.data = corrected(old, data["changes"])
                new = target.data
                changes = {k: {"from": old.get(k), "to": new.get(k)} for k in data["changes"]}
                self._revise(target, seq, target.status, "corrected", changes, data)
            else:
                self._revise(target, seq, RETRACTED, "retracted", None, data)

    def _mark(self, fact: Fact) -> None:
        """The fact's row changes; the round it names (before and after) must be derived again."""
        self.touched[fact.id] = fact
        slug = fact.round
        if slug is not None:
            self.rounds.add(slug)
        if fact.type == catalog.TOTAL:
            self.totals.add(fact.id)

    def _version(self, fact: Fact, seq: int, action: str, *extra: Any) -> None:
        self._mark(fact)
        changes, revision, by = (*extra, None, None, None)[:3]
        self.versions.append(
            (
                fact.id,
                fact.revisions,
                seq,
                action,
                fact.status,
                None if changes is None else orjson.dumps(changes).decode(),
                None if revision is None else revision.get("reason"),
                None
                if revision is None or "source" not in revision
                else orjson.dumps(revision["source"]).decode(),
                by,
                *version_columns(fact.type, fact.data),
            )
        )

    def _revise(
        self,
        fact: Fact,
        seq: int,
        status: str,
        action: str,
        changes: dict[str, Any] | None = None,
        revision: dict[str, Any] | None = None,
        by: str | None = None,
    ) -> None:
        self._mark(fact)
        self.closes.append((seq, fact.id, fact.revisions))
        fact.revisions += 1
        fact.status = status
        self._version(fact, seq, action, changes, revision, by)

    # -- writing ---------------------------------------------------------------------
    def _write_facts(self) -> None:
        conn = self.conn
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", self.events)
        conn.executemany(
            "INSERT INTO fact_versions (fact_id, version, seq, action, status, changes, reason,"
            " source, superseded_by, round, kind, sender, receiver, party, value, qualifier,"
            " occurred_on, agreement, label, mediators, attribution)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.versions,
        )
        conn.executemany(
            "UPDATE fact_versions SET superseded_seq = ? WHERE fact_id = ? AND version = ?",
            self.closes,
        )
        rows = [
            (
                f.id,
                f.type,
                f.status,
                f.seq,
                f.revisions,
                f.data.get(IDENTITY.get(f.type, "")),
                f.data.get("round") if f.type in (catalog.TRANSFER, catalog.NOTE) else None,
                f.offset,
                f.digest,
            )
            for f in self.touched.values()
        ]
        conn.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        deletes: dict[str, list[tuple[Any, ...]]] = {}
        inserts: dict[str, list[tuple[Any, ...]]] = {}
        for f in self.touched.values():
            for index, (sql, values) in enumerate(fact_rows(f.id, f.type, f.status, f.seq, f.data)):
                if index:
                    inserts.setdefault(sql, []).append(values)
                elif f.id not in self.new:  # a fact new in this chunk has no row to delete
                    deletes.setdefault(sql, []).append(values)
        for grouped in (deletes, inserts):
            for sql, params in grouped.items():
                conn.executemany(sql, params)

    def _write_rounds(self, before: dict[str, RoundRows], after: dict[str, RoundRows]) -> None:
        conn = self.conn
        flows: dict[tuple[str, ...], Sums] = {}
        parties: dict[tuple[str, ...], Sums] = {}
        buckets: dict[tuple[str, ...], Sums] = {}
        for sign, side in ((-1, before), (1, after)):
            for view in side.values():
                bucket = (view.agreement or "", view.earliest, view.latest)
                for flow in view.view.flows:
                    key = flow.key
                    add_figure(flows.setdefault(key, new_sums()), flow.figure, True, sign)
                    add_figure(
                        buckets.setdefault((*key, *bucket), new_sums()), flow.figure, True, sign
                    )
                    for party in flow.accounts:
                        held = parties.setdefault((*key, party), new_sums())
                        add_figure(held, flow.party_figure(party), True, sign)
        slugs = [(slug,) for slug in self.rounds]
        conn.executemany("DELETE FROM flows WHERE round = ?", slugs)
        conn.executemany(
            "INSERT INTO flows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row for view in after.values() for row in view.flow_rows()],
        )
        conn.executemany(
            "UPDATE rounds SET revisions = ? WHERE round = ?",
            [(view.revisions, slug) for slug, view in after.items()],
        )
        _add_sums(conn, "flow_totals", 3, flows)
        _add_sums(conn, "party_totals", 4, parties)
        _add_sums(conn, "flow_sums_by_date", 6, buckets)
        for bucket_key, delta in buckets.items():
            if any(delta):
                _shift_totals(conn, bucket_key, delta)
        for fid in self.totals:
            fact = self.touched[fid]
            if fact.status == CURRENT:
                conn.execute(
                    "UPDATE reported_totals SET sum_low = ?, sum_high_closed = ?, sum_open = ?, "
                    "sum_best = ?, sum_approx = ?, sum_rounds = ?, sum_uncertain = ? WHERE id = ?",
                    (*total_sums(conn, fact.data), fid),
                )


IDENTITY = {**catalog.IDENTITY_FIELDS, catalog.SOURCE: "document"}
"""The slug each fact type introduces (source documents: their ``document``)."""
_KEYS = ("kind", "sender", "receiver", "party")
_BUCKET_KEYS = ("kind", "sender", "receiver", "agreement", "earliest", "latest")
_SUMS = "low, high_closed, open_terms, best, approx_terms, rounds"


def _add_sums(
    conn: sqlite3.Connection, table: str, width: int, deltas: dict[tuple[str, ...], Sums]
) -> None:
    """Add each delta to its row (created at zero), and drop rows left with no round."""
    names = _BUCKET_KEYS if table == "flow_sums_by_date" else _KEYS[:width]
    columns = ", ".join(names)
    marks = ", ".join("?" * (width + 6))
    sql = (
        f"INSERT INTO {table} ({columns}, {_SUMS}) VALUES ({marks}) "
        f"ON CONFLICT DO UPDATE SET low = low + excluded.low, "
        "high_closed = high_closed + excluded.high_closed, "
        "open_terms = open_terms + excluded.open_terms, best = best + excluded.best, "
        "approx_terms = approx_terms + excluded.approx_terms, rounds = rounds + excluded.rounds"
    )
    rows = [(*key, *delta[:6]) for key, delta in deltas.items() if any(delta)]
    conn.executemany(sql, rows)
    if rows:
        conn.execute(f"DELETE FROM {table} WHERE rounds = 0")


def _shift_totals(conn: sqlite3.Connection, key: tuple[str, ...], delta: Sums) -> None:
    """Add a bucket's change to every reported total whose scope and as_of may cover it."""
    kind, sender, receiver, agreement, first, last = key
    low, high, opened, best, approx, rounds, _ = delta
    certain = "(:last <= as_of_latest AND (since_earliest IS NULL OR :first >= since_earliest))"
    conn.execute(
        f"UPDATE reported_totals SET sum_low = sum_low + CASE WHEN {certain} THEN :low ELSE 0 END,"
        " sum_high_closed = sum_high_closed + :high, sum_open = sum_open + :open,"
        f" sum_best = sum_best + CASE WHEN {certain} THEN :best ELSE 0 END,"
        " sum_approx = sum_approx + :approx, sum_rounds = sum_rounds + :rounds,"
        f" sum_uncertain = sum_uncertain + CASE WHEN {certain} THEN 0 ELSE :rounds END"
        " WHERE kind = :kind AND receiver = :receiver AND (sender IS NULL OR sender = :sender)"
        " AND :first <= as_of_latest AND (scope_agreement = :agreement"
        " OR (since_earliest IS NOT NULL AND :last >= since_earliest))",
        {
            "kind": kind,
            "sender": sender,
            "receiver": receiver,
            "agreement": agreement,
            "first": first,
            "last": last,
            "low": low,
            "high": high,
            "open": opened,
            "best": best,
            "approx": approx,
            "rounds": rounds,
        },
    )
