"""Fuzzing bad input: mutated valid events and arbitrary bytes, through the library and the CLI.

Never a traceback: the library raises only ``EventLogError``s and the CLI exits
1 or 2 with one ``Error:`` line; the log's bytes are unchanged. A mutation that
happens to leave a valid event is appended, and then the log only grew.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlog.cli import main
from eventlog.errors import EventLogError
from eventlog.store import append
from eventlog.verify import verify
from reliability.conftest import SOURCE, log_bytes, scaled, seed

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

BASES: list[dict[str, Any]] = [
    {
        "type": "agreement.recorded",
        "data": {
            "agreement": "geneva-2025",
            "title": "Geneva",
            "concluded_on": "2025-07",
            "place": "Geneva",
            "source": SOURCE,
        },
    },
    {
        "type": "round.recorded",
        "data": {
            "round": "r-2025-07",
            "occurred_on": "2025-07-01",
            "agreement": "istanbul-2025",
            "label": "second",
            "mediators": ["UAE"],
            "source": SOURCE,
        },
    },
    {
        "type": "transfer.reported",
        "data": {
            "round": "r-2025-06",
            "kind": "pows",
            "from": "UA",
            "to": "RU",
            "count": {"value": 6000, "qualifier": "at_least"},
            "source": {
                **SOURCE,
                "url": "https://example.org/a",
                "published_on": "2025-06-16",
                "outlet": "Ukrinform",
                "quote": "over",
            },
        },
    },
    {
        "type": "total.reported",
        "data": {
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "scope": {"agreement": "istanbul-2025"},
            "as_of": "2025-06",
            "count": {"value": 4800},
            "source": SOURCE,
        },
    },
    {
        "type": "offer.reported",
        "data": {
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "count": {"value": 2239, "qualifier": "exact"},
            "as_of": "2025-06-12",
            "agreement": "istanbul-2025",
            "source": SOURCE,
        },
    },
    {
        "type": "note.recorded",
        "data": {"text": "still ongoing", "round": "r-2025-06", "kind": "pows", "source": SOURCE},
    },
    {
        "type": "fact.corrected",
        "data": {
            "target": "tr-1",
            "changes": {"count": {"value": 1245}},
            "reason": "updated",
            "source": SOURCE,
        },
    },
    {"type": "fact.retracted", "data": {"target": "note-1", "reason": "withdrawn"}},
]

BAD_VALUES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        1.5,
        -0.0,
        2**64,
        "",
        " ",
        "x" * 9000,
        "2025-13-01",
        "2025-02-30",
        "25",
        "UA",
        "RU",
        "XX",
        "bodies",
        "soldiers",
        "istanbul-2025",
        "r-2025-06",
        "Not A Slug",
        "tr-1",
        "note-1",
        "agr-1",
        "ftp://example.org",
        [],
        {},
        [None],
        {"value": -5},
        {"value": True},
        {"value": 3, "qualifier": "roughly"},
        {"agreement": "nowhere"},
        {"since": "2022"},
        "\u0000",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value a mutation may touch."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _mutate(event: dict[str, Any], path: tuple[Any, ...], op: str, value: Any) -> None:
    parent: Any = event
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if op == "drop":
        del parent[last]
    elif op == "replace":
        parent[last] = value
    elif op == "add" and isinstance(parent, dict):
        parent[f"extra_{value!r:.12}"] = value
    elif op == "add":
        parent.append(value)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid submission with one to three fields dropped, added or given a bad value."""
    event = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(event)
        if not paths:
            break
        op = draw(st.sampled_from(["drop", "replace", "replace", "add"]))
        value = copy.deepcopy(draw(BAD_VALUES | JSON))  # sampled constants are shared
        _mutate(event, draw(st.sampled_from(paths)), op, value)
    return event


SPLICES = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
    b"-1",
    b"true",
    b"null",
    b"\xff\xfe",
    b"\x00",
    b'"\\ud800"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b'"',
    b"\n",
    b"\\",
]


