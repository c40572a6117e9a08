"""One-line human summaries of records, for ``eventlog show``."""

from __future__ import annotations

from typing import Any

from eventlog.catalog import mark
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
