"""Builders of in-memory records and on-disk logs for the projections tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventlog.codec import GENESIS, encode, line_hash

Record = dict[str, Any]
START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def source(party: str, who: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Source attributed to a party's usual voice."""
    default = {"UA": "Coordination HQ", "RU": "Russian MoD", "other": "ICRC"}[party]
    return {"attributed_to": who or default, "party": party, **extra}


def qty(value: int, qualifier: str = "exact") -> dict[str, Any]:
    """A Quantity."""
    return {"value": value, "qualifier": qualifier}


class Log:
    """Records built in order with seq, id, recorded_at as the store would."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, kind: str, data: dict[str, Any], fact_id: str | None = None) -> str:
        """Append one record; returns its id."""
        seq = len(self.records) + 1
        stamp = (START + timedelta(minutes=seq)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        record = {
            "seq": seq,
            "id": fact_id or f"e{seq}",
            "type": kind,
            "v": 2,
            "data": data,
            "recorded_at": stamp,
            "recorded_by": "tester",
            "prev": "",
        }
        self.records.append(record)
        return record["id"]

    def agreement(self, slug: str, **extra: Any) -> str:
        """An agreement.recorded."""
        data = {"agreement": slug, "title": f"Agreement {slug}", **extra, "source": source("UA")}
        return self.add("agreement.recorded", data)

    def round(self, slug: str, occurred_on: str, **extra: Any) -> str:
        """A round.recorded."""
        data = {"round": slug, "occurred_on": occurred_on, **extra, "source": source("UA")}
        return self.add("round.recorded", data)

    def transfer(
        self,
        round_: str,
        count: dict[str, Any] | int,
        party: str,
        kind: str = "bodies",
        sender: str = "RU",
        receiver: str = "UA",
        supersedes: str | None = None,
        **extra: Any,
    ) -> str:
        """A transfer.reported: ``party``'s account of one flow of a round."""
        if isinstance(count, int):
            count = qty(count)
        data = {
            "round": round_,
            "kind": kind,
            "from": sender,
            "to": receiver,
            "count": count,
            "source": source(party, **extra),
        }
        if supersedes is not None:
            data["supersedes"] = supersedes
        return self.add("transfer.reported", data)

    def document(self, slug: str, **extra: Any) -> str:
        """A source.recorded: a document the archive quotes."""
        return self.add("source.recorded", {"document": slug, "outlet": "Reuters", **extra})

    def total(self, scope: dict[str, str], as_of: str, count: int, **extra: Any) -> str:
        """A total.reported of bodies to UA unless told otherwise."""
        data = {"kind": "bodies", "to": "UA", **extra, "scope": scope, "as_of": as_of}
        data = {**data, "count": qty(count), "source": source("RU")}
        return self.add("total.reported", data)

    def offer(self, as_of: str, count: int, kind: str = "bodies", sender: str = "UA") -> str:
        """An offer.reported."""
        receiver = "RU" if sender == "UA" else "UA"
        data = {"kind": kind, "from": sender, "to": receiver, "count": qty(count)}
        return self.add("offer.reported", {**data, "as_of": as_of, "source": source(sender)})

    def note(self, text: str, **extra: Any) -> str:
        """A note.recorded."""
        return self.add("note.recorded", {"text": text, **extra, "source": source("other")})

    def correct(self, target: str, reason: str = "fix", **changes: Any) -> str:
        """A fact.corrected."""
        return self.add("fact.corrected", {"target": target, "changes": changes, "reason": reason})

    def retract(self, target: str, reason: str = "withdrawn") -> str:
        """A fact.retracted."""
        return self.add("fact.retracted", {"target": target, "reason": reason})

    def lines(self) -> list[bytes]:
        """The records as chained JSONL lines (without newlines)."""
        result: list[bytes] = []
        prev = GENESIS
        for record in self.records:
            line = encode({**record, "prev": prev})
            result.append(line)
            prev = line_hash(line)
        return result

    def write(self, log_dir: Path, upto: int | None = None) -> Path:
        """Write the first ``upto`` records (all if None) as ``log_dir/events.jsonl``."""
        log_dir.mkdir(parents=True, exist_ok=True)
        lines = self.lines()[:upto]
        path = log_dir / "events.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        return path


def istanbul() -> Log:
    """A multi-stage repatriation where the two sides' figures differ.

    Rounds r1 (2025-06-11), r2 (recorded as 2025-06-13, corrected to 2025-06-14)
    and r3 (2025-06-16) under agreement istanbul; r4 dated only "2025-06".
    Bodies RU->UA: RU says 1212 + 1200 + 3648 = 6060, UA says 1212 + 1200 +
    3645 = 6057 (its r3 figure first recorded as 3640 and corrected, e6 -> e17).
    ICRC's r2 account is retracted. RU's reported total is 6060: gap 3.
    """
    log = Log()
    log.agreement("istanbul", concluded_on="2025-06-02", place="Istanbul")  # e1
    log.round("r1", "2025-06-11", agreement="istanbul", mediators=["Turkey"])  # e2
    log.round("r2", "2025-06-13", agreement="istanbul")  # e3
    log.round("r3", "2025-06-16", agreement="istanbul", label="third stage")  # e4
    log.transfer("r3", 3648, "RU")  # e5
    log.transfer("r3", 3640, "UA")  # e6
    log.transfer("r1", 1212, "RU")  # e7
    log.transfer("r1", 1212, "UA")  # e8
    log.transfer("r2", 1200, "RU")  # e9
    log.transfer("r2", 1200, "UA")  # e10
    log.transfer("r1", 27, "RU", sender="UA", receiver="RU")  # e11
    log.transfer("r2", 1000, "other")  # e12
    log.round("r4", "2025-06")  # e13
    log.transfer("r4", qty(100, "at_least"), "UA", kind="pows")  # e14
    log.transfer("r4", qty(300, "about"), "RU", kind="pows", sender="UA", receiver="RU")  # e15
    log.total({"agreement": "istanbul"}, "2025-06-16", 6060)  # e16
    log.correct("e6", reason="typo in the HQ statement", count=qty(3645))  # e17
    log.correct("e3", reason="date was the announcement", occurred_on="2025-06-14")  # e18
    log.retract("e12", reason="ICRC did not confirm")  # e19
    log.offer("2025-06-20", 6000, sender="RU")  # e20
    return log
