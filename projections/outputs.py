"""Writing a generation's outputs: rounds.json and the round tables batch by batch,
totals.json, trails.json, and the rest of archive.sqlite.

Nothing is held whole in memory; an incremental build copies the byte ranges and
rows of rounds that did not change from the previous generation.
"""

from __future__ import annotations

import marshal
import os
from array import array
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from projections import archive
from projections.facts import State
from projections.render import to_json
from projections.rounds import RoundView, agreements, iter_views, known_at
from projections.totals import Figures
from projections.trails import trail_of

ROUND_BATCH = 1024
ARCHIVE_BATCH = 8192
COPY_CHUNK = 1 << 20


def write_file(path: Path, payload: bytes, durable: bool) -> None:
    with open(path, "wb") as handle:
        handle.write(payload)
        if durable:
            os.fsync(handle.fileno())


ROUND_INDEX = "rounds.index"
"""Where each round of the generation sits in ``rounds.json`` and the round tables."""


class RoundIndex:
    """Per round, in output order: its slug, the byte range of its object in
    ``rounds.json``, and how many ``flows`` and ``accounts`` rows precede it
    (rows are inserted in round order, so a round's rows are a rowid range)."""

    __slots__ = ("accounts", "ends", "flows", "slugs", "starts")

    def __init__(self) -> None:
        self.slugs: list[str] = []
        self.starts = array("q")
        self.ends = array("q")
        self.flows = array("q", [0])
        self.accounts = array("q", [0])

    def save(self, path: Path) -> None:
        """Marshal the index (one block)."""
        arrays = (self.starts, self.ends, self.flows, self.accounts)
        payload = marshal.dumps((self.slugs, *(a.tobytes() for a in arrays)))
        write_file(path, payload, False)

    @classmethod
    def load(cls, path: Path) -> RoundIndex | None:
        """The index saved with a generation (None if absent or unreadable)."""
        try:
            slugs, *arrays = marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        index = cls()
        index.slugs = slugs
        for name, raw in zip(("starts", "ends", "flows", "accounts"), arrays, strict=True):
            held = array("q")
            held.frombytes(raw)
            setattr(index, name, held)
        n = len(slugs)
        if not (len(index.starts) == len(index.ends) == n == len(index.flows) - 1):
            return None
        return index


class _Tables:
    """Round-table rows, queued and written in batches of ``ROUND_BATCH`` positions, one
    table after the other per batch, whether the rounds are spelled or copied: the
    pages are then allocated in the same order as in a full build."""

    def __init__(self, db: archive.Archive, old: RoundIndex | None) -> None:
        self.db, self.old = db, old
        self.queued: list[tuple[Any, ...]] = []
        self.size = 0
        self.position = 1

    def _room(self, wanted: int) -> int:
        return min(ROUND_BATCH - self.size, wanted)

    def _queued(self, take: int) -> None:
        self.position += take
        self.size += take
        if self.size >= ROUND_BATCH:
            self.flush()

    def spell(self, views: list[RoundView]) -> None:
        """Queue derived rounds."""
        done = 0
        while done < len(views):
            take = self._room(len(views) - done)
            part = views[done : done + take]
            self.queued.append(archive.round_rows(part, self.position))
            done += take
            self._queued(take)

    def copy(self, first: int, last: int) -> None:
        """Queue the previous generation's rounds ``first`` to ``last`` (0-based)."""
        old = self.old
        assert old is not None
        while first <= last:
            take = self._room(last - first + 1)
            end = first + take - 1
            self.queued.append(
                (
                    (first + 1, end + 1, self.position - first - 1),
                    (old.flows[first] + 1, old.flows[end + 1]),
                    (old.accounts[first] + 1, old.accounts[end + 1]),
                    None,
                )
            )
            first = end + 1
            self._queued(take)

    def flush(self) -> None:
        """Write the queued rows, table by table."""
        for t, table in enumerate(("rounds", "flows", "accounts")):
            for item in self.queued:
                if len(item) == 4:
                    low, high, *shift = item[t]
                    self.db.copy_rounds(table, (low, high), *shift)
                else:
                    self.db.add_round_rows(table, item[t])
        self.queued.clear()
        self.size = 0


class _RoundWriter:
    """Appends rounds to ``rounds.json`` and the round tables, spelled or copied."""

    def __init__(self, handle: Any, db: archive.Archive, old: RoundIndex | None) -> None:
        self.handle, self.old = handle, old
        self.tables = _Tables(db, old)
        self.new = RoundIndex()
        self.pos = handle.tell()
        self.count = 0

    def spell(self, batch: list[RoundView]) -> None:
        """Write derived rounds."""
        if not batch:
            return
        texts = [to_json(view.as_json()) for view in batch]
        new, pos = self.new, self.pos
        for view, text in zip(batch, texts, strict=True):
            if new.slugs:
                pos += 1
            new.starts.append(pos)
            pos += len(text)
            new.ends.append(pos)
            new.slugs.append(view.slug)
            new.flows.append(new.flows[-1] + len(view.flows))
            new.accounts.append(new.accounts[-1] + sum(len(f.accounts) for f in view.flows))
        text = b",".join(texts)
        self.handle.write(b"," + text if self.count else text)
        self.pos = pos
        self.tables.spell(batch)
        self.count += len(batch)
        batch.clear()

    def copy(self, source: Any, first: int, last: int) -> None:
        """Copy the previous generation's rounds ``first`` to ``last`` (0-based, inclusive)."""
        old, new = self.old, self.new
        assert old is not None
        if self.count:
            self.handle.write(b",")
            self.pos += 1
        begin, end = old.starts[first], old.ends[last]
        source.seek(begin)
        left = end - begin
        while left > 0:  # in chunks: a run may span most of the file
            chunk = source.read(min(left, COPY_CHUNK))
            if not chunk:
                raise EOFError("the previous rounds.json is shorter than its index")
            self.handle.write(chunk)
            left -= len(chunk)
        shift = self.pos - begin
        new.starts.extend(s + shift for s in old.starts[first : last + 1])
        new.ends.extend(e + shift for e in old.ends[first : last + 1])
        new.slugs.extend(old.slugs[first : last + 1])
        fshift = new.flows[-1] - old.flows[first]
        ashift = new.accounts[-1] - old.accounts[first]
        new.flows.extend(f + fshift for f in old.flows[first + 1 : last + 2])
        new.accounts.extend(a + ashift for a in old.accounts[first + 1 : last + 2])
        self.tables.copy(first, last)
        self.pos += end - begin
        self.count += last - first + 1

    def finish(self) -> RoundIndex:
        """Write what is queued; the index of what was written."""
        self.tables.flush()
        return self.new


