"""The archive itself: `log/` holds every fact of the two source reports; the main job runs on it.

These tests only read `log/` (never write it). The eventlog-side tests check that the
log verifies, that it holds exactly the reviewed submissions of `seed_submissions.jsonl`
followed by the fact-checker's review of `review_submissions.jsonl` (issue 15), and that
every number of the two reports is there with its attribution, each quote verbatim in
the document it names (found by its SHA-256 in `../shared/sources` when present). The
projections-side tests build the projections from `log/` through the `projections`
command with `--json` and check the figures a reader sees.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from eventlog import catalog
from eventlog.cli import main as eventlog_main
from eventlog.reader import LogReader
from eventlog.verify import verify
from projections.cli import main as projections_main
from projections.intervals import of as interval_of

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "log"
SEED = Path(__file__).resolve().parent / "seed_submissions.jsonl"
REVIEW = Path(__file__).resolve().parent / "review_submissions.jsonl"
SOURCES = ROOT.parent / "shared" / "sources"
REPORT_000 = "000_87af26322db3bd0c.txt"
REPORT_004 = "004_d8c1514dbdaf9bcf.txt"
MAINTAINERS = "archive-maintainers (inference or editorial note, not stated by the reports)"
DOCUMENT_000 = "report-000-87af26322db3bd0c"
DOCUMENT_004 = "report-004-d8c1514dbdaf9bcf"

# Every number of the two reports: (as written in the report, event id, count value or
# None for a date or span, attributed_to, party, outlet, attribution: None when the report
# states who said it, "inferred" when the maintainers infer it).
NUMBERS = [
    (
        "1,000",
        "tr-2025-1000-for-24-ru-ua-ua-account",
        1000,
        "Ukrainian government",
        "UA",
        None,
        None,
    ),
    (
        "24",
        "tr-2025-1000-for-24-ua-ru-ua-account",
        24,
        "Ukrainian government",
        "UA",
        None,
        "inferred",
    ),
    (
        "1,200",
        "tr-2025-06-repatriation-ru-ua-report-account",
        1200,
        "the report itself (unattributed statement; the report names no outlet)",
        "other",
        None,
        None,
    ),
    ("4,800", "tot-since-2022-02-over-4800", 4800, "Ukrainian officials", "UA", None, None),
    ("February 2022", "tot-since-2022-02-over-4800", None, "Ukrainian officials", "UA", None, None),
    (
        "1,245",
        "tr-istanbul-2025-final-stage-ua-account",
        1245,
        "Ukrainian officials",
        "UA",
        "Reuters",
        "inferred",
    ),
    (
        "6,060",
        "tot-istanbul-2025-ru-account",
        6060,
        "Russian Defence Ministry spokespersons",
        "RU",
        "Reuters",
        None,
    ),
    ("6,057", "tot-istanbul-2025-ua-account", 6057, "Ukrainian officials", "UA", "Reuters", None),
    ("6,000", "tot-istanbul-2025-over-6000", 6000, "Reuters", "other", "Reuters", "inferred"),
    (
        "2,239",
        "ofr-2025-ru-ready-to-hand-over-2239",
        2239,
        "Russian Defence Ministry spokespersons",
        "RU",
        "Reuters",
        None,
    ),
    (
        "more than three years",
        "note-istanbul-2025-largest-return",
        None,
        "Reuters",
        "other",
        "Reuters",
        "inferred",
    ),
]

# Attributions the reports do not state: the maintainers' inference, marked as such.
INFERRED = {
    "rnd-2025-1000-for-24",  # the Istanbul-agreement sentence names no one
    "tr-2025-1000-for-24-ua-ru-ua-account",  # "In return, Ukraine handed over ... 24" names no one
    "tr-istanbul-2025-final-stage-ua-account",  # "according to Ukrainian officials" is the next
    # sentence's; report 004's own words are Reuters' only by its closing line:
    "agr-istanbul-2025",
    "note-istanbul-2025-process-began-last-week",
    "note-istanbul-2025-discrepancy-unexplained",
    "tot-istanbul-2025-over-6000",
    "note-istanbul-2025-largest-return",
    "note-istanbul-2025-pows-only-result",
    "note-istanbul-2025-no-ceasefire",
}

# Words of the maintainers' reasoning that no note attributed to a source may hold.
EDITORIAL = (
    "recorded",
    "infer",
    "archive",
    "maintainer",
    "taken to be",
    "so none",
    "so no ",
    "not listed",
    "differ by",
    "relative to",
)


def _submissions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _records() -> list[dict[str, Any]]:
    return list(LogReader(LOG).records())


def _by_id() -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in _records()}


def _current() -> dict[str, dict[str, Any]]:
    """Each fact's data with its corrections applied; retracted facts left out."""
    facts: dict[str, dict[str, Any]] = {}
    for record in _records():
        if record["type"] == catalog.CORRECTED:
            target = record["data"]["target"]
            facts[target] = catalog.merge_correction(facts[target], record["data"]["changes"])
        elif record["type"] == catalog.RETRACTED:
            del facts[record["data"]["target"]]
        else:
            facts[record["id"]] = record["data"]
    return facts


