"""``OUT/metadata.json``: what Datasette shows beside the store.

Descriptions of the tables and columns are read from the comments of
``projections/schema.sql``, the one place the store's layout is documented, so
they cannot drift from it; columns a view or table leaves uncommented borrow the
description of the same column elsewhere. Figures carry their unit, and canned
queries answer the common questions.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import orjson

from projections.errors import OutputUnavailable
from projections.store import schema

FILE = "metadata.json"
TITLE = "Repatriation archive: war dead and prisoners exchanged between Ukraine and Russia"

PEOPLE = (
    "value", "low", "high", "best", "high_closed", "sum_low", "sum_high", "sum_high_closed",
    "sum_best", "gap", "gap_low", "gap_high", "ua_value", "ru_value", "other_value",
)  # fmt: skip
"""Columns that count people (bodies, prisoners of war or civilians, as ``kind`` says)."""
DAYS = ("earliest", "latest", "since_earliest", "as_of_earliest", "as_of_latest")

FALLBACK = {
    "kind": "what was transferred: bodies, pows or civilians",
    "sender": "the side that handed over (`from`): UA or RU",
    "receiver": "the side that received (`to`): UA or RU",
    "round": "the round's slug",
    "id": "the fact's id (the event that reported it)",
    "party": "whose account: UA, RU or other",
    "attribution": "stated (the report's words) or inferred (the archive maintainers')",
    "attributed_to": "who the report attributes it to",
    "outlet": "where it was published",
    "url": "the publication's address",
    "quote": "the sentence it comes from, verbatim",
    "seq": "position in the log of the event that reported it",
    "occurred_on": "the round's date as recorded (YYYY, YYYY-MM, YYYY-MM-DD or START/END)",
    "agreement": "the agreement's slug",
    "accounts": "how many accounts of the flow",
    "discrepant": "1 if the accounts are not all the same quantity",
    "qualifier": "exact, at_least (over N), at_most or about",
    "as_of": "the date the figure speaks for",
    "document": "slug of the source document, if recorded",
    "fact_id": "the fact's id",
    "type": "event type (eventlog/catalog.py)",
    "status": "current, retracted or superseded",
    "title": "the title as reported",
    "place": "where it was concluded",
    "concluded_on": "when it was concluded",
    "label": "the round's description",
    "text": "the note",
    "published_on": "when it was published",
    "language": "the document's language",
    "note": "the archive's note on the document",
    "exact": "1 when low = high and no term is approximate",
    "approx": "1 when the figure is 'about'",
    "best_party": "whose account the best figure is",
    "high_closed": "sum of the upper ends of the terms that have one",
    "open_terms": "terms with no upper end (lower bounds): high is NULL while there are any",
    "approx_terms": "terms that are approximate",
    "sum_open": "rounds in scope with no upper end",
    "sum_approx": "rounds in scope that are approximate",
    "sum_best": "sum of the best figures of the rounds in scope",
    "sum_high": "highest sum of the rounds in scope; NULL when open",
    "sum_exact": "1 when the rounds' sum is one exact number",
    "gap": "the reported count minus the rounds' best sum",
    "gap_low": "smallest gap between the claim and the recorded rounds; NULL when unbounded",
    "gap_high": "largest gap; NULL when the claim is a lower bound (the gap is at least gap_low)",
    "gap_exact": "1 when the gap is one exact number",
    "as_of_earliest": "first day of as_of",
    "as_of_latest": "last day of as_of",
    "ua_value": "Ukraine's account (NULL: Ukraine gave none)",
    "ru_value": "Russia's account (NULL: Russia gave none)",
    "other_value": "another source's account (NULL: none)",
    "version": "0 = as reported, then 1, 2 ... per revision",
}
TABLE_COLUMNS = {
    "meta": {
        "key": "what the value is (the table's description lists the keys)",
        "value": "the value of the key",
    },
}
"""Columns whose meaning depends on their table."""

QUERIES = {
    "discrepant-rounds": {
        "title": "Discrepant rounds",
        "description": "Every round and flow whose parties' accounts differ, in date order.",
        "sql": "SELECT occurred_on, round, kind, sender, receiver, low, high, best, best_party,"
        " accounts FROM discrepant_rounds ORDER BY earliest, latest, round",
    },
    "accounts-per-round": {
        "title": "Each party's account per round",
        "description": "Who said what for every round and flow, with who each figure is"
        " attributed to and where it was published (the verbatim quotes and addresses are in"
        " the site's accounts.csv: the store reads them back from the log).",
        "sql": "SELECT r.occurred_on, a.round, a.kind, a.sender, a.receiver, a.party, a.value,"
        " a.qualifier, a.attributed_to, a.attribution, a.outlet, a.document, a.id"
        " FROM accounts a"
        " JOIN rounds r USING (round)"
        " ORDER BY r.earliest, r.latest, a.round, a.kind, a.sender, a.receiver, a.party, a.seq",
    },
    "reported-totals-with-gaps": {
        "title": "Reported totals with their gaps",
        "description": "Each aggregate claim beside the sum of the recorded rounds in its scope;"
        " a NULL gap_high means the claim is a lower bound (the gap is at least gap_low).",
        "sql": "SELECT id, kind, COALESCE(sender, 'any') AS sender, receiver,"
        " COALESCE('agreement=' || scope_agreement, 'since=' || scope_since) AS scope, as_of,"
        " qualifier, value, attributed_to, party, sum_low, sum_high, sum_best, gap_low,"
        " gap_high, gap_exact, CASE WHEN gap_low IS NULL AND gap_high IS NULL THEN 'unknown'"
        " WHEN gap_high IS NULL THEN '>= ' || gap_low WHEN gap_low IS NULL THEN '<= ' ||"
        " gap_high WHEN gap_low = gap_high THEN CAST(gap_low AS TEXT)"
        " ELSE gap_low || ' to ' || gap_high END AS gap_range"
        " FROM reported_totals ORDER BY kind, receiver, as_of_latest, id",
    },
}

_CREATE = re.compile(r"CREATE\s+(TABLE|VIEW)\s+(\w+)", re.I)
_COLUMN = re.compile(r"(\w+)\s+[A-Z]")
_NOT_COLUMNS = {"PRIMARY", "FOREIGN", "UNIQUE", "CHECK", "CONSTRAINT"}


def describe(schema: str) -> dict[str, dict[str, Any]]:
    """Per table or view of ``schema``: the comment above it and each column's comment."""
    tables: dict[str, dict[str, Any]] = {}
    comment: list[str] = []
    inside: str | None = None
    for raw in schema.splitlines():
        line = raw.strip()
        if inside is None and line.startswith("--"):
            comment.append(line[2:].strip())
            continue
        created = _CREATE.match(line)
        if created:
            name = created.group(2)
            tables[name] = {"description": " ".join(comment), "columns": {}}
            comment = []
            inside = name if created.group(1).upper() == "TABLE" else None
            continue
        if inside is None:
            if not line:
                comment = []
            continue
        if line.startswith(")"):
            inside = None
            continue
        column = _COLUMN.match(line)
        if column and column.group(1).upper() not in _NOT_COLUMNS and "--" in line:
            tables[inside]["columns"][column.group(1)] = line.split("--", 1)[1].strip()
    return tables


