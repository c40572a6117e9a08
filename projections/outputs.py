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
from projections.checkpoint import _get, _put
from projections.facts import State
from projections.render import to_json
from projections.rounds import RoundView, agreements, derive, known_at, ordered_rounds
from projections.totals import Compact, Figures, compact
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


ROUND_FIGURES = "rounds.figures"
"""What the totals took of each round of the generation (``projections.totals.compact``),
in output order: length-prefixed marshal blocks of ``ROUND_BATCH`` rounds."""


class _FiguresOut:
    """Writes ``rounds.figures`` a block at a time."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.held: list[Compact] = []

    def add(self, round_: Compact) -> None:
        self.held.append(round_)
        if len(self.held) >= ROUND_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.held:
            _put(self.handle, self.held)
            self.held = []


class _FiguresIn:
    """Reads the previous ``rounds.figures`` forward, by position; None for a round it
    cannot give (missing or unreadable file, or not the round expected)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.block: list[Compact] = []
        self.first = 0
        self.broken = handle is None

    @classmethod
    def open(cls, previous: Path, stack: ExitStack) -> _FiguresIn:
        try:
            return cls(stack.enter_context(open(previous / ROUND_FIGURES, "rb")))
        except OSError:
            return cls(None)

    def at(self, position: int, slug: str) -> Compact | None:
        if self.broken:
            return None
        while position >= self.first + len(self.block):
            self.first += len(self.block)
            try:
                self.block = _get(self.handle)
            except (OSError, ValueError, EOFError, TypeError):
                self.broken = True
                return None
            if not isinstance(self.block, list) or not self.block:
                self.broken = True
                return None
        round_ = self.block[position - self.first]
        return round_ if round_[0] == slug else None


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


def _compact(state: State, slug: str) -> Compact:
    view = derive(state, slug)
    assert view is not None  # ordered_rounds lists current rounds only
    return compact(view)


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
    consecutive such rounds at a time, instead of being spelled again, and what
    ``figures`` takes of it is read back from the previous ``rounds.figures``
    instead of being derived again. Clean rounds keep their
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
        cache = _FiguresOut(stack.enter_context(open(path.parent / ROUND_FIGURES, "wb")))
        source = None
        cached = _FiguresIn(None)
        if old is not None and previous is not None:
            source = stack.enter_context(open(previous / "rounds.json", "rb"))
            cached = _FiguresIn.open(previous, stack)
        old_slugs = old.slugs if old is not None else []
        cursor = 0
        for slug in ordered_rounds(state):
            if source is not None and slug not in dirty:
                while old_slugs[cursor] != slug:
                    cursor += 1
                round_ = cached.at(cursor, slug) or _compact(state, slug)
                figures.add_compact(round_)
                cache.add(round_)
                out.spell(batch)
                if run and run[1] + 1 == cursor:
                    run[1] = cursor
                else:
                    if run:
                        out.copy(source, *run)
                    run = [cursor, cursor]
                cursor += 1
                continue
            view = derive(state, slug)
            assert view is not None  # ordered_rounds lists current rounds only
            round_ = compact(view)
            figures.add_compact(round_)
            cache.add(round_)
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
        cache.flush()
        handle.write(b'],"agreements":' + to_json(agreements(state)) + b"}\n")
    return index


TRAIL_INDEX = "trails.index"
"""Per fact of ``trails.json``, in report order: its report seq and the length of its
trail's JSON text (int64 pairs, native order; trails are separated by one comma)."""

TRAIL_CHUNK = 4096