def _types() -> dict[str, str]:
    return {record["id"]: record["type"] for record in _records()}


def _documents_by_hash() -> dict[str, str]:
    """The source reports' texts by their SHA-256 (the hash is the citation)."""
    if not SOURCES.is_dir():
        pytest.skip(f"source reports not found in {SOURCES}")
    return {
        hashlib.sha256(path.read_bytes()).hexdigest(): path.read_text("utf-8")
        for path in sorted(SOURCES.glob("*.txt"))
    }


def _document_texts() -> dict[str, str]:
    """Each recorded document's text, found in SOURCES by the hash the log records."""
    texts = _documents_by_hash()
    types = _types()
    return {
        data["document"]: texts[data["sha256"]]
        for fact_id, data in _current().items()
        if types[fact_id] == catalog.SOURCE
    }


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


def test_log_is_the_seed_then_the_review() -> None:
    """The log holds exactly seed_submissions.jsonl then review_submissions.jsonl, in order."""
    submitted = _submissions(SEED) + _submissions(REVIEW)
    records = _records()
    assert [(s["id"], s["type"], s["data"]) for s in submitted] == [
        (r["id"], r["type"], r["data"]) for r in records
    ]
    assert {r["recorded_by"] for r in records} == {"archive-maintainers"}


def test_the_review_rewrites_nothing_and_retracts_no_account() -> None:
    """The review only adds events: the seed's lines are kept, and no fact is retracted."""
    assert not any(r["type"] == catalog.RETRACTED for r in _records())
    facts = {i for i, t in _types().items() if t in catalog.FACT_TYPES}
    assert facts == set(_current())


@pytest.mark.parametrize(
    ("written", "event_id", "value", "attributed_to", "party", "outlet", "attribution"),
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
    attribution: str | None,
) -> None:
    """Each number of the reports is current in the log, quoted as written, with who said it."""
    data = _current()[event_id]
    source = data["source"]
    assert written in source["quote"]
    assert (attributed_to, party, outlet, attribution) == (
        source["attributed_to"],
        source["party"],
        source.get("outlet"),
        source.get("attribution"),
    )
    if value is not None:
        assert value == data["count"]["value"]


