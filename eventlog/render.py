"""One-line human summaries of records, for ``eventlog show``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from eventlog.catalog import CORRECTED, FACT_TYPES, RETRACTED, mark
from eventlog.codec import Record


def _count(count: dict[str, Any]) -> str:
    return f"{mark(count['qualifier'])}{count['value']:,}"


def _flow(data: dict[str, Any]) -> str:
    return f"{data.get('from', '?')}->{data['to']} {data['kind']} {_count(data['count'])}"


def summary(record: Record) -> str:
    """What a record says, in one line."""
    data = record["data"]
    kind = record["type"]
    source = data.get("source", {})
    by = source.get("attributed_to")
    inferred = " (inferred)" if source.get("attribution") == "inferred" else ""
    said = f"  [{by}{inferred}]" if by else ""
    if kind == "agreement.recorded":
        text = f"agreement {data['agreement']}: {data['title']}"
    elif kind == "round.recorded":
        text = f"round {data['round']} on {data['occurred_on']}"
    elif kind == "transfer.reported":
        text = f"{_flow(data)} in round {data['round']}"
    elif kind == "total.reported":
        scope = data["scope"]
        within = f"agreement {scope['agreement']}" if "agreement" in scope else (
            f"since {scope['since']}")
        text = f"total {_flow(data)} {within} as of {data['as_of']}"
    elif kind == "offer.reported":
        text = f"offer {_flow(data)} as of {data['as_of']}"
    elif kind == "note.recorded":
        text = data["text"]
    elif kind == "source.recorded":
        dated = f" of {data['published_on']}" if "published_on" in data else ""
        outlet = data.get("outlet", "no outlet named")
        text = f"document {data['document']}: {outlet}{dated}"
    elif kind == "fact.corrected":
        text = f"corrects {data['target']}: {', '.join(data['changes'])} ({data['reason']})"
    else:
        text = f"retracts {data['target']} ({data['reason']})"
    return text + said


def escape(text: str) -> str:
    """Text for a table cell: control, bidi and zero-width characters shown escaped.

    A newline shows as ``\\n``, ESC as ``\\x1b``, a right-to-left override as
    ``\\u202e``: a cell can neither move the cursor nor forge a row.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else
                   ascii(c)[1:-1] if ord(c) > 0x7f else repr(c)[1:-1] for c in text)


def statuses(records: list[Record]) -> dict[str, str]:
    """Each fact's status: current, corrected, retracted or superseded (by a current fact)."""
    status: dict[str, str] = {}
    supersedes: dict[str, str] = {}
    for record in records:
        data = record["data"]
        if record["type"] in FACT_TYPES:
            status[record["id"]] = "current"
            if data.get("supersedes"):
                supersedes[record["id"]] = data["supersedes"]
        elif record["type"] == CORRECTED and status.get(data["target"]) == "current":
            status[data["target"]] = "corrected"
        elif record["type"] == RETRACTED and data["target"] in status:
            status[data["target"]] = "retracted"
    for new, old in supersedes.items():
        if status.get(new) in ("current", "corrected") and old in status and \
                status[old] != "retracted":
            status[old] = "superseded"
    return status


def select(records: Iterable[Record], *, from_seq: int = 1, event_type: str | None = None,
           event_id: str | None = None, round_slug: str | None = None,
           status: str | None = None) -> Iterator[Record]:
    """The records ``eventlog show`` lists under its filters."""
    if event_id or round_slug or status:
        records = list(records)
        wanted: set[str] | None = None
        if event_id:
            wanted = {event_id}
        if round_slug:
            named = {r["id"] for r in records if r["data"].get("round") == round_slug}
            wanted = named if wanted is None else wanted & named
        if wanted is not None:
            wanted |= {r["id"] for r in records if r["data"].get("target") in wanted}
        found = statuses(records) if status else {}
        records = [r for r in records
                   if (wanted is None or r["id"] in wanted)
                   and (status is None or found.get(r["id"]) == status)]
    for record in records:
        if record["seq"] >= from_seq and (event_type is None or record["type"] == event_type):
            yield record
