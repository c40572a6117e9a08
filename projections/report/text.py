"""How the report spells numbers, ranges, dates, URLs and free text for readers.

Pure functions of the store's values; the templates and the charts call them so
that a figure reads the same everywhere (``3,445``, ``≥ 3,755``, ``June 2025``).
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

QUALIFIER_WORDS = {"exact": "", "at_least": "≥ ", "at_most": "≤ ", "about": "about "}
"""The prefix a reader sees before a number of each qualifier."""

_DAY = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def number(value: int | None) -> str:
    """An integer with thousands separated (``3,445``); ``-`` for none."""
    return "-" if value is None else f"{value:,}"


def quantity(count: dict[str, Any] | None) -> str:
    """A reported count as people write it: ``6,057``, ``≥ 6,000``, ``about 300``."""
    if count is None:
        return "-"
    return QUALIFIER_WORDS.get(count.get("qualifier", "exact"), "? ") + number(count["value"])


def span(low: int | None, high: int | None) -> str:
    """A range of whole numbers: ``3,755`` when exact, ``≥ 3,755`` when open above."""
    if low is None and high is None:
        return "-"
    if high is None:
        return f"≥ {number(low)}"
    if low is None:
        return f"≤ {number(high)}"
    if low == high:
        return number(low)
    return f"{number(low)} to {number(high)}"


@functools.lru_cache(maxsize=4096)
def _one_date(value: str) -> str:
    match = _DAY.fullmatch(value)
    if match is None:
        return value
    year, month, day = match.groups()
    if month is None:
        return year
    name = calendar.month_name[int(month)]
    if day is None:
        return f"{name} {year}"
    return f"{int(day)} {name} {year}"


def human_date(value: str | None) -> str:
    """``2025`` stays ``2025``, ``2025-06`` reads ``June 2025``, an interval ``between A and B``."""
    if not value:
        return "-"
    if "/" in value:
        start, _, end = value.partition("/")
        return f"between {_one_date(start)} and {_one_date(end)}"
    return _one_date(value)


def safe_url(url: Any) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, else None (never linked)."""
    if not isinstance(url, str) or any(ord(c) < 33 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _is_hidden(char: str) -> bool:
    """Control, format (bidi overrides, zero-width) and separator characters other
    than the ordinary space: they could hide or reorder what a reader sees."""
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn") and char != "\n"


def visible(text: str) -> str:
    """Free text with every control or bidirectional character spelled ``<U+202E>``."""
    if text.isprintable():
        return text
    return "".join(f"<U+{ord(c):04X}>" if _is_hidden(c) else c for c in text)
