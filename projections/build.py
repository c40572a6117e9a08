"""The full build: the whole log folded into a new store file, renamed into place.

A catch-up writes into the live store (one transaction in WAL mode, so every
page goes through the WAL and is copied again by the checkpoint). A full build
has nothing to keep, so it writes a private file beside the store
(``.archive.sqlite.build-PID``) with no journal and no fsync per commit, with
the indexes only the readers use created after the load, then fsyncs it and
renames it over the store. Readers see the old store or the new one whole; a
build that fails or is killed leaves the old store as it was (the next build
removes its file). The rows are written by the catch-up's own ``Step``, so a
full build holds exactly the rows a catch-up holds.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from projections.lines import Lines
from projections.store import (
    FORMAT,
    CaughtUp,
    Chain,
    Head,
    _connect,
    log_path,
    read_head,
    refuse_inside_log,
    schema,
    statements,
    store_path,
    write_head,
)
from projections.totals import Sums

BUILD_CHUNK = 50_000
"""Events folded per step of a full build (fewer steps: fewer rounds loaded again)."""
BUILD_CACHE_KIB = 131_072
"""The page cache of a full build (the whole build is one transaction on a private file)."""
ROUNDS_PER_STEP = 5_000
"""Rounds derived per step at the end of a full build."""
DEFERRED = ("rounds_by_date", "flows_discrepant", "offers_by_flow", "notes_by_round")
"""Indexes the fold never reads: created once, after the load."""
_PREFIX = ".archive.sqlite.build-"


def _deferred(statement: str) -> bool:
    head = statement.split("(", 1)[0].split()
    return len(head) >= 3 and head[:2] == ["CREATE", "INDEX"] and head[2] in DEFERRED


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _retire(where: Path) -> None:
    """Fold the old store's WAL into its file and remove it, so the new file, renamed over
    the old one, is never read with the old one's WAL."""
    if where.exists():
        try:
            conn = sqlite3.connect(where, isolation_level=None, timeout=60.0)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # damaged or of another format: it is replaced whole below
    for suffix in ("-wal", "-shm"):
        where.with_name(where.name + suffix).unlink(missing_ok=True)


def _load(conn: sqlite3.Connection, path: Path, lines: Lines) -> tuple[Head, int]:
    from projections.apply import Step

    script = statements(schema())
    conn.execute("BEGIN")
    for statement in script:
        if not _deferred(statement):
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
    head = read_head(conn)
    chain = Chain(path, head)
    folded, batch = 0, []
    for record in chain.records():
        batch.append(record)
        if len(batch) >= BUILD_CHUNK:
            Step(conn, lines, bulk=True).run(batch)
            folded, batch = folded + len(batch), []
    if batch:
        Step(conn, lines, bulk=True).run(batch)
        folded += len(batch)
    _derive(conn)
    if chain.head != head:
        write_head(conn, chain.head, path)
    for statement in script:
        if _deferred(statement):
            conn.execute(statement)
    conn.execute("COMMIT")
    return chain.head, folded


def _derive(conn: sqlite3.Connection) -> None:
    """What a catch-up keeps by delta, computed once from the loaded rows: each current
    round's revisions and flows, the flow, party and date sums, the reported totals' sums."""
    from projections.apply import accumulate, add_sums
    from projections.rows import load_rounds, total_sums

    flows: dict[tuple[str, ...], Sums] = {}
    parties: dict[tuple[str, ...], Sums] = {}
    buckets: dict[tuple[str, ...], Sums] = {}
    slugs = [slug for (slug,) in conn.execute("SELECT round FROM rounds ORDER BY round")]
    for start in range(0, len(slugs), ROUNDS_PER_STEP):
        views = load_rounds(conn, slugs[start : start + ROUNDS_PER_STEP])
        conn.executemany(
            "INSERT INTO flows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row for view in views.values() for row in view.flow_rows()],
        )
        conn.executemany(
            "UPDATE rounds SET revisions = ? WHERE round = ?",
            [(view.revisions, slug) for slug, view in views.items()],
        )
        accumulate(views, 1, flows, parties, buckets)
    add_sums(conn, "flow_totals", 3, flows)
    add_sums(conn, "party_totals", 4, parties)
    add_sums(conn, "flow_sums_by_date", 6, buckets)
    sums = []
    for fid, kind, sender, receiver, agreement, since, as_of in conn.execute(
        "SELECT id, kind, sender, receiver, scope_agreement, scope_since, as_of"
        " FROM reported_totals"
    ).fetchall():
        scope = {"since": since} if agreement is None else {"agreement": agreement}
        data = {"kind": kind, "from": sender, "to": receiver, "scope": scope, "as_of": as_of}
        sums.append((*total_sums(conn, data), fid))
    conn.executemany(
        "UPDATE reported_totals SET sum_low = ?, sum_high_closed = ?, sum_open = ?, "
        "sum_best = ?, sum_approx = ?, sum_rounds = ?, sum_uncertain = ? WHERE id = ?",
        sums,
    )


def build(log_dir: Path, out: Path) -> CaughtUp:
    """Fold the whole log into a new store and put it in place of ``out``'s store; raises
    ``BrokenLog`` and eventlog's ``LogNotFound`` with the old store unchanged. The caller
    holds the rebuild lock."""
    path = log_path(log_dir)
    refuse_inside_log(log_dir, out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{_PREFIX}*"):
        stale.unlink(missing_ok=True)
    temp = out / f"{_PREFIX}{os.getpid()}"
    lines = Lines(path)
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE"):
                conn.execute(f"PRAGMA {pragma}")
            conn.execute(f"PRAGMA cache_size=-{BUILD_CACHE_KIB}")
            head, folded = _load(conn, path, lines)
        finally:
            conn.close()
        _fsync(temp)
        where = store_path(out)
        _retire(where)
        os.replace(temp, where)
        _fsync(out)
    except BaseException:
        temp.unlink(missing_ok=True)
        lines.close()
        raise
    try:
        return CaughtUp(_connect(where), head, folded, lines)
    except BaseException:
        lines.close()
        raise