class _TrailWriter:
    """Appends trails to ``trails.json`` and their entries to ``trails.index``."""

    def __init__(self, handle: Any, index: Any) -> None:
        self.handle, self.index = handle, index
        self.chunk: list[bytes] = []
        self.entries = array("q")
        self.count = 0

    def add(self, seq: int, text: bytes) -> None:
        """Append one spelled trail."""
        self.chunk.append(text)
        self.entries.append(seq)
        self.entries.append(len(text))
        if len(self.chunk) >= TRAIL_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Write what is queued."""
        if self.chunk:
            text = b",".join(self.chunk)
            self.handle.write(b"," + text if self.count else text)
            self.count += len(self.chunk)
            self.chunk.clear()
        if self.entries:
            self.index.write(self.entries.tobytes())
            del self.entries[:]

    def copy(self, source: Any, begin: int, end: int, entries: memoryview) -> None:
        """Append the previous file's bytes ``begin:end`` (whole trails, with the commas
        between them) and their index entries."""
        self.flush()
        if self.count:
            self.handle.write(b",")
        source.seek(begin)
        left = end - begin
        while left > 0:
            chunk = source.read(min(left, COPY_CHUNK))
            if not chunk:
                raise EOFError("the previous trails.json is shorter than its index")
            self.handle.write(chunk)
            left -= len(chunk)
        self.index.write(entries)
        self.count += len(entries) // 16


class _OldTrails:
    """The previous generation's ``trails.json`` with its index, checked against each
    other (None from ``open`` if either is missing or they disagree)."""

    def __init__(self, source: Any, raw: bytes, body: int, size: int) -> None:
        self.source, self.raw, self.body, self.end = source, memoryview(raw), body, size - 3
        self.entries = self.raw.cast("q")

    @classmethod
    def open(cls, previous: Path, stack: ExitStack) -> _OldTrails | None:
        try:
            raw = (previous / TRAIL_INDEX).read_bytes()
            source = stack.enter_context(open(previous / "trails.json", "rb"))  # noqa: SIM115
            size = os.fstat(source.fileno()).st_size
            head = source.read(4096)
        except OSError:
            return None
        mark = head.find(b',"trails":[')
        if mark < 0 or len(raw) % 16:
            return None
        old = cls(source, raw, mark + len(b',"trails":['), size)
        n = len(old.entries) // 2
        body = sum(old.entries[1::2]) + n - 1 if n else 0
        if old.body + body != old.end:
            return None
        return old

    def find(self, seq: int, low: int) -> int:
        """The position, at or after ``low``, of the trail of the fact reported at ``seq``."""
        entries = self.entries
        high = len(entries) // 2
        while low < high:
            mid = (low + high) // 2
            if entries[2 * mid] < seq:
                low = mid + 1
            else:
                high = mid
        if low >= len(entries) // 2 or entries[2 * low] != seq:
            raise LookupError(f"no trail reported at seq {seq} in the previous trails.index")
        return low

    def copy_into(
        self,
        out: _TrailWriter,
        revised: list[tuple[int, str]],
        spell: Any,
    ) -> None:
        """Copy every old trail to ``out``, spelling the ``revised`` ones (report seq and
        id, in report order) again."""
        entries, raw = self.entries, self.raw
        done, begin = 0, self.body  # trails before ``done`` are written; ``begin`` its start
        for seq, fact_id in revised:
            k = self.find(seq, done)
            start = begin + sum(entries[2 * done + 1 : 2 * k + 1 : 2]) + (k - done)
            if k > done:
                out.copy(self.source, begin, start - 1, raw[16 * done : 16 * k])
            out.add(seq, spell(seq, fact_id))
            begin = start + entries[2 * k + 1] + 1
            done = k + 1
        if done < len(entries) // 2:
            out.copy(self.source, begin, self.end, raw[16 * done :])


def _write_trails(
    path: Path, state: State, db: archive.Archive, previous: Path | None = None, since: int = 0
) -> None:
    """Stream ``trails.json`` from the archive's events, and the ``revisions`` rows.

    With ``previous`` (the generation the state was loaded from, at seq
    ``since``), the trails of facts neither reported nor revised since are
    copied from its ``trails.json`` (ranges from ``trails.index``) and their
    ``revisions`` rows from its archive, merged with the rows of the facts
    spelled again in the order a full build inserts them.
    """
    facts, steps = state["facts"], state["steps"]
    revised = {facts[fact_id][3]: fact_id for fact_id in steps}
    rows: list[tuple[Any, ...]] = []
    with ExitStack() as stack:
        old = _OldTrails.open(previous, stack) if previous is not None else None
        after = since if old is not None else 0
        if old is not None:
            db.stage_revisions()

        def flush() -> None:
            (db.add_spelled if old is not None else db.add_revisions)(rows)
            rows.clear()

        def spell(seq: int, fact_id: str) -> bytes:
            trail = trail_of(fact_id, db.steps([seq, *steps[fact_id]]))
            if old is not None:
                rows.extend((seq, *row) for row in archive.revision_rows(trail))
            else:
                rows.extend(archive.revision_rows(trail))
            if len(rows) >= ARCHIVE_BATCH:
                flush()
            return to_json(trail)

        def spelled(seq: int) -> bytes | None:
            fact_id = revised.get(seq)
            return None if fact_id is None else spell(seq, fact_id)

        handle = stack.enter_context(open(path, "wb"))
        out = _TrailWriter(handle, stack.enter_context(open(path.parent / TRAIL_INDEX, "wb")))
        handle.write(b'{"known_at":' + to_json(known_at(state)) + b',"trails":[')
        if old is not None:
            again = sorted(
                (facts[fact_id][3], fact_id)
                for fact_id, held in steps.items()
                if held[-1] > since and facts[fact_id][3] <= since
            )
            old.copy_into(out, again, spell)
        for seq, text in db.trail_texts(spelled, after):
            out.add(seq, text)
        out.flush()
        handle.write(b"]}\n")
    flush()
    if old is not None:
        db.add_kept(
            (facts[fact_id][3], fact_id) for fact_id, held in steps.items() if held[-1] <= since
        )
        db.merge_revisions()


def write_outputs(
    directory: Path,
    state: State,
    db: archive.Archive,
    previous: Path | None = None,
    since: int = 0,
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
    _write_trails(directory / "trails.json", state, db, previous, since)
    db.finish(totals)
    state["dirty"] = set()
    return rounds
