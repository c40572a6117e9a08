"""The archive itself: `log/` holds every fact of the two source reports; the main job runs on it.

These tests only read `log/` (never write it). The eventlog-side tests check that the
log verifies, that it begins with the reviewed submissions of `seed_submissions.jsonl`,
and that every number of the two reports is there with its attribution. The
projections-side tests build the projections from `log/` through the `projections`
command with `--json` and check the figures a reader sees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from eventlog.cli import main as eventlog_main
from eventlog.reader import LogReader
from eventlog.verify import verify
from projections.cli import main as projections_main
from projections.intervals import of as interval_of

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "log"
SEED = Path(__file__).resolve().parent / "seed_submissions.jsonl"
SOURCES = ROOT.parent / "shared" / "sources"
REPORT_000 = "000_87af26322db3bd0c.txt"
REPORT_004 = "004_d8c1514dbdaf9bcf.txt"
MAINTAINERS = "archive-maintainers (inference or editorial note, not stated by the reports)"

# Every number of the two reports: (as written in the report, event id, count value or
# None for a date or span, attributed_to, party, outlet).
NUMBERS = [
    ("1,000", "tr-2025-1000-for-24-ru-ua-ua-account", 1000, "Ukrainian government", "UA", None),
    ("24", "tr-2025-1000-for-24-ua-ru-ua-account", 24, "Ukrainian government", "UA", None),
    (
        "1,200",
        "tr-2025-06-repatriation-ru-ua-report-account",
        1200,
        "the report itself (unattributed statement; the report names no outlet)",
        "other",
        None,
    ),
    ("4,800", "tot-since-2022-02-over-4800", 4800, "Ukrainian officials", "UA", None),
    ("February 2022", "tot-since-2022-02-over-4800", None, "Ukrainian officials", "UA", None),
    (
        "1,245",
        "tr-istanbul-2025-final-stage-ua-account",
        1245,
        "Ukrainian officials",
        "UA",
        "Reuters",
    ),
    (
        "6,060",
        "tot-istanbul-2025-ru-account",
        6060,
        "Russian Defence Ministry spokespersons",
        "RU",
        "Reuters",
    ),
    ("6,057", "tot-istanbul-2025-ua-account", 6057, "Ukrainian officials", "UA", "Reuters"),
    ("6,000", "tot-istanbul-2025-over-6000", 6000, "Reuters", "other", "Reuters"),
    (
        "2,239",
        "ofr-2025-ru-ready-to-hand-over-2239",
        2239,
        "Russian Defence Ministry spokespersons",
        "RU",
        "Reuters",
    ),
    (
        "more than three years",
        "note-istanbul-2025-largest-return",
        None,
        "Reuters",
        "other",
        "Reuters",
    ),
]


def _records() -> list[dict[str, Any]]:
    return list(LogReader(LOG).records())


def _by_id() -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in _records()}


def _projection(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(projections_main, ["--log", str(LOG), *args, "--json"])
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.output)
    return view


def _reported_totals() -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in _projection("totals")["reported_totals"]}


def _rounds() -> dict[str, dict[str, Any]]:
    return {entry["round"]: entry for entry in _projection("rounds")["rounds"]}


# -- eventlog side ------------------------------------------------------------------


def test_log_verifies() -> None:
    """`eventlog verify` passes on log/ with no torn tail."""
    report = verify(LOG)
    assert report.torn_bytes == 0
    assert report.events == len(_records())


def test_verify_command_passes_on_log() -> None:
    """The `eventlog --log log verify` command exits 0 and says OK."""
    result = CliRunner().invoke(eventlog_main, ["--log", str(LOG), "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")


def test_log_begins_with_the_reviewed_submissions() -> None:
    """The log's first events are exactly the submissions of seed_submissions.jsonl, in order."""
    seed = [json.loads(line) for line in SEED.read_text("utf-8").splitlines() if line.strip()]
    records = _records()[: len(seed)]
    assert [(s["id"], s["type"], s["data"]) for s in seed] == [
        (r["id"], r["type"], r["data"]) for r in records
    ]
    assert {r["recorded_by"] for r in records} == {"archive-maintainers"}


