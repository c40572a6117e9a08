"""Per-round history, derived from the fold state one round at a time.

Rules:

* Only current (not retracted) rounds that occurred by ``as_of`` (see
  ``projections.timeaxes``) are listed, in ``occurred_on`` order (earliest
  possible day, coarser date first on a tie, then the slug).
* A flow is ``(kind, from, to)``. For each party (``source.party`` of the
  report: "UA", "RU" or "other") the round's *account* of a flow is the
  current version of that party's latest report (highest seq) for the round
  and flow; retracted reports drop out. A transfer of a retracted round counts
  nowhere.
* ``best`` is the receiving party's account, else the sending party's, else
  another's; ``low``/``high`` span every account (see ``projections.intervals``);
  ``discrepancy`` is true when the accounts are not all the same quantity.
* ``revisions`` counts the corrections and retractions of the round itself and
  of every fact (transfer, note) whose current version names the round.

A round is derived from its own fact and its ``members`` (the transfers and
notes naming it, see ``projections.facts``) only, so deriving every round costs
one pass over the facts that name a round, and one round can be derived alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from projections.facts import CURRENT, NOTE, TRANSFER, Fact, State
from projections.intervals import Interval, envelope, figure_of
from projections.timeaxes import date_key, occurred_by

PARTIES = ("UA", "RU", "other")
KINDS = ("bodies", "pows", "civilians")
FlowKey = tuple[str, str, str]
Account = tuple[str, int, str]
"""One party's account of a flow: (fact id, value, qualifier)."""


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

    def party_figure(self, party: str) -> Interval:
        """The interval of one party's account."""
        _, value, qualifier = self.accounts[party]
        return figure_of(value, qualifier)

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
            "revisions": self.revisions,
            "flows": [flow.as_json() for flow in self.flows],
            "notes": self.notes,
        }


def flow_view(key: FlowKey, accounts: dict[str, Account]) -> FlowView:
    """Choose the best account and span the others."""
    _, sender, receiver = key
    if len(accounts) == 1:
        ((party, account),) = accounts.items()
        return FlowView(key, accounts, figure_of(account[1], account[2]), party, False)
    ordered = {p: accounts[p] for p in PARTIES if p in accounts}
    if len(ordered) < len(accounts):
        ordered.update((p, accounts[p]) for p in sorted(accounts) if p not in ordered)
    if receiver in ordered:
        best_party = receiver
    elif sender in ordered:
        best_party = sender
    else:
        best_party = next(iter(ordered))
    figures = [figure_of(value, qualifier) for _, value, qualifier in ordered.values()]
    _, best_value, best_qualifier = ordered[best_party]
    best = figure_of(best_value, best_qualifier)
    counts = {(value, qualifier) for _, value, qualifier in ordered.values()}
    figure = envelope(figures, best)
    return FlowView(key, ordered, figure, best_party, len(counts) > 1)


def round_key(fact: Fact) -> tuple[tuple[str, str], str]:
    """Where a round fact sorts: by ``occurred_on`` (see ``date_key``), then its slug."""
    return (date_key(fact[5]), fact[4])


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
    flows: dict[FlowKey, dict[str, Account]] = {}
    revisions = fact[2]
    for member in state["members"].get(slug, ()):
        m = facts[member]
        revisions += m[2]
        if m[1] != CURRENT:
            continue
        if m[0] == TRANSFER:
            key, party = m[5]
            per_flow = flows.get(key)
            if per_flow is None:
                per_flow = flows[key] = {}
            per_flow[party] = (member, m[6], m[7])
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
        if fact[1] == CURRENT and occurred_by(fact[5], as_of):
            found.append(slug)
    rounds = state["rounds"]
    # one flat string per round sorts as round_key does (the dates are fixed width)
    found.sort(key=lambda slug: "".join((*date_key(facts[rounds[slug]][5]), slug)))
    return found


def iter_views(state: State, as_of: str | None = None) -> Iterator[RoundView]:
    """The current rounds that occurred by ``as_of``, in order, one at a time."""
    for slug in ordered_rounds(state, as_of):
        view = derive(state, slug)
        if view is not None:
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
