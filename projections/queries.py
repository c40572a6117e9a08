"""The answers of ``totals``, ``rounds`` and ``trail``, read from an up-to-date store.

The current figures (no ``--known-at`` cut, no ``--as-of`` date) are read from
the maintained tables, so their cost does not grow with the log; the JSON is
the contract of the pure fold (``projections.totals``, ``projections.rounds``;
trails: the replay in ``tests/projections/trail_oracle.py``), and the tests
hold them equal.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from projections.errors import UnknownFact
from projections.facts import FACT_TYPES
from projections.lines import Lines, apply_changes, facts_data
from projections.rounds import FlowKey, flow_order
from projections.rows import chunks, load_rounds
from projections.totals import Sums, flow_entry, outstanding, reported_entry, reported_key

_SUMS = "low, high_closed, open_terms, best, approx_terms, rounds"


def log_lines(conn: sqlite3.Connection) -> Lines:
    """The lines of the log the store last caught up with (``meta.log_path``)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'log_path'").fetchone()
    return Lines(Path(row[0] if row else "/nonexistent"))


def known_at(conn: sqlite3.Connection, seq: int) -> dict[str, Any]:
    """The ``known_at`` block: a seq and the time it was recorded (null for seq 0)."""
    row = conn.execute("SELECT recorded_at FROM events WHERE seq = ?", (seq,)).fetchone()
    return {"seq": seq, "recorded_at": None if row is None else row[0]}


def _sums(row: tuple[Any, ...]) -> Sums:
    return [*row, 0]


def totals(conn: sqlite3.Connection, seq: int, lines: Lines | None = None) -> dict[str, Any]:
    """The ``totals`` JSON object of the store's head."""
    lines = lines or log_lines(conn)
    parties: dict[FlowKey, dict[str, Sums]] = {}
    for kind, sender, receiver, party, *sums in conn.execute(
        f"SELECT kind, sender, receiver, party, {_SUMS} FROM party_totals"
    ):
        parties.setdefault((kind, sender, receiver), {})[party] = _sums(tuple(sums))
    flows = {}
    for kind, sender, receiver, *sums in conn.execute(
        f"SELECT kind, sender, receiver, {_SUMS} FROM flow_totals WHERE rounds > 0"
    ):
        flows[(kind, sender, receiver)] = _sums(tuple(sums))
    entries = []
    for key in sorted(flows, key=flow_order):
        discrepant = [
            slug
            for (slug,) in conn.execute(
                "SELECT round FROM flows WHERE kind = ? AND sender = ? AND receiver = ?"
                " AND discrepant = 1 ORDER BY kind, sender, receiver, earliest, latest, round",
                key,
            )
        ]
        entries.append(flow_entry(key, flows[key], parties.get(key, {}), discrepant))
    return {
        "known_at": known_at(conn, seq),
        "as_of": None,
        "totals": entries,
        "reported_totals": reported(conn, lines),
        "offers": offers(conn, lines),
    }


def reported(conn: sqlite3.Connection, lines: Lines) -> list[dict[str, Any]]:
    """Each current reported total beside its rounds' sum, as the fold gives it."""
    rows = conn.execute(
        "SELECT id, sum_low, sum_high_closed, sum_open, sum_best, sum_approx,"
        " sum_rounds, sum_uncertain FROM reported_totals"
    ).fetchall()
    datas = facts_data(conn, lines, [row[0] for row in rows])
    result = [reported_entry(fid, datas[fid], list(sums)) for fid, *sums in rows]
    result.sort(key=reported_key)
    return result


def offers(conn: sqlite3.Connection, lines: Lines) -> list[dict[str, Any]]:
    """The outstanding offers: per flow the latest, unless a round certainly came after."""
    newest = []
    for flow in conn.execute("SELECT DISTINCT kind, sender, receiver FROM offers").fetchall():
        newest.append(
            conn.execute(
                "SELECT id, seq FROM offers WHERE kind = ? AND sender = ? AND receiver = ?"
                " ORDER BY as_of_earliest DESC, as_of_latest DESC, seq DESC LIMIT 1",
                flow,
            ).fetchone()
        )
    datas = facts_data(conn, lines, [fid for fid, _ in newest])
    found = [(fid, seq, datas[fid]) for fid, seq in newest]
    last_days: dict[FlowKey, str] = {}
    for _, _, data in found:
        key = (data["kind"], data["from"], data["to"])
        (day,) = conn.execute(
            "SELECT max(earliest) FROM flow_sums_by_date"
            " WHERE kind = ? AND sender = ? AND receiver = ?",
            key,
        ).fetchone()
        if day is not None:
            last_days[key] = day
    return outstanding(found, last_days)