def _write_rounds(
    path: Path,
    state: State,
    db: archive.Archive,
    figures: Figures,
    previous: Path | None = None,
) -> RoundIndex:
    """Stream ``rounds.json`` and the round tables, a batch of rounds at a time, feeding
    ``figures``; returns where each round was written.

    With ``previous`` (the generation the fold state was loaded from, whose
    archive ``db`` has attached), a round not in ``state["dirty"]`` is the
    same as in that generation: its bytes are copied from the previous
    ``rounds.json`` and its rows from the previous archive, a run of
    consecutive such rounds at a time, instead of being spelled again. Every
    round is still derived, to feed ``figures``. Clean rounds keep their
    relative order (their sort key is unchanged), so the previous index is
    walked once.
    """
    old = RoundIndex.load(previous / ROUND_INDEX) if previous is not None else None
    dirty = state["dirty"]
    batch: list[RoundView] = []
    run: list[int] = []  # first and last old index of the pending run of clean rounds
    with open(path, "wb") as handle, ExitStack() as stack:
        handle.write(b'{"known_at":' + to_json(known_at(state)) + b',"as_of":null,"rounds":[')
        out = _RoundWriter(handle, db, old)
        source = None
        if old is not None and previous is not None:
            source = stack.enter_context(open(previous / "rounds.json", "rb"))
        old_slugs = old.slugs if old is not None else []
        cursor = 0
        for view in iter_views(state):
            figures.add(view)
            slug = view.slug
            if source is not None and slug not in dirty:
                while old_slugs[cursor] != slug:
                    cursor += 1
                out.spell(batch)
                if run and run[1] + 1 == cursor:
                    run[1] = cursor
                else:
                    if run:
                        out.copy(source, *run)
                    run = [cursor, cursor]
                cursor += 1
                continue
            if run:
                out.copy(source, *run)
                run = []
            batch.append(view)
            if len(batch) >= ROUND_BATCH:
                out.spell(batch)
        out.spell(batch)
        if run:
            out.copy(source, *run)
        index = out.finish()
        handle.write(b'],"agreements":' + to_json(agreements(state)) + b"}\n")
    return index


def _write_trails(path: Path, state: State, db: archive.Archive) -> None:
    """Stream ``trails.json`` from the archive's events, and the ``revisions`` rows."""
    facts, steps = state["facts"], state["steps"]
    revised = {facts[fact_id][3]: fact_id for fact_id in steps}
    rows: list[tuple[Any, ...]] = []

    def spelled(seq: int) -> bytes | None:
        fact_id = revised.get(seq)
        if fact_id is None:
            return None
        trail = trail_of(fact_id, db.steps([seq, *steps[fact_id]]))
        rows.extend(archive.revision_rows(trail))
        if len(rows) >= ARCHIVE_BATCH:
            db.add_revisions(rows)
            rows.clear()
        return to_json(trail)

    with open(path, "wb") as handle:
        handle.write(b'{"known_at":' + to_json(known_at(state)) + b',"trails":[')
        chunk: list[bytes] = []
        first = True
        for text in db.trail_texts(spelled):
            chunk.append(text)
            if len(chunk) >= 4096:
                handle.write((b"" if first else b",") + b",".join(chunk))
                first = False
                chunk.clear()
        if chunk:
            handle.write((b"" if first else b",") + b",".join(chunk))
        handle.write(b"]}\n")
    db.add_revisions(rows)


def write_outputs(
    directory: Path, state: State, db: archive.Archive, previous: Path | None = None
) -> int:
    """Write the outputs for ``state`` into ``directory``, whose archive ``db`` holds
    the events; returns the number of rounds.

    Rounds are derived and written one batch at a time (``rounds.json`` and the
    round tables), while ``Figures`` accumulates what ``totals.json`` needs, so
    no output is ever held whole in memory.
    """
    figures = Figures(state)
    index = _write_rounds(directory / "rounds.json", state, db, figures, previous)
    index.save(directory / ROUND_INDEX)
    rounds = len(index.slugs)
    totals = figures.view()
    write_file(directory / "totals.json", to_json(totals) + b"\n", False)
    _write_trails(directory / "trails.json", state, db)
    db.finish(totals)
    state["dirty"] = set()
    return rounds
