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
  ``gap`` is the reported value minus that sum's ``best``; ``gap_range`` gives the
  gap's bounds (``low`` = reported low - sum high, ``high`` = reported high - sum
  low, null where unbounded) and whether it is exact.
* For each flow, the latest offer (by ``as_of``, then seq) is *outstanding*
  unless a listed round of that flow certainly occurred after it: the round's
  earliest possible day is later than the offer's latest possible day (a round
  dated "2025" does not settle an offer dated "2025"). Only outstanding offers
  are shown.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Any

from projections import intervals
from projections.facts import CURRENT, State
from projections.intervals import ZERO, Interval
from projections.rounds import PARTIES, FlowKey, RoundView, flow_order, iter_views, known_at
from projections.timeaxes import date_key, earliest, latest, occurred_by

Sums = list[int]
"""A running sum of figures: [low, high of closed terms, open terms, best, approximate terms]."""


def _add(sums: Sums, figure: Interval) -> None:
    low, high, best, approx = figure
    sums[0] += low
    if high is None:
        sums[2] += 1
    else:
        sums[1] += high
    sums[3] += best
    sums[4] += approx


def _block(sums: Sums) -> dict[str, Any]:
    low, high, opened, best, approx = sums
    shown = None if opened else high
    return {"low": low, "high": shown, "best": best, "exact": not approx and shown == low}


CompactFlow = tuple[FlowKey, tuple[Any, ...], bool, tuple[tuple[str, tuple[Any, ...]], ...]]
Compact = tuple[str, str, str | None, tuple[CompactFlow, ...]]
"""What the totals take of a round: (slug, occurred_on, agreement, flows), each flow
(key, figure, discrepancy, ((party, the party's figure), ...)), figures as plain
tuples: it marshals, so a rebuild keeps it for rounds it does not derive again."""


def compact(view: RoundView) -> Compact:
    """A round as the totals take it."""
    return (
        view.slug,
        view.occurred_on,
        view.agreement,
        tuple(
            (
                f.key,
                tuple(f.figure),
                f.discrepancy,
                tuple((party, tuple(f.party_figure(party))) for party in f.accounts),
            )
            for f in view.flows
        ),
    )


class FlowTotals:
    """Per flow, the sums over rounds and per party, fed one round at a time."""

    def __init__(self) -> None:
        self.sums: dict[FlowKey, Sums] = {}
        self.counts: dict[FlowKey, int] = {}
        self.parties: dict[FlowKey, dict[str, tuple[Sums, list[int]]]] = {}
        self.discrepant: dict[FlowKey, list[str]] = {}

    def add(self, view: RoundView) -> None:
        """Add one round's flows."""
        self.add_compact(compact(view))

    def add_compact(self, round_: Compact) -> None:
        """Add one round's flows, as ``compact`` gives them."""
        slug = round_[0]
        for key, figure, discrepancy, parties in round_[3]:
            sums = self.sums.get(key)
            if sums is None:
                sums = self.sums[key] = [0, 0, 0, 0, 0]
                self.counts[key] = 0
                self.parties[key] = {}
            _add(sums, figure)  # type: ignore[arg-type]
            self.counts[key] += 1
            per_party = self.parties[key]
            for party, party_figure in parties:
                held = per_party.get(party)
                if held is None:
                    held = per_party[party] = ([0, 0, 0, 0, 0], [0])
                _add(held[0], party_figure)  # type: ignore[arg-type]
                held[1][0] += 1
            if discrepancy:
                self.discrepant.setdefault(key, []).append(slug)

    def entries(self) -> list[dict[str, Any]]:
        """The ``totals`` entries, by flow."""
        result = []
        for key in sorted(self.sums, key=flow_order):
            kind, sender, receiver = key
            per_party = self.parties[key]
            by_party = {}
            for party in PARTIES:
                held = per_party.get(party)
                if held is not None:
                    by_party[party] = {**_block(held[0]), "rounds": held[1][0]}
                elif party != "other":
                    by_party[party] = {**ZERO.as_json(), "rounds": 0}
            sums = self.sums[key]
            result.append(
                {
                    "kind": kind,
                    "from": sender,
                    "to": receiver,
                    **_block(sums),
                    "approximate": sums[4] > 0,
                    "rounds": self.counts[key],
                    "by_party": by_party,
                    "discrepant_rounds": self.discrepant.get(key, []),
                }
            )
        return result


def flow_totals(views: Iterable[RoundView]) -> list[dict[str, Any]]:
    """The ``totals`` entries: per flow, the sums over rounds and per party."""
    totals = FlowTotals()
    for view in views:
        totals.add(view)
    return totals.entries()