def test_lower_bounds_are_recorded_as_at_least() -> None:
    """'over 4,800' and 'over 6,000' are at_least; the other figures are exact."""
    qualifiers = {
        event_id: _current()[event_id]["count"]["qualifier"]
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
    """The maintainers' notes on dates are theirs and say the year is inferred."""
    current = _current()
    dating = (
        "note-istanbul-2025-year-inferred",
        "note-2025-1000-for-24-dating",
        "note-2025-06-repatriation-not-linked",
        "note-source-000-no-outlet",
    )
    for note_id in dating:
        assert current[note_id]["source"]["attributed_to"] == MAINTAINERS, note_id
        assert "infer" in current[note_id]["text"], note_id
    subjects = {current[n].get("round") or current[n].get("agreement") for n in dating}
    assert {"istanbul-2025", "2025-1000-for-24", "2025-06-repatriation"} <= subjects


def test_inferred_attributions_are_marked() -> None:
    """Exactly the attributions the reports do not state carry attribution 'inferred'."""
    marked = {
        i for i, d in _current().items() if d.get("source", {}).get("attribution") == "inferred"
    }
    assert marked == INFERRED


def test_no_note_puts_the_maintainers_reasoning_in_a_sources_mouth() -> None:
    """A note attributed to anyone but the maintainers holds none of their reasoning."""
    types = _types()
    for note_id, data in _current().items():
        if types[note_id] != catalog.NOTE or data["source"]["attributed_to"] == MAINTAINERS:
            continue
        for word in EDITORIAL:
            assert word not in data["text"].lower(), (note_id, word)


@pytest.mark.parametrize(
    ("moved_from", "moved_to"),
    [
        ("note-since-2022-02-not-reciprocal", "note-since-2022-02-maintainers-reading"),
        (
            "note-istanbul-2025-process-began-last-week",
            "note-istanbul-2025-earlier-stages-not-itemized",
        ),
        ("note-2025-1000-for-24-icrc", "note-2025-1000-for-24-icrc-not-mediator"),
    ],
)
def test_moved_reasoning_is_the_maintainers_note(moved_from: str, moved_to: str) -> None:
    """Reasoning taken out of a source's note is a maintainers' note naming where it was."""
    current = _current()
    assert current[moved_to]["source"]["attributed_to"] == MAINTAINERS
    assert moved_from in current[moved_to]["text"]
    assert current[moved_from]["source"]["attributed_to"] != MAINTAINERS


def test_every_fact_names_its_document() -> None:
    """Every quoting fact names one of the two recorded reports as its document."""
    types = _types()
    documents = {d["document"] for i, d in _current().items() if types[i] == catalog.SOURCE}
    assert documents == {DOCUMENT_000, DOCUMENT_004}
    for fact_id, data in _current().items():
        if types[fact_id] != catalog.SOURCE:
            assert data["source"]["document"] in documents, fact_id


def test_documents_record_no_text_and_only_what_the_reports_state() -> None:
    """The documents carry a hash, no text; report 000 has no outlet or title, 004 Reuters."""
    types = _types()
    documents = {d["document"]: d for i, d in _current().items() if types[i] == catalog.SOURCE}
    assert {k for k in documents[DOCUMENT_000] if k not in {"note"}} == {
        "document",
        "language",
        "sha256",
    }
    assert (
        documents[DOCUMENT_004]["outlet"],
        "url" in documents[DOCUMENT_004],
        "published_on" in documents[DOCUMENT_004],
    ) == ("Reuters", False, False)
    assert not (LOG / "sources").exists()


def test_every_quote_is_verbatim_in_its_document() -> None:
    """Each current quote occurs verbatim in the report its document's SHA-256 names."""
    texts = _document_texts()
    types = _types()
    for fact_id, data in _current().items():
        if types[fact_id] == catalog.SOURCE:
            continue
        source = data["source"]
        assert source["quote"] in texts[source["document"]], fact_id


def test_every_number_of_the_reports_is_quoted_or_explained() -> None:
    """Each number in a report is quoted by a fact citing it or named in a maintainers' note."""
    texts = _document_texts()
    types = _types()
    current = _current()
    quoted: dict[str, str] = {}
    explained = ""
    for fact_id, data in current.items():
        if types[fact_id] == catalog.SOURCE:
            continue
        document = data["source"]["document"]
        quoted[document] = quoted.get(document, "") + "\n" + data["source"]["quote"]
        if types[fact_id] == catalog.NOTE and data["source"]["attributed_to"] == MAINTAINERS:
            explained += "\n" + data["text"]
    for document, text in texts.items():
        for number in re.findall(r"\d+(?:,\d{3})*", text):
            assert number in quoted[document] or number in explained, (document, number)


def test_sources_check_finds_every_quote(monkeypatch: pytest.MonkeyPatch) -> None:
    """`eventlog sources check ../shared/sources` run from the repository passes on log/."""
    if not SOURCES.is_dir():
        pytest.skip(f"source reports not found in {SOURCES}")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        eventlog_main, ["--log", "log", "sources", "check", "../shared/sources"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for document, name in ((DOCUMENT_000, REPORT_000), (DOCUMENT_004, REPORT_004)):
        at = lines.index(next(line for line in lines if line.startswith(f"document {document}:")))
        assert lines[at].startswith(f"document {document}: {name};")
        assert lines[at].endswith("quotes, all found")
        assert lines[at + 1].strip() == "numbers no fact quotes: none"


def test_a_document_naming_no_outlet_is_recorded_without_one(tmp_path: Path) -> None:
    """`eventlog source add` without --outlet records the document with no outlet field."""
    text = tmp_path / "report.txt"
    text.write_text("A report that names no outlet.\n", "utf-8")
    log = tmp_path / "log"
    runner = CliRunner()
    assert runner.invoke(eventlog_main, ["--log", str(log), "init"]).exit_code == 0
    result = runner.invoke(
        eventlog_main,
        ["--log", str(log), "source", "add", str(text), "--slug", "report-x", "--by", "test"],
    )
    assert result.exit_code == 0, result.output
    (record,) = LogReader(log).records()
    assert record["data"] == {
        "document": "report-x",
        "sha256": hashlib.sha256(text.read_bytes()).hexdigest(),
    }


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
            "2025-06/2025-12",
            "istanbul-2025",
            {("RU", "UA"): (1000, False), ("UA", "RU"): (24, False)},
        ),
        "2025-06-repatriation": ("2025-06", None, {("RU", "UA"): (1200, False)}),
    }


