"""What the archive said at a past seq, from the store's fact versions (no log replay).

``state_at`` builds the pure fold's state (``projections.facts``) from the
versions that were in force at seq N (made at or before N, not superseded by
then): rounds and transfers from the versions' own columns, other facts from
their current data with the later corrections undone. The fold's derivations
(``projections.totals``, ``projections.rounds``) then answer ``--known-at`` and
``--as-of`` exactly as a replay of the log up to N would.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from eventlog import catalog
from projections.facts import State, corrected, keep
from projections.state import new_state


def seq_at(conn: sqlite3.Connection, recorded_at: str) -> int:
    """The last seq recorded at or before a time (0 if none)."""
    row = conn.execute(
        "SELECT max(seq) FROM events WHERE recorded_at <= ?", (recorded_at,)
    ).fetchone()
    return int(row[0] or 0)


def _undone(conn: sqlite3.Connection, seq: int) -> dict[str, list[dict[str, Any]]]:
    """Per fact, the changes made after ``seq`` (latest first), to be undone."""
    undo: dict[str, list[dict[str, Any]]] = {}
    for fid, changes in conn.execute(
        "SELECT fact_id, changes FROM fact_versions WHERE seq > ? AND changes IS NOT NULL"
        " ORDER BY seq DESC",
        (seq,),
    ):
        undo.setdefault(fid, []).append(orjson.loads(changes))
    return undo


def state_at(conn: sqlite3.Connection, seq: int) -> State:
    """The fold state of the log up to ``seq``, built from the store."""
    state = new_state()
    facts = state["facts"]
    members = state["members"]
    undo = _undone(conn, seq)
    rows = conn.execute(
        "SELECT f.id, f.type, v.status, v.version, f.seq, v.round, v.kind, v.sender,"
        " v.receiver, v.party, v.value, v.qualifier, f.data"
        " FROM fact_versions v JOIN facts f ON f.id = v.fact_id"
        " WHERE v.seq <= ?1 AND (v.superseded_seq IS NULL OR v.superseded_seq > ?1)"
        " ORDER BY f.seq",
        (seq,),
    )
    for fid, kind, status, version, at, slug, flow, sender, receiver, party, value, q, raw in rows:
        if kind == catalog.TRANSFER:
            facts[fid] = (kind, status, version, at, slug, ((flow, sender, receiver), party),
                          value, q)
            members.setdefault(slug, []).append(fid)
            continue
        data = orjson.loads(raw)
        for changes in undo.get(fid, ()):
            data = corrected(data, {k: c["from"] for k, c in changes.items()})
        kept = keep(kind, data)
        facts[fid] = (kind, status, version, at, *kept) if kind == catalog.ROUND else (
            kind, status, version, at, kept[0])
        if kind == catalog.ROUND:
            state["rounds"][data["round"]] = fid
        elif kind == catalog.AGREEMENT:
            state["agreements"][data["agreement"]] = fid
        elif kind == catalog.NOTE and data.get("round") is not None:
            members.setdefault(data["round"], []).append(fid)
    state["seq"] = seq
    row = conn.execute("SELECT recorded_at FROM events WHERE seq = ?", (seq,)).fetchone()
    state["recorded_at"] = None if row is None else row[0]
    return state
