"""Random valid logs for the property tests of the fold and the store."""

from __future__ import annotations

from hypothesis import strategies as st
from projection_logs import Log, qty

DATES = st.sampled_from(
    [
        "2024",
        "2024-12",
        "2025",
        "2025-05",
        "2025-06",
        "2025-06-11",
        "2025-06-14",
        "2025-06-16",
        "2025-06/2025-12",
        "2024-11/2025-02",
    ]
)
AS_OF = ["2024-12-31", "2025-01-01", "2025-06", "2025-06-14", "2025-12-31"]
FLOWS = st.sampled_from([("bodies", "RU", "UA"), ("bodies", "UA", "RU"), ("pows", "RU", "UA")])
QUANTITIES = st.builds(
    qty, st.integers(0, 5000), st.sampled_from(["exact", "exact", "at_least", "at_most", "about"])
)
PARTIES = st.sampled_from(["UA", "RU", "other"])
OPS = [
    "round",
    "transfer",
    "transfer",
    "again",
    "total",
    "offer",
    "note",
    "document",
    "fix",
    "drop",
    "replace",
]


# one branch per kind of event keeps the log's recipe readable
@st.composite
def logs(draw: st.DrawFn, size: int = 30) -> Log:  # noqa: PLR0915
    """A random valid log: rounds, several accounts per party, lower bounds, interval and
    reduced-precision dates, totals, offers, notes, documents, corrections, retractions and
    supersessions."""
    log = Log()
    log.agreement("a1")
    rounds: list[str] = []
    live: list[tuple[str, str]] = []
    transfers: dict[str, tuple[str, tuple[str, str, str], str]] = {}
    for step in range(draw(st.integers(1, size))):
        op = draw(st.sampled_from(OPS))
        if op == "round" or not rounds:
            slug = f"r{step}"
            extra = {"agreement": "a1"} if draw(st.booleans()) else {}
            live.append(("round", log.round(slug, draw(DATES), **extra)))
            rounds.append(slug)
        elif op in ("transfer", "again", "replace") and (op == "transfer" or not transfers):
            flow = draw(FLOWS)
            round_, party = draw(st.sampled_from(rounds)), draw(PARTIES)
            attribution = {"attribution": "inferred"} if draw(st.booleans()) else {}
            fid = log.transfer(round_, draw(QUANTITIES), party, *flow, **attribution)
            transfers[fid] = (round_, flow, party)
            live.append(("transfer", fid))
        elif op in ("again", "replace"):
            old = draw(st.sampled_from(sorted(transfers)))
            round_, flow, party = transfers[old]
            fid = log.transfer(
                round_, draw(QUANTITIES), party, *flow, supersedes=old if op == "replace" else None
            )
            transfers[fid] = (round_, flow, party)
            live.append(("transfer", fid))
        elif op == "total":
            scope = draw(st.sampled_from([{"agreement": "a1"}, {"since": "2025-06"}]))
            live.append(("total", log.total(scope, draw(DATES), draw(st.integers(0, 9000)))))
        elif op == "offer":
            live.append(("offer", log.offer(draw(DATES), draw(st.integers(1, 900)), sender="RU")))
        elif op == "note":
            live.append(("note", log.note("seen\n\u202e", round=draw(st.sampled_from(rounds)))))
        elif op == "document":
            live.append(("document", log.document(f"doc-{step}", sha256="0" * 64)))
        elif live:
            kind, target = draw(st.sampled_from(live))
            if op == "drop":
                live.remove((kind, target))
                log.retract(target)
            elif kind == "round":
                log.correct(target, occurred_on=draw(DATES))
            elif kind == "transfer":
                if draw(st.booleans()):
                    log.correct(target, count=draw(QUANTITIES))
                else:
                    log.correct(target, round=draw(st.sampled_from(rounds)))
                    transfers.pop(target, None)
            elif kind == "document":
                log.correct(target, url="https://example.org/doc")
            else:
                log.correct(
                    target, reason="source", source={"attributed_to": "x", "party": "other"}
                )
    return log
