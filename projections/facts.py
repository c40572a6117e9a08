"""The fact-version fold: each fact's current data, with corrections and retractions applied.

A *fact* is an event of one of ``FACT_TYPES``. Its entry in ``state["facts"]``
is a plain dict (cheap to fold, cheap to marshal)::

    {"type": str, "data": <current data>, "status": "current" | "retracted",
     "steps": [<the fact's record>, <each correction / retraction record>...]}

``steps`` holds the records themselves, so a trail can be replayed from them;
a correction never mutates earlier data, it builds a new dict.
"""

from __future__ import annotations

from typing import Any

from projections.errors import DanglingTarget

Record = dict[str, Any]
Fact = dict[str, Any]
State = dict[str, Any]

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


def corrected(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A fact's data after a correction: a null value removes the field."""
    result = dict(data)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def on_fact(state: State, record: Record) -> None:
    """A fact is reported: it becomes current with its first step."""
    data = record["data"]
    state["facts"][record["id"]] = {
        "type": record["type"],
        "data": data,
        "status": CURRENT,
        "steps": [record],
    }


def on_round(state: State, record: Record) -> None:
    """A round is recorded: a fact, indexed by its (never corrected) slug."""
    on_fact(state, record)
    state["rounds"][record["data"]["round"]] = record["id"]


def on_agreement(state: State, record: Record) -> None:
    """An agreement is recorded: a fact, indexed by its (never corrected) slug."""
    on_fact(state, record)
    state["agreements"][record["data"]["agreement"]] = record["id"]


def _target(state: State, record: Record) -> Fact:
    fact: Fact | None = state["facts"].get(record["data"]["target"])
    if fact is None:
        raise DanglingTarget(record["seq"], record["data"]["target"])
    return fact


def on_corrected(state: State, record: Record) -> None:
    """A correction replaces the named fields of its target's current data."""
    fact = _target(state, record)
    fact["data"] = corrected(fact["data"], record["data"]["changes"])
    fact["steps"].append(record)


def on_retracted(state: State, record: Record) -> None:
    """A retraction drops the fact from every figure; its trail remains."""
    fact = _target(state, record)
    fact["status"] = RETRACTED
    fact["steps"].append(record)
