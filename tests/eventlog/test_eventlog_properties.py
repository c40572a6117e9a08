"""Property tests: any sequence of valid appends verifies and reads back what was submitted;
event -> line -> event is the identity through the codec."""

from __future__ import annotations

import copy
import datetime as dt
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlog.catalog import date_span, merge_correction
from eventlog.codec import GENESIS, decode, encode, line_hash
from eventlog.events import SUBMISSION, dump_data
from eventlog.reader import LogReader
from eventlog.store import append
from eventlog.verify import verify

Event = dict[str, Any]
Refs = set[tuple[str, str]]
"""The (kind, slug) pairs of the rounds and agreements a fact names."""

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- values -------------------------------------------------------------------------------

INVISIBLE = (
    "\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
texts = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=INVISIBLE),
    min_size=1,
    max_size=20,
).filter(lambda text: not text.isspace())
"""Names and texts as append accepts them: no control, bidi or zero-width character, not blank."""
parties = st.sampled_from(["UA", "RU"])
kinds = st.sampled_from(["bodies", "pows", "civilians"])
qualifiers = st.sampled_from(["exact", "at_least", "at_most", "about"])


@st.composite
def dates(draw: st.DrawFn) -> str:
    """A real calendar date at year, month or day precision, or an interval of two."""
    day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2025, 12, 31)))  # none in the future
    start = day.isoformat()[: draw(st.sampled_from([4, 7, 10]))]
    if draw(st.integers(0, 4)) > 0:
        return start
    latest = dt.date.fromisoformat(date_span(start)[1])  # an end never ends before it
    end = draw(st.dates(latest, dt.date(2025, 12, 31))).isoformat()[
        : draw(st.sampled_from([4, 7, 10]))
    ]
    return f"{start}/{end}"


@st.composite
def quantities(draw: st.DrawFn) -> dict[str, Any]:
    """A count; the qualifier is sometimes left to its default."""
    count: dict[str, Any] = {"value": draw(st.integers(0, 10**9 - 1000))}
    if draw(st.booleans()):
        count["qualifier"] = draw(qualifiers)
    return count


urls = st.builds(
    "https://{}.org/{}".format,
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.text(string.ascii_lowercase + string.digits + "-", max_size=8),
)