def _unit(column: str) -> str:
    if column in PEOPLE:
        return " Unit: people (bodies, prisoners of war or civilians, as `kind` says)."
    if column in DAYS:
        return " Unit: a day, YYYY-MM-DD."
    return ""


def metadata(conn: sqlite3.Connection, schema: str) -> dict[str, Any]:
    """Datasette's metadata for the store open on ``conn``."""
    described = describe(schema)
    known = {**FALLBACK}
    for table in described.values():
        for column, text in table["columns"].items():
            known.setdefault(column, text)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    tables: dict[str, Any] = {}
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        " AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    for (name,) in names:
        own = described.get(name, {"description": "", "columns": {}})
        special = TABLE_COLUMNS.get(name, {})
        columns = [row[1] for row in conn.execute(f"PRAGMA table_xinfo('{name}')")]
        tables[name] = {
            "description": own["description"],
            "columns": {
                c: special[c]
                if c in special
                else (own["columns"].get(c) or known.get(c, "")) + _unit(c)
                for c in columns
            },
        }
    seq, head = meta.get("head_seq", "0"), meta.get("head_hash", "")
    provenance = (
        f"Built from seq {seq} of the event log, head hash {head}, at {meta.get('built_at')}."
        f" Check a copy of the log with: eventlog verify --checkpoint {seq}:{head}"
    )
    return {
        "title": TITLE,
        "description": "Reported repatriations of war dead and prisoner-of-war exchanges"
        " between Ukraine and Russia, every account and correction kept. " + provenance,
        "databases": {
            "archive": {
                "description": provenance,
                "tables": tables,
                "queries": QUERIES,
            }
        },
    }


def write_metadata(out: Path, conn: sqlite3.Connection) -> Path:
    """Write ``OUT/metadata.json`` (atomically, and only when it changed)."""
    body = orjson.dumps(
        metadata(conn, schema()),
        option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
    )
    path = out / FILE
    try:
        if path.read_bytes() == body:
            return path
    except OSError:
        pass
    staging = out / f".{FILE}.{os.getpid()}"
    try:
        staging.write_bytes(body)
        os.replace(staging, path)
    except OSError as exc:  # no staging file left behind; the error names metadata.json
        staging.unlink(missing_ok=True)
        raise OutputUnavailable.of(OSError(exc.errno, exc.strerror, str(path)), path) from None
    return path
