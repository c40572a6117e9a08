"""The rules an event must satisfy against what the log already holds.

Checked at append (against the index) and again at ``verify`` (against a
catalogue rebuilt in memory): references resolve, ids are unique, corrections
and retractions target an existing fact that is not retracted, and a corrected
fact still validates. A superseded fact (one a later report named in
``supersedes``) cannot be superseded again, corrected or named by ``duplicate_of``;
it may still be retracted, which the read side also folds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import orjson
from pydantic import BaseModel, ValidationError

from eventlog import catalog as vocabulary
from eventlog.catalog import merge_correction
from eventlog.events import FACT_DATA, IDENTITY_FIELDS, dump_data


class EventInfo(NamedTuple):
    """What the rules need to know of an event already in the log.

    A named tuple: one is built per event on the hot paths of ``verify`` and of a
    batch append, and a tuple costs a third of a frozen dataclass to build.
    """

    seq: int
    type: str
    digest: bytes
    data: bytes | None = None
    """Current data of a fact (orjson bytes), corrections applied; None for non-facts,
    and for facts never corrected in a catalogue that ``load``s them from the log."""
    retracted: bool = False
    superseded: bool = False
    """A later report of the same type named it in ``supersedes``: out of the figures."""


class RuleError(ValueError):
    """An event breaks a rule; ``field`` names the data field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class Catalog(Protocol):
    """Lookups over the events already in the log (the index, or a catalogue in memory)."""

    def event(self, event_id: str) -> EventInfo | None: ...
    def slug_owner(self, kind: str, slug: str) -> str | None: ...
    def fact_data(self, info: EventInfo) -> dict[str, Any]: ...
    def duplicate_of(self, event_type: str, digest: str) -> str | None:
        """The id of a current fact whose ``content_digest`` is ``digest``, if any."""


class MemoryCatalog:
    """A catalogue in memory; with a ``parent``, an overlay holding one batch's changes.

    ``digests=False`` keeps no content digests (``contents``): only appends look for
    duplicates, so ``verify`` skips a sorted dump and a hash per fact.

    With ``load`` (a fact's original data by its seq, read back from the log), a fact's
    data is kept only once a correction changes it: ``verify`` keeps no copy of every
    fact (a dump and about 300 bytes each) for the few that corrections will target.
    """

    def __init__(
        self,
        parent: Catalog | None = None,
        *,
        digests: bool = True,
        load: Callable[[int], dict[str, Any]] | None = None,
    ) -> None:
        self.parent = parent
        self.digests = digests
        self.load = load
        self.events: dict[str, EventInfo] = {}
        self.slugs: dict[tuple[str, str], str] = {}
        self.contents: dict[str, str] = {}
        """``content_digest`` of each fact this catalogue admitted -> its id."""

    def event(self, event_id: str) -> EventInfo | None:
        info = self.events.get(event_id)
        if info is None and self.parent is not None:
            return self.parent.event(event_id)
        return info

    def slug_owner(self, kind: str, slug: str) -> str | None:
        owner = self.slugs.get((kind, slug))
        if owner is None and self.parent is not None:
            return self.parent.slug_owner(kind, slug)
        return owner

    def fact_data(self, info: EventInfo) -> dict[str, Any]:
        if info.data is None and self.load is not None:
            return self.load(info.seq)
        if info.data is None and self.parent is not None:
            return self.parent.fact_data(info)  # the index reads it back from the log
        data: dict[str, Any] = orjson.loads(info.data or b"{}")
        return data

    def duplicate_of(self, event_type: str, digest: str) -> str | None:
        owner = self.contents.get(digest)
        if owner is not None:
            info = self.event(owner)
            if (
                info is not None
                and not info.retracted
                and not info.superseded
                and info.data is not None
                and content_digest(event_type, self.fact_data(info)) == digest
            ):
                return owner
        if self.parent is not None:
            owner = self.parent.duplicate_of(event_type, digest)
            info = self.event(owner) if owner is not None else None
            # this batch may have retracted or superseded the parent's current fact
            if info is not None and not (info.retracted or info.superseded):
                return owner
        return None


