"""Per-round history."""

from __future__ import annotations

from typing import Any

from projection_logs import Log, istanbul, qty

from projections.rounds import rounds_view
from projections.state import fold


def rounds_of(log: Log, as_of: str | None = None) -> list[dict[str, Any]]:
    """The rounds list of a log's view."""
    result: list[dict[str, Any]] = rounds_view(fold(log.records), as_of)["rounds"]
    return result


def flow(log: Log, round_: str, index: int = 0, as_of: str | None = None) -> dict[str, Any]:
    """One flow of one round."""
    (found,) = [r for r in rounds_of(log, as_of) if r["round"] == round_]
    result: dict[str, Any] = found["flows"][index]
    return result


def test_rounds_are_in_occurred_on_order() -> None:
    """Rounds are listed by date, reduced-precision dates first within their period."""
    assert [r["round"] for r in rounds_of(istanbul())] == ["r4", "r1", "r2", "r3"]


def test_disagreeing_accounts_are_both_kept() -> None:
    """RU's 3648 and UA's 3645 for r3 are both shown and flagged as a discrepancy."""
    found = flow(istanbul(), "r3")
    assert {"UA": qty(3645), "RU": qty(3648)} == {
        p: a["count"] for p, a in found["accounts"].items()
    }
    assert (found["low"], found["high"], found["best"], found["discrepancy"]) == (
        3645,
        3648,
        3645,
        True,
    )


def test_best_is_the_receiving_partys_account() -> None:
    """For RU -> UA the best figure is UA's, even when RU reported later."""
    log = Log()
    log.round("r1", "2025-06-11")
    log.transfer("r1", 10, "UA")
    log.transfer("r1", 12, "RU")
    assert (flow(log, "r1")["best_party"], flow(log, "r1")["best"]) == ("UA", 10)


def test_best_falls_back_to_the_sender_then_others() -> None:
    """Without the receiver's account, the sender's; without both, another's."""
    log = Log()
    log.round("r1", "2025-06-11")
    log.transfer("r1", 7, "other")
    assert (flow(log, "r1")["best_party"], flow(log, "r1")["best"]) == ("other", 7)
    log.transfer("r1", 8, "RU")
    assert (flow(log, "r1")["best_party"], flow(log, "r1")["best"]) == ("RU", 8)


def test_a_partys_latest_report_is_its_account() -> None:
    """A second report by the same party replaces its first as the account."""
    log = Log()
    log.round("r1", "2025-06-11")
    log.transfer("r1", 10, "UA")
    second = log.transfer("r1", 11, "UA")
    assert {"UA": {"id": second, "count": qty(11)}} == flow(log, "r1")["accounts"]


def test_a_retracted_account_drops_out() -> None:
    """ICRC's retracted r2 account is not among r2's accounts."""
    assert list(flow(istanbul(), "r2")["accounts"]) == ["UA", "RU"]


def test_a_corrected_count_is_the_account() -> None:
    """UA's r3 account is its corrected 3645, not the 3640 first reported."""
    assert qty(3645) == flow(istanbul(), "r3")["accounts"]["UA"]["count"]


def test_a_corrected_round_date_moves_the_round() -> None:
    """r2's date correction to 2025-06-14 is its occurred_on."""
    (r2,) = [r for r in rounds_of(istanbul()) if r["round"] == "r2"]
    assert r2["occurred_on"] == "2025-06-14"


def test_revisions_count_corrections_and_retractions_touching_the_round() -> None:
    """r2 was touched by its date correction and the ICRC retraction; r3 by one correction."""
    revisions = {r["round"]: r["revisions"] for r in rounds_of(istanbul())}
    assert revisions == {"r1": 0, "r2": 2, "r3": 1, "r4": 0}


def test_a_retracted_round_and_its_transfers_drop_out() -> None:
    """Retracting a round removes it and its flows."""
    log = Log()
    fact = log.round("r1", "2025-06-11")
    log.transfer("r1", 10, "UA")
    log.retract(fact)
    assert rounds_of(log) == []


def test_lower_bound_and_approximate_accounts_are_not_exact() -> None:
    """r4's at_least flow has an open high; its about flow is not exact."""
    pows_to_ua = flow(istanbul(), "r4", 0)
    pows_to_ru = flow(istanbul(), "r4", 1)
    assert (pows_to_ua["high"], pows_to_ua["exact"]) == (None, False)
    assert (pows_to_ru["best"], pows_to_ru["exact"]) == (300, False)


def test_as_of_keeps_rounds_that_occurred_by_then() -> None:
    """As of 2025-06-13, r4 (June) and r1 count; r2 (moved to the 14th) and r3 do not."""
    assert [r["round"] for r in rounds_of(istanbul(), "2025-06-13")] == ["r4", "r1"]


def test_round_fields_and_defaults() -> None:
    """A round lists its agreement, label and mediators, null or empty when absent."""
    rounds = {r["round"]: r for r in rounds_of(istanbul())}
    assert tuple(rounds["r1"][k] for k in ("agreement", "label", "mediators")) == (
        "istanbul",
        None,
        ["Turkey"],
    )
    assert tuple(rounds["r4"][k] for k in ("agreement", "label", "mediators")) == (None, None, [])
