"""The fact-version fold: what each fact currently says, as far as the figures need it.

A *fact* is an event of one of ``FACT_TYPES``. The fold keeps, per fact, only
what rounds, totals and reconciliation read, in a small tuple (``Fact``)::

    (type, status, revisions, seq, payload)

``status`` is ``CURRENT`` or ``RETRACTED``; ``revisions`` counts the fact's
corrections and retractions; ``seq`` is where it was reported; ``payload`` is
the *kept* part of its current data (``KEPT`` names the fields per type). A
transfer, by far the commonest fact, keeps a flat tuple
``(round, kind, from, to, party, value, qualifier)``; other facts keep a dict
of their kept fields. Reported totals and offers are few and keep all their
data. Everything is plain containers, so the state marshals fast.

Each correction and retraction is kept whole (``state["steps"]``, per target)
so that the trails of revised facts can be replayed; the data a fact was
reported with is not kept: outputs that list every event stream it (see
``projections.rebuild``) and a single trail is replayed from the log
(``projections.trails.trail_in``).
"""

from __future__ import annotations

import sys
from typing import Any

from projections.errors import DanglingTarget

Record = dict[str, Any]
Fact = tuple[str, str, int, int, Any]
State = dict[str, Any]
Step = tuple[int, str, str, str, str, dict[str, Any]]
"""A revision as kept: (seq, event id, type, recorded_at, recorded_by, data)."""

FACT_TYPES = (
    "agreement.recorded",
    "round.recorded",
    "transfer.reported",
    "total.reported",
    "offer.reported",
    "note.recorded",
)
CURRENT = "current"
RETRACTED = "retracted"
TRANSFER = "transfer.reported"

KEPT: dict[str, tuple[str, ...] | None] = {
    "agreement.recorded": ("agreement", "title", "concluded_on", "place"),
    "round.recorded": ("round", "occurred_on", "agreement", "label", "mediators"),
    "note.recorded": ("round", "text", "source"),
    "total.reported": None,
    "offer.reported": None,
}
"""The fields each (non-transfer) fact type keeps; None keeps all."""

_intern = sys.intern


def corrected(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A fact's data after a correction: a null value removes the field."""
    result = dict(data)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def keep(kind: str, data: dict[str, Any]) -> Any:
    """The payload a fact of ``kind`` keeps of its ``data``."""
    if kind == TRANSFER:
        count = data["count"]
        return (
            _intern(data["round"]),
            _intern(data["kind"]),
            _intern(data["from"]),
            _intern(data["to"]),
            _intern(data["source"]["party"]),
            count["value"],
            _intern(count.get("qualifier", "exact")),
        )
    fields = KEPT.get(kind)
    if fields is None:
        return data
    return {key: value for key, value in data.items() if key in fields}


def kept_data(kind: str, payload: Any) -> dict[str, Any]:
    """A payload as a data dict (a transfer's source keeps only its party)."""
    if kind != TRANSFER:
        result: dict[str, Any] = payload
        return result
    round_, flow, sender, receiver, party, value, qualifier = payload
    return {
        "round": round_,
        "kind": flow,
        "from": sender,
        "to": receiver,
        "count": {"value": value, "qualifier": qualifier},
        "source": {"party": party},
    }


def data_of(state: State, fact_id: str) -> dict[str, Any]:
    """The kept part of a fact's current data, as a dict."""
    kind, _, _, _, payload = state["facts"][fact_id]
    return kept_data(kind, payload)


def on_fact(state: State, record: Record) -> None:
    """A fact is reported: it becomes current."""
    kind = record["type"]
    state["facts"][record["id"]] = (kind, CURRENT, 0, record["seq"], keep(kind, record["data"]))


def on_round(state: State, record: Record) -> None:
    """A round is recorded: a fact, indexed by its (never corrected) slug."""
    on_fact(state, record)
    state["rounds"][record["data"]["round"]] = record["id"]


def on_agreement(state: State, record: Record) -> None:
    """An agreement is recorded: a fact, indexed by its (never corrected) slug."""
    on_fact(state, record)
    state["agreements"][record["data"]["agreement"]] = record["id"]


def _revise(state: State, record: Record) -> tuple[str, Fact]:
    target = record["data"]["target"]
    fact: Fact | None = state["facts"].get(target)
    if fact is None:
        raise DanglingTarget(record["seq"], target)
    step: Step = (
        record["seq"],
        record["id"],
        record["type"],
        record["recorded_at"],
        record["recorded_by"],
        record["data"],
    )
    state["steps"].setdefault(target, []).append(step)
    return target, fact


def on_corrected(state: State, record: Record) -> None:
    """A correction replaces the named fields of its target's current data."""
    target, (kind, status, revisions, seq, payload) = _revise(state, record)
    data = corrected(kept_data(kind, payload), record["data"]["changes"])
    state["facts"][target] = (kind, status, revisions + 1, seq, keep(kind, data))


def on_retracted(state: State, record: Record) -> None:
    """A retraction drops the fact from every figure; its trail remains."""
    target, (kind, _, revisions, seq, payload) = _revise(state, record)
    state["facts"][target] = (kind, RETRACTED, revisions + 1, seq, payload)
