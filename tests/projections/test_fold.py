"""The fold: fact versions with corrections and retractions applied."""

from __future__ import annotations

from typing import Any

import pytest
from projection_logs import Log, istanbul, qty, source

from projections.errors import DanglingTarget
from projections.facts import RETRACTED, State, kept_data, payload
from projections.state import apply, fold, new_state
from projections.timeaxes import KnownAt


def data_of(state: State, fact_id: str) -> dict[str, Any]:
    """The kept part of a fact's current data, as a dict."""
    fact = state["facts"][fact_id]
    return kept_data(fact[0], payload(fact))


def test_empty_log_folds_to_the_empty_state() -> None:
    """Folding nothing gives seq 0 and no facts."""
    assert new_state() == fold([])


def test_apply_one_by_one_equals_fold() -> None:
    """Applying records one at a time gives the same state as folding them."""
    records = istanbul().records
    state = new_state()
    for record in records:
        state = apply(state, record)
    assert fold(records) == state


def test_correction_replaces_the_named_fields() -> None:
    """A corrected count becomes the fact's current count; other fields stay."""
    log = Log()
    log.round("r1", "2025-06-11")
    fact = log.transfer("r1", 3640, "UA")
    log.correct(fact, count=qty(3645))
    state = fold(log.records)
    assert qty(3645) == data_of(state, fact)["count"]
    assert data_of(state, fact)["round"] == "r1"


def test_correction_with_null_removes_an_optional_field() -> None:
    """A null value in changes removes the field from the current data."""
    log = Log()
    fact = log.round("r1", "2025-06-11", label="first")
    log.correct(fact, label=None)
    assert "label" not in data_of(fold(log.records), fact)


def test_correction_does_not_mutate_the_reported_data() -> None:
    """The record as reported keeps its data after a correction."""
    log = Log()
    fact = log.round("r1", "2025-06-11")
    log.correct(fact, occurred_on="2025-06-12")
    state = fold(log.records)
    assert log.records[0]["data"]["occurred_on"] == "2025-06-11"
    assert data_of(state, fact)["occurred_on"] == "2025-06-12"


def test_source_correction_applies() -> None:
    """A corrected source replaces the party a transfer counts for."""
    log = Log()
    log.round("r1", "2025-06-11")
    fact = log.transfer("r1", 10, "UA")
    log.correct(fact, source=source("RU", url="https://example.org/statement"))
    assert data_of(fold(log.records), fact)["source"] == {"party": "RU"}


def test_retraction_marks_the_fact_and_keeps_its_steps() -> None:
    """A retracted fact is marked retracted and the seq of its revision is kept for its trail."""
    log = Log()
    fact = log.note("rumour")
    log.retract(fact)
    state = fold(log.records)
    (kind, status, revisions, seq, _) = state["facts"][fact]
    assert (kind, status, revisions, seq) == ("note.recorded", RETRACTED, 1, 1)
    assert state["steps"][fact] == [2]


def test_correction_of_an_unknown_fact_is_refused() -> None:
    """A correction naming no earlier fact raises DanglingTarget with its seq."""
    log = Log()
    log.correct("nope", label="x")
    with pytest.raises(DanglingTarget) as caught:
        fold(log.records)
    assert (caught.value.seq, caught.value.target) == (1, "nope")


def test_unknown_event_types_are_counted_but_ignored() -> None:
    """An event type this version does not know changes no fact."""
    log = Log()
    log.add("future.thing", {"x": 1})
    state = fold(log.records)
    assert (state["facts"], state["events"], state["seq"]) == ({}, 1, 1)


def test_known_at_seq_stops_the_fold() -> None:
    """A seq cut folds the records up to that seq only."""
    state = fold(istanbul().records, known_at=KnownAt(seq=16))
    assert qty(3640) == data_of(state, "e6")["count"]
    assert state["seq"] == 16


def test_known_at_time_stops_the_fold() -> None:
    """A time cut folds the records recorded by then only."""
    records = istanbul().records
    state = fold(records, known_at=KnownAt(recorded_at=records[16]["recorded_at"]))
    assert (17, qty(3645)) == (state["seq"], data_of(state, "e6")["count"])


def test_folding_in_two_parts_equals_folding_whole() -> None:
    """Resuming a fold from a state equals folding everything at once."""
    records = istanbul().records
    assert fold(records) == fold(records[9:], fold(records[:9]))