def test_rounds_come_in_the_order_the_reports_support() -> None:
    """The June repatriation is listed before the 1,000-for-24 round that 'follows' it."""
    order = [r["round"] for r in _projection("rounds")["rounds"]]
    assert order.index("2025-06-repatriation") < order.index("2025-1000-for-24")


def test_trail_shows_the_dating_correction_with_its_reason() -> None:
    """The 1,000-for-24 round's trail shows '2025' corrected to 2025-06/2025-12, with why."""
    trail = _projection("trail", "rnd-2025-1000-for-24")
    assert trail["status"] == "current"
    dated = [v for v in trail["versions"] if "occurred_on" in (v.get("changes") or {})]
    assert len(dated) == 1
    assert "follows a previous repatriation in June" in dated[0]["reason"]
    assert trail["versions"][-1]["data"]["occurred_on"] == "2025-06/2025-12"


def test_neither_sides_account_is_changed() -> None:
    """Russia's 6,060 and Ukraine's 6,057 keep their figures: only their source is linked."""
    for fact_id, value in (
        ("tot-istanbul-2025-ru-account", 6060),
        ("tot-istanbul-2025-ua-account", 6057),
    ):
        trail = _projection("trail", fact_id)
        assert (trail["status"], [v["action"] for v in trail["versions"]]) == (
            "current",
            ["reported", "corrected"],
        )
        assert set(trail["versions"][1]["changes"]) == {"source"}
        assert trail["versions"][-1]["data"]["count"] == {"value": value, "qualifier": "exact"}


def test_show_summarises_report_000_as_naming_no_outlet() -> None:
    """`eventlog show --type source.recorded` names Reuters for 004 and no outlet for 000."""
    result = CliRunner().invoke(
        eventlog_main, ["--log", str(LOG), "show", "--type", catalog.SOURCE]
    )
    assert result.exit_code == 0, result.output
    assert f"document {DOCUMENT_000}: no outlet named" in result.output
    assert f"document {DOCUMENT_004}: Reuters" in result.output


def test_the_interval_date_reaches_the_read_side() -> None:
    """The 1,000-for-24 round spans 2025-06-01..2025-12-31; as of July 2025 it is only possible."""
    entry = _rounds()["2025-1000-for-24"]
    assert (entry["earliest"], entry["latest"]) == ("2025-06-01", "2025-12-31")
    flows = {
        (t["kind"], t["from"], t["to"]): t
        for t in _projection("totals", "--as-of", "2025-07")["totals"]
    }
    ru_ua = flows["bodies", "RU", "UA"]
    assert (ru_ua["low"], ru_ua["high"], ru_ua["exact"]) == (1200, 3445, False)
