"""The two time axes: what the archive knew (``--known-at``) and when things happened (``--as-of``).

Reduced-precision dates ("2025", "2025-06", "2025-06-16") stand for the whole
period they name. A date is compared through its earliest and latest possible
day, and a period counts as inside a range when it *may* overlap it:

* ``occurred_by(d, D)``: ``d`` may have happened by the end of ``D``, i.e.
  ``earliest(d) <= latest(D)``. So a round dated "2025-06" counts as of
  "2025-06-16", and everything in June counts as of "2025-06".
* ``occurred_since(d, S)``: ``d`` may have happened on or after ``S``, i.e.
  ``latest(d) >= earliest(S)``.

``--known-at`` is either a seq (replay records with ``seq <= N``) or a UTC
timestamp (replay records with ``recorded_at <= T``; a timestamp without a
zone is taken as UTC, a bare date as its midnight).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from eventlog.catalog import TIMESTAMP_FORMAT
from projections.errors import InvalidDate, InvalidKnownAt

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@lru_cache(maxsize=4096)
def earliest(value: str) -> str:
    """The first day a (possibly reduced-precision) date may denote, as YYYY-MM-DD."""
    if len(value) == 4:
        return value + "-01-01"
    if len(value) == 7:
        return value + "-01"
    return value


@lru_cache(maxsize=4096)
def latest(value: str) -> str:
    """The last day a (possibly reduced-precision) date may denote, as YYYY-MM-DD."""
    if len(value) == 4:
        return value + "-12-31"
    if len(value) == 7:
        last = calendar.monthrange(int(value[:4]), int(value[5:7]))[1]
        return f"{value}-{last:02d}"
    return value


def occurred_by(value: str, as_of: str | None) -> bool:
    """Whether a date may lie on or before the end of ``as_of`` (always, if None)."""
    return as_of is None or earliest(value) <= latest(as_of)


def occurred_since(value: str, since: str) -> bool:
    """Whether a date may lie on or after the start of ``since``."""
    return latest(value) >= earliest(since)


def date_key(value: str) -> tuple[str, str]:
    """Sort key: earliest possible day, then the text (coarser dates first on a tie)."""
    return (earliest(value), value.ljust(10, " "))


def parse_date(text: str) -> str:
    """Validate a YYYY, YYYY-MM or YYYY-MM-DD date; raises ``InvalidDate``."""
    match = _DATE_RE.fullmatch(text.strip())
    if match is None:
        raise InvalidDate(text)
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise InvalidDate(text) from None
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


def parse_known_at(text: str | None) -> KnownAt:
    """Parse ``--known-at``: a seq or a timestamp; raises ``InvalidKnownAt``."""
    if text is None:
        return EVERYTHING
    value = text.strip()
    if value.isdigit():
        return KnownAt(seq=int(value))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidKnownAt(text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)
    return KnownAt(recorded_at=stamp)
