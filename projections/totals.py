"""Totals per flow, reconciliation with reported totals, and outstanding offers.

Rules:

* A flow's total sums, over the rounds listed by ``projections.rounds``, each
  round's figure (interval sums, see ``projections.intervals``). Under
  ``--as-of`` a round only possibly done by then (see ``projections.timeaxes``)
  adds to ``high`` but not to ``low`` or ``best``, and makes the total inexact
  (``uncertain_rounds`` counts them). ``exact`` ("sum exact" in tables) means
  exact arithmetic over the itemized rounds: a single point with no
  approximate, open or uncertain term; it is never the number transferred
  overall. ``by_party`` sums each party's own accounts over the rounds it has
  an account for.
* A reported total (current ``total.reported`` whose ``as_of`` may be by the
  ``--as-of`` date) is set beside the sum of the rounds in its scope and flow
  (its kind and receiver, and sender if given): an agreement's rounds, or the
  rounds since a date; counted as above against the total's own ``as_of``
  (and "since": certainly when the round's earliest day is on or after the
  first day of ``since``). ``gap`` is the reported value minus that sum's
  ``best``; ``gap_range`` its bounds (``low`` = reported low - sum high,
  ``high`` = reported high - sum low, null where unbounded) and ``exact``.
* For each flow, the latest offer (by ``as_of``, then seq) is *outstanding*
  unless a listed round of that flow certainly occurred after it: the round's
  earliest possible day is later than the offer's latest possible day.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventlog import catalog
from projections import intervals
from projections.facts import CURRENT, State
from projections.intervals import Interval
from projections.rounds import PARTIES, FlowKey, RoundView, flow_order, iter_views, known_at
from projections.timeaxes import date_key, earliest, latest, possibly_by

Sums = list[int]
"""A running sum: [low, closed high, open terms, best, approximate terms, rounds, uncertain]."""


def new_sums() -> Sums:
    """The sum of no rounds."""
    return [0, 0, 0, 0, 0, 0, 0]


def add_figure(sums: Sums, figure: Interval, certain: bool, times: int = 1) -> None:
    """Add one round's figure (``times=-1`` takes it out): an uncertain one only to ``high``."""
    low, high, best, approx = figure
    if certain:
        sums[0] += times * low
        sums[3] += times * best
    else:
        sums[6] += times
    if high is None:
        sums[2] += times
    else:
        sums[1] += times * high
    sums[4] += times * approx
    sums[5] += times


def add_sums(sums: Sums, other: Sums, certain: bool) -> None:
    """Add a bucket of rounds, all certain or all only possible."""
    if certain:
        sums[0] += other[0]
        sums[3] += other[3]
    else:
        sums[6] += other[5]
    sums[1] += other[1]
    sums[2] += other[2]
    sums[4] += other[4]
    sums[5] += other[5]


def block(sums: Sums) -> dict[str, Any]:
    """The ``low``/``high``/``best``/``exact`` keys of a sum."""
    low, high, opened, best, approx, _, uncertain = sums
    shown = None if opened else high
    exact = not approx and not uncertain and shown == low
    return {"low": low, "high": shown, "best": best, "exact": exact}


def interval_of(sums: Sums) -> Interval:
    """A sum as an interval (approximate if any term is, or any round is uncertain)."""
    low, high, opened, best, approx, _, uncertain = sums
    return Interval(low, None if opened else high, best, bool(approx or uncertain))


class FlowTotals:
    """Per flow, the sums over rounds and per party, fed one round at a time."""

    def __init__(self) -> None:
        self.sums: dict[FlowKey, Sums] = {}
        self.parties: dict[FlowKey, dict[str, Sums]] = {}
        self.discrepant: dict[FlowKey, list[str]] = {}

    def add(self, view: RoundView) -> None:
        """Add one round's flows."""
        for flow in view.flows:
            key = flow.key
            sums = self.sums.get(key)
            if sums is None:
                sums = self.sums[key] = new_sums()
                self.parties[key] = {}
            add_figure(sums, flow.figure, view.certain)
            per_party = self.parties[key]
            for party in flow.accounts:
                held = per_party.setdefault(party, new_sums())
                add_figure(held, flow.party_figure(party), view.certain)
            if flow.discrepancy:
                self.discrepant.setdefault(key, []).append(view.slug)

    def entries(self) -> list[dict[str, Any]]:
        """The ``totals`` entries, by flow."""
        return [
            flow_entry(key, self.sums[key], self.parties[key], self.discrepant.get(key, []))
            for key in sorted(self.sums, key=flow_order)
        ]


def flow_entry(
    key: FlowKey, sums: Sums, parties: dict[str, Sums], discrepant: list[str]
) -> dict[str, Any]:
    """One flow's entry of the ``totals`` JSON object."""
    kind, sender, receiver = key
    by_party = {}
    for party in PARTIES:
        held = parties.get(party)
        if held is not None and held[5]:
            by_party[party] = {**block(held), "rounds": held[5]}
        elif party != "other":
            by_party[party] = {**block(new_sums()), "rounds": 0}
    return {
        "kind": kind,
        "from": sender,
        "to": receiver,
        **block(sums),
        "approximate": sums[4] > 0,
        "rounds": sums[5],
        "uncertain_rounds": sums[6],
        "by_party": by_party,
        "discrepant_rounds": discrepant,
    }


