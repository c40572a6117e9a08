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

_DATE_RE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


@functools.lru_cache(maxsize=8192)
def _check_date(value: str) -> str:
    # Cached: a log repeats the same few thousand dates, and this Python callback was a
    # fifth of the schema validation's cost. Invalid dates raise and are never cached.
    if not _DATE_RE.fullmatch(value):
        raise ValueError("a date is YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(p) for p in value.split("-")]
    try:
        _dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {exc}") from None
    return value


Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=8192)]
Date = Annotated[str, StringConstraints(strict=True), AfterValidator(_check_date)]
"""ISO 8601 date with reduced precision allowed: ``2025``, ``2025-06``, ``2025-06-16``."""
Slug = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[a-z0-9-]{1,64}$")
]
"""Id of an agreement or a round: lowercase letters, digits and hyphens, at most 64."""
EventId = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
]
Url = Annotated[str, StringConstraints(strict=True, pattern=r"^https?://[^\s/$.?#][^\s]*$")]
Party: TypeAlias = Literal["UA", "RU"]
Kind: TypeAlias = Literal["bodies", "pows", "civilians"]
Qualifier: TypeAlias = Literal["exact", "at_least", "at_most", "about"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Quantity(_Model):
    """A reported number: ``over 6,000`` is ``{"value": 6000, "qualifier": "at_least"}``."""

    value: Annotated[int, Field(ge=0)]
    qualifier: Qualifier = "exact"


class Source(_Model):
    """Who said it and where: the account a fact belongs to."""

    attributed_to: Text
    party: Literal["UA", "RU", "other"]
    outlet: Text | None = None
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
    title: Text
    concluded_on: Date | None = None
    place: Text | None = None
    source: Source


class RoundData(_Model):
    round: Slug
    occurred_on: Date
    agreement: Slug | None = None
    label: Text | None = None
    mediators: list[Text] | None = None
    source: Source


class TransferData(_Flow):
    round: Slug
    kind: Kind
    from_: Party = Field(alias="from")
    to: Party
    count: Quantity
    source: Source


class TotalData(_Flow):
    kind: Kind
    from_: Party | None = Field(default=None, alias="from")
    to: Party
    scope: AgreementScope | SinceScope
    as_of: Date
    count: Quantity
    source: Source


class OfferData(_Flow):
    kind: Kind
    from_: Party = Field(alias="from")
    to: Party
    count: Quantity
    as_of: Date
    agreement: Slug | None = None
    source: Source


class NoteData(_Model):
    text: Text
    round: Slug | None = None
    agreement: Slug | None = None
    kind: Kind | None = None
    source: Source

    @model_validator(mode="after")
    def _one_subject(self) -> NoteData:
        if self.round is not None and self.agreement is not None:
            raise ValueError("a note names a round or an agreement, not both")
        return self


class CorrectionData(_Model):
    target: EventId
    changes: dict[str, Any] = Field(min_length=1)
    reason: Text
    source: Source | None = None


class RetractionData(_Model):
    target: EventId
    reason: Text
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
    | FactCorrected
    | FactRetracted,
    Field(discriminator="type"),
]
"""One submitted event: the union is discriminated on ``type``."""

SUBMISSION: TypeAdapter[Submission] = TypeAdapter(Submission)

FACT_DATA: dict[str, type[_Model]] = {
    "agreement.recorded": AgreementData,
    "round.recorded": RoundData,
    "transfer.reported": TransferData,
    "total.reported": TotalData,
    "offer.reported": OfferData,
    "note.recorded": NoteData,
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
    schema["title"] = "Submitted event"
    return schema
