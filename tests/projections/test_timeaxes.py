"""Reduced-precision dates and the known-at cut."""

from __future__ import annotations

import pytest

from projections.errors import InvalidDate, InvalidKnownAt
from projections.timeaxes import (
    KnownAt,
    certainly_by,
    date_key,
    earliest,
    latest,
    occurred_by,
    parse_date,
    parse_known_at,
    possibly_by,
)


def test_earliest_and_latest_days_of_reduced_dates() -> None:
    """A year or month stands for its first through last day."""
    assert (earliest("2025"), latest("2025")) == ("2025-01-01", "2025-12-31")
    assert (earliest("2024-02"), latest("2024-02")) == ("2024-02-01", "2024-02-29")
    assert (earliest("2025-06-16"), latest("2025-06-16")) == ("2025-06-16", "2025-06-16")


def test_a_month_counts_as_occurred_by_a_day_inside_it() -> None:
    """A round dated 2025-06 may have occurred by 2025-06-16, so it counts."""
    assert occurred_by("2025-06", "2025-06-16")


def test_a_day_counts_as_of_its_month() -> None:
    """As of 2025-06 means by the end of June."""
    assert occurred_by("2025-06-30", "2025-06")
    assert not occurred_by("2025-07-01", "2025-06")


def test_no_as_of_admits_everything() -> None:
    """Without --as-of every date counts."""
    assert occurred_by("2099", None)


def test_dates_sort_by_earliest_then_latest_day() -> None:
    """2025-06-01 (one day) sorts before 2025-06 (the month), which sorts before 2025-06-02."""
    assert sorted(["2025-06-02", "2025-06", "2025-06-01"], key=date_key) == [
        "2025-06-01",
        "2025-06",
        "2025-06-02",
    ]


def test_an_interval_is_its_start_first_day_to_its_end_last_day() -> None:
    """2025-06/2025-12 runs from 1 June to 31 December 2025 and sorts after June 2025."""
    assert (earliest("2025-06/2025-12"), latest("2025-06/2025-12")) == (
        "2025-06-01",
        "2025-12-31",
    )
    assert sorted(["2025-06/2025-12", "2025-06"], key=date_key) == ["2025-06", "2025-06/2025-12"]


def test_as_of_a_date_a_year_is_only_possibly_done() -> None:
    """As of 2025-01-01 a round dated 2025 is possibly done (high) but not certainly (low)."""
    assert possibly_by("2025", "2025-01-01")
    assert not certainly_by("2025", "2025-01-01")
    assert certainly_by("2025", "2025-12-31")


@pytest.mark.parametrize(
    "text", ["\uff11\uff19\uff19\uff19", "\u0662\u0660\u0662\u0665-\u0660\u0666", "2025-12/2025-06"]
)
def test_non_ascii_and_reversed_dates_are_refused(text: str) -> None:
    """Non-ASCII digits, a reversed interval and a day off the calendar are not dates."""
    with pytest.raises(InvalidDate):
        parse_date(text)


@pytest.mark.parametrize("text", ["²", "٣", "0001-01-01T00:00:00+01:00", "yesterday"])
def test_bad_known_at_is_refused(text: str) -> None:
    """Superscripts, other scripts' digits and a moment before year 1 in UTC are refused."""
    with pytest.raises(InvalidKnownAt):
        parse_known_at(text)


def test_known_at_year_999_means_year_999() -> None:
    """--known-at 0999-06-01 is a moment in the year 999, zero-padded like recorded_at."""
    assert parse_known_at("0999-06-01").recorded_at == "0999-06-01T00:00:00.000000Z"


@pytest.mark.parametrize("text", ["2025-13", "2025-02-30", "June", "25-06-01", ""])
def test_bad_dates_are_refused(text: str) -> None:
    """Dates off the calendar or in another format raise InvalidDate."""
    with pytest.raises(InvalidDate):
        parse_date(text)


def test_known_at_seq() -> None:
    """A number is a seq."""
    assert KnownAt(seq=12) == parse_known_at("12")


def test_known_at_timestamp_is_normalised_to_utc() -> None:
    """A timestamp with an offset becomes the fixed-width UTC form of recorded_at."""
    expected = KnownAt(recorded_at="2025-06-16T08:00:00.000000Z")
    assert expected == parse_known_at("2025-06-16T10:00:00+02:00")
    assert expected == parse_known_at("2025-06-16T08:00:00Z")


def test_known_at_garbage_is_refused() -> None:
    """Neither a seq nor a timestamp raises InvalidKnownAt."""
    with pytest.raises(InvalidKnownAt):
        parse_known_at("yesterday")


def test_known_at_admits_by_seq_and_time() -> None:
    """The cut admits records up to and including its seq or time."""
    record = {"seq": 5, "recorded_at": "2025-06-16T08:00:00.000000Z"}
    assert KnownAt(seq=5).admits(record)
    assert not KnownAt(seq=4).admits(record)
    assert KnownAt(recorded_at="2025-06-16T08:00:00.000000Z").admits(record)
    assert not KnownAt(recorded_at="2025-06-16T07:59:59.999999Z").admits(record)
