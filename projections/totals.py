"""Totals per flow, reconciliation with reported totals, and outstanding offers.

Rules:

* A flow's total sums, over the rounds listed by ``projections.rounds``, each
  round's ``low``, ``high`` and ``best`` (interval sums, see
  ``projections.intervals``); ``exact`` holds only when the sum is a single
  point with no approximate term. ``by_party`` sums each party's own accounts
  over the rounds it has an account for.
* A reported total (current ``total.reported`` whose ``as_of`` is by the
  ``--as-of`` date) is set beside the sum of the rounds in its scope: an
  agreement's rounds, or the rounds that may have occurred on or after
  ``since``; in both cases only rounds that may have occurred by the total's own
  ``as_of``, and only flows of its kind and receiver (and sender, if given).
  ``gap`` is the reported value minus that sum's ``best``.
* For each flow, the latest offer (by ``as_of``, then seq) is *outstanding*
  unless a listed round of that flow occurred on or after the offer's
  ``as_of`` (earliest possible days compared); only outstanding offers are shown.
"""

from __future__ import annotations

from typing import Any

from projections import intervals
from projections.facts import CURRENT, State
from projections.intervals import ZERO, Interval
from projections.rounds import PARTIES, FlowKey, RoundView, collect, flow_order, known_at
from projections.timeaxes import date_key, earliest, occurred_by, occurred_since


def _party_block(figure: Interval, rounds: int) -> dict[str, Any]:
    return {**figure.as_json(), "rounds": rounds}


def flow_totals(views: list[RoundView]) -> list[dict[str, Any]]:
    """The ``totals`` entries: per flow, the sums over rounds and per party."""
    sums: dict[FlowKey, Interval] = {}
    counts: dict[FlowKey, int] = {}
    parties: dict[FlowKey, dict[str, tuple[Interval, int]]] = {}
    discrepant: dict[FlowKey, list[str]] = {}
    for view in views:
        for flow in view.flows:
            key = flow.key
            sums[key] = intervals.add(sums.get(key, ZERO), flow.figure)
            counts[key] = counts.get(key, 0) + 1
            per_party = parties.setdefault(key, {})
            for party in flow.accounts:
                figure, n = per_party.get(party, (ZERO, 0))
                per_party[party] = (intervals.add(figure, flow.party_figure(party)), n + 1)
            if flow.discrepancy:
                discrepant.setdefault(key, []).append(view.slug)
    result = []
    for key in sorted(sums, key=flow_order):
        kind, sender, receiver = key
        per_party = parties[key]
        by_party = {p: _party_block(*per_party.get(p, (ZERO, 0))) for p in ("UA", "RU")}
        for party in PARTIES[2:]:
            if party in per_party:
                by_party[party] = _party_block(*per_party[party])
        result.append(
            {
                "kind": kind,
                "from": sender,
                "to": receiver,
                **sums[key].as_json(),
                "approximate": sums[key].approx,
                "rounds": counts[key],
                "by_party": by_party,
                "discrepant_rounds": discrepant.get(key, []),
            }
        )
    return result


def _in_scope(view: RoundView, scope: dict[str, Any], as_of: str) -> bool:
    occurred_on = view.data["occurred_on"]
    if not occurred_by(occurred_on, as_of):
        return False
    if "agreement" in scope:
        return bool(view.data.get("agreement") == scope["agreement"])
    return occurred_since(occurred_on, scope["since"])


def rounds_sum(views: list[RoundView], data: dict[str, Any]) -> tuple[Interval, int]:
    """The sum of the rounds in a reported total's scope and flow, and how many rounds."""
    figure, n = ZERO, 0
    for view in views:
        if not _in_scope(view, data["scope"], data["as_of"]):
            continue
        for flow in view.flows:
            kind, sender, receiver = flow.key
            if kind != data["kind"] or receiver != data["to"]:
                continue
            if "from" in data and sender != data["from"]:
                continue
            figure, n = intervals.add(figure, flow.figure), n + 1
    return figure, n


def _current(state: State, kind: str, as_of: str | None) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for fact_id, fact in state["facts"].items():
        if (
            fact["type"] == kind
            and fact["status"] == CURRENT
            and occurred_by(fact["data"]["as_of"], as_of)
        ):
            found.append((fact_id, fact["data"]))
    return found


def reported_totals(
    state: State, views: list[RoundView], as_of: str | None
) -> list[dict[str, Any]]:
    """Each current reported total beside the sum of its scope's rounds, and the gap."""
    result = []
    for fact_id, data in _current(state, "total.reported", as_of):
        figure, n = rounds_sum(views, data)
        result.append(
            {
                "id": fact_id,
                "kind": data["kind"],
                "from": data.get("from"),
                "to": data["to"],
                "scope": data["scope"],
                "as_of": data["as_of"],
                "count": data["count"],
                "source": data["source"],
                "rounds_sum": {**figure.as_json(), "rounds": n},
                "gap": data["count"]["value"] - figure.best,
            }
        )
    result.sort(key=lambda item: (date_key(item["as_of"]), item["kind"], item["to"], item["id"]))
    return result


def outstanding_offers(
    state: State, views: list[RoundView], as_of: str | None
) -> list[dict[str, Any]]:
    """The latest offer per flow, if no round of that flow has occurred since it."""
    latest: dict[FlowKey, tuple[str, dict[str, Any]]] = {}
    for fact_id, data in _current(state, "offer.reported", as_of):
        key = (data["kind"], data["from"], data["to"])
        held = latest.get(key)
        if held is None or date_key(data["as_of"]) >= date_key(held[1]["as_of"]):
            latest[key] = (fact_id, data)
    last_round: dict[FlowKey, str] = {}
    for view in views:
        day = earliest(view.data["occurred_on"])
        for flow in view.flows:
            last_round[flow.key] = max(last_round.get(flow.key, day), day)
    result = []
    for key in sorted(latest, key=flow_order):
        fact_id, data = latest[key]
        if last_round.get(key, "") >= earliest(data["as_of"]):
            continue
        result.append(
            {
                "id": fact_id,
                "kind": data["kind"],
                "from": data["from"],
                "to": data["to"],
                "count": data["count"],
                "as_of": data["as_of"],
                "agreement": data.get("agreement"),
                "source": data["source"],
            }
        )
    return result


def totals_view(state: State, as_of: str | None = None) -> dict[str, Any]:
    """The ``totals`` JSON object."""
    views = collect(state, as_of)
    return {
        "known_at": known_at(state),
        "as_of": as_of,
        "totals": flow_totals(views),
        "reported_totals": reported_totals(state, views, as_of),
        "offers": outstanding_offers(state, views, as_of),
    }
