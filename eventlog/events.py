"""The event catalogue: what a maintainer may submit, as frozen pydantic models.

A submission is ``{"type": ..., "data": {...}, "id"?: ...}``. ``type`` selects
the model of ``data`` through a discriminated union. These field names are the
archive's public contract: fields may be added (optional), never renamed.

This module imports only the catalogue (``eventlog.catalog``), which imports nothing.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from eventlog import catalog

SCHEMA_VERSION = 2
"""Version of the stored record written today; older versions are upcast on read."""

_PART = r"[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?"
DATE_PATTERN = rf"^{_PART}(?:/{_PART})?$"
"""A ``Date``'s form, stated in the JSON Schema too (ASCII digits only); the calendar
check (no 2025-02-30) and start <= end are checked by ``_check_date`` alone."""
_DATE_RE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?",
                      re.ASCII)

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
        raise ValueError(f"{what} may not hold the character U+{ord(char):04X} "
                         f"({ascii(char)[1:-1]})")
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
        _dt.date(numbers[0], numbers[1] if len(numbers) > 1 else 1,
                 numbers[2] if len(numbers) > 2 else 1)
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {part} ({exc})") from None


@functools.lru_cache(maxsize=8192)
def _check_date(value: str) -> str:
    # Cached: a log repeats the same few thousand dates, and this Python callback was a
    # fifth of the schema validation's cost. Invalid dates raise and are never cached.
    if not _DATE_RE.fullmatch(value):
        raise ValueError(f"not a date: {value!r} (a date is YYYY, YYYY-MM or YYYY-MM-DD in "
                         "ASCII digits, or an interval START/END of two such dates)")
    start, _, end = value.partition("/")
    _date_part_ok(start)
    if end:
        _date_part_ok(end)
        first, last = catalog.date_span(start), catalog.date_span(end)
        if first[1] > last[1]:  # the end may be coarser (2025-06/2025), never earlier
            raise ValueError(f"the interval {value} ends before it starts")
    return value


_STRICT = StringConstraints(strict=True, min_length=1, max_length=8192)


Prose = Annotated[str, _STRICT, AfterValidator(_check_prose),
                  Field(json_schema_extra={"pattern": PROSE_PATTERN})]
"""Free text (note text, reasons): newlines and tabs allowed, other controls not."""
Text = Annotated[str, _STRICT, AfterValidator(_check_text),
                 Field(json_schema_extra={"pattern": TEXT_PATTERN})]
"""One line of text (a quote): no control characters, not blank."""
Name = Annotated[str, _STRICT, AfterValidator(_check_name),
                 Field(json_schema_extra={"pattern": NAME_PATTERN})]
"""A name (who said it, an outlet, a title): no controls, no bidi or zero-width characters."""
Date = Annotated[str, StringConstraints(strict=True), AfterValidator(_check_date),
                 Field(json_schema_extra={"pattern": DATE_PATTERN})]
"""ISO 8601 date with reduced precision allowed (``2025``, ``2025-06``, ``2025-06-16``),
or a closed interval of two (``2025-06/2025-12``)."""
SLUG_PATTERN = r"^[a-z0-9-]{1,64}$"
_SLUG_RE = re.compile(SLUG_PATTERN)


@functools.lru_cache(maxsize=8192)
def _check_slug(value: str) -> str:
    if not _SLUG_RE.fullmatch(value):
        raise ValueError(f"not a slug: {value!r} (a slug is 1 to 64 lowercase ASCII letters, "
                         "digits and hyphens, as june-2025)")
    return value


Slug = Annotated[str, StringConstraints(strict=True), AfterValidator(_check_slug),
                 Field(json_schema_extra={"pattern": SLUG_PATTERN})]
"""Id of an agreement, a round or a document: lowercase letters, digits and hyphens, at most 64."""
EventId = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
]
URL_PATTERN = rf"^https?://[^\s/$.?#{_ANY}{_INVISIBLE}][^\s{_ANY}{_INVISIBLE}]*$"
Url = Annotated[str, StringConstraints(strict=True, max_length=8192, pattern=URL_PATTERN)]
Sha256 = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")]
Language = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
]
"""A BCP 47 language tag such as ``uk``, ``ru`` or ``en-GB``."""
Party: TypeAlias = Literal["UA", "RU"]
Kind: TypeAlias = Literal["bodies", "pows", "civilians"]
Qualifier: TypeAlias = Literal["exact", "at_least", "at_most", "about"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Quantity(_Model):
    """A reported number: ``over 6,000`` is ``{"value": 6000, "qualifier": "at_least"}``."""

    value: Annotated[int, Field(ge=0, le=catalog.MAX_COUNT)]
    qualifier: Qualifier = "exact"


def _stated_is_absent(value: str | None) -> str | None:
    # "stated" is the default: stored absent, so that one account has one stored form
    return None if value == "stated" else value


class Source(_Model):
    """Who said it and where: the account a fact belongs to.

    ``document`` names a recorded ``source.recorded`` (then outlet, url and
    published_on may be left to it); ``attribution: "inferred"`` marks an
    attribution the maintainers inferred rather than one the report states.
    """

    attributed_to: Name
    party: Literal["UA", "RU", "other"]
    attribution: Annotated[Literal["stated", "inferred"] | None,
                           AfterValidator(_stated_is_absent)] = None
    document: Slug | None = None
    outlet: Name | None = None
    url: Url | None = None
    published_on: Date | None = None
    quote: Text | None = None


class AgreementScope(_Model):
    agreement: Slug


class SinceScope(_Model):
    since: Date


class _Flow(_Model):
    """Data with a direction: ``from`` and ``to`` must be different parties."""

    model_config = ConfigDict(populate_by_name=False)

    @model_validator(mode="after")
    def _distinct_parties(self) -> _Flow:
        if getattr(self, "from_", None) is not None and self.from_ == self.to:  # type: ignore[attr-defined]
            raise ValueError("'from' and 'to' must be different parties")
        return self


class AgreementData(_Model):
    agreement: Slug
    title: Name
    concluded_on: Date | None = None
    place: Name | None = None
    source: Source


class RoundData(_Model):
    round: Slug
    occurred_on: Date
    agreement: Slug | None = None
    label: Name | None = None
    mediators: list[Name] | None = None
    source: Source


class TransferData(_Flow):
    round: Slug
    kind: Kind
    from_: Party = Field(alias="from")
    to: Party
    count: Quantity
    source: Source
    supersedes: EventId | None = None
    """The id of an earlier report from the same party, round and flow that this one replaces."""


class TotalData(_Flow):
    kind: Kind
    from_: Party | None = Field(default=None, alias="from")
    to: Party
    scope: AgreementScope | SinceScope
    as_of: Date
    count: Quantity
    source: Source
    supersedes: EventId | None = None
    """The id of an earlier total from the same party, flow and scope that this one replaces."""


class OfferData(_Flow):
    kind: Kind
    from_: Party = Field(alias="from")
    to: Party
    count: Quantity
    as_of: Date
    agreement: Slug | None = None
    source: Source


class NoteData(_Model):
    text: Prose
    round: Slug | None = None
    agreement: Slug | None = None
    kind: Kind | None = None
    source: Source

    @model_validator(mode="after")
    def _one_subject(self) -> NoteData:
        if self.round is not None and self.agreement is not None:
            raise ValueError("a note names a round or an agreement, not both")
        return self


class SourceData(_Model):
    """A document the archive quotes; ``sha256`` is the hash of its UTF-8 text."""

    document: Slug
    outlet: Name | None = None  # None when the document names no outlet (report 000)
    title: Name | None = None
    url: Url | None = None
    published_on: Date | None = None
    language: Language | None = None
    sha256: Sha256 | None = None
    note: Prose | None = None


class CorrectionData(_Model):
    target: EventId
    changes: dict[str, Any] = Field(min_length=1)
    reason: Prose
    source: Source | None = None


class RetractionData(_Model):
    target: EventId
    reason: Prose
    source: Source | None = None


class _Event(_Model):
    id: EventId | None = None


class AgreementRecorded(_Event):
    type: Literal["agreement.recorded"]
    data: AgreementData


class RoundRecorded(_Event):
    type: Literal["round.recorded"]
    data: RoundData


class TransferReported(_Event):
    type: Literal["transfer.reported"]
    data: TransferData


class TotalReported(_Event):
    type: Literal["total.reported"]
    data: TotalData


class OfferReported(_Event):
    type: Literal["offer.reported"]
    data: OfferData


class NoteRecorded(_Event):
    type: Literal["note.recorded"]
    data: NoteData


class SourceRecorded(_Event):
    type: Literal["source.recorded"]
    data: SourceData


class FactCorrected(_Event):
    type: Literal["fact.corrected"]
    data: CorrectionData


class FactRetracted(_Event):
    type: Literal["fact.retracted"]
    data: RetractionData


Submission = Annotated[
    AgreementRecorded
    | RoundRecorded
    | TransferReported
    | TotalReported
    | OfferReported
    | NoteRecorded
    | SourceRecorded
    | FactCorrected
    | FactRetracted,
    Field(discriminator="type"),
]
"""One submitted event: the union is discriminated on ``type``."""

SUBMISSION: TypeAdapter[Submission] = TypeAdapter(Submission)

FACT_DATA: dict[str, type[_Model]] = {
    catalog.AGREEMENT: AgreementData,
    catalog.ROUND: RoundData,
    catalog.TRANSFER: TransferData,
    catalog.TOTAL: TotalData,
    catalog.OFFER: OfferData,
    catalog.NOTE: NoteData,
    catalog.SOURCE: SourceData,
}
"""Types that state a fact (and may be corrected or retracted), with their data models."""

IDENTITY_FIELDS: dict[str, str] = catalog.IDENTITY_FIELDS

EVENT_TYPES: tuple[str, ...] = catalog.EVENT_TYPES


def dump_data(data: BaseModel) -> dict[str, Any]:
    """The stored form of validated data: public field names, optional fields absent."""
    # ``data.model_dump(mode="json", by_alias=True, exclude_none=True)`` without its wrapper
    dumped: dict[str, Any] = data.__pydantic_serializer__.to_python(
        data, mode="json", by_alias=True, exclude_none=True)
    return dumped


def submission_schema() -> dict[str, Any]:
    """JSON Schema of a submitted event, generated from the models."""
    schema = SUBMISSION.json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_ID, "title": "Submitted event", **schema}


SCHEMA_ID = "https://github.com/repatriation-archive/eventlog/schema/submission-v2.json"
"""The schema's ``$id``: names this version of the submission contract."""