def matches(key: FlowKey, data: dict[str, Any]) -> bool:
    """Whether a round's flow is in a reported total's (or offer's) flow."""
    kind, sender, receiver = key
    same_sender: bool = data.get("from", sender) == sender
    return kind == data["kind"] and receiver == data["to"] and same_sender


Bucket = tuple[str | None, str, str]
"""Rounds of one flow grouped by (agreement, earliest day, latest day)."""


class Scopes:
    """The listed rounds' figures per flow, grouped by agreement and dates: a reported
    total sums over these buckets (a few per day), not over rounds."""

    def __init__(self) -> None:
        self.buckets: dict[FlowKey, dict[Bucket, Sums]] = {}

    def add(self, view: RoundView) -> None:
        """Add one round."""
        bucket = (view.agreement, earliest(view.occurred_on), latest(view.occurred_on))
        for flow in view.flows:
            per_flow = self.buckets.setdefault(flow.key, {})
            add_figure(per_flow.setdefault(bucket, new_sums()), flow.figure, True)

    def rounds_sum(self, data: dict[str, Any]) -> Sums:
        """The sum of the rounds in a reported total's scope and flow."""
        sums = new_sums()
        scope = data["scope"]
        cut = latest(data["as_of"])
        agreement = scope.get("agreement")
        start = None if agreement is not None else earliest(scope["since"])
        for key, per_flow in self.buckets.items():
            if not matches(key, data):
                continue
            for (owner, first, last), held in per_flow.items():
                if first > cut:
                    continue
                if start is None:
                    if owner != agreement:
                        continue
                    certain = last <= cut
                else:
                    if last < start:
                        continue
                    certain = last <= cut and first >= start
                add_sums(sums, held, certain)
        return sums


def current(state: State, kind: str, as_of: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The current facts of ``kind`` (totals, offers) whose ``as_of`` may be by ``as_of``."""
    found = []
    for fact_id, fact in state["facts"].items():
        if fact[0] == kind and fact[1] == CURRENT and possibly_by(fact[4]["as_of"], as_of):
            found.append((fact_id, fact[4]))
    return found


def reported_entry(fact_id: str, data: dict[str, Any], sums: Sums) -> dict[str, Any]:
    """One reported total beside its rounds' sum."""
    figure = interval_of(sums)
    return {
        "id": fact_id,
        "kind": data["kind"],
        "from": data.get("from"),
        "to": data["to"],
        "scope": data["scope"],
        "as_of": data["as_of"],
        "count": data["count"],
        "source": data["source"],
        "rounds_sum": {**block(sums), "rounds": sums[5], "uncertain_rounds": sums[6]},
        "gap": data["count"]["value"] - figure.best,
        "gap_range": gap_range(intervals.of(data["count"]), figure),
    }


def reported_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    """Reported totals sort by their ``as_of``, kind, receiver and id."""
    return (date_key(entry["as_of"]), entry["kind"], entry["to"], entry["id"])


def gap_range(reported: Interval, rounds: Interval) -> dict[str, Any]:
    """How far apart a reported total and its rounds' sum can be: ``low``/``high`` (null
    where unbounded) and ``exact``; ``gap`` alone would show "over 6,000" minus an exact
    sum as an exact figure."""
    low = None if rounds.high is None else reported.low - rounds.high
    high = None if reported.high is None else reported.high - rounds.low
    return {"low": low, "high": high, "exact": reported.exact and rounds.exact}


def offer_entry(fact_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """One outstanding offer."""
    return {
        "id": fact_id,
        "kind": data["kind"],
        "from": data["from"],
        "to": data["to"],
        "count": data["count"],
        "as_of": data["as_of"],
        "agreement": data.get("agreement"),
        "source": data["source"],
    }


def outstanding(
    offers: Iterable[tuple[str, int, dict[str, Any]]], last_days: dict[FlowKey, str]
) -> list[dict[str, Any]]:
    """The latest offer per flow (by as_of, then seq), unless a round certainly came after."""
    newest: dict[FlowKey, tuple[tuple[Any, ...], str, dict[str, Any]]] = {}
    for fact_id, seq, data in offers:
        key = (data["kind"], data["from"], data["to"])
        rank = (*date_key(data["as_of"]), seq)
        held = newest.get(key)
        if held is None or rank >= held[0]:
            newest[key] = (rank, fact_id, data)
    result = []
    for key in sorted(newest, key=flow_order):
        _, fact_id, data = newest[key]
        if last_days.get(key, "") > latest(data["as_of"]):
            continue
        result.append(offer_entry(fact_id, data))
    return result


def totals_view(state: State, as_of: str | None = None) -> dict[str, Any]:
    """The ``totals`` JSON object."""
    flows = FlowTotals()
    scopes = Scopes()
    last_days: dict[FlowKey, str] = {}
    for view in iter_views(state, as_of):
        flows.add(view)
        scopes.add(view)
        day = earliest(view.occurred_on)
        for flow in view.flows:
            if day > last_days.get(flow.key, ""):
                last_days[flow.key] = day
    reported = [
        reported_entry(fact_id, data, scopes.rounds_sum(data))
        for fact_id, data in current(state, catalog.TOTAL, as_of)
    ]
    reported.sort(key=reported_key)
    facts = state["facts"]
    offers = [
        (fact_id, facts[fact_id][3], data) for fact_id, data in current(state, catalog.OFFER, as_of)
    ]
    return {
        "known_at": known_at(state),
        "as_of": as_of,
        "totals": flows.entries(),
        "reported_totals": reported,
        "offers": outstanding(offers, last_days),
    }