@pytest.mark.parametrize(
    ("written", "event_id", "value", "attributed_to", "party", "outlet"),
    NUMBERS,
    ids=[n[0] for n in NUMBERS],
)
def test_every_number_is_in_the_log_with_its_attribution(
    written: str,
    event_id: str,
    value: int | None,
    attributed_to: str,
    party: str,
    outlet: str | None,
) -> None:
    """Each number of the reports is in the log, quoted as written, with who said it."""
    record = _by_id()[event_id]
    source = record["data"]["source"]
    assert written in source["quote"]
    assert (attributed_to, party, outlet) == (
        source["attributed_to"],
        source["party"],
        source.get("outlet"),
    )
    if value is not None:
        assert value == record["data"]["count"]["value"]


def test_lower_bounds_are_recorded_as_at_least() -> None:
    """'over 4,800' and 'over 6,000' are at_least; the other figures are exact."""
    qualifiers = {
        event_id: _by_id()[event_id]["data"]["count"]["qualifier"]
        for _, event_id, value, *_ in NUMBERS
        if value is not None
    }
    at_least = {"tot-since-2022-02-over-4800", "tot-istanbul-2025-over-6000"}
    assert {i: ("at_least" if i in at_least else "exact") for i in qualifiers} == qualifiers


def test_the_offer_is_an_offer_not_a_transfer() -> None:
    """Russia's readiness to hand over 2,239 bodies is an offer.reported, RU to UA."""
    offer = _by_id()["ofr-2025-ru-ready-to-hand-over-2239"]
    assert offer["type"] == "offer.reported"
    assert (offer["data"]["from"], offer["data"]["to"], offer["data"]["kind"]) == (
        "RU",
        "UA",
        "bodies",
    )
    assert not any(
        r["type"] == "transfer.reported" and r["data"]["count"]["value"] == 2239 for r in _records()
    )


def test_prisoner_exchanges_ongoing_is_noted_by_both_sides() -> None:
    """Both Ukraine and Russia are recorded saying the POW exchange is still ongoing."""
    notes = _by_id()
    parties = {
        notes[i]["data"]["source"]["party"]
        for i in ("note-2025-pow-exchange-ongoing-ua", "note-2025-pow-exchange-ongoing-ru")
        if notes[i]["data"]["kind"] == "pows" and "still ongoing" in notes[i]["data"]["text"]
    }
    assert parties == {"UA", "RU"}


def test_inferred_dates_are_said_to_be_inferred() -> None:
    """Every fact dated 2025 is covered by a maintainers' note saying the year is inferred."""
    records = _by_id()
    inference = [
        r
        for r in records.values()
        if r["type"] == "note.recorded" and r["data"]["source"]["attributed_to"] == MAINTAINERS
    ]
    explained = {r["data"].get("round") or r["data"].get("agreement") for r in inference}
    assert {"istanbul-2025", "2025-1000-for-24", "2025-06-repatriation"} <= explained
    dated = [r for r in inference if r["id"] != "note-source-004-reuters"]
    assert all("infer" in r["data"]["text"] for r in dated)


def test_report_000_facts_name_no_outlet() -> None:
    """No fact of the report that names no outlet is given one; report 004's say Reuters."""
    if not SOURCES.is_dir():
        pytest.skip(f"source reports not found in {SOURCES}")
    text_000 = (SOURCES / REPORT_000).read_text("utf-8")
    text_004 = (SOURCES / REPORT_004).read_text("utf-8")
    for record in _records()[: len(SEED.read_text("utf-8").splitlines())]:
        source = record["data"]["source"]
        quote = source["quote"]
        assert (quote in text_000) != (quote in text_004), record["id"]
        if source["attributed_to"] != MAINTAINERS:
            assert source.get("outlet") == ("Reuters" if quote in text_004 else None), record["id"]


# -- projections side ------------------------------------------------------------------


