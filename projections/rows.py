"""The store's rows of one fact or one round, and the sums a reported total reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from eventlog import catalog
from projections.facts import CURRENT
from projections.intervals import of
from projections.rounds import FlowKey, Report, RoundView, flow_order, flow_view
from projections.timeaxes import earliest, latest

Sql = tuple[str, tuple[Any, ...]]
_IN = 500
"""Ids per ``IN (...)`` query."""


def chunks(items: list[Any]) -> Iterator[list[Any]]:
    """``items`` in slices small enough for one ``IN (...)``."""
    for start in range(0, len(items), _IN):
        yield items[start : start + _IN]


def version_columns(kind: str, data: dict[str, Any]) -> tuple[Any, ...]:
    """(round, kind, sender, receiver, party, value, qualifier, occurred_on, agreement,
    label, mediators, attribution)."""
    if kind == catalog.TRANSFER:
        count = data["count"]
        return (
            data["round"],
            data["kind"],
            data["from"],
            data["to"],
            data["source"]["party"],
            count["value"],
            count.get("qualifier", "exact"),
            None,
            None,
            None,
            None,
            data["source"].get("attribution"),
        )
    if kind == catalog.ROUND:
        return (
            data["round"],
            None,
            None,
            None,
            None,
            None,
            None,
            data["occurred_on"],
            data.get("agreement"),
            data.get("label"),
            _json(data.get("mediators")),
            None,
        )
    return (None,) * 12


def _source(data: dict[str, Any]) -> tuple[Any, ...]:
    """(attributed_to, party, attribution, document) of a fact's source."""
    source = data.get("source") or {}
    return (
        source.get("attributed_to", ""),
        source.get("party", "other"),
        source.get("attribution"),
        source.get("document"),
    )


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


TABLES = {
    catalog.AGREEMENT: "agreements",
    catalog.ROUND: "rounds",
    catalog.TRANSFER: "accounts",
    catalog.TOTAL: "reported_totals",
    catalog.OFFER: "offers",
    catalog.NOTE: "notes",
    catalog.SOURCE: "documents",
}


KEYS = {catalog.AGREEMENT: "agreement", catalog.ROUND: "round", catalog.SOURCE: "document"}
"""Tables keyed by the slug a fact introduces (never corrected, never reused)."""


def fact_rows(fid: str, kind: str, status: str, seq: int, data: dict[str, Any]) -> Iterator[Sql]:
    """The statements that make a fact's reader-table row match its current state."""
    table = TABLES.get(kind)
    if table is None:
        return
    key = KEYS.get(kind)
    if key is None:
        yield f"DELETE FROM {table} WHERE id = ?", (fid,)
    else:
        yield f"DELETE FROM {table} WHERE {key} = ?", (data[key],)
    if status != CURRENT:
        return
    if kind == catalog.AGREEMENT:
        yield (
            "INSERT INTO agreements VALUES (?, ?, ?, ?, ?)",
            (
                data["agreement"],
                fid,
                data.get("title", ""),
                data.get("concluded_on"),
                data.get("place"),
            ),
        )
    elif kind == catalog.ROUND:
        when = data["occurred_on"]
        yield (
            "INSERT INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            (
                data["round"],
                fid,
                when,
                earliest(when),
                latest(when),
                data.get("agreement"),
                data.get("label"),
                _json(data.get("mediators")),
                seq,
            ),
        )
    elif kind == catalog.TRANSFER:
        count, source = data["count"], data["source"]
        yield (
            "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fid,
                data["round"],
                data["kind"],
                data["from"],
                data["to"],
                source["party"],
                count["value"],
                count.get("qualifier", "exact"),
                seq,
                source.get("attributed_to", ""),
                source.get("attribution"),
                source.get("document"),
                source.get("outlet"),
            ),
        )
    elif kind == catalog.TOTAL:
        yield _total_row(fid, seq, data)
    elif kind == catalog.OFFER:
        count, when = data["count"], data["as_of"]
        yield (
            "INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fid,
                data["kind"],
                data["from"],
                data["to"],
                count["value"],
                count.get("qualifier", "exact"),
                when,
                earliest(when),
                latest(when),
                data.get("agreement"),
                *_source(data)[:3],
                seq,
            ),
        )
    elif kind == catalog.NOTE:
        yield (
            "INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fid,
                data.get("text", ""),
                data.get("round"),
                data.get("agreement"),
                data.get("kind"),
                *_source(data),
                seq,
            ),
        )
    else:
        yield (
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data["document"],
                fid,
                data.get("outlet"),
                data.get("title"),
                data.get("url"),
                data.get("published_on"),
                data.get("language"),
                data.get("sha256"),
                data.get("note"),
            ),
        )


