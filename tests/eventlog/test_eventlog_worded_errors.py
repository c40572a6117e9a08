"""Errors on ids, slugs, URLs, dates, hashes and language tags say the rule in words,
naming the option the maintainer typed (or the JSON field of an appended event)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import Result

Run = Callable[..., Result]
TRANSFER = (
    "report",
    "transfer",
    "--round",
    "june-2025",
    "--kind",
    "bodies",
    "--from",
    "RU",
    "--to",
    "UA",
    "--count",
    "5",
    "--party",
    "UA",
    "--attributed-to",
    "X",
)
DOCUMENT = {"type": "source.recorded", "data": {"document": "d-1", "outlet": "Reuters"}}


def error_line(result: Result) -> str:
    """The one Error line of a refused command; no regex in it."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "should match pattern" not in lines[0] and "^" not in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--url", "ht tp://x"), "Error: --url: not an http(s) URL without spaces"),
        (("--url", "ht tp://x"), "example.org/report) (got 'ht tp://x')"),
        (("--id", "-x"), "Error: --id: not an event id (1 to 128 ASCII letters"),
        (("--published-on", "2025-13"), "Error: --published-on: not a calendar date: 2025-13"),
        (("--published-on", "June"), "Error: --published-on: not a date: 'June'"),
        (("--round", "June"), "Error: --round: not a slug: 'June'"),
    ],
)
def test_report_options_are_named_in_words(
    seeded: Path, cli: Run, args: tuple[str, ...], expected: str
) -> None:
    """A bad value of a `report transfer` option: the option, then the rule in words."""
    line = error_line(cli(*TRANSFER, *args))
    assert line.startswith(expected) or line.endswith(expected), line


def test_correct_of_a_bad_target_names_the_argument(seeded: Path, cli: Run) -> None:
    """`correct 'zz<ESC>'` names TARGET and the id rule, not 'data.target' and a regex."""
    line = error_line(cli("correct", "zz\x1b", "--count", "3", "--reason", "x"))
    assert line.startswith("Error: TARGET: not an event id (1 to 128 ASCII letters")


def test_source_add_language_names_the_option(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """A bad --language is 'not a language tag' with examples, and the value typed."""
    text = tmp_path / "doc.txt"
    text.write_text("a report\n")
    line = error_line(
        cli("source", "add", str(text), "--slug", "d-9", "--outlet", "o", "--language", "EN")
    )
    assert line == (
        "Error: --language: not a language tag (lowercase letters as uk, ru, en, "
        "then optional -parts as en-GB) (got 'EN')"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"sha256": "ABC"}, "field 'data.sha256': not a SHA-256 (64 lowercase hexadecimal digits)"),
        ({"url": "https://a.org/ x"}, "field 'data.url': not an http(s) URL without spaces"),
        ({"language": "english"}, "field 'data.language': not a language tag"),
        ({"document": "D 1"}, "field 'data.document': not a slug: 'D 1'"),
    ],
)
def test_appended_json_fields_are_named_in_words(
    seeded: Path, cli: Run, data: dict[str, str], expected: str
) -> None:
    """The JSON-path form (append) says the same rules in words."""
    event = {**DOCUMENT, "data": {**DOCUMENT["data"], **data}}
    line = error_line(cli("append", input=orjson.dumps(event)))
    assert line.startswith(f"Error: event 1, {expected}"), line


def test_correct_of_several_targets_names_the_event(seeded: Path, cli: Run) -> None:
    """With several targets, the error names TARGET and which event (the second) is at fault."""
    line = error_line(cli("correct", "tr-ua", "a b", "--count", "3", "--reason", "x"))
    assert line.startswith("Error: TARGET (event 2): not an event id"), line
