"""The chain can be checked without this package: the README's sha256sum recipe holds.

Each line's ``prev`` is the SHA-256 hex of the previous line's exact bytes
without its newline, and the first line's ``prev`` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

README = Path(__file__).resolve().parents[2] / "README.md"
V1_FIXTURE = Path(__file__).parent / "fixtures" / "v1_log.jsonl"


def stdlib_chain(raw: bytes) -> tuple[int, str]:
    """Check the chain with hashlib and json alone; return (last seq, hash of the last line)."""
    prev = "0" * 64
    lines = raw.split(b"\n")
    assert lines.pop() == b""  # every line ends with a newline
    for number, line in enumerate(lines, start=1):
        record = json.loads(line)
        assert record["seq"] == number
        assert record["prev"] == prev, f"chain broken at line {number}"
        prev = hashlib.sha256(line).hexdigest()
    return len(lines), prev


@pytest.fixture
def grown(seeded: Path, cli: Callable[..., Result]) -> Path:
    """The seeded log after a correction, a retraction and a batch with non-ASCII text."""
    assert cli("correct", "tr-ua", "--count", "6058", "--reason", "typo").exit_code == 0
    assert cli("retract", "offer-1", "--reason", "unconfirmed").exit_code == 0
    note = {
        "type": "note.recorded",
        "data": {
            "text": 'Обмін триває: "still ongoing"',
            "source": {"attributed_to": "Міністерство оборони", "party": "UA"},
        },
    }
    other = {**note, "id": "n-2", "data": {**note["data"], "text": "Обмін триває (2)"}}
    result = cli("append", input=json.dumps([note, other], ensure_ascii=False))
    assert result.exit_code == 0, result.output
    return seeded


def test_stdlib_chain_check_matches_head(grown: Path, cli: Callable[..., Result]) -> None:
    """hashlib over each line's bytes gives the next line's prev, and the last one is `head`."""
    seq, digest = stdlib_chain((grown / "events.jsonl").read_bytes())
    assert json.loads(cli("head").stdout) == {"seq": seq, "hash": digest}
    assert seq == 11


def test_stdlib_chain_check_on_the_version_1_fixture() -> None:
    """The stored version-1 log chains the same way."""
    assert stdlib_chain(V1_FIXTURE.read_bytes())[0] == 10


def test_first_prev_is_64_zeros(grown: Path) -> None:
    """The first line's prev is 64 zeros."""
    first = (grown / "events.jsonl").read_bytes().split(b"\n", 1)[0]
    assert json.loads(first)["prev"] == "0" * 64


def test_prev_is_the_last_key_of_every_line(grown: Path) -> None:
    """prev is each line's last key, so a line-oriented tool can take the last "prev" match."""
    for line in (grown / "events.jsonl").read_bytes().splitlines():
        assert re.search(rb'"prev":"[0-9a-f]{64}"}$', line)
        assert list(json.loads(line))[-1] == "prev"


def _readme_recipe() -> str:
    if not README.is_file():
        pytest.skip("no README.md")
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text("utf-8"), flags=re.S)
    recipes = [b for b in blocks if "sha256sum" in b]
    if not recipes:
        pytest.skip("the README has no sha256sum recipe")
    return recipes[0]


@pytest.mark.skipif(
    shutil.which("sha256sum") is None or shutil.which("bash") is None,
    reason="needs bash and sha256sum",
)
def test_readme_sha256sum_recipe_prints_head(grown: Path, cli: Callable[..., Result]) -> None:
    """The README's shell recipe, run on a log, prints `N:HASH` equal to `eventlog head`."""
    script = _readme_recipe()
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=grown.parent,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    head = json.loads(cli("head").stdout)
    assert done.stdout.splitlines()[-1].split()[0] == f"{head['seq']}:{head['hash']}"
    assert "chain broken" not in done.stdout


@pytest.mark.skipif(
    shutil.which("sha256sum") is None or shutil.which("bash") is None,
    reason="needs bash and sha256sum",
)
def test_readme_sha256sum_recipe_reports_a_broken_chain(grown: Path) -> None:
    """The README's shell recipe names the line after an edited one."""
    path = grown / "events.jsonl"
    lines = path.read_bytes().splitlines()
    lines[2] = lines[2].replace(b'"value":6057', b'"value":6050', 1)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    done = subprocess.run(
        ["bash", "-c", _readme_recipe()],
        cwd=grown.parent,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "chain broken at line 4" in done.stdout


def test_every_line_is_the_codecs_encoding_of_its_record(seeded: Path) -> None:
    """The store splices each line from its parts: byte for byte what ``codec.encode`` writes."""
    import orjson

    from eventlog.codec import encode
    from eventlog.store import append

    source = {
        "attributed_to": 'Уповноважений "з прав" \\ людини',
        "party": "UA",
        "quote": 'émoji 🕊, \u2028 \u2029 separators, "quotes"',
    }
    append(
        seeded,
        [
            {"type": "note.recorded", "data": {"text": "ünïcode\ttab\nnew line", "source": source}},
            {
                "id": "c:1.x-y_z",
                "type": "fact.corrected",
                "data": {"target": "tr-ua", "changes": {"count": {"value": 7}}, "reason": "r"},
            },
        ],
        by='Олена "O" \\',
    )
    for line in (seeded / "events.jsonl").read_bytes().splitlines():
        assert encode(orjson.loads(line)) == line
