"""Totals per flow, reconciliation with reported totals, outstanding offers."""

from __future__ import annotations

from typing import Any

from projection_logs import Log, istanbul, qty

from projections.state import fold
from projections.timeaxes import KnownAt
from projections.totals import totals_view


def view(log: Log, as_of: str | None = None, seq: int | None = None) -> dict[str, Any]:
    """The totals view of a log."""
    return totals_view(fold(log.records, known_at=KnownAt(seq=seq)), as_of)


def flow_total(found: dict[str, Any], kind: str, sender: str, receiver: str) -> dict[str, Any]:
    """The totals entry of one flow."""
    (entry,) = [
        t for t in found["totals"] if (t["kind"], t["from"], t["to"]) == (kind, sender, receiver)
    ]
    result: dict[str, Any] = entry
    return result


def test_total_takes_the_receivers_figures_and_spans_the_senders() -> None:
    """Bodies RU -> UA: best 6057 (UA's), low 6057, high 6060 (RU's), not exact."""
    entry = flow_total(view(istanbul()), "bodies", "RU", "UA")
    assert tuple(entry[k] for k in ("best", "low", "high", "exact", "rounds")) == (
        6057,
        6057,
        6060,
        False,
        3,
    )


def test_by_party_sums_each_partys_own_accounts() -> None:
    """UA's own sum is 6057 over 3 rounds, RU's 6060 over 3 rounds."""
    by_party = flow_total(view(istanbul()), "bodies", "RU", "UA")["by_party"]
    assert (by_party["UA"]["best"], by_party["UA"]["rounds"]) == (6057, 3)
    assert (by_party["RU"]["best"], by_party["RU"]["rounds"]) == (6060, 3)


def test_discrepant_rounds_are_listed() -> None:
    """Only r3, where the accounts differ, is listed as discrepant."""
    assert flow_total(view(istanbul()), "bodies", "RU", "UA")["discrepant_rounds"] == ["r3"]


def test_agreeing_exact_accounts_sum_to_an_exact_total() -> None:
    """Bodies UA -> RU: one exact account, an exact total."""
    entry = flow_total(view(istanbul()), "bodies", "UA", "RU")
    assert tuple(entry[k] for k in ("low", "high", "best", "exact")) == (27, 27, 27, True)


def test_a_lower_bound_total_has_an_open_high_and_is_not_exact() -> None:
    """PoWs RU -> UA reported as at least 100: high is null, never exact."""
    entry = flow_total(view(istanbul()), "pows", "RU", "UA")
    assert tuple(entry[k] for k in ("low", "high", "best", "exact")) == (100, None, 100, False)


def test_an_approximate_total_is_not_exact() -> None:
    """PoWs UA -> RU reported as about 300: approximate, never exact."""
    entry = flow_total(view(istanbul()), "pows", "UA", "RU")
    assert (entry["best"], entry["exact"], entry["approximate"]) == (300, False, True)


def test_reported_total_beside_the_rounds_sum_with_its_gap() -> None:
    """RU's reported 6060 for the agreement is 3 above the rounds' best sum 6057."""
    (reported,) = view(istanbul())["reported_totals"]
    assert (reported["rounds_sum"]["best"], reported["rounds_sum"]["high"], reported["gap"]) == (
        6057,
        6060,
        3,
    )


def test_reported_total_before_the_correction_shows_a_wider_gap() -> None:
    """Known at seq 16, UA's r3 figure was 3640: sum 6052, gap 8."""
    (reported,) = view(istanbul(), seq=16)["reported_totals"]
    assert (reported["rounds_sum"]["best"], reported["gap"]) == (6052, 8)


def test_since_scope_counts_rounds_from_the_date_to_the_totals_as_of() -> None:
    """A total since and as of 2025-06-14 covers r2 only: r1 is before, r3 after."""
    log = istanbul()
    log.total({"since": "2025-06-14"}, "2025-06-14", 1300)
    reported = view(log)["reported_totals"]
    since = next(r for r in reported if "since" in r["scope"])
    assert (since["rounds_sum"]["rounds"], since["rounds_sum"]["best"], since["gap"]) == (
        1,
        1200,
        100,
    )


def test_reported_total_with_a_sender_counts_only_that_flow() -> None:
    """A total of bodies from UA to RU sums only that flow."""
    log = istanbul()
    log.total({"agreement": "istanbul"}, "2025-06-30", 30, **{"from": "UA"}, to="RU")
    (entry,) = [r for r in view(log)["reported_totals"] if r["to"] == "RU"]
    assert (entry["rounds_sum"]["best"], entry["gap"]) == (27, 3)


def test_a_retracted_reported_total_drops_out() -> None:
    """A retracted total.reported is not reconciled."""
    log = istanbul()
    log.retract("e16")
    assert view(log)["reported_totals"] == []


def test_as_of_limits_rounds_and_claims() -> None:
    """As of 2025-06-14 the total is 1212 + 1200 and RU's claim of the 16th is not shown."""
    found = view(istanbul(), as_of="2025-06-14")
    assert flow_total(found, "bodies", "RU", "UA")["best"] == 2412
    assert (found["reported_totals"], found["as_of"]) == ([], "2025-06-14")


def test_latest_offer_per_flow_is_outstanding() -> None:
    """RU's offer of 6000 after the last round is outstanding."""
    (offer,) = view(istanbul())["offers"]
    assert ("e20", qty(6000), "2025-06-20") == (offer["id"], offer["count"], offer["as_of"])


def test_an_offer_followed_by_a_round_of_its_flow_is_not_outstanding() -> None:
    """A round of the same flow certainly after the offer's date settles it."""
    log = istanbul()
    log.round("r5", "2025-06-21")
    log.transfer("r5", 500, "UA")
    assert view(log)["offers"] == []


def test_a_later_offer_replaces_an_earlier_one() -> None:
    """Of two offers on one flow, the later one is shown."""
    log = istanbul()
    later = log.offer("2025-06-25", 5000, sender="RU")
    assert [later] == [o["id"] for o in view(log)["offers"]]


def test_a_round_of_the_same_coarse_date_does_not_settle_an_offer() -> None:
    """A round dated 2025 may precede an offer dated 2025, so the offer stays outstanding."""
    log = Log()
    log.round("r1", "2025")
    log.transfer("r1", 10, "UA")
    log.offer("2025", 20, sender="RU")
    log.offer("2025-06-20", 30, sender="UA")
    log.round("r2", "2025-06-20")
    log.transfer("r2", 30, "RU", sender="UA", receiver="RU")
    assert [o["count"]["value"] for o in view(log)["offers"]] == [20, 30]
