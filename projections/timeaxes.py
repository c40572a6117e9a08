"""The two time axes: what the archive knew (``--known-at``) and when things happened (``--as-of``).

Every date is an interval of days ``[earliest, latest]``: ``2025`` is
2025-01-01..2025-12-31, ``2025-06`` is June, ``2025-06/2025-12`` (EDTF level 1)
runs from the first day of its start to the last day of its end. Dates sort
by earliest, then latest day.

Under ``--as-of D`` (the last day of ``D``), a round is *certainly* done when
its latest day is on or before it, and *possibly* done when its earliest day
is: ``low`` counts only the first, ``high`` both, and a figure is not exact
while a counted round is only possibly done. "Since ``S``" takes rounds whose
latest day is on or after the first day of ``S`` (certainly: their earliest).

``--known-at`` is a seq (records with ``seq <= N``) or a UTC timestamp
(``recorded_at <= T``; no zone means UTC, a bare date its midnight). Digits
are ASCII only, on both axes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from projections.errors import InvalidDate, InvalidKnownAt

_POINT = r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?"
_DATE_RE = re.compile(rf"({_POINT})(?:/({_POINT}))?", re.ASCII)
_SEQ_RE = re.compile(r"[0-9]+", re.ASCII)
_STAMP_RE = re.compile(r"[0-9T:.+\-Z ]+", re.ASCII)


def _first(point: str) -> str:
    if len(point) == 4:
        return point + "-01-01"
    if len(point) == 7:
        return point + "-01"
    return point


def _last(point: str) -> str:
    if len(point) == 4:
        return point + "-12-31"
    if len(point) == 7:
        last = calendar.monthrange(int(point[:4]), int(point[5:7]))[1]
        return f"{point}-{last:02d}"
    return point


@lru_cache(maxsize=8192)
def earliest(value: str) -> str:
    """The first day a date (point or ``START/END``) may denote, as YYYY-MM-DD."""
    return _first(value.partition("/")[0])


@lru_cache(maxsize=8192)
def latest(value: str) -> str:
    """The last day a date (point or ``START/END``) may denote, as YYYY-MM-DD."""
    start, _, end = value.partition("/")
    return _last(end or start)


def possibly_by(value: str, as_of: str | None) -> bool:
    """Whether a date may lie on or before the end of ``as_of`` (always, if None)."""
    return as_of is None or earliest(value) <= latest(as_of)


def certainly_by(value: str, as_of: str | None) -> bool:
    """Whether a date certainly lies on or before the end of ``as_of`` (always, if None)."""
    return as_of is None or latest(value) <= latest(as_of)


occurred_by = possibly_by
"""Whether a claim or round counts as of a date at all: it may have happened by then."""


def date_key(value: str) -> tuple[str, str]:
    """Sort key: earliest possible day, then latest."""
    return (earliest(value), latest(value))


def parse_date(text: str) -> str:
    """Validate a date (YYYY, YYYY-MM, YYYY-MM-DD or START/END); raises ``InvalidDate``."""
    match = _DATE_RE.fullmatch(text.strip())
    if match is None:
        raise InvalidDate(text)
    for point in match.groups():
        if point is None:
            continue
        year, month, day = [*point.split("-"), "01", "01"][:3]
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            raise InvalidDate(text) from None
    start, end = match.groups()
    if end is not None and _first(start) > _last(end):
        raise InvalidDate(text)
    return match.group(0)


@dataclass(frozen=True, slots=True)
class KnownAt:
    """A cut of the log: up to a seq, or up to a recording time (None: everything)."""

    seq: int | None = None
    recorded_at: str | None = None

    def admits(self, record: Mapping[str, Any]) -> bool:
        """Whether the record had been recorded at this moment."""
        if self.seq is not None and record["seq"] > self.seq:
            return False
        return self.recorded_at is None or record["recorded_at"] <= self.recorded_at


EVERYTHING = KnownAt()


def stamp(moment: datetime) -> str:
    """A UTC moment in the log's ``recorded_at`` format (years below 1000 zero-padded)."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:"
        f"{m.second:02d}.{m.microsecond:06d}Z"
    )


def parse_known_at(text: str | None) -> KnownAt:
    """Parse ``--known-at``: a seq or a timestamp; raises ``InvalidKnownAt``."""
    if text is None:
        return EVERYTHING
    value = text.strip()
    if _SEQ_RE.fullmatch(value):
        try:
            return KnownAt(seq=int(value))
        except ValueError:  # over Python's int-conversion digit limit
            raise InvalidKnownAt(text) from None
    if not _STAMP_RE.fullmatch(value):
        raise InvalidKnownAt(text)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return KnownAt(recorded_at=stamp(moment))
    except (ValueError, OverflowError):
        raise InvalidKnownAt(text) from None
