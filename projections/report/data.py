"""What the report shows, gathered from the read model in one pass.

The report computes no figure: totals, ranges, gaps and discrepancy flags are
the store's own, as ``projections totals|rounds|trail --json`` give them. This
module only arranges them for the page (per flow, per round, per fact) and joins
each figure to the source recorded with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eventlog import catalog

FlowKey = tuple[str, str, str]


@dataclass
class ReportData:
    """Everything the site shows, as plain values from the store."""

    seq: int
    head_hash: str
    built_at: str
    totals: list[dict[str, Any]]
    reported_totals: list[dict[str, Any]]
    offers: list[dict[str, Any]]
    rounds: list[dict[str, Any]]
    trails: dict[str, dict[str, Any]]
    agreements: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)

    def points(self, key: FlowKey) -> list[dict[str, Any]]:
        """The rounds of one flow in date order, with that flow's figures and accounts."""
        found = []
        for r in self.rounds:
            for f in r["flows"]:
                if (f["kind"], f["from"], f["to"]) == key:
                    found.append({**f, "round": r["round"], "occurred_on": r["occurred_on"]})
        return found

    def claims(self, key: FlowKey) -> list[dict[str, Any]]:
        """The reported totals that speak for a flow (``from`` may be any side)."""
        kind, source, target = key
        return [
            {**t, "by": t["source"].get("attributed_to", ""), "scope": scope_text(t["scope"])}
            for t in self.reported_totals
            if t["kind"] == kind and t["to"] == target and t["from"] in (source, None, "any")
        ]

    def revised_elsewhere(self) -> list[dict[str, Any]]:
        """Trails with a correction, retraction or supersession of facts no round section
        shows (agreements, reported totals, offers, notes, documents), in report order."""
        shown = {t["id"] for r in self.rounds for t in r["facts"]}
        return [
            t
            for t in self.trails.values()
            if t["id"] not in shown and len(t.get("versions", ())) > 1
        ]

    def discrepant(self) -> list[dict[str, Any]]:
        """(round, flow) pairs whose accounts differ, in date order."""
        return [
            {"round": r, "flow": f} for r in self.rounds for f in r["flows"] if f["discrepancy"]
        ]

    def differing_claims(self) -> list[list[dict[str, Any]]]:
        """Groups of reported totals for the same flow, scope and date whose counts differ."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for t in self.reported_totals:
            key = f"{t['kind']}|{t['from']}|{t['to']}|{scope_text(t['scope'])}|{t['as_of']}"
            groups.setdefault(key, []).append(t)
        return [
            g for g in groups.values() if len({(c["count"]["value"], c["count"]["qualifier"])
                                               for c in g}) > 1
        ]  # fmt: skip


def scope_text(scope: dict[str, Any] | None) -> str:
    """A reported total's scope as one line: ``agreement=istanbul-2025``."""
    if not scope:
        return "all rounds"
    return ", ".join(f"{k}={v}" for k, v in sorted(scope.items()))


def current_data(trail: dict[str, Any]) -> dict[str, Any] | None:
    """What a fact says now (None once retracted)."""
    if trail.get("status") == "retracted" or not trail.get("versions"):
        return None
    data = trail["versions"][-1].get("data")
    return data if isinstance(data, dict) else None


def _named_rounds(trail: dict[str, Any]) -> set[str]:
    """Every round slug any version of a fact names (a retracted transfer still belongs
    to its round's trail)."""
    return {
        v["data"]["round"]
        for v in trail.get("versions", ())
        if isinstance(v.get("data"), dict) and isinstance(v["data"].get("round"), str)
    }


def assemble(
    totals_view: dict[str, Any],
    rounds_view: dict[str, Any],
    trails: Iterable[dict[str, Any]],
    accounts: Iterable[dict[str, Any]],
    head_hash: str,
    built_at: str,
) -> ReportData:
    """Join the store's views, trails and accounts into what the site shows.

    ``accounts``: every current account (``id``, ``round``, ``kind``, ``from``,
    ``to``, ``party``, ``count``) in report order; each flow of each round gets the
    list of its accounts, with the source its fact records.
    """
    by_id = {t["id"]: t for t in trails}
    per_flow: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for a in accounts:
        data = current_data(by_id.get(a["id"], {})) or {}
        per_flow.setdefault((a["round"], a["kind"], a["from"], a["to"]), []).append(
            {"id": a["id"], "party": a["party"], "count": a["count"],
             "source": data.get("source", {})}
        )  # fmt: skip
    naming: dict[str, list[str]] = {}
    for t in by_id.values():
        for slug in _named_rounds(t):
            naming.setdefault(slug, []).append(t["id"])
    rounds = []
    for r in rounds_view["rounds"]:
        slug = r["round"]
        r["flows"] = [
            {**f, "accounts": per_flow.get((slug, f["kind"], f["from"], f["to"]), [])}
            for f in r["flows"]
        ]
        members = [r["id"], *(m for m in naming.get(slug, ()) if m != r["id"])]
        rounds.append({**r, "facts": [by_id[m] for m in members if m in by_id]})
    report = ReportData(
        seq=totals_view["known_at"]["seq"],
        head_hash=head_hash,
        built_at=built_at,
        totals=totals_view["totals"],
        reported_totals=totals_view["reported_totals"],
        offers=totals_view["offers"],
        rounds=rounds,
        trails=by_id,
    )
    for fact_id, trail in by_id.items():
        current = current_data(trail)
        if current is None:
            continue
        if trail["type"] == catalog.AGREEMENT:
            report.agreements.append({"id": fact_id, **current})
        elif trail["type"] == catalog.NOTE:
            report.notes.append({"id": fact_id, **current})
        elif trail["type"] == catalog.SOURCE:
            report.documents.append({"id": fact_id, **current})
    return report
