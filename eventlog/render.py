"""One-line human summaries of records, for ``eventlog show``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eventlog import catalog
from eventlog.catalog import CORRECTED, FACT_TYPES, RETRACTED, mark
from eventlog.codec import Record


def _count(count: dict[str, Any]) -> str:
    return f"{mark(count['qualifier'])}{count['value']:,}"


def _flow(data: dict[str, Any]) -> str:
    return f"{data.get('from', '?')}->{data['to']} {data['kind']} {_count(data['count'])}"


def _scope(scope: dict[str, Any]) -> str:
    return f"agreement {scope['agreement']}" if "agreement" in scope else f"since {scope['since']}"


def _replaces(data: dict[str, Any]) -> str:
    return f" (supersedes {data['supersedes']})" if "supersedes" in data else ""


SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    catalog.AGREEMENT: lambda d: f"agreement {d['agreement']}: {d['title']}",
    catalog.ROUND: lambda d: f"round {d['round']} on {d['occurred_on']}",
    catalog.TRANSFER: lambda d: f"{_flow(d)} in round {d['round']}{_replaces(d)}",
    catalog.TOTAL: lambda d: (
        f"total {_flow(d)} {_scope(d['scope'])} as of {d['as_of']}{_replaces(d)}"
    ),
    catalog.OFFER: lambda d: f"offer {_flow(d)} as of {d['as_of']}",
    catalog.NOTE: lambda d: str(d["text"]),
    catalog.SOURCE: lambda d: (
        f"document {d['document']}: {d.get('outlet', 'no outlet named')}"
        + (f" of {d['published_on']}" if "published_on" in d else "")
    ),
    catalog.CORRECTED: lambda d: (
        f"corrects {d['target']}: {', '.join(d['changes'])} ({d['reason']})"
    ),
    catalog.RETRACTED: lambda d: f"retracts {d['target']} ({d['reason']})",
}
"""One summary per event type of the catalogue (``tests/test_catalog.py`` checks each)."""


def summary(record: Record) -> str:
    """What a record says, in one line (a type this version does not know: its name)."""
    data = record["data"]
    source = data.get("source") or {}
    by = source.get("attributed_to")
    inferred = " (inferred)" if source.get("attribution") == "inferred" else ""
    said = f"  [{by}{inferred}]" if by else ""
    render = SUMMARIES.get(record["type"])
    return (render(data) if render else f"({record['type']})") + said


def escape(text: str) -> str:
    """Text for a table cell: control, bidi and zero-width characters shown escaped.

    A newline shows as ``\\n``, ESC as ``\\x1b``, a right-to-left override as
    ``\\u202e``: a cell can neither move the cursor nor forge a row.
    """
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c == " " else ascii(c)[1:-1] if ord(c) > 0x7F else repr(c)[1:-1]
        for c in text
    )


def statuses(records: list[Record]) -> dict[str, str]:
    """Each fact's status: current, corrected, retracted or superseded.

    As the rules and the read side have it: a fact is superseded from the report
    naming it on, even if that report is later retracted, and a retraction ends
    either status.
    """
    status: dict[str, str] = {}
    for record in records:
        data = record["data"]
        if record["type"] in FACT_TYPES:
            status[record["id"]] = "current"
            replaced = data.get("supersedes")
            if replaced and status.get(replaced) in ("current", "corrected"):
                status[replaced] = "superseded"
        elif record["type"] == CORRECTED and status.get(data["target"]) == "current":
            status[data["target"]] = "corrected"
        elif record["type"] == RETRACTED and data["target"] in status:
            status[data["target"]] = "retracted"
    return status


def select(
    records: Iterable[Record],
    *,
    from_seq: int = 1,
    event_type: str | None = None,
    event_id: str | None = None,
    round_slug: str | None = None,
    status: str | None = None,
) -> Iterator[Record]:
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
        records = [
            r
            for r in records
            if (wanted is None or r["id"] in wanted)
            and (status is None or found.get(r["id"]) == status)
        ]
    for record in records:
        if record["seq"] >= from_seq and (event_type is None or record["type"] == event_type):
            yield record