def draw_source(draw: st.DrawFn, world: World, refs: Refs) -> dict[str, Any]:
    """A source; sometimes citing a live document (added to ``refs``) or marked inferred."""
    source = {"attributed_to": draw(texts), "party": draw(st.sampled_from(["UA", "RU", "other"]))}
    optional = {
        "outlet": texts,
        "url": urls,
        "published_on": dates(),
        "quote": texts,
        "attribution": st.just("inferred"),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            source[key] = draw(values)
    _link(draw, world, source, refs, "document")
    return source


def flow(draw: st.DrawFn) -> tuple[str, str]:
    sender = draw(parties)
    return sender, "RU" if sender == "UA" else "UA"


# -- a log's worth of valid events ----------------------------------------------------------


@dataclass
class Fact:
    type: str
    refs: set[tuple[str, str]]
    """The (kind, slug) pairs its data names: a correction is valid only while all are live."""
    slug: tuple[str, str] | None = None
    """The (kind, slug) an agreement or round introduces."""
    data: dict[str, Any] | None = None
    """A transfer's or total's current data (corrections applied): what a report superseding it
    repeats."""
    superseded: bool = False
    """A later report superseded it: it may still be retracted, never corrected or superseded."""


@dataclass
class World:
    """What the log holds so far: live slugs and facts that may be corrected or retracted."""

    agreements: list[str] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    facts: dict[str, Fact] = field(default_factory=dict)
    counter: int = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def slugs(self, kind: str) -> list[str]:
        return {"agreement": self.agreements, "round": self.rounds, "document": self.documents}[
            kind
        ]

    def live(self, refs: set[tuple[str, str]]) -> bool:
        return all(slug in self.slugs(kind) for kind, slug in refs)


def _optional(draw: st.DrawFn, data: dict[str, Any], key: str, values: Any) -> None:
    if draw(st.booleans()):
        data[key] = draw(values)


def _link(
    draw: st.DrawFn,
    world: World,
    data: dict[str, Any],
    refs: Refs,
    kind: str,
    key: str | None = None,
) -> None:
    """Sometimes name a live round or agreement under ``key`` (default: ``kind``)."""
    slugs = world.slugs(kind)
    if slugs and draw(st.booleans()):
        data[key or kind] = slug = draw(st.sampled_from(slugs))
        refs.add((kind, slug))


def draw_fact(draw: st.DrawFn, world: World, kind: str) -> tuple[dict[str, Any], Refs]:
    """Data of a new fact of ``kind`` whose references are all live in ``world``."""
    refs: Refs = set()
    data: dict[str, Any]
    if kind == "agreement.recorded":
        data = {"agreement": world.fresh("agr"), "title": draw(texts)}
        _optional(draw, data, "concluded_on", dates())
        _optional(draw, data, "place", texts)
        world.agreements.append(data["agreement"])
    elif kind == "round.recorded":
        data = {"round": world.fresh("rnd"), "occurred_on": draw(dates())}
        _link(draw, world, data, refs, "agreement")
        _optional(draw, data, "label", texts)
        _optional(draw, data, "mediators", st.lists(texts, max_size=3))
        world.rounds.append(data["round"])
    elif kind == "source.recorded":
        data = {"document": world.fresh("doc")}
        _optional(draw, data, "outlet", texts)
        _optional(draw, data, "title", texts)
        _optional(draw, data, "published_on", dates())
        _optional(draw, data, "language", st.sampled_from(["uk", "ru", "en-GB"]))
        _optional(draw, data, "sha256", st.text("0123456789abcdef", min_size=64, max_size=64))
        world.documents.append(data["document"])
    elif kind == "note.recorded":
        data = {"text": draw(texts)}
        _link(draw, world, data, refs, draw(st.sampled_from(["round", "agreement"])))
        _optional(draw, data, "kind", kinds)
    else:
        sender, receiver = flow(draw)
        data = {"kind": draw(kinds), "from": sender, "to": receiver, "count": draw(quantities())}
        if kind == "transfer.reported":
            data["round"] = draw(st.sampled_from(world.rounds))
            refs.add(("round", data["round"]))
        elif kind == "offer.reported":
            data["as_of"] = draw(dates())
            _link(draw, world, data, refs, "agreement")
        else:
            data["as_of"] = draw(dates())
            if draw(st.booleans()):
                del data["from"]
            scope: dict[str, Any] = {}
            _link(draw, world, scope, refs, "agreement")
            data["scope"] = scope or {"since": draw(dates())}
    if kind == "source.recorded":
        return data, refs
    data["source"] = draw_source(draw, world, refs)
    return data, refs


def draw_changes(draw: st.DrawFn, fact_type: str, marker: int) -> dict[str, Any]:
    """Changes that keep a fact of ``fact_type`` valid and change it (``marker`` is unique)."""
    if fact_type in ("transfer.reported", "total.reported", "offer.reported"):
        options = {"count": quantities(), "kind": kinds}
        changed = {"count": {"value": 10**9 - marker % 1000, "qualifier": "about"}}
    elif fact_type == "agreement.recorded":
        options = {"title": texts, "place": texts, "concluded_on": dates()}
        changed = {"place": f"place {marker}"}
    elif fact_type == "round.recorded":
        options = {"occurred_on": dates(), "label": texts, "mediators": st.lists(texts, max_size=2)}
        changed = {"label": f"label {marker}"}
    elif fact_type == "source.recorded":
        options = {"title": texts, "outlet": texts, "published_on": dates()}
        changed = {"note": f"note {marker}"}
    else:
        options = {"text": texts}
        changed = {"text": f"text {marker}"}
    keys = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, unique=True))
    changes = {key: draw(options[key]) for key in keys}
    # a correction that changes nothing is refused: one field always takes a value unseen
    return {**changes, **changed}


