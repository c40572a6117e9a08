"""Per-round history, derived from the fold state.

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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from projections import intervals
from projections.facts import CURRENT, TRANSFER, State
from projections.intervals import Interval
from projections.timeaxes import date_key, occurred_by

PARTIES = ("UA", "RU", "other")
KINDS = ("bodies", "pows", "civilians")
FlowKey = tuple[str, str, str]


def flow_order(key: FlowKey) -> tuple[int, str, str]:
    """Flows sort by kind (bodies, pows, civilians), then sender, then receiver."""
    kind, sender, receiver = key
    rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
    return (rank, sender, receiver)


@dataclass(slots=True)
class FlowView:
    """One flow of one round: each party's account and the derived figure."""

    key: FlowKey
    accounts: dict[str, tuple[str, dict[str, Any]]]
    figure: Interval
    best_party: str
    discrepancy: bool

    def party_figure(self, party: str) -> Interval:
        """The interval of one party's account."""
        return intervals.of(self.accounts[party][1])

    def as_json(self) -> dict[str, Any]:
        """The flow as in the ``rounds`` JSON contract."""
        kind, sender, receiver = self.key
        accounts = {p: {"id": fid, "count": count} for p, (fid, count) in self.accounts.items()}
        return {
            "kind": kind,
            "from": sender,
            "to": receiver,
            "accounts": accounts,
            **self.figure.as_json(),
            "best_party": self.best_party,
            "discrepancy": self.discrepancy,
        }


@dataclass(slots=True)
class RoundView:
    """One recorded round with its flows."""

    id: str
    data: dict[str, Any]
    revisions: int = 0
    flows: list[FlowView] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """The round's identity slug."""
        slug: str = self.data["round"]
        return slug

    def as_json(self) -> dict[str, Any]:
        """The round as in the ``rounds`` JSON contract."""
        data = self.data
        return {
            "round": data["round"],
            "id": self.id,
            "occurred_on": data["occurred_on"],
            "agreement": data.get("agreement"),
            "label": data.get("label"),
            "mediators": data.get("mediators", []),
            "revisions": self.revisions,
            "flows": [flow.as_json() for flow in self.flows],
            "notes": self.notes,
        }


def flow_view(key: FlowKey, accounts: dict[str, tuple[str, dict[str, Any]]]) -> FlowView:
    """Choose the best account and span the others."""
    _, sender, receiver = key
    if receiver in accounts:
        best_party = receiver
    elif sender in accounts:
        best_party = sender
    else:
        best_party = next(p for p in (*PARTIES, *sorted(accounts)) if p in accounts)
    ordered = {p: accounts[p] for p in (*PARTIES, *sorted(accounts)) if p in accounts}
    figures = [intervals.of(count) for _, count in ordered.values()]
    best = intervals.of(ordered[best_party][1])
    counts = {(c["value"], c.get("qualifier", "exact")) for _, c in ordered.values()}
    figure = intervals.envelope(figures, best)
    return FlowView(key, ordered, figure, best_party, len(counts) > 1)


def collect(state: State, as_of: str | None = None) -> list[RoundView]:
    """The current rounds that occurred by ``as_of``, in order, with their flows."""
    facts = state["facts"]
    views: dict[str, RoundView] = {}
    for slug, fact_id in state["rounds"].items():
        _, status, _, _, data = facts[fact_id]
        if status == CURRENT and occurred_by(data["occurred_on"], as_of):
            views[slug] = RoundView(fact_id, data)
    flows: dict[str, dict[FlowKey, dict[str, tuple[str, dict[str, Any]]]]] = {}
    get = views.get
    for fact_id, (kind, status, revisions, _, payload) in facts.items():
        if kind == TRANSFER:
            view = get(payload[0])
            if view is None:
                continue
            view.revisions += revisions
            if status != CURRENT:
                continue
            round_, flow, sender, receiver, party, value, qualifier = payload
            per_round = flows.get(round_)
            if per_round is None:
                per_round = flows[round_] = {}
            key = (flow, sender, receiver)
            per_flow = per_round.get(key)
            if per_flow is None:
                per_flow = per_round[key] = {}
            per_flow[party] = (fact_id, {"value": value, "qualifier": qualifier})
            continue
        view = get(payload.get("round", ""))
        if view is None:
            continue
        view.revisions += revisions
        if status == CURRENT and kind == "note.recorded":
            text, source = payload["text"], payload["source"]
            view.notes.append({"id": fact_id, "text": text, "source": source})
    ordered = sorted(views.values(), key=lambda v: (date_key(v.data["occurred_on"]), v.slug))
    for view in ordered:
        round_flows = flows.get(view.slug, {})
        view.flows = [flow_view(k, round_flows[k]) for k in sorted(round_flows, key=flow_order)]
    return ordered


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
        "rounds": [view.as_json() for view in collect(state, as_of)],
        "agreements": agreements(state),
    }
