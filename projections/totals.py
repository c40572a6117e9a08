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
  unless a listed round of that flow certainly occurred after it: the round's
  earliest possible day is later than the offer's latest possible day (a round
  dated "2025" does not settle an offer dated "2025"). Only outstanding offers
  are shown.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from projections import intervals
from projections.facts import CURRENT, State
from projections.intervals import ZERO, Interval
from projections.rounds import PARTIES, FlowKey, RoundView, collect, flow_order, known_at
from projections.timeaxes import date_key, earliest, latest, occurred_by


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


class FlowSeries:
    """One flow's rounds in date order, with prefix sums so a date range sums in O(log n)."""

    def __init__(self) -> None:
        self.earliest: list[str] = []
        self.latest: list[str] = []
        self.figures: list[Interval] = []
        self.low = [0]
        self.high = [0]
        self.best = [0]
        self.open = [0]
        self.approx = [0]
        self.coarse: list[int] = []
        """Indexes of reduced-precision rounds: they may overlap a range that starts after them."""

    def append(self, occurred_on: str, figure: Interval) -> None:
        """Add the next round (rounds come in date order)."""
        if len(occurred_on) < 10:
            self.coarse.append(len(self.figures))
        self.earliest.append(earliest(occurred_on))
        self.latest.append(latest(occurred_on))
        self.figures.append(figure)
        self.low.append(self.low[-1] + figure.low)
        self.high.append(self.high[-1] + (figure.high or 0))
        self.best.append(self.best[-1] + figure.best)
        self.open.append(self.open[-1] + (figure.high is None))
        self.approx.append(self.approx[-1] + figure.approx)

    def between(self, since: str, as_of: str) -> tuple[Interval, int]:
        """The sum of rounds that may have occurred on or after ``since`` and by ``as_of``."""
        start, stop = earliest(since), latest(as_of)
        hi = bisect_right(self.earliest, stop)
        lo = min(bisect_left(self.earliest, start), hi)
        opened = self.open[hi] - self.open[lo]
        figure = Interval(
            self.low[hi] - self.low[lo],
            None if opened else self.high[hi] - self.high[lo],
            self.best[hi] - self.best[lo],
            self.approx[hi] > self.approx[lo],
        )
        count = hi - lo
        year_before = f"{int(start[:4]) - 1:04d}{start[4:]}"
        first = bisect_left(self.coarse, bisect_left(self.earliest, year_before))
        for index in self.coarse[first:]:
            if index >= lo:
                break
            if self.latest[index] >= start:
                figure, count = intervals.add(figure, self.figures[index]), count + 1
        return figure, count


class Scopes:
    """The recorded rounds indexed for reconciliation: by flow, and by agreement."""

    def __init__(self, views: list[RoundView]) -> None:
        self.series: dict[FlowKey, FlowSeries] = {}
        self.agreements: dict[str, list[RoundView]] = {}
        for view in views:
            for flow in view.flows:
                if flow.key not in self.series:
                    self.series[flow.key] = FlowSeries()
                self.series[flow.key].append(view.data["occurred_on"], flow.figure)
            agreement = view.data.get("agreement")
            if agreement is not None:
                self.agreements.setdefault(agreement, []).append(view)

    def _matches(self, key: FlowKey, data: dict[str, Any]) -> bool:
        kind, sender, receiver = key
        same_sender: bool = data.get("from", sender) == sender
        return kind == data["kind"] and receiver == data["to"] and same_sender

    def rounds_sum(self, data: dict[str, Any]) -> tuple[Interval, int]:
        """The sum of the rounds in a reported total's scope and flow, and how many rounds."""
        figure, count = ZERO, 0
        scope, as_of = data["scope"], data["as_of"]
        if "agreement" in scope:
            for view in self.agreements.get(scope["agreement"], []):
                if not occurred_by(view.data["occurred_on"], as_of):
                    continue
                for flow in view.flows:
                    if self._matches(flow.key, data):
                        figure, count = intervals.add(figure, flow.figure), count + 1
            return figure, count
        for key, series in self.series.items():
            if self._matches(key, data):
                part, n = series.between(scope["since"], as_of)
                figure, count = intervals.add(figure, part), count + n
        return figure, count


def _current(state: State, kind: str, as_of: str | None) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for fact_id, (fact_type, status, _, _, data) in state["facts"].items():
        if fact_type == kind and status == CURRENT and occurred_by(data["as_of"], as_of):
            found.append((fact_id, data))
    return found


def reported_totals(
    state: State, views: list[RoundView], as_of: str | None
) -> list[dict[str, Any]]:
    """Each current reported total beside the sum of its scope's rounds, and the gap."""
    result = []
    scopes = Scopes(views)
    for fact_id, data in _current(state, "total.reported", as_of):
        figure, n = scopes.rounds_sum(data)
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
    newest: dict[FlowKey, tuple[str, dict[str, Any]]] = {}
    for fact_id, data in _current(state, "offer.reported", as_of):
        key = (data["kind"], data["from"], data["to"])
        held = newest.get(key)
        if held is None or date_key(data["as_of"]) >= date_key(held[1]["as_of"]):
            newest[key] = (fact_id, data)
    last_round: dict[FlowKey, str] = {}
    for view in views:
        day = earliest(view.data["occurred_on"])
        for flow in view.flows:
            last_round[flow.key] = max(last_round.get(flow.key, day), day)
    result = []
    for key in sorted(newest, key=flow_order):
        fact_id, data = newest[key]
        if last_round.get(key, "") > latest(data["as_of"]):
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
