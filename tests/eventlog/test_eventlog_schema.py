"""Issue 12 section 6: the JSON Schema says what append accepts, by an independent validator.

Every case of the bad-input corpus is validated with the ``jsonschema`` package
against ``eventlog schema``; the schema must refuse each one append refuses,
except the rules a schema cannot state, listed here with the reason.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from eventlog.cli import main
from tests.eventlog.test_eventlog_bad_input import CASES, GOOD, OTHER, transfer

jsonschema = pytest.importorskip("jsonschema")

BEYOND_A_SCHEMA = {
    # JSON Schema's "integer" is the mathematical kind: 1000.0 and 1e3 are integers to it
    "float-count",
    "exponent-count",
    # from != to relates two fields (stated in the models, not in the schema)
    "from-equals-to-transfer",
    "from-equals-to-offer",
    "from-equals-to-total",
    # calendar dates and interval order: a pattern cannot know February has no 30th
    "february-30",
    "bad-published-on",
    "interval-ending-before-it-starts",
    "interval-of-a-non-date",
    # the day an event is recorded is known only at append
    "date-after-the-recording-day",
    "future-date-in-a-source",
    # references and rules against what the log holds
    "transfer-in-unknown-round",
    "round-of-unknown-agreement",
    "reused-slug",
    "source-naming-an-unknown-document",
    "duplicate-of-a-current-fact",
    "supersedes-an-unknown-id",
    "supersedes-another-type",
    "supersedes-another-party",
    "supersedes-another-round",
    # corrections and retractions: checked against their target's current data
    "correction-to-unknown-round",
    "correction-of-unknown-id",
    "correction-making-target-invalid",
    "correction-making-from-equal-to",
    "correction-removing-required-field",
    "correction-of-unknown-field",
    "correction-of-identity",
    "correction-of-a-correction",
    "correction-of-retracted-fact",
    "retraction-of-retracted-fact",
    "retraction-of-unknown-id",
    "correction-changing-nothing",
}
"""Cases append refuses and the schema cannot: the rules a JSON Schema cannot state."""


@pytest.fixture(scope="module")
def validator() -> Any:
    """A 2020-12 validator of the schema `eventlog schema` prints."""
    result = CliRunner().invoke(main, ["schema"])
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_names_its_dialect_and_id(validator: Any) -> None:
    """The schema declares $schema 2020-12 and an $id."""
    assert validator.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert validator.schema["$id"].startswith("https://")


def test_schema_accepts_what_append_accepts(validator: Any) -> None:
    """The good events of the corpus (and a transfer with every new field) validate."""
    full = transfer(
        supersedes="tr-ua",
        source={
            "attributed_to": "Ukrainian officials",
            "party": "UA",
            "attribution": "inferred",
            "document": "report-000",
            "published_on": "2025-06/2025-12",
        },
    )
    for event in (GOOD, OTHER, full):
        assert validator.is_valid(event), list(validator.iter_errors(event))


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c.json_level])
def test_schema_agrees_with_append_on_the_bad_input_corpus(validator: Any, name: str) -> None:
    """Each bad input append refuses is refused by the schema, unless a schema cannot say why."""
    item = orjson.loads(CASES[name].raw)
    assert validator.is_valid(item) == (name in BEYOND_A_SCHEMA)


def test_schema_states_dates_counts_and_characters(validator: Any) -> None:
    """Dates have their pattern, counts their bound, names their character rules (a final
    newline included, which Python's ``$`` would let through)."""
    refused = [
        transfer(count={"value": 10**9 + 1}),
        transfer(source={"attributed_to": "A\u202eB", "party": "UA"}),
        transfer(source={"attributed_to": "   ", "party": "UA"}),
        transfer(source={"attributed_to": "x", "party": "UA", "published_on": "yesterday"}),
        transfer(source={"attributed_to": "x", "party": "UA", "published_on": "\uff12025"}),
        transfer(source={"attributed_to": "Reuters\n", "party": "UA"}),
        transfer(round="june-2025\n"),
        transfer(source={"attributed_to": "x", "party": "UA", "published_on": "2025\n"}),
        transfer(source={"attributed_to": "x", "party": "UA", "url": "https://a.org/\n"}),
    ]
    for event in refused:
        assert not validator.is_valid(event), event
