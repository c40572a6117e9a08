"""Per-round history, derived from the fold state one round at a time.

Rules:

* Only current (not retracted) rounds that possibly occurred by ``as_of`` (see
  ``projections.timeaxes``) are listed, in ``occurred_on`` order (earliest
  possible day, then latest, then the slug); ``certain`` says whether the
  round certainly occurred by then.
* A flow is ``(kind, from, to)``. Every current transfer of the round and flow
  is an *account* (``source.party``: "UA", "RU" or "other"); several accounts of
  one party all count. Retracted and superseded reports drop out; a transfer
  of a retracted round counts nowhere.
* ``best`` is the receiving party's latest account, else the sending party's,
  else another's; ``low``/``high`` span every account (see
  ``projections.intervals``); ``discrepancy`` is true when the accounts are not
  all the same quantity. ``accounts`` (JSON) keeps each party's latest account;
  ``reports`` lists every account in report order.
* ``revisions`` counts the revisions of the round itself and of every fact
  (transfer, note) whose current version names the round.

A round is derived from its own fact and its ``members`` (the transfers and
notes naming it, see ``projections.facts``) only, so deriving every round costs
one pass over the facts that name a round, and one round can be derived alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eventlog import catalog
from projections.facts import CURRENT, NOTE, TRANSFER, State
from projections.intervals import Interval, envelope, figure_of
from projections.timeaxes import certainly_by, date_key, earliest, latest, possibly_by

PARTIES = catalog.SOURCE_PARTIES
KINDS = catalog.KINDS
FlowKey = tuple[str, str, str]
Account = tuple[str, int, str]
"""One account of a flow: (fact id, value, qualifier)."""
Report = tuple[str, str, int, str, bool]
"""One account: (party, fact id, value, qualifier, attribution inferred), in report order."""


def flow_order(key: FlowKey) -> tuple[int, str, str]:
    """Flows sort by kind (bodies, pows, civilians), then sender, then receiver."""
    kind, sender, receiver = key
    rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
    return (rank, sender, receiver)


@dataclass(slots=True)
class FlowView:
    """One flow of one round: each party's account and the derived figure."""

    key: FlowKey
    accounts: dict[str, Account]
    figure: Interval
    best_party: str
    discrepancy: bool
    reports: list[Report]

    def party_figure(self, party: str) -> Interval:
        """One party's accounts spanned, its latest account as the best."""
        figures = [figure_of(v, q) for p, _, v, q, _ in self.reports if p == party]
        _, value, qualifier = self.accounts[party]
        if len(figures) == 1:
            return figures[0]
        return envelope(figures, figure_of(value, qualifier))

    def as_json(self) -> dict[str, Any]:
        """The flow as in the ``rounds`` JSON contract."""
        kind, sender, receiver = self.key
        low, high, best, approx = self.figure
        return {
            "kind": kind,
            "from": sender,
            "to": receiver,
            "accounts": {
                p: {"id": fid, "count": {"value": value, "qualifier": qualifier}}
                for p, (fid, value, qualifier) in self.accounts.items()
            },
            "low": low,
            "high": high,
            "best": best,
            "exact": not approx and high == low,
            "best_party": self.best_party,
            "discrepancy": self.discrepancy,
            "reports": [
                {
                    "party": p,
                    "id": fid,
                    "count": {"value": value, "qualifier": qualifier},
                    "inferred": inferred,
                }
                for p, fid, value, qualifier, inferred in self.reports
            ],
        }


@dataclass(slots=True)
class RoundView:
    """One recorded round with its flows."""

    id: str
    slug: str
    occurred_on: str
    agreement: str | None = None
    label: str | None = None
    mediators: tuple[str, ...] = ()
    revisions: int = 0
    flows: list[FlowView] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    certain: bool = True

    @property
    def data(self) -> dict[str, Any]:
        """The round's kept data, as a dict."""
        return {
            "round": self.slug,
            "occurred_on": self.occurred_on,
            "agreement": self.agreement,
            "label": self.label,
            "mediators": list(self.mediators),
        }

    def as_json(self) -> dict[str, Any]:
        """The round as in the ``rounds`` JSON contract."""
        return {
            "round": self.slug,
            "id": self.id,
            "occurred_on": self.occurred_on,
            "agreement": self.agreement,
            "label": self.label,
            "mediators": list(self.mediators),
            "earliest": earliest(self.occurred_on),
            "latest": latest(self.occurred_on),
            "certain": self.certain,
            "revisions": self.revisions,
            "flows": [flow.as_json() for flow in self.flows],
            "notes": self.notes,
        }


