"""The one fold of the read side: ``apply(state, record)``, one handler per event type.

The state is made of plain containers only (dicts, tuples, str, int) holding
what the figures need of each fact (see ``projections.facts``), never the
records themselves, so folding is O(1) per event and the state stays small. It
is the specification of the read model (``projections.store``), and the
known-at / as-of queries derive their figures from it. Figures (rounds, totals,
trails of revised facts) are derived from the state by ``projections.rounds``,
and ``projections.totals`` when they are asked for.

Event types this version does not know are counted and otherwise ignored, so
an older reader can still replay a newer log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from eventlog import catalog
from projections import facts
from projections.facts import Record, State
from projections.timeaxes import EVERYTHING, KnownAt

Handler = Callable[[State, Record], None]

HANDLERS: dict[str, Handler] = {
    catalog.AGREEMENT: facts.on_agreement,
    catalog.ROUND: facts.on_round,
    catalog.TRANSFER: facts.on_fact,
    catalog.TOTAL: facts.on_fact,
    catalog.OFFER: facts.on_fact,
    catalog.NOTE: facts.on_fact,
    catalog.SOURCE: facts.on_fact,
    catalog.CORRECTED: facts.on_corrected,
    catalog.RETRACTED: facts.on_retracted,
}


def _ignore(state: State, record: Record) -> None:
    return None


def new_state() -> State:
    """The state of the empty log."""
    return {
        "seq": 0,
        "recorded_at": None,
        "events": 0,
        "facts": {},
        "steps": {},
        "rounds": {},
        "agreements": {},
        "members": {},
        "dirty": set(),
    }


def apply(state: State, record: Record) -> State:
    """Fold one record into the state (mutated in place and returned)."""
    HANDLERS.get(record["type"], _ignore)(state, record)
    state["events"] += 1
    state["seq"] = record["seq"]
    state["recorded_at"] = record["recorded_at"]
    return state


def fold(
    records: Iterable[Record], state: State | None = None, known_at: KnownAt = EVERYTHING
) -> State:
    """Fold records into ``state`` (a new one if None), stopping at the ``known_at`` cut.

    Records come in seq order with non-decreasing ``recorded_at``, so the
    first record past the cut ends the fold.
    """
    result = new_state() if state is None else state
    handlers = HANDLERS
    count = 0
    cut = known_at is not EVERYTHING
    last: Record | None = None
    for record in records:
        if cut and not known_at.admits(record):
            break
        handlers.get(record["type"], _ignore)(result, record)
        count += 1
        last = record
    result["events"] += count
    if last is not None:
        result["seq"] = last["seq"]
        result["recorded_at"] = last["recorded_at"]
    return result