def _total_row(fid: str, seq: int, data: dict[str, Any]) -> Sql:
    scope, when, count = data["scope"], data["as_of"], data["count"]
    since = scope.get("since")
    figure = of(count)
    return (
        "INSERT INTO reported_totals (id, kind, sender, receiver, scope_agreement, "
        "scope_since, since_earliest, as_of, as_of_earliest, as_of_latest, value, qualifier, "
        "low, high, approx, attributed_to, party, attribution, document, seq, sum_low, "
        "sum_high_closed, sum_open, sum_best, sum_approx, sum_rounds, sum_uncertain) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0)",
        (
            fid,
            data["kind"],
            data.get("from"),
            data["to"],
            scope.get("agreement"),
            since,
            None if since is None else earliest(since),
            when,
            earliest(when),
            latest(when),
            count["value"],
            count.get("qualifier", "exact"),
            figure.low,
            figure.high,
            int(figure.approx),
            *_source(data),
            seq,
        ),
    )


def total_sums(conn: sqlite3.Connection, data: dict[str, Any]) -> tuple[int, ...]:
    """The 7 sums of a reported total's scope, from the flow sums by date."""
    scope = data["scope"]
    cut = latest(data["as_of"])
    start = None if "agreement" in scope else earliest(scope["since"])
    certain = "(latest <= :cut AND (:start IS NULL OR earliest >= :start))"
    row = conn.execute(
        f"SELECT coalesce(sum(CASE WHEN {certain} THEN low ELSE 0 END), 0),"
        " coalesce(sum(high_closed), 0), coalesce(sum(open_terms), 0),"
        f" coalesce(sum(CASE WHEN {certain} THEN best ELSE 0 END), 0),"
        " coalesce(sum(approx_terms), 0), coalesce(sum(rounds), 0),"
        f" coalesce(sum(CASE WHEN {certain} THEN 0 ELSE rounds END), 0)"
        " FROM flow_sums_by_date WHERE kind = :kind AND receiver = :receiver"
        " AND (:sender IS NULL OR sender = :sender) AND earliest <= :cut"
        " AND ((:start IS NULL AND agreement = :agreement)"
        " OR (:start IS NOT NULL AND latest >= :start))",
        {
            "cut": cut,
            "start": start,
            "kind": data["kind"],
            "receiver": data["to"],
            "sender": data.get("from"),
            "agreement": scope.get("agreement"),
        },
    ).fetchone()
    return tuple(row)


@dataclass(slots=True)
class RoundRows:
    """A current round as the store holds it, combined as the fold combines it."""

    view: RoundView
    earliest: str
    latest: str
    agreement: str | None
    revisions: int

    def flow_rows(self) -> Iterator[tuple[Any, ...]]:
        """The round's rows of ``flows``."""
        for flow in self.view.flows:
            low, high, best, approx = flow.figure
            yield (
                self.view.slug,
                *flow.key,
                low,
                high,
                best,
                int(approx),
                int(not approx and high == low),
                flow.best_party,
                int(flow.discrepancy),
                len(flow.reports),
                self.earliest,
                self.latest,
                self.agreement,
            )


def load_rounds(conn: sqlite3.Connection, slugs: list[str]) -> dict[str, RoundRows]:
    """The current rounds among ``slugs``, each with its flows combined from its accounts."""
    found: dict[str, RoundRows] = {}
    for part in chunks(slugs):
        marks = ",".join("?" * len(part))
        accounts: dict[str, dict[FlowKey, list[Report]]] = {}
        for slug, kind, sender, receiver, party, fid, value, qualifier, how in conn.execute(
            "SELECT round, kind, sender, receiver, party, id, value, qualifier, attribution"
            " FROM accounts "
            f"WHERE round IN ({marks}) ORDER BY round, seq",
            part,
        ):
            flows = accounts.setdefault(slug, {})
            report = (party, fid, value, qualifier, how == "inferred")
            flows.setdefault((kind, sender, receiver), []).append(report)
        revisions = dict(
            conn.execute(
                f"SELECT round, sum(revisions) FROM facts WHERE round IN ({marks}) GROUP BY round",
                part,
            ).fetchall()
        )
        for slug, fid, occurred_on, first, last, agreement, label, mediators, own in conn.execute(
            "SELECT r.round, r.id, r.occurred_on, r.earliest, r.latest, r.agreement, r.label,"
            " r.mediators, f.revisions FROM rounds r JOIN facts f ON f.id = r.id"
            f" WHERE r.round IN ({marks})",
            part,
        ):
            total = own + (revisions.get(slug) or 0)
            view = RoundView(
                fid,
                slug,
                occurred_on,
                agreement,
                label,
                tuple(orjson.loads(mediators)) if mediators else (),
                total,
            )
            flows = accounts.get(slug, {})
            view.flows = [flow_view(k, flows[k]) for k in sorted(flows, key=flow_order)]
            found[slug] = RoundRows(view, first, last, agreement, total)
    return found
