"""The reconciliation gap keeps the uncertainty of the figures it subtracts."""

from __future__ import annotations

from projections.intervals import figure_of
from projections.render import _gap
from projections.totals import gap_range


def test_exact_minus_exact_is_an_exact_gap() -> None:
    """6,060 reported against an exact 2,245 is a gap of exactly 3,815."""
    span = gap_range(figure_of(6060, "exact"), figure_of(2245, "exact"))
    assert span == {"low": 3815, "high": 3815, "exact": True}


def test_lower_bound_gives_an_open_gap() -> None:
    """'Over 6,000' against an exact 2,245 is a gap of at least 3,755, not exactly 3,755."""
    span = gap_range(figure_of(6000, "at_least"), figure_of(2245, "exact"))
    assert span == {"low": 3755, "high": None, "exact": False}
    assert _gap({"gap": 3755, "gap_range": span}) == ">=3755"


def test_open_rounds_sum_leaves_the_gap_unbounded_below() -> None:
    """An exact claim against a sum with an open upper end can be any amount lower."""
    span = gap_range(figure_of(100, "exact"), figure_of(40, "at_least"))
    assert span == {"low": None, "high": 60, "exact": False}
    assert _gap({"gap": 60, "gap_range": span}) == "<=60"


def test_about_figures_give_an_approximate_gap() -> None:
    """'About 500' against an exact 200 is shown as approximately 300."""
    span = gap_range(figure_of(500, "about"), figure_of(200, "exact"))
    assert span == {"low": 300, "high": 300, "exact": False}
    assert _gap({"gap": 300, "gap_range": span}) == "~300"