class FlowSeries:
    """One flow's rounds in date order, with prefix sums so a date range sums in O(log n)."""

    def __init__(self) -> None:
        self.earliest: list[str] = []
        self.latest: list[str] = []
        self.low = array("q", [0])
        self.high = array("q", [0])
        self.best = array("q", [0])
        self.open = array("q", [0])
        self.approx = array("q", [0])
        self.coarse: list[int] = []
        """Indexes of reduced-precision rounds: they may overlap a range that starts after them."""
        self.coarse_figures: dict[int, Interval] = {}

    def append(self, occurred_on: str, figure: Interval) -> None:
        """Add the next round (rounds come in date order)."""
        if len(occurred_on) < 10:
            self.coarse.append(len(self.earliest))
            self.coarse_figures[len(self.earliest)] = figure
        self.earliest.append(earliest(occurred_on))
        self.latest.append(latest(occurred_on))
        low, high, best, approx = figure
        self.low.append(self.low[-1] + low)
        self.high.append(self.high[-1] + (high or 0))
        self.best.append(self.best[-1] + best)
        self.open.append(self.open[-1] + (high is None))
        self.approx.append(self.approx[-1] + approx)

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
                figure = intervals.add(figure, self.coarse_figures[index])
                count += 1
        return figure, count


def _matches(key: FlowKey, data: dict[str, Any]) -> bool:
    kind, sender, receiver = key
    same_sender: bool = data.get("from", sender) == sender
    return kind == data["kind"] and receiver == data["to"] and same_sender


class Scopes:
    """The recorded rounds indexed for reconciliation: by flow, and by agreement.

    Fed one round at a time (``add``), in round order. With ``wanted`` (the
    reported totals to answer), only what those totals can ask for is kept.
    """

    def __init__(
        self, views: Iterable[RoundView] = (), wanted: list[dict[str, Any]] | None = None
    ) -> None:
        self.series: dict[FlowKey, FlowSeries] = {}
        self.agreements: dict[str, list[tuple[str, FlowKey, Interval]]] = {}
        self.wanted_flows: list[dict[str, Any]] | None = None
        self.sums: dict[str, list[tuple[dict[str, Any], Sums, list[int]]]] | None = None
        """With ``wanted``: per agreement, its totals with their running sums."""
        if wanted is not None:
            self.sums = {}
            for data in wanted:
                if "agreement" in data["scope"]:
                    held = self.sums.setdefault(data["scope"]["agreement"], [])
                    held.append((data, [0, 0, 0, 0, 0], [0]))
            self.wanted_flows = [d for d in wanted if "agreement" not in d["scope"]]
        self._flow_wanted: dict[FlowKey, bool] = {}
        for view in views:
            self.add(view)

    def _wants_flow(self, key: FlowKey) -> bool:
        wanted = self._flow_wanted.get(key)
        if wanted is None:
            flows = self.wanted_flows
            wanted = flows is None or any(_matches(key, d) for d in flows)
            self._flow_wanted[key] = wanted
        return wanted

    def add(self, view: RoundView) -> None:
        """Index the next round (rounds come in order)."""
        self.add_compact(compact(view))

    def add_compact(self, round_: Compact) -> None:
        """Index the next round, as ``compact`` gives it."""
        _, occurred_on, agreement, flows = round_
        for key, figure, _, _ in flows:
            if not self._wants_flow(key):
                continue
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = FlowSeries()
            series.append(occurred_on, Interval._make(figure))
        if agreement is None or not flows:
            return
        if self.sums is None:
            held = self.agreements.setdefault(agreement, [])
            held.extend((occurred_on, key, Interval._make(figure)) for key, figure, _, _ in flows)
            return
        for data, sums, count in self.sums.get(agreement, ()):
            if not occurred_by(occurred_on, data["as_of"]):
                continue
            for key, figure, _, _ in flows:
                if _matches(key, data):
                    _add(sums, figure)  # type: ignore[arg-type]
                    count[0] += 1

    def rounds_sum(self, data: dict[str, Any]) -> tuple[Interval, int]:
        """The sum of the rounds in a reported total's scope and flow, and how many rounds."""
        figure, count = ZERO, 0
        scope, as_of = data["scope"], data["as_of"]
        if "agreement" in scope and self.sums is not None:
            for held, sums, rounds in self.sums.get(scope["agreement"], ()):
                if held is data:
                    low, high, opened, best, approx = sums
                    return Interval(low, None if opened else high, best, approx > 0), rounds[0]
            raise KeyError("a reported total that was not wanted")
        if "agreement" in scope:
            for occurred_on, key, part in self.agreements.get(scope["agreement"], []):
                if occurred_by(occurred_on, as_of) and _matches(key, data):
                    figure, count = intervals.add(figure, part), count + 1
            return figure, count
        for key, series in self.series.items():
            if _matches(key, data):
                found, n = series.between(scope["since"], as_of)
                figure, count = intervals.add(figure, found), count + n
        return figure, count


