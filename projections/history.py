"""What the archive said at a past seq, from the store's fact versions (no log replay).

``state_at`` builds the pure fold's state (``projections.facts``) from the
versions that were in force at seq N (made at or before N, not superseded by
then): rounds and transfers from the versions' own columns, other facts from
their reported line (hash-checked) with the corrections made by N. The fold's derivations
(``projections.totals``, ``projections.rounds``) then answer ``--known-at`` and
``--as-of`` exactly as a replay of the log up to N would.
"""

from __future__ import annotations

import sqlite3

import orjson

from eventlog import catalog
from projections.facts import FLAT, State, keep
from projections.lines import Lines, facts_data
from projections.state import new_state


def seq_at(conn: sqlite3.Connection, recorded_at: str) -> int:
    """The last seq recorded at or before a time (0 if none): a binary search on seq,
    since ``recorded_at`` never decreases along the log."""
    low, high = 0, int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
    while low < high:
        middle = (low + high + 1) // 2
        (at,) = conn.execute("SELECT recorded_at FROM events WHERE seq = ?", (middle,)).fetchone()
        if at <= recorded_at:
            low = middle
        else:
            high = middle - 1
    return low


def state_at(conn: sqlite3.Connection, lines: Lines, seq: int) -> State:
    """The fold state of the log up to ``seq``, built from the store."""
    state = new_state()
    facts = state["facts"]
    members = state["members"]
    others = [
        fid
        for (fid,) in conn.execute(
            f"SELECT id FROM facts WHERE seq <= ? AND type NOT IN ({','.join('?' * len(FLAT))})",
            (seq, *FLAT),
        )
    ]
    datas = facts_data(conn, lines, others, upto=seq)
    rows = conn.execute(
        "SELECT f.id, f.type, v.status, v.version, f.seq, v.round, v.kind, v.sender,"
        " v.receiver, v.party, v.value, v.qualifier, v.occurred_on, v.agreement, v.label,"
        " v.mediators, v.attribution FROM fact_versions v JOIN facts f ON f.id = v.fact_id"
        " WHERE v.seq <= ?1 AND (v.superseded_seq IS NULL OR v.superseded_seq > ?1)"
        " ORDER BY f.seq",
        (seq,),
    )
    for row in rows:
        fid, kind, status, version, at, slug = row[:6]
        if kind == catalog.TRANSFER:
            flow, sender, receiver, party, value, qualifier = row[6:12]
            inferred = row[16] == "inferred"
            facts[fid] = (
                kind,
                status,
                version,
                at,
                slug,
                ((flow, sender, receiver), party, inferred),
                value,
                qualifier,
            )
            members.setdefault(slug, []).append(fid)
            continue
        if kind == catalog.ROUND:
            occurred_on, agreement, label, mediators = row[12:16]
            data = {
                "round": slug,
                "occurred_on": occurred_on,
                "agreement": agreement,
                "label": label,
                "mediators": orjson.loads(mediators) if mediators else None,
            }
            facts[fid] = (kind, status, version, at, *keep(kind, data))
            state["rounds"][slug] = fid
            continue
        data = datas[fid]
        facts[fid] = (kind, status, version, at, keep(kind, data)[0])
        if kind == catalog.AGREEMENT:
            state["agreements"][data["agreement"]] = fid
        elif kind == catalog.NOTE and data.get("round") is not None:
            members.setdefault(data["round"], []).append(fid)
    state["seq"] = seq
    row = conn.execute("SELECT recorded_at FROM events WHERE seq = ?", (seq,)).fetchone()
    state["recorded_at"] = None if row is None else row[0]
    return state