def _stored(data: dict[str, Any]) -> bytes:
    """A fact's data as kept in a catalogue: an exact-size copy of its orjson bytes.

    orjson hands back its whole output buffer (about 4 KiB) as the bytes object;
    a catalogue keeps one per fact, which made ``verify`` of 1M events hold 4 GB.
    """
    return bytes(memoryview(orjson.dumps(data)))


def content_digest(event_type: str, data: dict[str, Any]) -> str:
    """What makes two facts the same: the sha256 hex of their type and canonical data."""
    blob = event_type.encode() + b"\n" + orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


def check_duplicate(
    catalog: Catalog, event_type: str, data: dict[str, Any], content: str | None = None
) -> str | None:
    """Refuse a fact identical (type and data) to a current fact, naming that fact.

    Returns the fact's ``content_digest`` (``content``, if the caller computed it), for
    ``admit`` to keep rather than hash the data again.
    """
    if event_type not in FACT_DATA:
        return None
    if content is None:
        content = content_digest(event_type, data)
    owner = catalog.duplicate_of(event_type, content)
    if owner is not None:
        raise RuleError(
            f"the same {event_type} is already recorded as '{owner}' "
            "(give --allow-duplicate if it is another report of the same)"
        )
    return content


def check_dates(data: dict[str, Any], recorded_on: str, path: tuple[str, ...] = ()) -> None:
    """Refuse a date (in data, its source, scope or changes) that begins after the day it
    is recorded (``recorded_on``, ``YYYY-MM-DD``)."""
    for key in _DATE_FIELDS:
        value = data.get(key)
        if type(value) is str:
            start = value.partition("/")[0]
            # a period begins after a day exactly when it sorts after that day's prefix
            # of its own precision: "2027" > "2026", "2026-12" > "2026-11"
            if start > recorded_on[: len(start)]:
                raise RuleError(
                    f"{value} is after the day it is recorded ({recorded_on})",
                    ".".join((*path, key)),
                )
    for key in _HOLDING_DATES:
        inner = data.get(key)
        if type(inner) is dict:
            check_dates(inner, recorded_on, (*path, key))


_DATE_FIELDS = tuple(sorted(vocabulary.DATE_FIELDS))
_HOLDING_DATES = ("source", "scope", "changes")


def _require_slug(catalog: Catalog, kind: str, slug: str | None, field: str) -> None:
    if slug is None:
        return
    owner = catalog.slug_owner(kind, slug)
    info = catalog.event(owner) if owner is not None else None
    if info is None:
        raise RuleError(f"unknown {kind} '{slug}' (record it first)", field)
    if info.retracted:
        raise RuleError(f"{kind} '{slug}' was retracted", field)


def check_references(catalog: Catalog, event_type: str, data: dict[str, Any]) -> None:
    """Every round, agreement, document and superseded fact named must be current."""
    if event_type == vocabulary.TRANSFER:
        _require_slug(catalog, "round", data["round"], "round")
    elif event_type in {vocabulary.ROUND, vocabulary.OFFER}:
        _require_slug(catalog, "agreement", data.get("agreement"), "agreement")
    elif event_type == vocabulary.NOTE:
        _require_slug(catalog, "round", data.get("round"), "round")
        _require_slug(catalog, "agreement", data.get("agreement"), "agreement")
    elif event_type == vocabulary.TOTAL:
        _require_slug(catalog, "agreement", data["scope"].get("agreement"), "scope.agreement")
    source = data.get("source")
    if source is not None and "document" in source:
        _require_slug(catalog, "document", source["document"], "source.document")
    if "supersedes" in data:
        _check_supersedes(catalog, event_type, data)


