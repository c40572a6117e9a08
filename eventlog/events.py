"""The event catalogue: what a maintainer may submit, as frozen pydantic models.

A submission is ``{"type": ..., "data": {...}, "id"?: ...}``. ``type`` selects
the model of ``data`` through a discriminated union. These field names are the
archive's public contract: fields may be added (optional), never renamed.

This module imports only the catalogue (``eventlog.catalog``, which imports nothing)
and the value types (``eventlog.values``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from eventlog import catalog
from eventlog.values import Date, EventId, Language, Name, Prose, Sha256, Slug, Text, Url

SCHEMA_VERSION = 2
"""Version of the stored record written today; older versions are upcast on read."""

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
    attribution: Annotated[
        Literal["stated", "inferred"] | None, AfterValidator(_stated_is_absent)
    ] = None
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
        data, mode="json", by_alias=True, exclude_none=True
    )
    return dumped


def submission_schema() -> dict[str, Any]:
    """JSON Schema of a submitted event, generated from the models."""
    schema = _strict_ends(SUBMISSION.json_schema(by_alias=True))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Submitted event",
        **schema,
    }


def _strict_ends(node: Any) -> Any:
    """Patterns that end at the end of input in every dialect: ``$`` also matches before
    a final newline in Python's ``re`` (which some validators use); "no character
    follows" does not."""
    if isinstance(node, dict):
        return {
            k: (
                v[:-1] + r"(?![\s\S])"
                if k == "pattern" and isinstance(v, str) and v.endswith("$")
                else _strict_ends(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_strict_ends(v) for v in node]
    return node


SCHEMA_ID = "https://github.com/repatriation-archive/eventlog/schema/submission-v2.json"
"""The schema's ``$id``: names this version of the submission contract."""