def flow_view(key: FlowKey, reports: list[Report]) -> FlowView:
    """Combine the accounts of one flow (in report order): the best one, and the span."""
    _, sender, receiver = key
    latest_of = {party: (fid, value, qualifier) for party, fid, value, qualifier, _ in reports}
    if len(reports) == 1:
        party, _, value, qualifier, _ = reports[0]
        return FlowView(key, latest_of, figure_of(value, qualifier), party, False, reports)
    ordered = {p: latest_of[p] for p in PARTIES if p in latest_of}
    if len(ordered) < len(latest_of):
        ordered.update((p, latest_of[p]) for p in sorted(latest_of) if p not in ordered)
    if receiver in ordered:
        best_party = receiver
    elif sender in ordered:
        best_party = sender
    else:
        best_party = next(iter(ordered))
    figures = [figure_of(value, qualifier) for _, _, value, qualifier, _ in reports]
    _, best_value, best_qualifier = ordered[best_party]
    best = figure_of(best_value, best_qualifier)
    counts = {(value, qualifier) for _, _, value, qualifier, _ in reports}
    figure = envelope(figures, best)
    return FlowView(key, ordered, figure, best_party, len(counts) > 1, reports)


def derive(state: State, slug: str) -> RoundView | None:
    """One round's view, or None if it is not current (or not recorded)."""
    facts = state["facts"]
    fact_id = state["rounds"].get(slug)
    if fact_id is None:
        return None
    fact = facts[fact_id]
    if fact[1] != CURRENT:
        return None
    occurred_on, agreement, label, mediators = fact[5:]
    view = RoundView(fact_id, slug, occurred_on, agreement, label, mediators or (), fact[2])
    flows: dict[FlowKey, list[Report]] = {}
    revisions = fact[2]
    for member in state["members"].get(slug, ()):
        m = facts[member]
        revisions += m[2]
        if m[1] != CURRENT:
            continue
        if m[0] == TRANSFER:
            key, party, inferred = m[5]
            per_flow = flows.get(key)
            if per_flow is None:
                per_flow = flows[key] = []
            per_flow.append((party, member, m[6], m[7], inferred))
        elif m[0] == NOTE:
            data = m[4]
            view.notes.append({"id": member, "text": data["text"], "source": data["source"]})
    view.revisions = revisions
    if len(flows) > 1:
        view.flows = [flow_view(k, flows[k]) for k in sorted(flows, key=flow_order)]
    else:
        view.flows = [flow_view(k, a) for k, a in flows.items()]
    return view


def ordered_rounds(state: State, as_of: str | None = None) -> list[str]:
    """The slugs of the current rounds that occurred by ``as_of``, in order."""
    facts = state["facts"]
    found = []
    for slug, fact_id in state["rounds"].items():
        fact = facts[fact_id]
        if fact[1] == CURRENT and possibly_by(fact[5], as_of):
            found.append(slug)
    rounds = state["rounds"]
    # one flat string per round: earliest, latest, slug (the dates are fixed width)
    found.sort(key=lambda slug: "".join((*date_key(facts[rounds[slug]][5]), slug)))
    return found


def iter_views(state: State, as_of: str | None = None) -> Iterator[RoundView]:
    """The current rounds that possibly occurred by ``as_of``, in order, one at a time."""
    for slug in ordered_rounds(state, as_of):
        view = derive(state, slug)
        if view is not None:
            view.certain = certainly_by(view.occurred_on, as_of)
            yield view


def collect(state: State, as_of: str | None = None) -> list[RoundView]:
    """The current rounds that occurred by ``as_of``, in order, with their flows."""
    return list(iter_views(state, as_of))


def agreements(state: State) -> list[dict[str, Any]]:
    """The current agreements, by slug."""
    result = []
    for slug in sorted(state["agreements"]):
        fact_id = state["agreements"][slug]
        _, status, _, _, data = state["facts"][fact_id]
        if status != CURRENT:
            continue
        result.append(
            {
                "agreement": slug,
                "id": fact_id,
                "title": data["title"],
                "concluded_on": data.get("concluded_on"),
                "place": data.get("place"),
            }
        )
    return result


def known_at(state: State) -> dict[str, Any]:
    """The ``known_at`` block of every output: the last seq folded and its time."""
    return {"seq": state["seq"], "recorded_at": state["recorded_at"]}


def rounds_view(state: State, as_of: str | None = None) -> dict[str, Any]:
    """The ``rounds`` JSON object."""
    return {
        "known_at": known_at(state),
        "as_of": as_of,
        "rounds": [view.as_json() for view in iter_views(state, as_of)],
        "agreements": agreements(state),
    }