def _check_supersedes(catalog: Catalog, event_type: str, data: dict[str, Any]) -> None:
    """The replaced fact: a current fact of the same type, party and round/scope and flow."""
    target = data["supersedes"]
    info = catalog.event(target)
    if info is None:
        raise RuleError(f"unknown event id '{target}'", "supersedes")
    if info.type != event_type:
        raise RuleError(f"'{target}' is a {info.type}, not a {event_type}", "supersedes")
    if info.retracted:
        raise RuleError(f"'{target}' was retracted", "supersedes")
    if info.superseded:
        raise RuleError(f"'{target}' is already superseded", "supersedes")
    old = catalog.fact_data(info)
    for key in (*vocabulary.SUPERSEDABLE[event_type], "party"):
        mine = data["source"]["party"] if key == "party" else data.get(key)
        theirs = old["source"]["party"] if key == "party" else old.get(key)
        if mine != theirs:
            raise RuleError(
                f"'{target}' has another {key} ({theirs}, this report {mine}): "
                "a report supersedes one of the same party, round or scope, "
                "and flow",
                "supersedes",
            )


def _target(catalog: Catalog, target: str, *, correcting: bool = True) -> EventInfo:
    """The fact a correction (or, ``correcting=False``, a retraction) names.

    A superseded fact may be retracted (it is out of the figures either way, and the
    trail then says the report was withdrawn) but not corrected: its replacement is
    the fact to correct.
    """
    info = catalog.event(target)
    if info is None:
        raise RuleError(f"unknown event id '{target}'", "target")
    if info.type not in FACT_DATA:
        raise RuleError(f"'{target}' is a {info.type}, not a fact", "target")
    if info.retracted:
        raise RuleError(f"'{target}' was retracted", "target")
    if correcting and info.superseded:
        raise RuleError(f"'{target}' is superseded (correct the report that replaced it)", "target")
    return info


def corrected_data(catalog: Catalog, data: dict[str, Any]) -> tuple[EventInfo, dict[str, Any]]:
    """The target's data with ``changes`` applied, validated; raises ``RuleError``."""
    info = _target(catalog, data["target"])
    model: type[BaseModel] = FACT_DATA[info.type]
    names = {f.alias or name for name, f in model.model_fields.items()}
    changes: dict[str, Any] = data["changes"]
    for key in changes:
        if key not in names:
            raise RuleError(f"'{key}' is not a field of {info.type}", f"changes.{key}")
        if key == "supersedes":
            raise RuleError(
                "which fact a report supersedes cannot be corrected "
                "(retract the report and report again)",
                f"changes.{key}",
            )
        if IDENTITY_FIELDS.get(info.type) == key:
            raise RuleError(
                f"'{key}' is the identity of the fact and cannot be corrected", f"changes.{key}"
            )
    current = catalog.fact_data(info)
    merged = merge_correction(current, changes)
    try:
        new = dump_data(model.model_validate(merged))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        field = "changes" + (f".{where}" if where else "")
        message = err["msg"].removeprefix("Value error, ")
        raise RuleError(f"the corrected fact would be invalid: {message}", field) from None
    if new == current:
        raise RuleError(
            f"the correction changes nothing: '{data['target']}' already says that", "changes"
        )
    # ``supersedes`` is unchanged (see above) and its target is now superseded by
    # this very fact: check the other references only.
    check_references(catalog, info.type, {k: v for k, v in new.items() if k != "supersedes"})
    return info, new


def stored_changes(catalog: Catalog, data: dict[str, Any]) -> dict[str, Any]:
    """A correction's data with each changed value as the corrected fact stores it.

    So that ``{"count": {"value": 5}}`` is stored with its default qualifier, as
    the same count in a fact would be. Data that does not validate is returned
    as given: ``check`` then rejects it.
    """
    info = catalog.event(data["target"])
    if info is None or info.type not in FACT_DATA:
        return data
    changes: dict[str, Any] = data["changes"]
    current = catalog.fact_data(info)
    merged = merge_correction(current, changes)
    try:
        new = dump_data(FACT_DATA[info.type].model_validate(merged))
    except ValidationError:
        return data
    return {
        **data,
        "changes": {k: None if v is None else new.get(k, v) for k, v in changes.items()},
    }