def _current(state: State, kind: str, as_of: str | None) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for fact_id, fact in state["facts"].items():
        if fact[0] == kind and fact[1] == CURRENT and occurred_by(fact[4]["as_of"], as_of):
            found.append((fact_id, fact[4]))
    return found


def _reported_entries(
    totals: list[tuple[str, dict[str, Any]]], scopes: Scopes
) -> list[dict[str, Any]]:
    result = []
    for fact_id, data in totals:
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
                "gap_range": gap_range(intervals.of(data["count"]), figure),
            }
        )
    result.sort(key=lambda item: (date_key(item["as_of"]), item["kind"], item["to"], item["id"]))
    return result


def gap_range(reported: Interval, rounds: Interval) -> dict[str, Any]:
    """How far apart a reported total and its rounds' sum can be: ``low``/``high`` (null
    where unbounded) and ``exact``; ``gap`` alone would show "over 6,000" minus an exact
    sum as an exact figure."""
    low = None if rounds.high is None else reported.low - rounds.high
    high = None if reported.high is None else reported.high - rounds.low
    return {"low": low, "high": high, "exact": reported.exact and rounds.exact}


def reported_totals(
    state: State, views: Iterable[RoundView], as_of: str | None
) -> list[dict[str, Any]]:
    """Each current reported total beside the sum of its scope's rounds, and the gap."""
    return _reported_entries(_current(state, "total.reported", as_of), Scopes(views))


class LastRounds:
    """Per flow, the earliest possible day of its latest round."""

    def __init__(self) -> None:
        self.days: dict[FlowKey, str] = {}

    def add(self, view: RoundView) -> None:
        """Add one round."""
        self.add_compact(compact(view))

    def add_compact(self, round_: Compact) -> None:
        """Add one round, as ``compact`` gives it."""
        day = earliest(round_[1])
        days = self.days
        for key, _, _, _ in round_[3]:
            held = days.get(key)
            if held is None or day > held:
                days[key] = day


def _offer_entries(
    offers: list[tuple[str, dict[str, Any]]], last: LastRounds
) -> list[dict[str, Any]]:
    newest: dict[FlowKey, tuple[str, dict[str, Any]]] = {}
    for fact_id, data in offers:
        key = (data["kind"], data["from"], data["to"])
        held = newest.get(key)
        if held is None or date_key(data["as_of"]) >= date_key(held[1]["as_of"]):
            newest[key] = (fact_id, data)
    result = []
    for key in sorted(newest, key=flow_order):
        fact_id, data = newest[key]
        if last.days.get(key, "") > latest(data["as_of"]):
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


def outstanding_offers(
    state: State, views: Iterable[RoundView], as_of: str | None
) -> list[dict[str, Any]]:
    """The latest offer per flow, if no round of that flow has occurred since it."""
    last = LastRounds()
    for view in views:
        last.add(view)
    return _offer_entries(_current(state, "offer.reported", as_of), last)


class Figures:
    """Everything ``totals`` reports, fed one round at a time (in round order)."""

    def __init__(self, state: State, as_of: str | None = None) -> None:
        self.state = state
        self.as_of = as_of
        self.reported = _current(state, "total.reported", as_of)
        self.offers = _current(state, "offer.reported", as_of)
        self.flows = FlowTotals()
        self.scopes = Scopes(wanted=[data for _, data in self.reported])
        self.last = LastRounds()

    def add(self, view: RoundView) -> None:
        """Add the next round."""
        self.add_compact(compact(view))

    def add_compact(self, round_: Compact) -> None:
        """Add the next round, as ``compact`` gives it."""
        self.flows.add_compact(round_)
        self.scopes.add_compact(round_)
        self.last.add_compact(round_)

    def view(self) -> dict[str, Any]:
        """The ``totals`` JSON object."""
        return {
            "known_at": known_at(self.state),
            "as_of": self.as_of,
            "totals": self.flows.entries(),
            "reported_totals": _reported_entries(self.reported, self.scopes),
            "offers": _offer_entries(self.offers, self.last),
        }


def totals_view(state: State, as_of: str | None = None) -> dict[str, Any]:
    """The ``totals`` JSON object."""
    figures = Figures(state, as_of)
    for view in iter_views(state, as_of):
        figures.add(view)
    return figures.view()
