"""Issue 12 §4: a superseded fact is out of the figures, and the rules treat it so.

It cannot be superseded again, corrected, or named as the fact a new one duplicates;
it may still be retracted. The same holds at append (the index, fresh or rebuilt,
and one batch's overlay) and on replay (``verify``).
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from eventlog.codec import decode, encode, line_hash
from eventlog.errors import CorruptLog, InvalidEvent
from eventlog.index import INDEX_FILE
from eventlog.indexfile import STAMP_FILE, write_stamp
from eventlog.store import append
from eventlog.verify import verify

TR_UA: dict[str, Any] = {
    "type": "transfer.reported",
    "data": {
        "round": "june-2025",
        "kind": "bodies",
        "from": "RU",
        "to": "UA",
        "count": {"value": 6057, "qualifier": "exact"},
        "source": {"attributed_to": "Coordination Headquarters", "party": "UA"},
    },
}
"""The seeded log's ``tr-ua`` (conftest's SEED), as a new report would repeat it."""


def replacing(event_id: str, value: int, target: str = "tr-ua") -> dict[str, Any]:
    """A UA report of the same round and flow as ``tr-ua`` that supersedes ``target``."""
    data = copy.deepcopy(TR_UA["data"])
    data["count"] = {"value": value, "qualifier": "exact"}
    data["supersedes"] = target
    return {"id": event_id, "type": TR_UA["type"], "data": data}


def correction(target: str, changes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "fact.corrected", "data": {"target": target, "changes": changes, "reason": "r"}}


@pytest.fixture(params=["index", "rebuilt index"])
def superseded(seeded: Path, request: pytest.FixtureRequest) -> Path:
    """The seeded log with ``tr-ua`` superseded by ``tr-ua-2`` (index kept or deleted)."""
    append(seeded, [replacing("tr-ua-2", 6058)])
    if request.param == "rebuilt index":
        (seeded / INDEX_FILE).unlink()
    return seeded


def _refused(log: Path, events: list[dict[str, Any]], message: str) -> None:
    before = (log / "events.jsonl").read_bytes()
    with pytest.raises(InvalidEvent, match=message):
        append(log, events)
    assert (log / "events.jsonl").read_bytes() == before


def test_a_superseded_fact_cannot_be_superseded_again(superseded: Path) -> None:
    """A second report naming an already superseded fact is refused; the log is unchanged."""
    _refused(superseded, [replacing("tr-ua-3", 6059)], "'tr-ua' is already superseded")


def test_a_superseded_fact_cannot_be_corrected(superseded: Path) -> None:
    """Correcting a superseded fact is refused, pointing at its replacement to correct."""
    _refused(superseded, [correction("tr-ua", {"count": {"value": 1}})], "'tr-ua' is superseded")


def test_the_replacing_fact_is_correctable_but_not_what_it_supersedes(superseded: Path) -> None:
    """The current report corrects as usual; which fact it supersedes is not a correction."""
    _refused(
        superseded,
        [correction("tr-ua-2", {"supersedes": "tr-ru"})],
        "which fact a report supersedes cannot be corrected",
    )
    _refused(superseded, [correction("tr-ua-2", {"supersedes": None})], "cannot be corrected")
    [result] = append(superseded, [correction("tr-ua-2", {"count": {"value": 6061}})])
    assert result.status == "appended"
    assert verify(superseded).events == 9


def test_a_superseded_fact_may_be_retracted(superseded: Path) -> None:
    """Retracting a superseded fact is accepted (out of the figures either way) and verifies."""
    retract = {"type": "fact.retracted", "data": {"target": "tr-ua", "reason": "was wrong"}}
    [result] = append(superseded, [retract])
    assert result.status == "appended"
    assert verify(superseded).events == 9


def test_a_superseded_fact_is_never_the_one_a_new_fact_duplicates(superseded: Path) -> None:
    """A report identical to a superseded fact is not refused as its duplicate."""
    again = {"id": "tr-ua-again", "type": TR_UA["type"], "data": TR_UA["data"]}
    [result] = append(superseded, [again])
    assert result.status == "appended"


def test_one_batch_cannot_supersede_a_fact_twice(seeded: Path) -> None:
    """Within one batch the overlay knows the first report superseded the fact."""
    _refused(
        seeded,
        [replacing("tr-ua-2", 6058), replacing("tr-ua-3", 6059)],
        "'tr-ua' is already superseded",
    )


def test_one_batch_that_supersedes_a_fact_admits_a_copy_of_it(seeded: Path) -> None:
    """A batch superseding a fact then reporting its data again is no duplicate of it."""
    again = {"id": "tr-ua-again", "type": TR_UA["type"], "data": TR_UA["data"]}
    results = append(seeded, [replacing("tr-ua-2", 6058), again])
    assert [r.status for r in results] == ["appended", "appended"]
    assert verify(seeded).events == 9


def test_verify_refuses_a_fact_superseded_twice(superseded: Path) -> None:
    """A line written past the rules that supersedes a superseded fact fails ``verify``."""
    path = superseded / "events.jsonl"
    last = path.read_bytes().splitlines()[-1]
    record = decode(last)
    record.update(id="tr-ua-3", seq=record["seq"] + 1, prev=line_hash(last))
    record["data"]["count"]["value"] = 6059
    with path.open("ab") as out:
        out.write(encode(record) + b"\n")
    with pytest.raises(CorruptLog, match="already superseded") as caught:
        verify(superseded)
    assert caught.value.line == 9


def _one_error_line(result: Result, prefix: str, log: Path, before: bytes) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(prefix), result.stderr
    assert (log / "events.jsonl").read_bytes() == before


def test_cli_a_superseded_fact_is_one_error_line(seeded: Path, cli: Callable[..., Result]) -> None:
    """CLI: superseding or correcting a superseded fact is one Error line, log unchanged."""
    args = [
        *("report", "transfer", "--round", "june-2025", "--kind", "bodies"),
        *("--from", "RU", "--to", "UA", "--supersedes", "tr-ua"),
        *("--attributed-to", "Coordination Headquarters", "--party", "UA"),
    ]
    assert cli(*args, "--count", "6058").exit_code == 0
    before = (seeded / "events.jsonl").read_bytes()
    _one_error_line(
        cli(*args, "--count", "6059"),
        "Error: --supersedes: 'tr-ua' is already superseded",
        seeded,
        before,
    )
    _one_error_line(
        cli("correct", "tr-ua", "--count", "6070", "--reason", "x"),
        "Error: ",
        seeded,
        before,
    )
    assert (
        "'tr-ua' is superseded" in cli("correct", "tr-ua", "--count", "1", "--reason", "x").stderr
    )


@pytest.mark.parametrize(
    ("sql", "forge"),
    [
        ("UPDATE events SET status = 0 WHERE id = 'tr-ua'", False),
        ("INSERT INTO facts SELECT digest, 'tr-ua' FROM facts WHERE id = 'tr-ua-2'", True),
    ],
    ids=["un-supersede a fact", "a superseded fact's digest kept"],
)
def test_an_edited_index_status_admits_nothing_the_log_refuses(
    seeded: Path, sql: str, forge: bool
) -> None:
    """An edited status row (or a forged stamp over a kept digest) still refuses, and verifies."""
    append(seeded, [replacing("tr-ua-2", 6058)])
    db = sqlite3.connect(seeded / INDEX_FILE, isolation_level=None)
    db.execute(sql)
    db.close()
    if forge:
        write_stamp(seeded / INDEX_FILE, seeded / STAMP_FILE)
    _refused(seeded, [replacing("tr-ua-3", 6059)], "'tr-ua' is already superseded")
    _refused(seeded, [correction("tr-ua", {"count": {"value": 1}})], "'tr-ua' is superseded")
    _refused(seeded, [replacing("tr-ua-2-copy", 6058)], "already recorded as 'tr-ua-2'")
    another = replacing("tr-ua-3", 6059)
    del another["data"]["supersedes"]
    [result] = append(seeded, [another])
    assert result.status == "appended"
    assert verify(seeded).events == 9


def test_a_fact_stays_superseded_when_its_replacement_is_retracted(
    superseded: Path, cli: Callable[..., Result]
) -> None:
    """Retracting the replacement leaves the replaced fact superseded: rules and `show` agree."""
    retract = {"type": "fact.retracted", "data": {"target": "tr-ua-2", "reason": "wrong"}}
    append(superseded, [retract])
    _refused(superseded, [replacing("tr-ua-3", 6059)], "'tr-ua' is already superseded")
    result = cli("show", "--json", "--status", "superseded")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["tr-ua"]
