"""The oracle of revision trails: each fact's versions, replayed from the log's records.

The store answers ``projections trail`` from its ``fact_versions``; the tests
hold it equal to this replay at every known-at cut.


A version is one step of the fact: ``reported`` (its first record),
``corrected`` (``changes`` maps each field the correction names to
``{"from", "to"}``, null meaning absent), ``retracted``, or ``superseded`` (a
later report of the same type names it in ``supersedes``; ``superseded_by``
is that report's id). ``data`` is the fact's full data after that step.


"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from projections.errors import UnknownFact
from projections.facts import (
    CURRENT,
    FACT_TYPES,
    RETRACTED,
    SUPERSEDED,
    Record,
    Step,
    corrected,
)
from projections.timeaxes import EVERYTHING, KnownAt


def step_of(record: Record) -> Step:
    """A record as a trail step."""
    return (
        record["seq"],
        record["id"],
        record["type"],
        record["recorded_at"],
        record["recorded_by"],
        record["data"],
    )


def versions(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """The versions of a fact whose first step is its report, oldest first."""
    result = []
    data: dict[str, Any] = {}
    for index, (seq, event_id, kind, recorded_at, recorded_by, step_data) in enumerate(steps):
        changes: dict[str, Any] | None = None
        reason = step_data.get("reason")
        by: str | None = None
        if index and kind in FACT_TYPES:
            action, reason, by = "superseded", None, event_id
        elif kind == "fact.corrected":
            action = "corrected"
            named = step_data["changes"]
            after = corrected(data, named)
            changes = {k: {"from": data.get(k), "to": after.get(k)} for k in named}
            data = after
        elif kind == "fact.retracted":
            action = "retracted"
        else:
            action, data, reason = "reported", step_data, None
        result.append(
            {
                "seq": seq,
                "event_id": event_id,
                "recorded_at": recorded_at,
                "recorded_by": recorded_by,
                "action": action,
                "data": data,
                "changes": changes,
                "reason": reason,
                "source": step_data.get("source") if action in REVISED else None,
                "superseded_by": by,
            }
        )
    return result


REVISED = ("corrected", "retracted")


def status_of(steps: list[Step]) -> str:
    """Retracted if any step retracts, else superseded if a later report replaced it."""
    if any(step[2] == "fact.retracted" for step in steps):
        return RETRACTED
    if any(step[2] in FACT_TYPES for step in steps[1:]):
        return SUPERSEDED
    return CURRENT


def trail_of(fact_id: str, steps: list[Step]) -> dict[str, Any]:
    """One fact's trail as in the ``trail`` JSON contract, from its report and revisions."""
    return {
        "id": fact_id,
        "type": steps[0][2],
        "status": status_of(steps),
        "versions": versions(steps),
    }


def all_trails(records: Iterable[Record], known_at: KnownAt = EVERYTHING) -> list[dict[str, Any]]:
    """Every fact's trail, in the order the facts were reported."""
    steps: dict[str, list[Step]] = {}
    for record in _admitted(records, known_at):
        kind = record["type"]
        if kind in FACT_TYPES:
            steps[record["id"]] = [step_of(record)]
            _supersede(steps, record)
        elif kind in ("fact.corrected", "fact.retracted"):
            held = steps.get(record["data"]["target"])
            if held is not None:
                held.append(step_of(record))
    return [trail_of(fact_id, held) for fact_id, held in steps.items()]


def trail_in(
    records: Iterable[Record], fact_id: str, known_at: KnownAt = EVERYTHING
) -> dict[str, Any]:
    """The trail of one fact, replayed from the records; raises ``UnknownFact``."""
    steps: list[Step] = []
    seq = 0
    for record in _admitted(records, known_at):
        seq = record["seq"]
        if record["id"] == fact_id and record["type"] in FACT_TYPES:
            steps = [step_of(record)]
        elif steps and record["type"] in FACT_TYPES:
            _supersede({fact_id: steps}, record)
        elif (
            steps
            and record["type"] in ("fact.corrected", "fact.retracted")
            and record["data"]["target"] == fact_id
        ):
            steps.append(step_of(record))
    if not steps:
        raise UnknownFact(fact_id, seq)
    return trail_of(fact_id, steps)


def _supersede(steps: dict[str, list[Step]], record: Record) -> None:
    """A report naming a current fact in ``supersedes`` is a step of that fact's trail."""
    held = steps.get(record["data"].get("supersedes") or "")
    if held is not None and status_of(held) == CURRENT:
        held.append(step_of(record))


def _admitted(records: Iterable[Record], known_at: KnownAt) -> Iterator[Record]:
    cut = known_at is not EVERYTHING
    for record in records:
        if cut and not known_at.admits(record):
            return
        yield record
