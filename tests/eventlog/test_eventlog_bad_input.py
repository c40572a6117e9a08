"""Every bad input of issue 2 section 6: exit 1, one precise Error line, the log's bytes unchanged.

Each case is submitted alone and again as the middle line of a batch of good
events, so that a bad event among good ones is shown to leave nothing written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

Run = Callable[..., Result]
Rejected = Callable[..., None]

SRC = {"attributed_to": "Ukrainian officials", "party": "UA"}
GOOD = {"type": "note.recorded", "data": {"text": "still ongoing", "source": SRC}}
OTHER = {"type": "note.recorded", "data": {"text": "not over yet", "source": SRC}}
"""A valid event with no id and no references: it may surround any bad line."""


def transfer(**changes: Any) -> dict[str, Any]:
    """A valid transfer in the seeded round, with data fields changed."""
    data = {
        "round": "june-2025",
        "kind": "bodies",
        "from": "RU",
        "to": "UA",
        "count": {"value": 1000, "qualifier": "exact"},
        "source": SRC,
    }
    data.update(changes)
    return {"type": "transfer.reported", "data": data}


def without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    """A deep copy of ``event`` with the key at ``path`` removed."""
    copy = json.loads(json.dumps(event))
    node = copy
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return copy


def line(value: Any) -> bytes:
    return json.dumps(value).encode()


def rnd(date: str) -> bytes:
    return line(
        {"type": "round.recorded", "data": {"round": "r-new", "occurred_on": date, "source": SRC}}
    )


def count(value: str) -> bytes:
    """A transfer whose count value is the raw JSON text ``value``."""
    return line(transfer(count={"value": 0})).replace(b'"value": 0', f'"value": {value}'.encode())


def correction(target: str, changes: dict[str, Any]) -> bytes:
    return line(
        {
            "type": "fact.corrected",
            "data": {"target": target, "changes": changes, "reason": "checked again"},
        }
    )


def huge_note(size: int) -> bytes:
    """A valid-looking round whose input line is exactly ``size`` bytes."""
    mediators = ["m" * 8000] * (size // 8010)
    event = {
        "type": "round.recorded",
        "data": {
            "round": "r-big",
            "occurred_on": "2025",
            "mediators": mediators,
            "label": "",
            "source": SRC,
        },
    }
    event["data"]["label"] = "x" * (size - len(line(event)))
    raw = line(event)
    assert len(raw) == size
    return raw


@dataclass(frozen=True)
class Case:
    """A bad input line and where the error must point."""

    raw: bytes
    field: str | None
    reason: str
    json_level: bool = False
    """Refused while reading the input (reported by line only), before any event is built."""

    def expected(self, alone: bool) -> str:
        """The start of the Error line: where it failed (the reason may carry a prefix)."""
        if self.json_level:
            return f"Error: line {1 if alone else 2}: {self.reason}"
        where = "event 1" if alone else "line 2 (event 2)"
        field = f", field '{self.field}'" if self.field else ""
        return f"Error: {where}{field}: "


CASES = {
    # input that is not an event at all
    "malformed-json": Case(
        b'{"type": "note.recorded", "data": {', None, "malformed JSON:", json_level=True
    ),
    "trailing-garbage": Case(line(GOOD) + b" x", None, "malformed JSON:", json_level=True),
    "not-an-object-number": Case(b"42", None, "an event must be a JSON object"),
    "not-an-object-string": Case(b'"transfer.reported"', None, "an event must be a JSON object"),
    "not-an-object-null": Case(b"null", None, "an event must be a JSON object"),
    "not-utf8": Case(
        line(GOOD).replace(b"still", b"st\xffill"), None, "not UTF-8", json_level=True
    ),
    "line-over-64KiB": Case(
        huge_note(66_000), None, "66000 bytes, over the 65536-byte limit", json_level=True
    ),
    # the envelope
    "unknown-type": Case(
        line({"type": "transfer.rumoured", "data": {}}),
        "type",
        "unknown event type 'transfer.rumoured'",
    ),
    "type-not-a-string": Case(line({"type": 5, "data": {}}), "type", "unknown event type 5"),
    "missing-type": Case(line({"data": GOOD["data"]}), "type", "field required"),
    "missing-data": Case(line({"type": "note.recorded"}), "data", "field required"),
    "data-not-an-object": Case(
        line({"type": "note.recorded", "data": []}), "data", "Input should be a valid dictionary"
    ),
    "extra-top-level-field": Case(line({**GOOD, "author": "me"}), "author", "unexpected field"),
    "bad-id": Case(line({**GOOD, "id": "has space"}), "id", "not an event id (1 to 128"),
    # missing and extra fields
    "missing-field": Case(
        line(without(transfer(), "data", "count")), "data.count", "field required"
    ),
    "missing-source-field": Case(
        line(without(transfer(), "data", "source", "party")), "data.source.party", "field required"
    ),
    "missing-qualified-value": Case(
        line(transfer(count={"qualifier": "exact"})), "data.count.value", "field required"
    ),
    "extra-field": Case(line(transfer(casualties=3)), "data.casualties", "unexpected field"),
    "extra-source-field": Case(
        line(transfer(source={**SRC, "rating": 5})), "data.source.rating", "unexpected field"
    ),
    # counts
    "negative-count": Case(
        count("-1"), "data.count.value", "Input should be greater than or equal to 0"
    ),
    "fractional-count": Case(count("1.5"), "data.count.value", "Input should be a valid integer"),
    "float-count": Case(count("1000.0"), "data.count.value", "Input should be a valid integer"),
    "exponent-count": Case(count("1e3"), "data.count.value", "Input should be a valid integer"),
    "string-count": Case(count('"1000"'), "data.count.value", "Input should be a valid integer"),
    "boolean-count": Case(count("true"), "data.count.value", "Input should be a valid integer"),
    "boolean-false-count": Case(
        count("false"), "data.count.value", "Input should be a valid integer"
    ),
    "null-count": Case(count("null"), "data.count.value", "Input should be a valid integer"),
    "bare-integer-count": Case(
        line(transfer(count=1000)), "data.count", "Input should be a valid dictionary"
    ),
    "boolean-count-object": Case(
        line(transfer(count=True)), "data.count", "Input should be a valid dictionary"
    ),
    "unknown-qualifier": Case(
        line(transfer(count={"value": 5, "qualifier": "roughly"})),
        "data.count.qualifier",
        "Input should be 'exact'",
    ),
    "nan": Case(count("NaN"), None, "malformed JSON:", json_level=True),
    "infinity": Case(count("Infinity"), None, "malformed JSON:", json_level=True),
    "minus-infinity": Case(count("-Infinity"), None, "malformed JSON:", json_level=True),
    "overflowing-float": Case(count("1e400"), None, "malformed JSON:", json_level=True),
    # parties and kinds
    "unknown-party-from": Case(
        line(transfer(**{"from": "US"})), "data.from", "Input should be 'UA' or 'RU'"
    ),
    "unknown-party-to": Case(line(transfer(to="ua")), "data.to", "Input should be 'UA' or 'RU'"),
    "unknown-source-party": Case(
        line(transfer(source={**SRC, "party": "EU"})),
        "data.source.party",
        "Input should be 'UA', 'RU' or 'other'",
    ),
    "unknown-kind": Case(
        line(transfer(kind="tanks")), "data.kind", "Input should be 'bodies', 'pows' or 'civilians'"
    ),
    "from-equals-to-transfer": Case(
        line(transfer(**{"from": "UA", "to": "UA"})),
        "data",
        "'from' and 'to' must be different parties",
    ),
    "from-equals-to-offer": Case(
        line(
            {
                "type": "offer.reported",
                "data": {
                    "kind": "pows",
                    "from": "RU",
                    "to": "RU",
                    "count": {"value": 1},
                    "as_of": "2025",
                    "source": SRC,
                },
            }
        ),
        "data",
        "'from' and 'to' must be different parties",
    ),
    "from-equals-to-total": Case(
        line(
            {
                "type": "total.reported",
                "data": {
                    "kind": "pows",
                    "from": "UA",
                    "to": "UA",
                    "count": {"value": 1},
                    "scope": {"since": "2022"},
                    "as_of": "2025",
                    "source": SRC,
                },
            }
        ),
        "data",
        "'from' and 'to' must be different parties",
    ),
    # dates
    "month-13": Case(rnd("2025-13"), "data.occurred_on", "not a calendar date"),
    "february-30": Case(rnd("2025-02-30"), "data.occurred_on", "not a calendar date"),
    "month-name": Case(
        rnd("June 2025"), "data.occurred_on", "a date is YYYY, YYYY-MM or YYYY-MM-DD"
    ),
    "unpadded-date": Case(
        rnd("2025-6-1"), "data.occurred_on", "a date is YYYY, YYYY-MM or YYYY-MM-DD"
    ),
    "datetime": Case(
        rnd("2025-06-16T10:00"), "data.occurred_on", "a date is YYYY, YYYY-MM or YYYY-MM-DD"
    ),
    "bad-published-on": Case(
        line(transfer(source={**SRC, "published_on": "2025-02-29"})),
        "data.source.published_on",
        "not a calendar date",
    ),
    # references and the rules checked against the log
    "transfer-in-unknown-round": Case(
        line(transfer(round="july-2099")), "round", "unknown round 'july-2099' (record it first)"
    ),
    "round-of-unknown-agreement": Case(
        line(
            {
                "type": "round.recorded",
                "data": {
                    "round": "r-new",
                    "occurred_on": "2025",
                    "agreement": "minsk-3",
                    "source": SRC,
                },
            }
        ),
        "agreement",
        "unknown agreement 'minsk-3' (record it first)",
    ),
    "correction-to-unknown-round": Case(
        line(
            {
                "type": "fact.corrected",
                "data": {"target": "tr-ua", "changes": {"round": "nope"}, "reason": "r"},
            }
        ),
        "round",
        "unknown round 'nope' (record it first)",
    ),
    "correction-of-unknown-id": Case(
        correction("no-such-event", {"kind": "pows"}), "target", "unknown event id 'no-such-event'"
    ),
    "correction-making-target-invalid": Case(
        correction("rnd-june", {"occurred_on": "2025-13"}),
        "changes.occurred_on",
        "the corrected fact would be invalid",
    ),
    "correction-making-from-equal-to": Case(
        correction("tr-ua", {"from": "UA"}), "changes", "the corrected fact would be invalid"
    ),
    "correction-removing-required-field": Case(
        correction("tr-ua", {"kind": None}), "changes.kind", "the corrected fact would be invalid"
    ),
    "correction-of-unknown-field": Case(
        correction("tr-ua", {"casualties": 3}),
        "changes.casualties",
        "'casualties' is not a field of transfer.reported",
    ),
    "correction-of-identity": Case(
        correction("rnd-june", {"round": "june-2025b"}),
        "changes.round",
        "'round' is the identity of the fact",
    ),
    "correction-of-a-correction": Case(
        correction("ret-note", {"reason": "x"}),
        "target",
        "'ret-note' is a fact.retracted, not a fact",
    ),
    "correction-of-retracted-fact": Case(
        correction("note-wrong", {"text": "x"}), "target", "'note-wrong' was retracted"
    ),
    "retraction-of-retracted-fact": Case(
        line({"type": "fact.retracted", "data": {"target": "note-wrong", "reason": "again"}}),
        "target",
        "'note-wrong' was retracted",
    ),
    "retraction-of-unknown-id": Case(
        line({"type": "fact.retracted", "data": {"target": "ghost", "reason": "r"}}),
        "target",
        "unknown event id 'ghost'",
    ),
    # issue 10 items 10-12: characters, bounds and dates append refuses
    "fullwidth-digit-year": Case(
        rnd("\uff12\uff10\uff12\uff15"), "data.occurred_on", "ASCII digits"
    ),
    "arabic-indic-digit-date": Case(
        rnd("\u0662\u0660\u0662\u0665-\u0660\u0666"), "data.occurred_on", "ASCII digits"
    ),
    "interval-ending-before-it-starts": Case(
        rnd("2025-12/2025-06"), "data.occurred_on", "ends before it starts"
    ),
    "interval-of-a-non-date": Case(
        rnd("2025-06/2025-02-30"), "data.occurred_on", "not a calendar date"
    ),
    "date-after-the-recording-day": Case(
        rnd("2999-01"), "occurred_on", "is after the day it is recorded"
    ),
    "future-date-in-a-source": Case(
        line(transfer(source={**SRC, "published_on": "2999"})),
        "source.published_on",
        "is after the day it is recorded",
    ),
    "count-over-the-maximum": Case(
        count("1000000001"), "data.count.value", "less than or equal to 1000000000"
    ),
    "count-of-2-to-the-63": Case(
        count("9223372036854775808"), "data.count.value", "less than or equal to 1000000000"
    ),
    "whitespace-only-name": Case(
        line(transfer(source={**SRC, "attributed_to": " \u00a0 "})),
        "data.source.attributed_to",
        "only whitespace",
    ),
    "whitespace-only-note": Case(
        line({**GOOD, "data": {**GOOD["data"], "text": "\n  "}}), "data.text", "only whitespace"
    ),
    "nul-in-note-text": Case(
        line({**GOOD, "data": {**GOOD["data"], "text": "a\u0000b"}}), "data.text", "U+0000"
    ),
    "escape-in-name": Case(
        line(transfer(source={**SRC, "attributed_to": "\u001b[31mX"})),
        "data.source.attributed_to",
        "U+001B",
    ),
    "newline-in-name": Case(
        line(transfer(source={**SRC, "outlet": "Reu\nters"})), "data.source.outlet", "U+000A"
    ),
    "tab-in-quote": Case(
        line(transfer(source={**SRC, "quote": "a\tb"})), "data.source.quote", "U+0009"
    ),
    "c1-control-in-reason": Case(
        line({"type": "fact.retracted", "data": {"target": "offer-1", "reason": "x\u009by"}}),
        "data.reason",
        "U+009B",
    ),
    "bidi-override-in-name": Case(
        line(transfer(source={**SRC, "attributed_to": "A\u202eB"})),
        "data.source.attributed_to",
        "U+202E",
    ),
    "zero-width-in-name": Case(
        line(transfer(source={**SRC, "attributed_to": "A\u200bB"})),
        "data.source.attributed_to",
        "U+200B",
    ),
    "escape-in-url": Case(
        line(transfer(source={**SRC, "url": "https://a.org/\u001b"})),
        "data.source.url",
        "not an http(s) URL without spaces",
    ),
    "correction-changing-nothing": Case(
        correction("tr-ua", {"count": {"value": 6057}}), "changes", "changes nothing"
    ),
    # issue 12: documents, attribution, supersedes, duplicates
    "source-naming-an-unknown-document": Case(
        line(transfer(source={**SRC, "document": "ghost"})),
        "source.document",
        "unknown document 'ghost' (record it first)",
    ),
    "unknown-attribution": Case(
        line(transfer(source={**SRC, "attribution": "guessed"})),
        "data.source.attribution",
        "'stated' or 'inferred'",
    ),
    "document-with-a-bad-hash": Case(
        line(
            {
                "type": "source.recorded",
                "data": {"document": "d-1", "outlet": "Reuters", "sha256": "ABC"},
            }
        ),
        "data.sha256",
        "not a SHA-256 (64 lowercase hexadecimal digits)",
    ),
    # a document may name no outlet (report 000 of the archive names none), never a blank one
    "document-with-a-blank-outlet": Case(
        line({"type": "source.recorded", "data": {"document": "d-1", "outlet": "  "}}),
        "data.outlet",
        "must not be only whitespace",
    ),
    "supersedes-an-unknown-id": Case(
        line(transfer(supersedes="ghost")), "supersedes", "unknown event id 'ghost'"
    ),
    "supersedes-another-type": Case(
        line(transfer(supersedes="offer-1")),
        "supersedes",
        "'offer-1' is a offer.reported, not a transfer.reported",
    ),
    "supersedes-another-party": Case(
        line(transfer(supersedes="tr-ru")), "supersedes", "'tr-ru' has another party (RU"
    ),
    "supersedes-another-round": Case(
        line(transfer(supersedes="tr-ua", source={**SRC, "party": "UA"}, kind="pows")),
        "supersedes",
        "'tr-ua' has another kind (bodies",
    ),
    "duplicate-of-a-current-fact": Case(
        line(
            {
                "type": "offer.reported",
                "data": {
                    "kind": "bodies",
                    "from": "RU",
                    "to": "UA",
                    "as_of": "2025-06",
                    "count": {"value": 2239, "qualifier": "exact"},
                    "source": {
                        "attributed_to": "Russian Defence Ministry",
                        "party": "RU",
                        "outlet": "Reuters",
                    },
                },
            }
        ),
        None,
        "the same offer.reported is already recorded as 'offer-1'",
    ),
    "reused-slug": Case(
        line(
            {
                "type": "agreement.recorded",
                "data": {"agreement": "istanbul-2025", "title": "again", "source": SRC},
            }
        ),
        "agreement",
        "agreement 'istanbul-2025' is already recorded",
    ),
}


def submit(cli: Run, raw: bytes, alone: bool) -> Result:
    """Submit ``raw`` alone, or as line 2 of three JSON lines whose others are good."""
    if alone:
        return cli("append", input=raw)
    return cli("append", input=line(GOOD) + b"\n" + raw + b"\n" + line(OTHER) + b"\n")


@pytest.mark.parametrize("alone", [True, False], ids=["alone", "in-batch"])
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_and_the_log_is_unchanged(
    cli: Run, rejected: Rejected, name: str, alone: bool
) -> None:
    """A bad input exits 1 with one Error line naming line/event and field; nothing is written."""
    case = CASES[name]
    rejected(submit(cli, case.raw, alone), case.expected(alone), case.reason)


def test_good_neighbours_alone_are_accepted(seeded: Path, cli: Run) -> None:
    """The good events that surround each bad line are themselves valid (control)."""
    third = {**GOOD, "data": {**GOOD["data"], "text": "a third note"}}
    result = submit(cli, line(third), alone=False)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 3


def test_stored_line_over_64KiB_is_refused(cli: Run, rejected: Rejected) -> None:
    """An input line under 64 KiB whose stored line (envelope added) would exceed it is refused."""
    raw = huge_note(65_500)
    assert len(raw) <= 65_536
    rejected(
        cli("append", input=raw),
        "Error: event 1: the stored line would be ",
        "over the 65536-byte limit",
    )


@pytest.mark.parametrize(
    "text", ["", "\n", "  \n\n\t\n", "[]"], ids=["empty", "newline", "blank-lines", "array"]
)
def test_empty_batch_is_refused(cli: Run, rejected: Rejected, text: str) -> None:
    """An input with no event exits 1: an empty batch."""
    rejected(cli("append", input=text), "Error: empty batch")


def test_duplicate_ids_within_a_batch(cli: Run, rejected: Rejected) -> None:
    """Two events with one id in a batch are refused, naming the second and the first."""
    first = {**GOOD, "id": "dup-1"}
    second = {**GOOD, "id": "dup-1", "data": {**GOOD["data"], "text": "other"}}
    raw = line(GOOD) + b"\n" + line(first) + b"\n" + line(second) + b"\n"
    rejected(
        cli("append", input=raw),
        "Error: line 3 (event 3), field 'id': duplicate id 'dup-1' (also event 2)",
    )


def test_identical_duplicates_within_a_batch_are_refused(cli: Run, rejected: Rejected) -> None:
    """Even identical events sharing an id in one batch are refused (no silent dedupe)."""
    event = {**GOOD, "id": "dup-2"}
    rejected(
        cli("append", input=json.dumps([event, event])),
        "Error: line 1 (event 2), field 'id': duplicate id 'dup-2' (also event 1)",
    )


def test_bad_event_in_a_json_array(cli: Run, rejected: Rejected) -> None:
    """A bad event inside a JSON array rejects the whole array, naming its index."""
    rejected(
        cli("append", input=json.dumps([GOOD, GOOD, transfer(kind="tanks")])),
        "Error: line 1 (event 3), field 'data.kind': ",
    )


def test_not_an_object_inside_an_array(cli: Run, rejected: Rejected) -> None:
    """A JSON array holding a non-object is refused, naming its index."""
    rejected(
        cli("append", input=json.dumps([GOOD, [GOOD]])),
        "Error: line 1 (event 2): an event must be a JSON object",
    )


def test_bad_line_number_counts_blank_lines(cli: Run, rejected: Rejected) -> None:
    """The reported line is the input line, blank lines included."""
    raw = line(GOOD) + b"\n\n\n" + line(transfer(kind="tanks")) + b"\n"
    rejected(cli("append", input=raw), "Error: line 4 (event 2), field 'data.kind': ")


def test_non_utf8_line_number(cli: Run, rejected: Rejected) -> None:
    """Non-UTF-8 bytes are reported at their input line."""
    raw = line(GOOD) + b"\n" + line(GOOD) + b"\n" + b'{"type": "\xc3("}\n'
    rejected(cli("append", input=raw), "Error: line 3: not UTF-8 (bad byte at offset ")


def test_correction_of_a_retracted_fact_via_cli(cli: Run, rejected: Rejected) -> None:
    """`correct` of a retracted fact exits 1 and names the target."""
    rejected(
        cli("correct", "note-wrong", "--set", "text=x", "--reason", "r"),
        "Error: TARGET: 'note-wrong' was retracted",
    )


def test_correction_making_target_invalid_via_cli(cli: Run, rejected: Rejected) -> None:
    """`correct --count -5` exits 1 naming --count: the corrected count would be negative."""
    rejected(
        cli("correct", "tr-ua", "--count", "-5", "--reason", "r"),
        "Error: --count: the corrected fact would be invalid: Input should be greater than "
        "or equal to 0",
    )


def test_correction_of_unknown_id_via_cli(cli: Run, rejected: Rejected) -> None:
    """`correct` of an unknown id exits 1 naming it."""
    rejected(
        cli("correct", "ghost", "--set", "text=x", "--reason", "r"),
        "Error: TARGET: unknown event id 'ghost'",
    )


def test_retraction_of_a_retracted_fact_via_cli(cli: Run, rejected: Rejected) -> None:
    """`retract` of a retracted fact exits 1 naming it."""
    rejected(
        cli("retract", "note-wrong", "--reason", "again"),
        "Error: TARGET: 'note-wrong' was retracted",
    )


def test_append_to_a_missing_log_directory(tmp_path: Path) -> None:
    """Appending where there is no log directory exits 1 and creates nothing."""
    from click.testing import CliRunner

    from eventlog.cli import main

    target = tmp_path / "absent"
    result = CliRunner().invoke(main, ["--log", str(target), "append"], input=line(GOOD))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no event log at {target} (looked in ")
    assert result.stderr.count("\n") == 1
    assert not target.exists()


def _pretty_round(mediators: int) -> bytes:
    event = {
        "type": "round.recorded",
        "data": {
            "round": "r-pretty",
            "occurred_on": "2025",
            "mediators": ["m" * 100] * mediators,
            "source": SRC,
        },
    }
    return json.dumps(event, indent=8).encode()


def test_pretty_printed_object_over_64KiB_with_a_short_stored_line(seeded: Path, cli: Run) -> None:
    """A pretty-printed object is one event: only its stored (compact) line must fit 64 KiB."""
    raw = _pretty_round(600)
    assert len(raw) > 65_536
    assert max(len(part) for part in raw.splitlines()) < 65_536
    result = cli("append", input=raw)
    assert result.exit_code == 0, result.output
    assert cli("verify").exit_code == 0


def test_pretty_printed_object_whose_stored_line_is_too_long(cli: Run, rejected: Rejected) -> None:
    """A pretty-printed object whose stored line would pass 64 KiB is refused as event 1."""
    rejected(
        cli("append", input=_pretty_round(700)),
        "Error: event 1: the stored line would be ",
        "over the 65536-byte limit",
    )
