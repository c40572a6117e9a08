"""The archive's vocabulary, in one place and without pydantic.

Event types, fact types and their identity fields, parties, kinds, qualifiers
and their marks, the timestamp format and the correction-merge rule. The
models (``eventlog.events``), the rules, both CLIs and all of ``projections``
import these names instead of spelling them, so that adding an event type or
a party is a change here plus its model, fold handler and renderers, and a
test (``tests/test_catalog.py``) fails when one of those is missing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any, Final

AGREEMENT: Final = "agreement.recorded"
ROUND: Final = "round.recorded"
TRANSFER: Final = "transfer.reported"
TOTAL: Final = "total.reported"
OFFER: Final = "offer.reported"
NOTE: Final = "note.recorded"
SOURCE: Final = "source.recorded"
"""A document the archive quotes: a news report, a statement, a transcript."""
CORRECTED: Final = "fact.corrected"
RETRACTED: Final = "fact.retracted"

FACT_TYPES: Final[tuple[str, ...]] = (AGREEMENT, ROUND, TRANSFER, TOTAL, OFFER, NOTE, SOURCE)
"""Types that state a fact: each may later be corrected or retracted."""

REVISION_TYPES: Final[tuple[str, ...]] = (CORRECTED, RETRACTED)
"""Types that revise an earlier fact, named by ``data.target``."""

EVENT_TYPES: Final[tuple[str, ...]] = (*FACT_TYPES, *REVISION_TYPES)
"""Every event type a log may hold, in the order the catalogue documents them."""

IDENTITY_FIELDS: Final[dict[str, str]] = {
    AGREEMENT: "agreement",
    ROUND: "round",
    SOURCE: "document",
}
"""The slug a fact introduces: its identity, never corrected and never reused."""

FLOW_TYPES: Final[tuple[str, ...]] = (TRANSFER, TOTAL, OFFER)
"""Fact types with a direction (``kind``, ``from``, ``to``) and a ``count``."""

PARTIES: Final[tuple[str, ...]] = ("UA", "RU")
"""The two sides a transfer goes between."""

SOURCE_PARTIES: Final[tuple[str, ...]] = (*PARTIES, "other")
"""Whose account a fact is: one of the sides, or anyone else (a news outlet, the ICRC)."""

KINDS: Final[tuple[str, ...]] = ("bodies", "pows", "civilians")
"""What is transferred."""

QUALIFIERS: Final[tuple[str, ...]] = ("exact", "at_least", "at_most", "about")
"""How a reported number is meant: ``over 6,000`` is ``at_least`` 6000."""

QUALIFIER_MARKS: Final[dict[str, str]] = {
    "exact": "",
    "at_least": ">=",
    "at_most": "<=",
    "about": "~",
}
"""The mark a table puts before a number of each qualifier."""

ATTRIBUTIONS: Final[tuple[str, ...]] = ("stated", "inferred")
"""``stated``: the report names who said it (the default, stored absent); ``inferred``:
the maintainers' inference, not the report's words."""

SUPERSEDABLE: Final[dict[str, tuple[str, ...]]] = {
    TRANSFER: ("round", "kind", "from", "to"),
    TOTAL: ("kind", "from", "to", "scope"),
}
"""Fact types a report may replace (``supersedes``), with the data fields the replaced
fact must share besides its source's ``party``."""

MAX_COUNT: Final = 10**9
"""The largest count an event may state: far above any real figure, and sums of a
billion of them still fit in 64 bits."""

DATE_FIELDS: Final[frozenset[str]] = frozenset(
    {"occurred_on", "concluded_on", "as_of", "since", "published_on"}
)
"""Data fields (at any depth) holding a ``Date``."""

TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
"""``recorded_at``: UTC, microseconds, a literal ``Z``."""


def merge_correction(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A fact's data after a correction: changed fields replaced, ``null`` removes a field."""
    return {k: v for k, v in {**current, **changes}.items() if v is not None}


def mark(qualifier: str) -> str:
    """The table mark of a qualifier (``?`` for one this version does not know)."""
    return QUALIFIER_MARKS.get(qualifier, "?")


def _day_span(part: str) -> tuple[dt.date, dt.date]:
    """The first and last day of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (already checked)."""
    numbers = [int(p) for p in part.split("-")]
    if len(numbers) == 3:
        day = dt.date(numbers[0], numbers[1], numbers[2])
        return day, day
    if len(numbers) == 2:
        first = dt.date(numbers[0], numbers[1], 1)
        last_day = calendar.monthrange(numbers[0], numbers[1])[1]
        return first, dt.date(numbers[0], numbers[1], last_day)
    return dt.date(numbers[0], 1, 1), dt.date(numbers[0], 12, 31)


def date_span(value: str) -> tuple[str, str]:
    """A valid ``Date`` as the interval of days it stands for, ``(earliest, latest)``.

    ``2025`` is ``("2025-01-01", "2025-12-31")``; ``2025-06/2025-12`` is June 1 to
    December 31. Dates sort by earliest, then latest.
    """
    start, _, end = value.partition("/")
    first = _day_span(start)[0]
    last = _day_span(end or start)[1]
    return first.isoformat(), last.isoformat()