@st.composite
def spliced(draw: st.DrawFn) -> bytes:
    """The JSON text of a valid submission with bytes inserted, deleted or replaced."""
    raw = orjson.dumps(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(raw)))
        cut = draw(st.integers(0, 8))
        piece = draw(st.sampled_from(SPLICES) | st.binary(max_size=6))
        raw = raw[:at] + piece + raw[at + cut :]
    return raw


@pytest.fixture(scope="module")
def fuzz_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded log shared by every example of a test module."""
    log = tmp_path_factory.mktemp("fuzz") / "log"
    seed(log)
    return log


def _appended_only(log: Path, before: bytes, appended: int) -> None:
    after = log_bytes(log)
    assert after.startswith(before), "earlier bytes changed"
    assert after.count(b"\n") - before.count(b"\n") == appended
    assert verify(log).torn_bytes == 0


def _through_library(log: Path, items: list[Any]) -> None:
    before = log_bytes(log)
    try:
        results = append(log, items, by="fuzz")
    except EventLogError as exc:
        assert str(exc), "an error must say what is wrong"
        assert log_bytes(log) == before, f"log changed on refused input: {exc}"
        return
    _appended_only(log, before, sum(r.status == "appended" for r in results))


def _through_cli(log: Path, raw: bytes) -> None:
    before = log_bytes(log)
    result = CliRunner().invoke(main, ["--log", str(log), "append", "-"], input=raw)
    if result.exit_code == 0:
        statuses = [orjson.loads(line)["status"] for line in result.stdout.splitlines()]
        _appended_only(log, before, statuses.count("appended"))
        return
    assert isinstance(result.exception, SystemExit), f"traceback: {result.exception!r}"
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert log_bytes(log) == before, f"log changed on refused input: {result.stderr}"


@settings(max_examples=scaled(600), **SETTINGS)
@given(event=mutated())
def test_library_refuses_mutated_events(fuzz_log: Path, event: dict[str, Any]) -> None:
    """``append`` refuses a mutated event with an ``EventLogError`` and leaves the log unchanged."""
    _through_library(fuzz_log, [event])


@settings(max_examples=scaled(300), **SETTINGS)
@given(items=st.lists(JSON | mutated(), max_size=4))
def test_library_refuses_arbitrary_batches(fuzz_log: Path, items: list[Any]) -> None:
    """``append`` refuses a batch of arbitrary JSON values (or empty) without changing the log."""
    _through_library(fuzz_log, items)


@settings(max_examples=scaled(500), **SETTINGS)
@given(events=st.lists(mutated(), min_size=1, max_size=3))
def test_cli_refuses_mutated_events(fuzz_log: Path, events: list[dict[str, Any]]) -> None:
    """``eventlog append`` exits 1 or 2 with one ``Error:`` line on mutated JSON lines."""
    _through_cli(fuzz_log, b"\n".join(json.dumps(e).encode() for e in events))


@settings(max_examples=scaled(400), **SETTINGS)
@given(raw=spliced())
def test_cli_refuses_spliced_json(fuzz_log: Path, raw: bytes) -> None:
    """``eventlog append`` refuses JSON text with spliced bytes (NaN, bad UTF-8, broken syntax)."""
    _through_cli(fuzz_log, raw)


@settings(max_examples=scaled(300), **SETTINGS)
@given(raw=st.binary(max_size=400))
def test_cli_refuses_arbitrary_bytes(fuzz_log: Path, raw: bytes) -> None:
    """``eventlog append`` refuses arbitrary bytes with one ``Error:`` line, log unchanged."""
    _through_cli(fuzz_log, raw)


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 10**30])
def test_library_refuses_integers_the_codec_cannot_write(fuzz_log: Path, value: int) -> None:
    """An integer beyond 64 bits is refused as ``InvalidEvent``, not a ``TypeError`` traceback."""
    event = copy.deepcopy(BASES[2])
    event["data"]["count"]["value"] = value
    correction = {
        "type": "fact.corrected",
        "data": {"target": "tr-1", "changes": {"count": {"value": value}}, "reason": "typo"},
    }
    for item in (event, correction):
        before = log_bytes(fuzz_log)
        with pytest.raises(EventLogError):
            append(fuzz_log, [item])
        assert log_bytes(fuzz_log) == before
