"""Reading the report's data from the store, in one read transaction (one snapshot).

The figures are the answers of ``projections totals``, ``rounds`` and ``trail``
(``projections.queries``) at the store's head; the accounts, with their sources,
are the store's ``accounts`` rows.
"""

from __future__ import annotations

import sqlite3

from projections import queries
from projections.lines import Lines
from projections.report.data import ReportData, assemble
from projections.store import meta


def load(conn: sqlite3.Connection, lines: Lines) -> ReportData:
    """The report's data from the store open on ``conn`` (caught up by the caller), the
    facts' text read back from the log's ``lines`` as every query does."""
    conn.execute("BEGIN")
    try:
        head = meta(conn)
        seq = int(head.get("head_seq") or 0)
        totals = queries.totals(conn, seq=seq, lines=lines)
        rounds = queries.rounds(conn, seq=seq, lines=lines)
        ids = [fid for (fid,) in conn.execute("SELECT id FROM facts ORDER BY seq")]
        trails = [queries.trail(conn, name=fid, seq=seq, lines=lines) for fid in ids]
        accounts = [
            {"id": fid, "round": slug, "kind": kind, "from": sender, "to": receiver,
             "party": party, "count": {"value": value, "qualifier": qualifier}}
            for fid, slug, kind, sender, receiver, party, value, qualifier in conn.execute(
                "SELECT id, round, kind, sender, receiver, party, value, qualifier"
                " FROM accounts ORDER BY seq"
            )
        ]  # fmt: skip
    finally:
        conn.execute("COMMIT")
    return assemble(
        totals, rounds, trails, accounts, head.get("head_hash") or "", head.get("built_at") or ""
    )
