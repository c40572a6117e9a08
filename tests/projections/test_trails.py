"""Revision trails."""

from __future__ import annotations

import pytest
from projection_logs import Log, istanbul, qty, source
from trail_oracle import all_trails, trail_in

from projections.errors import UnknownFact
from projections.timeaxes import KnownAt


def test_corrected_count_trail() -> None:
    """UA's r3 figure: reported 3640, corrected to 3645 with the reason."""
    found = trail_in(istanbul().records, "e6")
    assert (found["id"], found["type"], found["status"]) == ("e6", "transfer.reported", "current")
    reported, corrected = found["versions"]
    assert (reported["action"], reported["seq"], reported["event_id"], reported["changes"]) == (
        "reported",
        6,
        "e6",
        None,
    )
    assert qty(3640) == reported["data"]["count"]
    assert {"count": {"from": qty(3640), "to": qty(3645)}} == corrected["changes"]
    assert (
        corrected["action"],
        corrected["seq"],
        corrected["event_id"],
        corrected["reason"],
    ) == ("corrected", 17, "e17", "typo in the HQ statement")
    assert qty(3645) == corrected["data"]["count"]


def test_trail_versions_carry_who_and_when() -> None:
    """Each version names recorded_at and recorded_by of its own event."""
    records = istanbul().records
    (version,) = trail_in(records, "e5")["versions"]
    assert (records[4]["recorded_at"], "tester") == (version["recorded_at"], version["recorded_by"])


def test_retracted_trail() -> None:
    """The retracted ICRC account ends with a retracted version and keeps its data."""
    found = trail_in(istanbul().records, "e12")
    assert (found["status"], [v["action"] for v in found["versions"]]) == (
        "retracted",
        ["reported", "retracted"],
    )
    assert found["versions"][0]["data"] == found["versions"][1]["data"]
    assert found["versions"][1]["reason"] == "ICRC did not confirm"


def test_removed_field_shows_as_null() -> None:
    """Removing an optional field shows its change as from the old value to null."""
    log = Log()
    fact = log.round("r1", "2025-06-11", label="first")
    log.correct(fact, label=None)
    assert trail_in(log.records, fact)["versions"][1]["changes"] == {
        "label": {"from": "first", "to": None}
    }


def test_source_correction_trail() -> None:
    """A corrected source shows the old and the new source."""
    log = Log()
    log.round("r1", "2025-06-11")
    fact = log.transfer("r1", 10, "UA")
    log.correct(fact, source=source("UA", outlet="Ukrinform"))
    change = trail_in(log.records, fact)["versions"][1]["changes"]["source"]
    assert (source("UA"), source("UA", outlet="Ukrinform")) == (change["from"], change["to"])


def test_trail_before_the_correction() -> None:
    """Known at seq 16, UA's r3 figure has only its reported version."""
    found = trail_in(istanbul().records, "e6", KnownAt(seq=16))
    assert [v["action"] for v in found["versions"]] == ["reported"]


def test_unknown_fact_is_refused() -> None:
    """A trail of an id the log does not hold raises UnknownFact."""
    with pytest.raises(UnknownFact):
        trail_in(istanbul().records, "e17")


def test_all_trails_in_report_order() -> None:
    """Every fact has one trail, in the order the facts were reported."""
    ids = [t["id"] for t in all_trails(istanbul().records)]
    assert ids[:5] == ["e1", "e2", "e3", "e4", "e5"]
    assert len(ids) == 17