def draw_event(draw: st.DrawFn, world: World) -> Event:
    """One valid event against ``world``, which it updates."""
    choices = [
        "agreement.recorded",
        "round.recorded",
        "total.reported",
        "offer.reported",
        "note.recorded",
        "source.recorded",
    ]
    if world.rounds:
        choices.append("transfer.reported")
    correctable = sorted(
        i for i, f in world.facts.items() if world.live(f.refs) and not f.superseded
    )
    if correctable:
        choices.append("fact.corrected")
    supersedable = [i for i in correctable if world.facts[i].data is not None]
    if supersedable:
        choices.append("supersede")
    if world.facts:
        choices.append("fact.retracted")
    event_type = draw(st.sampled_from(choices))
    event_id = world.fresh("ev")
    event: Event = {"id": event_id, "type": event_type}
    if event_type == "supersede":  # the same party's report of the same flow, another count
        target = draw(st.sampled_from(supersedable))
        old = world.facts[target]
        data = {**copy.deepcopy(old.data), "count": draw(quantities()), "supersedes": target}
        event.update(type=old.type, data=data)
        old.superseded = True
        world.facts[event_id] = Fact(old.type, set(old.refs), None, copy.deepcopy(data))
    elif event_type == "fact.corrected":
        target = draw(st.sampled_from(correctable))
        fact = world.facts[target]
        changes = draw_changes(draw, fact.type, world.counter)
        event["data"] = {"target": target, "changes": changes, "reason": draw(texts)}
        if fact.data is not None:
            fact.data = merge_correction(fact.data, copy.deepcopy(changes))
    elif event_type == "fact.retracted":
        target = draw(st.sampled_from(sorted(world.facts)))
        fact = world.facts.pop(target)
        event["data"] = {"target": target, "reason": draw(texts)}
        if fact.slug is not None:
            world.slugs(fact.slug[0]).remove(fact.slug[1])
    else:
        data, refs = draw_fact(draw, world, event_type)
        event["data"] = data
        slug_kind = {
            "agreement.recorded": "agreement",
            "round.recorded": "round",
            "source.recorded": "document",
        }.get(event_type)
        slug = (slug_kind, data[slug_kind]) if slug_kind else None
        reports = event_type in ("transfer.reported", "total.reported")
        world.facts[event_id] = Fact(
            event_type, refs, slug, copy.deepcopy(data) if reports else None
        )
    if event_type in ("fact.corrected", "fact.retracted") and draw(st.booleans()):
        event["data"]["source"] = draw_source(draw, world, set())
    if draw(st.integers(0, 3)) == 0:
        del event["id"]  # the store generates one; the event can no longer be targeted
        world.facts.pop(event_id, None)
    return event


@st.composite
def histories(draw: st.DrawFn) -> list[list[Event]]:
    """Batches of valid events, in order, covering every event type."""
    world = World()
    return [
        [draw_event(draw, world) for _ in range(draw(st.integers(1, 4)))]
        for _ in range(draw(st.integers(1, 4)))
    ]


def normalized(event: Event) -> dict[str, Any]:
    """The data as it must be stored: a Quantity's qualifier defaults to "exact"."""
    data = copy.deepcopy(event["data"])
    for holder in (data, data.get("changes", {})):
        if isinstance(holder.get("count"), dict):
            holder["count"].setdefault("qualifier", "exact")
    return data