def test_process_keeps_both_accounts() -> None:
    """The Istanbul process shows Russia's 6,060 and Ukraine's 6,057 side by side."""
    totals = _reported_totals()
    ru, ua = totals["tot-istanbul-2025-ru-account"], totals["tot-istanbul-2025-ua-account"]
    assert (ru["count"], ru["source"]["party"]) == ({"value": 6060, "qualifier": "exact"}, "RU")
    assert (ua["count"], ua["source"]["party"]) == ({"value": 6057, "qualifier": "exact"}, "UA")
    assert ru["scope"] == ua["scope"] == {"agreement": "istanbul-2025"}
    assert ru["rounds_sum"] == ua["rounds_sum"]
    assert ru["gap"] - ua["gap"] == 3


def test_process_reconciles_against_its_recorded_rounds() -> None:
    """The agreement's rounds (1,245 final stage and the 1,000 round) sum to 2,245."""
    entry = _reported_totals()["tot-istanbul-2025-ru-account"]
    assert (entry["rounds_sum"]["best"], entry["rounds_sum"]["exact"]) == (2245, True)
    assert entry["gap"] == 6060 - 2245


@pytest.mark.parametrize(
    ("event_id", "value"),
    [("tot-since-2022-02-over-4800", 4800), ("tot-istanbul-2025-over-6000", 6000)],
)
def test_lower_bounds_are_not_shown_as_exact(event_id: str, value: int) -> None:
    """'over 4,800' and 'over 6,000' come out as open lower bounds, not exact figures."""
    count = _reported_totals()[event_id]["count"]
    assert count == {"value": value, "qualifier": "at_least"}
    figure = interval_of(count)
    assert (figure.low, figure.high, figure.exact) == (value, None, False)
    span = _reported_totals()[event_id]["gap_range"]
    assert (span["high"], span["exact"]) == (None, False)


def test_main_job_shows_the_figures() -> None:
    """`projections totals` prints both accounts and the lower bounds with '>='."""
    result = CliRunner().invoke(projections_main, ["--log", str(LOG), "totals"])
    assert result.exit_code == 0, result.output
    for shown in ("6060", "6057", ">=6000", ">=4800", ">=3755", ">=1355"):
        assert shown in result.output


def test_offer_is_outstanding() -> None:
    """Russia's offer of another 2,239 bodies is listed as outstanding."""
    offers = {o["id"]: o for o in _projection("totals")["offers"]}
    offer = offers["ofr-2025-ru-ready-to-hand-over-2239"]
    assert (offer["from"], offer["to"], offer["count"]) == (
        "RU",
        "UA",
        {"value": 2239, "qualifier": "exact"},
    )


def test_flow_totals_sum_the_recorded_rounds() -> None:
    """Bodies RU->UA sum 1,000 + 1,200 + 1,245 over three rounds; UA->RU is the 24."""
    flows = {(t["kind"], t["from"], t["to"]): t for t in _projection("totals")["totals"]}
    ru_ua, ua_ru = flows["bodies", "RU", "UA"], flows["bodies", "UA", "RU"]
    assert (ru_ua["best"], ru_ua["exact"], ru_ua["rounds"]) == (3445, True, 3)
    assert (ua_ru["best"], ua_ru["exact"], ua_ru["rounds"]) == (24, True, 1)


def test_rounds_as_the_reports_give_them() -> None:
    """Each round has its date, agreement and each flow's account as reported."""
    rounds = _rounds()
    summary = {
        slug: (
            r["occurred_on"],
            r["agreement"],
            {(f["from"], f["to"]): (f["best"], f["discrepancy"]) for f in r["flows"]},
        )
        for slug, r in rounds.items()
    }
    assert summary == {
        "istanbul-2025-final-stage": ("2025", "istanbul-2025", {("RU", "UA"): (1245, False)}),
        "2025-1000-for-24": (
            "2025",
            "istanbul-2025",
            {("RU", "UA"): (1000, False), ("UA", "RU"): (24, False)},
        ),
        "2025-06-repatriation": ("2025-06", None, {("RU", "UA"): (1200, False)}),
    }


def test_trail_of_a_fact_has_its_single_reported_version() -> None:
    """The trail of Russia's 6,060 holds one 'reported' version recorded by the maintainers."""
    trail = _projection("trail", "tot-istanbul-2025-ru-account")
    assert (trail["status"], [v["action"] for v in trail["versions"]]) == (
        "current",
        ["reported"],
    )
    assert trail["versions"][0]["recorded_by"] == "archive-maintainers"