def iter_rounds(conn: sqlite3.Connection, lines: Lines) -> Iterator[dict[str, Any]]:
    """Each current round's JSON entry in order, a few hundred rounds read at a time."""
    slugs = [
        s for (s,) in conn.execute("SELECT round FROM rounds ORDER BY earliest, latest, round")
    ]
    for part in chunks(slugs):
        held = load_rounds(conn, part)
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT round, id FROM notes WHERE round IN ({marks}) ORDER BY seq", part
        ).fetchall()
        datas = facts_data(conn, lines, [fid for _, fid in rows])
        notes: dict[str, list[dict[str, Any]]] = {}
        for slug, fid in rows:
            note = datas[fid]
            entry = {"id": fid, "text": note["text"], "source": note["source"]}
            notes.setdefault(slug, []).append(entry)
        for slug in part:
            view = held[slug].view
            view.notes = notes.get(slug, [])
            yield view.as_json()


def agreements(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The current agreements, by slug."""
    return [
        {"agreement": slug, "id": fid, "title": title, "concluded_on": on, "place": place}
        for slug, fid, title, on, place in conn.execute(
            "SELECT agreement, id, title, concluded_on, place FROM agreements ORDER BY agreement"
        )
    ]


def rounds(conn: sqlite3.Connection, seq: int, lines: Lines | None = None) -> dict[str, Any]:
    """The ``rounds`` JSON object of the store's head."""
    lines = lines or log_lines(conn)
    return {
        "known_at": known_at(conn, seq),
        "as_of": None,
        "rounds": list(iter_rounds(conn, lines)),
        "agreements": agreements(conn),
    }


def write_rounds(
    conn: sqlite3.Connection, seq: int, lines: Lines, head: dict[str, Any], out: BinaryIO
) -> None:
    """The ``rounds`` JSON object (with ``head``) written round by round: the same bytes as
    ``orjson.dumps`` of the whole object, in memory that does not grow with the log."""
    out.write(b'{"known_at":' + orjson.dumps(known_at(conn, seq)) + b',"as_of":null,"rounds":[')
    for index, entry in enumerate(iter_rounds(conn, lines)):
        out.write((b"," if index else b"") + orjson.dumps(entry))
    tail = {"agreements": agreements(conn), "head": head}
    out.write(b"]," + orjson.dumps(tail)[1:] + b"\n")


def resolve(conn: sqlite3.Connection, name: str, seq: int) -> str:
    """A fact id, or the id of the round or agreement with that slug (as known at ``seq``)."""
    row = conn.execute("SELECT id FROM facts WHERE id = ? AND seq <= ?", (name, seq)).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id FROM facts WHERE slug = ? AND seq <= ? AND type IN (?, ?)"
            " ORDER BY seq LIMIT 1",
            (name, seq, FACT_TYPES[0], FACT_TYPES[1]),
        ).fetchone()
    if row is None:
        raise UnknownFact(name, seq)
    fid: str = row[0]
    return fid


def trail(
    conn: sqlite3.Connection, name: str, seq: int, lines: Lines | None = None
) -> dict[str, Any]:
    """One fact's trail up to ``seq``: every version, its data from the reported line on."""
    lines = lines or log_lines(conn)
    fid = resolve(conn, name, seq)
    kind, offset, digest = conn.execute(
        "SELECT type, offset, hash FROM facts WHERE id = ?", (fid,)
    ).fetchone()
    rows = conn.execute(
        "SELECT v.seq, e.id, e.recorded_at, e.recorded_by, v.action, v.status, v.changes,"
        " v.reason, v.source, v.superseded_by FROM fact_versions v"
        " JOIN events e ON e.seq = v.seq WHERE v.fact_id = ? ORDER BY v.version",
        (fid,),
    ).fetchall()
    datas = [lines.data(fid, offset, digest)]
    for row in rows[1:]:
        datas.append(apply_changes(datas[-1], [row[6]] if row[6] else []))
    versions = []
    for row, data in zip(rows, datas, strict=True):
        at, event_id, recorded_at, by, action, _, changes, reason, source, sup = row
        if at > seq:
            break
        versions.append(
            {
                "seq": at,
                "event_id": event_id,
                "recorded_at": recorded_at,
                "recorded_by": by,
                "action": action,
                "data": data,
                "changes": orjson.loads(changes) if changes else None,
                "reason": reason,
                "source": orjson.loads(source) if source else None,
                "superseded_by": sup,
            }
        )
    return {"id": fid, "type": kind, "status": rows[len(versions) - 1][5], "versions": versions}
