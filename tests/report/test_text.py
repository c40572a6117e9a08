"""How the report spells numbers, ranges, dates, URLs and free text."""

from __future__ import annotations

import pytest

from projections.report.text import human_date, number, quantity, safe_url, span, visible


def test_number_separates_thousands() -> None:
    """Integers read with thousands separated; a missing value is a dash."""
    assert [number(3445), number(24), number(1234567), number(None)] == [
        "3,445", "24", "1,234,567", "-"
    ]  # fmt: skip


def test_quantity_shows_the_qualifier() -> None:
    """A lower bound is never a bare number."""
    assert quantity({"value": 6000, "qualifier": "at_least"}) == "≥ 6,000"
    assert quantity({"value": 300, "qualifier": "about"}) == "about 300"
    assert quantity({"value": 6057, "qualifier": "exact"}) == "6,057"


def test_span_of_an_open_range_is_a_lower_bound() -> None:
    """A range without a high end reads ``≥ low``; an exact one is one number."""
    assert span(3755, None) == "≥ 3,755"
    assert span(3812, 3812) == "3,812"
    assert span(1000, 1200) == "1,000 to 1,200"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025", "2025"),
        ("2025-06", "June 2025"),
        ("2025-06-03", "3 June 2025"),
        ("2025-06/2025-12", "between June 2025 and December 2025"),
    ],
)
def test_reduced_precision_dates_read_as_such(value: str, expected: str) -> None:
    """A date keeps its precision: a year stays a year, a month is named."""
    assert human_date(value) == expected


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//example.org/x",
        "/relative",
        "file:///etc/passwd",
        "https://",
        "https://exa mple.org/",
    ],
)
def test_only_http_urls_are_linked(url: str) -> None:
    """Anything but an absolute http(s) URL with a host is never made a link."""
    assert safe_url(url) is None


def test_http_urls_are_kept_exactly() -> None:
    """An http(s) URL is linked as recorded."""
    url = "https://www.reuters.com/world/europe/a?b=1#c"
    assert safe_url(url) == url
    assert safe_url("HTTP://example.org") == "HTTP://example.org"


def test_control_and_bidi_characters_are_spelled_out() -> None:
    """Bidi overrides, isolates, zero-width and control characters become visible codes."""
    assert visible("a\u202eb\u2066c\u200bd\u0007e\tf") == (
        "a<U+202E>b<U+2066>c<U+200B>d<U+0007>e<U+0009>f"
    )
    assert visible("Київ “quoted” 6,060") == "Київ “quoted” 6,060"


def test_a_changed_source_shows_only_its_changed_fields() -> None:
    """A correction of a source reads as the fields it changed, old and new."""
    from projections.report.site import change

    old = {"attributed_to": "A", "party": "UA", "quote": "q"}
    new = {"attributed_to": "A", "party": "UA", "quote": "q", "document": "d-1"}
    assert change({"from": old, "to": new}) == "document (none) -> d-1"
    count = {"from": {"value": 1000, "qualifier": "exact"}, "to": {"value": 1100}}
    assert change(count) == "1,000 -> 1,100"
    assert change({"from": "2025", "to": "2025-06"}) == "2025 -> 2025-06"
