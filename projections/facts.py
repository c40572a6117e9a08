"""The fact-version fold: what each fact currently says, as far as the figures need it.

A *fact* is an event of one of ``FACT_TYPES``. The fold keeps, per fact, only
what rounds, totals and reconciliation read, in one small flat tuple
(``Fact``), so that a million facts stay in a few hundred bytes each::

    (type, status, revisions, seq, payload)                      other facts
    (type, status, revisions, seq, round, ((kind, from, to), party, inferred),
     value, qualifier)                                           a transfer
    (type, status, revisions, seq, round, occurred_on,
     agreement, label, mediators)                                a round

``status`` is ``CURRENT``, ``RETRACTED`` or ``SUPERSEDED`` (a later report
of the same type named it in ``supersedes``); ``revisions`` counts the fact's
corrections, retractions and supersessions; ``seq`` is where it was reported. Transfers and
rounds, by far the commonest facts, keep their fields inline, and a transfer's
flow and party are one shared tuple (there are only a few such pairs); other
facts keep a dict of their kept fields (``KEPT``); reported totals and offers
are few and keep all their data. Repeated strings (slugs, dates, parties) are
interned. The known-at and as-of queries of the store build this state from
the store's fact versions (``projections.history``), so it stays compact.

Two indexes serve the per-round derivation (``projections.rounds``):
``members`` lists, per round slug, the transfers and notes whose current data
names the round (in report order), and ``dirty`` collects the slugs of the
rounds whose figures may have changed since the outputs were last written
(the rebuild clears it when it publishes).

Of each revision the fold keeps only its seq (``state["steps"]``, per target).
"""

from __future__ import annotations

import sys
from typing import Any

from eventlog import catalog
from projections.errors import DanglingTarget

Record = dict[str, Any]
Fact = tuple[Any, ...]
State = dict[str, Any]
Step = tuple[int, str, str, str, str, dict[str, Any]]
"""A step of a trail: (seq, event id, type, recorded_at, recorded_by, data)."""

FACT_TYPES: tuple[str, ...] = tuple(dict.fromkeys((*catalog.FACT_TYPES, catalog.SOURCE)))
CURRENT = "current"
RETRACTED = "retracted"
SUPERSEDED = "superseded"
TRANSFER = catalog.TRANSFER
ROUND = catalog.ROUND
NOTE = catalog.NOTE
FLAT = (TRANSFER, ROUND)
"""The fact types whose fields are kept inline in the fact tuple."""
ROUND_FIELDS = ("round", "occurred_on", "agreement", "label", "mediators")

KEPT: dict[str, tuple[str, ...] | None] = {
    catalog.AGREEMENT: ("agreement", "title", "concluded_on", "place"),
    catalog.NOTE: ("round", "text", "source"),
    catalog.SOURCE: None,
    catalog.TOTAL: None,
    catalog.OFFER: None,
}
"""The fields each dict-keeping fact type keeps; None keeps all."""

_intern = sys.intern
_shared: dict[Any, Any] = {}


def _share(value: Any) -> Any:
    """One object per distinct value (strings and mediator lists repeat across rounds)."""
    if value is None:
        return None
    if type(value) is str:
        return _intern(value)
    if type(value) is list:
        value = tuple(_intern(v) if type(v) is str else v for v in value)
    try:
        return _shared.setdefault(value, value)
    except TypeError:
        return value