@FAST
@given(histories())
def test_any_sequence_of_valid_appends_verifies_and_reads_back(
    batches: list[list[Event]],
) -> None:
    """Appending any valid batches gives a log that verifies and reads back the normalized data."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp)
        ids: list[str] = []
        for batch in batches:
            results = append(log, batch, by="prop", allow_duplicate=True)
            assert [r.status for r in results] == ["appended"] * len(batch)
            for event, result in zip(batch, results, strict=True):
                assert result.id == event.get("id", result.id)
                ids.append(result.id)
        submitted = [e for batch in batches for e in batch]
        report = verify(log)
        assert (report.events, report.torn_bytes) == (len(submitted), 0)
        records = list(LogReader(log))
        assert [r["seq"] for r in records] == list(range(1, len(submitted) + 1))
        assert [(r["id"], r["type"], r["data"]) for r in records] == [
            (i, e["type"], normalized(e)) for i, e in zip(ids, submitted, strict=True)
        ]


@FAST
@given(histories())
def test_reappending_every_batch_is_a_no_op(batches: list[list[Event]]) -> None:
    """Re-submitting already appended events that carry ids changes no byte of the log."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp)
        for batch in batches:
            append(log, batch, allow_duplicate=True)
        before = (log / "events.jsonl").read_bytes()
        with_ids = [e for batch in batches for e in batch if "id" in e]
        if with_ids:
            results = append(log, with_ids)
            assert {r.status for r in results} == {"exists"}
        assert before == (log / "events.jsonl").read_bytes()


# -- the codec -----------------------------------------------------------------------------


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A stored record as the store builds it: envelope plus normalized, validated data."""
    world = World()
    events = [draw_event(draw, world) for _ in range(draw(st.integers(1, 6)))]
    event = events[-1]
    model = SUBMISSION.validate_python({"type": event["type"], "data": event["data"]})
    stamp = draw(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)))
    return {
        "seq": draw(st.integers(1, 2**40)),
        "id": event.get("id") or "generated",
        "type": event["type"],
        "v": 2,
        "data": dump_data(model.data),
        "recorded_at": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "recorded_by": draw(texts),
        "prev": draw(
            st.one_of(st.just(GENESIS), st.text("0123456789abcdef", min_size=64, max_size=64))
        ),
    }


@FAST
@given(records())
def test_record_line_record_is_identity(record: dict[str, Any]) -> None:
    """decode(encode(record)) == record for any stored record."""
    assert decode(encode(record)) == record


@FAST
@given(records())
def test_line_record_line_is_identity(record: dict[str, Any]) -> None:
    """encode(decode(line)) reproduces the exact bytes of a stored line, hence its hash."""
    line = encode(record)
    assert encode(decode(line)) == line
    assert line_hash(encode(decode(line))) == line_hash(line)
    assert b"\n" not in line


@FAST
@given(records())
def test_encoded_keys_are_in_canonical_order(record: dict[str, Any]) -> None:
    """encode writes the envelope keys in the canonical order, whatever the dict's order."""
    shuffled = dict(reversed(list(record.items())))
    assert encode(shuffled) == encode(record)
    assert list(decode(encode(shuffled))) == [
        "seq",
        "id",
        "type",
        "v",
        "data",
        "recorded_at",
        "recorded_by",
        "prev",
    ]


@FAST
@given(records())
def test_version_1_record_upcasts_to_the_version_2_record(record: dict[str, Any]) -> None:
    """A version-1 line (bare-integer count) decodes to the version-2 record with an exact count."""
    data = record["data"]
    if "count" in data and data["count"]["qualifier"] == "exact":
        old = {**record, "v": 1, "data": {**data, "count": data["count"]["value"]}}
        assert decode(encode(old)) == record
    else:
        assert decode(encode({**record, "v": 1})) == record


@FAST
@given(histories())
def test_normalized_data_is_a_fixed_point(batches: list[list[Event]]) -> None:
    """Validating a fact's stored data again stores it unchanged (read-back data re-validates)."""
    # A correction's changes are normalized against its target by the store, not
    # by the model: the append property above covers them.
    for event in (e for batch in batches for e in batch if e["type"] != "fact.corrected"):
        model = SUBMISSION.validate_python({"type": event["type"], "data": event["data"]})
        stored = dump_data(model.data)
        again = SUBMISSION.validate_python({"type": event["type"], "data": stored})
        assert dump_data(again.data) == stored == normalized(event)
