"""Revision trails: each fact's versions in order, replayed from its steps.

A version is one step of the fact: ``reported`` (its first record),
``corrected`` (``changes`` maps each field the correction names to
``{"from", "to"}``, null meaning absent) or ``retracted``. ``data`` is the
fact's full data after that step.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from projections.errors import UnknownFact
from projections.facts import CURRENT, Fact, State, corrected


def versions(fact: Fact) -> list[dict[str, Any]]:
    """The fact's versions, oldest first."""
    result = []
    data: dict[str, Any] = {}
    for step in fact["steps"]:
        kind = step["type"]
        changes: dict[str, Any] | None = None
        reason = step["data"].get("reason")
        if kind == "fact.corrected":
            action = "corrected"
            named = step["data"]["changes"]
            after = corrected(data, named)
            changes = {k: {"from": data.get(k), "to": after.get(k)} for k in named}
            data = after
        elif kind == "fact.retracted":
            action = "retracted"
        else:
            action, data, reason = "reported", step["data"], None
        result.append(
            {
                "seq": step["seq"],
                "event_id": step["id"],
                "recorded_at": step["recorded_at"],
                "recorded_by": step["recorded_by"],
                "action": action,
                "data": data,
                "changes": changes,
                "reason": reason,
                "source": step["data"].get("source") if action != "reported" else None,
            }
        )
    return result


def trail_of(fact_id: str, fact: Fact) -> dict[str, Any]:
    """One fact's trail as in the ``trail`` JSON contract."""
    return {
        "id": fact_id,
        "type": fact["type"],
        "status": "current" if fact["status"] == CURRENT else "retracted",
        "versions": versions(fact),
    }


def trail(state: State, fact_id: str) -> dict[str, Any]:
    """The trail of one fact; raises ``UnknownFact``."""
    fact = state["facts"].get(fact_id)
    if fact is None:
        raise UnknownFact(fact_id, state["seq"])
    return trail_of(fact_id, fact)


def all_trails(state: State) -> Iterator[dict[str, Any]]:
    """Every fact's trail, in the order the facts were reported."""
    for fact_id, fact in state["facts"].items():
        yield trail_of(fact_id, fact)
