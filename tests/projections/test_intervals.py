"""Quantities as intervals."""

from __future__ import annotations

from projections.intervals import ZERO, Interval, add, envelope, of, total


def test_exact_is_a_point() -> None:
    """An exact figure is a single point and exact."""
    assert Interval(5, 5, 5, False) == of({"value": 5, "qualifier": "exact"})
    assert of({"value": 5, "qualifier": "exact"}).exact


def test_at_least_leaves_the_upper_end_open() -> None:
    """An at_least figure has no upper end and is not exact."""
    figure = of({"value": 100, "qualifier": "at_least"})
    assert figure == (100, None, 100, False)
    assert not figure.exact


def test_at_most_runs_from_zero() -> None:
    """An at_most figure spans zero to the value."""
    assert Interval(0, 10, 10, False) == of({"value": 10, "qualifier": "at_most"})


def test_about_is_marked_approximate() -> None:
    """An about figure keeps its value but is approximate, hence not exact."""
    figure = of({"value": 300, "qualifier": "about"})
    assert figure == (300, 300, 300, True)
    assert not figure.exact


def test_exact_plus_exact_is_exact() -> None:
    """The sum of exact figures is exact."""
    assert Interval(7, 7, 7, False) == add(of({"value": 3, "qualifier": "exact"}), of({"value": 4}))
    assert add(of({"value": 3}), of({"value": 4})).exact


def test_a_lower_bound_term_opens_the_sum() -> None:
    """One at_least term makes the sum's upper end open and the sum inexact."""
    result = total([of({"value": 3}), of({"value": 4, "qualifier": "at_least"})])
    assert Interval(7, None, 7, False) == result
    assert not result.exact


def test_an_about_term_makes_the_sum_approximate() -> None:
    """One about term makes the sum approximate, never exact."""
    result = total([of({"value": 3}), of({"value": 4, "qualifier": "about"})])
    assert result.approx
    assert not result.exact


def test_empty_sum_is_zero() -> None:
    """Summing nothing gives the exact zero."""
    assert total([]) == ZERO


def test_envelope_spans_disagreeing_accounts() -> None:
    """Disagreeing accounts give a range, and the chosen best."""
    ua, ru = of({"value": 6057}), of({"value": 6060})
    result = envelope([ua, ru], ua)
    assert Interval(6057, 6060, 6057, False) == result
    assert not result.exact


def test_envelope_of_an_open_account_is_open() -> None:
    """If any account is a lower bound, the range has no upper end."""
    assert (
        envelope(
            [of({"value": 5}), of({"value": 4, "qualifier": "at_least"})], of({"value": 5})
        ).high
        is None
    )
