"""The archive's value types: dates, slugs, ids, URLs and the character rules of text.

Each is an annotated ``str`` whose check says in words what is wrong, and whose JSON
Schema states the same rule as a pattern where a pattern can (a calendar check and an
interval's order cannot be). Imports only the catalogue.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetCoreSchemaHandler, StringConstraints
from pydantic_core import core_schema

from eventlog import catalog

_PART = r"[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?"
DATE_PATTERN = rf"^{_PART}(?:/{_PART})?$"
"""A ``Date``'s form, stated in the JSON Schema too (ASCII digits only); the calendar
check (no 2025-02-30) and start <= end are checked by ``_check_date`` alone."""
_DATE_RE = re.compile(
    r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?", re.ASCII
)

# Characters refused in strings. Control characters (C0, DEL, C1) and lone surrogates
# anywhere; newline and tab only in prose (note text, reasons). Bidirectional controls
# and zero-width characters in names, which a reader must see as they are stored.
_CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_INVISIBLE = r"\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_ANY = r"\x00-\x1f\x7f-\x9f"
_SURROGATES = "\ud800-\udfff"


def _pattern(refused: str) -> str:
    """A JSON Schema pattern: none of ``refused``, and something that is not whitespace."""
    return f"^[^{refused}]*[^\\s{refused}][^{refused}]*$"


PROSE_PATTERN = _pattern(_CONTROLS)
TEXT_PATTERN = _pattern(_ANY)
NAME_PATTERN = _pattern(_ANY + _INVISIBLE)
_PROSE_BAD = re.compile(f"[{_CONTROLS}{_SURROGATES}]")
_TEXT_BAD = re.compile(f"[{_ANY}{_SURROGATES}]")
_NAME_BAD = re.compile(f"[{_ANY}{_INVISIBLE}{_SURROGATES}]")


def _refuse(value: str, bad: re.Pattern[str], what: str) -> str:
    found = bad.search(value)
    if found is not None:
        char = found.group()
        raise ValueError(
            f"{what} may not hold the character U+{ord(char):04X} ({ascii(char)[1:-1]})"
        )
    if value.isspace():
        raise ValueError("must not be only whitespace")
    return value


@functools.lru_cache(maxsize=8192)
def _check_name(value: str) -> str:
    # Cached: names (who said it, outlets, mediators) repeat across a log.
    return _refuse(value, _NAME_BAD, "a name")


def _check_text(value: str) -> str:
    return _refuse(value, _TEXT_BAD, "a text")


def _check_prose(value: str) -> str:
    return _refuse(value, _PROSE_BAD, "a text")


def _date_part_ok(part: str) -> None:
    numbers = [int(p) for p in part.split("-")]
    try:
        _dt.date(
            numbers[0], numbers[1] if len(numbers) > 1 else 1, numbers[2] if len(numbers) > 2 else 1
        )
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {part} ({exc})") from None


@functools.lru_cache(maxsize=8192)
def _check_date(value: str) -> str:
    # Cached: a log repeats the same few thousand dates, and this Python callback was a
    # fifth of the schema validation's cost. Invalid dates raise and are never cached.
    if not _DATE_RE.fullmatch(value):
        raise ValueError(
            f"not a date: {value!r} (a date is YYYY, YYYY-MM or YYYY-MM-DD in "
            "ASCII digits, or an interval START/END of two such dates)"
        )
    start, _, end = value.partition("/")
    _date_part_ok(start)
    if end:
        _date_part_ok(end)
        first, last = catalog.date_span(start), catalog.date_span(end)
        if first[1] > last[1]:  # the end may be coarser (2025-06/2025), never earlier
            raise ValueError(f"the interval {value} ends before it starts")
    return value


_STRICT = StringConstraints(strict=True, min_length=1, max_length=8192)


Prose = Annotated[
    str, _STRICT, AfterValidator(_check_prose), Field(json_schema_extra={"pattern": PROSE_PATTERN})
]
"""Free text (note text, reasons): newlines and tabs allowed, other controls not."""
Text = Annotated[
    str, _STRICT, AfterValidator(_check_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})
]
"""One line of text (a quote): no control characters, not blank."""
Name = Annotated[
    str, _STRICT, AfterValidator(_check_name), Field(json_schema_extra={"pattern": NAME_PATTERN})
]
"""A name (who said it, an outlet, a title): no controls, no bidi or zero-width characters."""
Date = Annotated[
    str,
    StringConstraints(strict=True),
    AfterValidator(_check_date),
    Field(json_schema_extra={"pattern": DATE_PATTERN}),
]
"""ISO 8601 date with reduced precision allowed (``2025``, ``2025-06``, ``2025-06-16``),
or a closed interval of two (``2025-06/2025-12``)."""
SLUG_PATTERN = r"^[a-z0-9-]{1,64}$"
_SLUG_RE = re.compile(SLUG_PATTERN)


@functools.lru_cache(maxsize=8192)
def _check_slug(value: str) -> str:
    if not _SLUG_RE.fullmatch(value):
        raise ValueError(
            f"not a slug: {value!r} (a slug is 1 to 64 lowercase ASCII letters, "
            "digits and hyphens, as june-2025)"
        )
    return value


Slug = Annotated[
    str,
    StringConstraints(strict=True),
    AfterValidator(_check_slug),
    Field(json_schema_extra={"pattern": SLUG_PATTERN}),
]
"""Id of an agreement, a round or a document: lowercase letters, digits and hyphens, at most 64."""


class _InWords:
    """Replaces a pattern's error ("String should match pattern '^...$'") by a rule in
    words; the check stays pydantic's own (no Python call per value)."""

    def __init__(self, error_type: str, message: str) -> None:
        self.error_type = error_type
        self.message = message

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.custom_error_schema(
            handler(source), self.error_type, custom_error_message=self.message
        )


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
EventId = Annotated[
    str,
    StringConstraints(strict=True, pattern=ID_PATTERN),
    _InWords(
        "event_id",
        "not an event id (1 to 128 ASCII letters, digits, '.', '_', ':' or "
        "'-', the first a letter or digit, as tr-june-2025-ua)",
    ),
]
URL_PATTERN = rf"^https?://[^\s/$.?#{_ANY}{_INVISIBLE}][^\s{_ANY}{_INVISIBLE}]*$"
Url = Annotated[
    str,
    StringConstraints(strict=True, max_length=8192, pattern=URL_PATTERN),
    _InWords(
        "url",
        "not an http(s) URL without spaces or control characters "
        "(at most 8192 characters, as https://example.org/report)",
    ),
]
Sha256 = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$"),
    _InWords("sha256", "not a SHA-256 (64 lowercase hexadecimal digits)"),
]
Language = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$"),
    _InWords(
        "language",
        "not a language tag (lowercase letters as uk, ru, en, then optional -parts as en-GB)",
    ),
]
"""A BCP 47 language tag such as ``uk``, ``ru`` or ``en-GB``."""