def corrected(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A fact's data after a correction: a null value removes the field."""
    result = dict(data)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def keep(kind: str, data: dict[str, Any]) -> tuple[Any, ...]:
    """The fields after (type, status, revisions, seq) that a fact of ``kind`` keeps."""
    if kind == TRANSFER:
        count, source = data["count"], data["source"]
        flow = _share((_intern(data["kind"]), _intern(data["from"]), _intern(data["to"])))
        return (
            _intern(data["round"]),
            _share((flow, _intern(source["party"]), source.get("attribution") == "inferred")),
            count["value"],
            _intern(count.get("qualifier", "exact")),
        )
    if kind == ROUND:
        return tuple(_share(data.get(key)) for key in ROUND_FIELDS)
    fields = KEPT.get(kind)
    if fields is None:
        return (data,)
    return ({key: value for key, value in data.items() if key in fields},)


def payload(fact: Fact) -> Any:
    """What a fact keeps besides (type, status, revisions, seq)."""
    return fact[4:] if fact[0] in FLAT else fact[4]


def kept_data(kind: str, kept: Any) -> dict[str, Any]:
    """A kept payload as a data dict (a transfer's source keeps only its party)."""
    if kind == TRANSFER:
        round_, ((flow, sender, receiver), party, inferred), value, qualifier = kept
        source = {"party": party, "attribution": "inferred"} if inferred else {"party": party}
        return {
            "round": round_,
            "kind": flow,
            "from": sender,
            "to": receiver,
            "count": {"value": value, "qualifier": qualifier},
            "source": source,
        }
    if kind == ROUND:
        data = {k: v for k, v in zip(ROUND_FIELDS, kept, strict=True) if v is not None}
        if "mediators" in data:
            data["mediators"] = list(data["mediators"])
        return data
    result: dict[str, Any] = kept
    return result


def round_of(fact: Fact) -> str | None:
    """The round a transfer or note currently names (None for other facts)."""
    if fact[0] == TRANSFER:
        slug: str = fact[4]
        return slug
    if fact[0] == NOTE:
        named: str | None = fact[4].get("round")
        return named
    return None


def _join(state: State, fact_id: str, fact: Fact) -> None:
    """Index a transfer or note under the round it names, in report order."""
    slug = round_of(fact)
    if slug is None:
        return
    members = state["members"].setdefault(slug, [])
    members.append(fact_id)
    if len(members) > 1:
        facts = state["facts"]
        if facts[members[-2]][3] > fact[3]:
            members.sort(key=lambda member: facts[member][3])
    state["dirty"].add(slug)


def on_fact(state: State, record: Record) -> None:
    """A fact is reported: it becomes current, and the fact it ``supersedes`` leaves the figures."""
    kind = record["type"]
    fact = (kind, CURRENT, 0, record["seq"], *keep(kind, record["data"]))
    state["facts"][record["id"]] = fact
    _join(state, record["id"], fact)
    replaced = record["data"].get("supersedes")
    if replaced is not None:
        old = state["facts"].get(replaced)
        if old is not None and old[1] == CURRENT:
            _revise(state, replaced, record["seq"], old)
            state["facts"][replaced] = (old[0], SUPERSEDED, old[2] + 1, *old[3:])


def on_round(state: State, record: Record) -> None:
    """A round is recorded: a fact, indexed by its (never corrected) slug."""
    on_fact(state, record)
    slug = _intern(record["data"]["round"])
    state["rounds"][slug] = record["id"]
    state["dirty"].add(slug)


def on_agreement(state: State, record: Record) -> None:
    """An agreement is recorded: a fact, indexed by its (never corrected) slug."""
    on_fact(state, record)
    state["agreements"][record["data"]["agreement"]] = record["id"]


def _revise(state: State, target: str, seq: int, fact: Fact) -> str:
    state["steps"].setdefault(target, []).append(seq)
    old = round_of(fact)
    if old is not None:
        state["dirty"].add(old)
    if fact[0] == ROUND:
        state["dirty"].add(fact[4])
    return target


def _target(state: State, record: Record) -> Fact:
    target = record["data"]["target"]
    fact: Fact | None = state["facts"].get(target)
    if fact is None:
        raise DanglingTarget(record["seq"], target)
    return fact


def on_corrected(state: State, record: Record) -> None:
    """A correction replaces the named fields of its target's current data."""
    fact = _target(state, record)
    target = _revise(state, record["data"]["target"], record["seq"], fact)
    kind, status, revisions, seq = fact[:4]
    data = corrected(kept_data(kind, payload(fact)), record["data"]["changes"])
    new = (kind, status, revisions + 1, seq, *keep(kind, data))
    state["facts"][target] = new
    old_round, new_round = round_of(fact), round_of(new)
    if old_round != new_round:
        if old_round is not None:
            state["members"][old_round].remove(target)
        if new_round is not None:
            _join(state, target, new)


def on_retracted(state: State, record: Record) -> None:
    """A retraction drops the fact from every figure; its trail remains."""
    fact = _target(state, record)
    target = _revise(state, record["data"]["target"], record["seq"], fact)
    state["facts"][target] = (fact[0], RETRACTED, fact[2] + 1, *fact[3:])