def _check(
    catalog: Catalog,
    event_id: str,
    event_type: str,
    data: dict[str, Any],
    recorded_on: str | None = None,
) -> tuple[EventInfo, dict[str, Any]] | None:
    """``check``, returning a correction's target and corrected data for ``admit``."""
    if recorded_on is not None:
        check_dates(data, recorded_on)
    if catalog.event(event_id) is not None:
        raise RuleError(f"id '{event_id}' already exists", "id")
    slug_kind = IDENTITY_FIELDS.get(event_type)
    if slug_kind is not None and catalog.slug_owner(slug_kind, data[slug_kind]) is not None:
        raise RuleError(f"{slug_kind} '{data[slug_kind]}' is already recorded", slug_kind)
    if event_type == vocabulary.CORRECTED:
        return corrected_data(catalog, data)
    if event_type == vocabulary.RETRACTED:
        _target(catalog, data["target"], correcting=False)
    else:
        check_references(catalog, event_type, data)
    return None


def apply(
    catalog: MemoryCatalog, seq: int, event_id: str, event_type: str, data: dict[str, Any]
) -> None:
    """Record an accepted event in ``catalog`` (corrections and retractions update targets)."""
    _apply(
        catalog,
        seq,
        event_id,
        event_type,
        data,
        corrected_data(catalog, data) if event_type == vocabulary.CORRECTED else None,
    )


def admit(
    catalog: MemoryCatalog,
    seq: int,
    event_id: str,
    event_type: str,
    data: dict[str, Any],
    blob: bytes | None = None,
    *,
    recorded_on: str | None = None,
    content: str | None = None,
) -> None:
    """``check`` then ``apply``: a correction's corrected fact is validated once, not twice.

    ``blob``, if given, is an exact-size copy of ``orjson.dumps(data)`` (see ``_stored``),
    kept as the fact's data rather than dumped again. ``recorded_on`` (``YYYY-MM-DD``)
    refuses dates that begin after it. ``content``, if given, is the fact's
    ``content_digest`` (from ``check_duplicate``), kept rather than computed again.
    """
    _apply(
        catalog,
        seq,
        event_id,
        event_type,
        data,
        _check(catalog, event_id, event_type, data, recorded_on),
        blob,
        content,
    )


def _apply(
    catalog: MemoryCatalog,
    seq: int,
    event_id: str,
    event_type: str,
    data: dict[str, Any],
    corrected: tuple[EventInfo, dict[str, Any]] | None,
    blob: bytes | None = None,
    content: str | None = None,
) -> None:
    if event_type not in FACT_DATA or catalog.load is not None:
        stored = None
    elif blob is not None:
        stored = blob
    else:
        stored = _stored(data)
    # ``EventInfo.digest`` stays empty: repeats are compared by ``digest`` of the stored
    # line's data (store), so one content hash per fact is enough.
    catalog.events[event_id] = EventInfo(seq, event_type, b"", stored)
    if catalog.digests and stored is not None:
        catalog.contents[content or content_digest(event_type, data)] = event_id
    slug_kind = IDENTITY_FIELDS.get(event_type)
    if slug_kind is not None:
        catalog.slugs[(slug_kind, data[slug_kind])] = event_id
    if corrected is not None:
        info, new = corrected
        catalog.events[data["target"]] = info._replace(data=_stored(new))
        if catalog.digests:
            catalog.contents[content_digest(info.type, new)] = data["target"]
    elif event_type == vocabulary.RETRACTED:
        target = catalog.event(data["target"])
        if target is not None:
            catalog.events[data["target"]] = target._replace(retracted=True)
    elif data.get("supersedes") is not None and event_type in vocabulary.SUPERSEDABLE:
        replaced = catalog.event(data["supersedes"])
        if replaced is not None:
            catalog.events[data["supersedes"]] = replaced._replace(superseded=True)
