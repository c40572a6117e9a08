"""Scheduled rebuilds: fold the new events, write every output, publish atomically.

Layout of the output directory (default ``build/projections``)::

    .lock                 flock held for the whole rebuild
    current -> gen-000007 symlink, swapped atomically with os.replace
    gen-000007/           totals.json rounds.json trails.json archive.sqlite
                          checkpoint.json state.marshal rounds.index
    gen-000006/           the previous generation, kept for readers still in it

Readers resolve ``current`` once and read every file from that generation, so
they never see a half-written or mixed set. The checkpoint (seq, byte offset
and hash of the last folded line, plus the marshalled fold state) lives inside the
generation it produced, so it always matches the published outputs.

Outputs depend only on the log up to the checkpoint, whether it was folded in
one pass or resumed from a checkpoint, so full and incremental rebuilds give
byte-identical files.

Cost (see issue 6). What the design does to keep a publication cheap:

* The fold keeps a compact state (``projections.facts``): one flat tuple per
  fact, a transfer's flow and party one shared tuple, strings interned, and of
  each revision only its seq (its data is read back from the archive's
  ``events`` rows when a trail is spelled). ``members`` (the transfers and
  notes naming each round) lets a round be derived alone; ``dirty`` holds the
  rounds touched since the last publication.
* An incremental rebuild spells only the dirty rounds: every other round is
  copied from the previous generation, its bytes from ``rounds.json`` (byte
  ranges kept in ``rounds.index``, marshalled arrays beside the outputs) and
  its rows of ``rounds``/``flows``/``accounts`` by rowid range with
  ``INSERT ... SELECT`` (positions shifted), a run of consecutive clean rounds
  at a time. The rows are queued in the same ``ROUND_BATCH`` batches of
  positions as a full build and written table by table per batch, so that the
  pages are allocated in the same order (copying a whole run table by table
  gave the same rows on other pages). Every round is still derived, to feed
  the totals.
* Rounds are derived one at a time (``projections.rounds.derive``) and
  written in batches of ``ROUND_BATCH`` to ``rounds.json`` and the round
  tables, while ``projections.totals.Figures`` accumulates totals,
  reconciliation (agreement scopes summed as rounds pass, ``since`` scopes as
  prefix-sum arrays for the wanted flows only) and offers. ``trails.json``
  streams from SQL-spelled rows of ``events``; revised trails are spelled one
  at a time and their ``revisions`` rows inserted as they pass. No output is
  held whole in memory.
* The state is saved as length-prefixed marshal blocks of ``STATE_CHUNK``
  items (no whole copy; ``marshal.loads`` per block loads 4x faster than
  ``marshal.load`` on the file); ``members``/``rounds`` are rebuilt on load.
* An incremental rebuild copies the previous archive's events with one
  ``INSERT ... SELECT`` from the attached file (same pages as a full build,
  checked by ``test_incremental_equals_full_on_a_long_log``).

Measured (2-core machine shared with other jobs, load average ~2; ratios are
to the baseline of the same run, ``/tmp/perf/me/bench.py``). Before copying
clean rounds (format 3) and after (format 4), each pair from one run::

                         100k events              1M events
                         before      after        before           after
    baseline             0.185 s     0.177 s      1.78 s           1.71 s
    full rebuild         x13.4       x15.0        x19.6 (35.0 s)   x15.8 (26.9 s)
    incremental +1       67% full    51% full     64% (22.2 s)     54% (14.6 s)
    incremental +1000    64% full    66% full     50% (17.4 s)     53% (14.3 s)
    peak RSS, full       108 MB      109 MB       481 MB           500 MB
    peak RSS, incr.      109 MB      109 MB       474 MB           492 MB

At 1M an incremental publication went 17.4-22.2 s -> 14.3-14.6 s (x8.4
baseline): spelling rounds.json and the round tables is gone for clean
rounds, but every round is still derived for the totals (~4-5 s), and the
rest of the earlier breakdown remains. The round index (a slug and four
integers per round, old and new) costs ~15-20 MB of peak RSS.

Earlier breakdown (format 3) of an incremental publication at 1M (``incparts``, seconds):
load state 1.4-2.2, events copied inside SQLite 1.1, rounds derived and
written (rounds.json plus 1.25M rows of rounds/flows/accounts) 10.8-15.2,
trails.json with revisions 5.0-5.3, save state 0.6-0.9. A kernel file copy
(``shutil.copyfile``) of archive.sqlite (474 MB) takes 1.2 s and of
trails.json (547 MB) 0.2 s with a hot cache, 1.2-1.7 s under load.

What limits the targets, and what is left to do:

* Full rebuild <= 1.5x baseline is out of reach while ``archive.sqlite``
  holds a row per event and ``trails.json`` a trail per fact: at 1M the fold
  alone (decode + handlers) is ~6 s (3x baseline), streaming the events into
  SQLite adds ~8 s and spelling trails.json ~5 s.
* Incremental <= 5%/10% of full: clean rounds are now copied, but every
  publication still derives every round to feed the totals, rewrites
  trails.json and loads and saves the whole state (2-3 s at 1M, itself ~8% of
  a full rebuild). Next steps, in order of gain: (1) totals kept as running
  sums per flow, corrected by the old figures of each dirty round (read back
  from the previous archive's rows) and its new ones, so that clean rounds are
  not derived at all (``discrepant_rounds`` and ``since`` scopes need the
  round order: positions from ``rounds.index``); (2) trails.json from byte
  ranges of the previous file with only new and newly revised facts spelled
  (the ``revisions`` rows would then have to be inserted in key order in a
  full build too, or copied in the same order, to keep the pages); (3) the
  state kept on disk in indexed segments instead of one marshalled whole. Appending events to a
  file copy of the previous archive.sqlite was not attempted: the derived
  tables after the events would have to be deleted without leaving freelist
  pages (``auto_vacuum=FULL`` plus ``secure_delete``) and the header's change
  counters fixed, and it would save little over the 1.1 s ``INSERT ... SELECT``
  (the file copy itself takes 1.2 s).
* Peak RSS is the fold state (~455 MB at 1M, ~480 bytes per fact including
  its id string and dict slot) plus ~25 MB while writing; it grows linearly
  (108 MB at 100k, 480 MB at 1M). More headroom needs the facts in
  struct-of-arrays form (id -> seq, per-seq arrays of codes and values).
"""

from __future__ import annotations

import fcntl
import gc
import marshal
import os
import re
import shutil
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any

import orjson

from eventlog.errors import CheckpointMismatch
from eventlog.reader import LogReader, Position
from projections import archive
from projections.errors import CorruptCheckpoint, OutputUnavailable, RebuildLocked, StaleCheckpoint
from projections.facts import Record, State, reindex
from projections.render import to_json
from projections.rounds import RoundView, agreements, iter_views, known_at
from projections.state import fold, new_state
from projections.totals import Figures
from projections.trails import trail_of

DEFAULT_OUT = "build/projections"
FORMAT = 4
"""Version of the checkpoint and output layout; a different one forces a full rebuild."""
STATE_CODEC = f"marshal-{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}"
"""The saved state is marshalled (fast for plain containers); another Python rebuilds fully."""
OUTPUTS = ("totals.json", "rounds.json", "trails.json", "archive.sqlite")
PROGRESS_EVERY = 16384
ARCHIVE_BATCH = 8192
ROUND_BATCH = 1024
COPY_CHUNK = 1 << 20
_GEN_RE = re.compile(r"gen-(\d{6,})")

Progress = Callable[[int, int], None]
"""Called with (bytes folded, bytes to fold) while a rebuild reads the log."""


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild did, for the one-line summary."""

    mode: str
    """"full", "incremental" or "unchanged" (nothing new: nothing written)."""
    seq: int
    folded: int
    generation: Path
    rounds: int
    facts: int

    def summary(self) -> str:
        """One line for cron mail."""
        if self.mode == "unchanged":
            return f"up to date at seq {self.seq}: no new events ({self.generation})"
        return (
            f"rebuilt {self.generation} at seq {self.seq}: {self.mode}, "
            f"{self.folded} events folded, {self.facts} facts, {self.rounds} rounds"
        )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector: the fold allocates millions of acyclic containers,
    and collecting while they pile up costs as much as the fold itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path``; raises ``RebuildLocked`` if another holds it."""
    try:
        handle = open(path, "a")  # noqa: SIM115 (closed below, after the lock is released)
    except OSError as exc:
        raise OutputUnavailable(str(path), exc.strerror or str(exc)) from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RebuildLocked(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def published(out: Path) -> Path | None:
    """The generation ``current`` points at, if any."""
    link = out / "current"
    if not link.is_symlink():
        return None
    target = out / os.readlink(link)
    return target if target.is_dir() else None


CHUNKED = ("facts", "steps")
"""The big dicts of the state, saved in chunks so that no copy of them is ever whole."""
DERIVED = ("members", "rounds")
"""Indexes of the facts, rebuilt on load (``projections.facts.reindex``), never saved."""
STATE_CHUNK = 8192


def _put(handle: Any, obj: Any) -> None:
    data = marshal.dumps(obj)
    handle.write(len(data).to_bytes(8, "little") + data)


def _get(handle: Any) -> Any:
    # marshal.load on a file reads object by object through Python: length-prefixed
    # blocks read whole and given to marshal.loads load about ten times faster
    size = int.from_bytes(handle.read(8), "little")
    if size > os.fstat(handle.fileno()).st_size:
        raise EOFError("state.marshal is truncated")
    data = handle.read(size)
    if len(data) != size:
        raise EOFError("state.marshal is truncated")
    return marshal.loads(data)


def save_state(path: Path, state: State) -> None:
    """Marshal the state: its small part, then each big dict as lists of items."""
    with open(path, "wb") as handle:
        _put(handle, {k: v for k, v in state.items() if k not in CHUNKED + DERIVED})
        for key in CHUNKED:
            _put(handle, len(state[key]))
            items = iter(state[key].items())
            while chunk := list(islice(items, STATE_CHUNK)):
                _put(handle, chunk)


def load_state(path: Path) -> State:
    """Read a state written by ``save_state``."""
    with open(path, "rb") as handle:
        state: State = _get(handle)
        for key in CHUNKED:
            size = _get(handle)
            held: dict[Any, Any] = {}
            while len(held) < size:
                chunk = _get(handle)
                if not chunk:
                    raise ValueError("short chunk")
                held.update(chunk)
            state[key] = held
        if handle.read(1):
            raise ValueError("trailing bytes")
    reindex(state)
    return state


def load_checkpoint(generation: Path) -> tuple[State, Position] | None:
    """The fold state and log position saved with a generation (None: other format)."""
    path = generation / "checkpoint.json"
    try:
        meta = orjson.loads(path.read_bytes())
        if meta.get("format") != FORMAT or meta.get("codec") != STATE_CODEC:
            return None
        position = Position(meta["seq"], meta["offset"], meta["hash"])
        state = load_state(generation / "state.marshal")
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise CorruptCheckpoint(str(path), str(exc) or type(exc).__name__) from None
    if state.get("seq") != position.seq:
        raise CorruptCheckpoint(str(path), "state and position disagree")
    return state, position


def _with_progress(
    records: Iterator[Record], reader: LogReader, start: int, progress: Progress
) -> Iterator[Record]:
    total = max(reader.path.stat().st_size - start, 0)
    for count, record in enumerate(records, 1):
        yield record
        if count % PROGRESS_EVERY == 0:
            progress(reader.position.offset - start, total)
    progress(total, total)


def _write(path: Path, payload: bytes, durable: bool) -> None:
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
        _write(path, payload, False)

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
    _write(directory / "totals.json", to_json(totals) + b"\n", False)
    _write_trails(directory / "trails.json", state, db)
    db.finish(totals)
    state["dirty"] = set()
    return rounds


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_all(directory: Path) -> None:
    for path in directory.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(directory)


def _next_name(out: Path) -> str:
    numbers = [int(m.group(1)) for p in out.iterdir() if (m := _GEN_RE.fullmatch(p.name))]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def publish(
    out: Path, staging: Path, state: State, position: Position, durable: bool = True
) -> Path:
    """Save the checkpoint in ``staging`` (outputs written) and make it ``current``."""
    meta = {
        "format": FORMAT,
        "codec": STATE_CODEC,
        "seq": position.seq,
        "offset": position.offset,
        "hash": position.hash,
    }
    _write(staging / "checkpoint.json", orjson.dumps(meta) + b"\n", False)
    _failpoint("rebuild.mid-checkpoint")
    save_state(staging / "state.marshal", state)
    if durable:
        _fsync_all(staging)
    staging.chmod(0o755)
    name = _next_name(out)
    _failpoint("rebuild.before-rename")
    os.rename(staging, out / name)
    link = out / f".current-{name}"
    os.symlink(name, link)
    _failpoint("rebuild.before-swap")
    os.replace(link, out / "current")
    if durable:
        _fsync_dir(out)
    _failpoint("rebuild.after-swap")
    return out / name


FAILPOINT_ENV = "EVENTLOG_FAILPOINT"
"""Names a point of publication at which a rebuild stops dead (``os._exit(70)``), for
crash tests: ``rebuild.mid-checkpoint`` (checkpoint half saved), ``rebuild.before-rename``
(generation complete in staging), ``rebuild.before-swap`` (generation renamed into place,
``current`` not yet swapped), ``rebuild.after-swap`` (published, old generations not pruned)."""


def _failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(70)


def prune(out: Path, keep: set[Path]) -> None:
    """Remove generations other than ``keep`` and leftovers of interrupted rebuilds."""
    for path in out.iterdir():
        stale_gen = _GEN_RE.fullmatch(path.name) is not None and path not in keep
        if stale_gen or path.name.startswith(".tmp-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".current-"):
            path.unlink(missing_ok=True)


def rebuild(
    log_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = DEFAULT_OUT,
    *,
    full: bool = False,
    progress: Progress | None = None,
    durable: bool = True,
) -> RebuildResult:
    """Bring the outputs in ``out_dir`` up to date with the log, incrementally unless ``full``.

    Raises ``RebuildLocked``, ``StaleCheckpoint`` (the log no longer holds the
    checkpoint's line: rerun with ``full``), ``CorruptCheckpoint``,
    ``OutputUnavailable``, and the ``eventlog`` reader's errors.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputUnavailable(str(out), exc.strerror or str(exc)) from None
    with locked(out / ".lock"), gc_paused():
        previous = published(out)
        saved = load_checkpoint(previous) if previous is not None and not full else None
        state, start = saved if saved is not None else (new_state(), None)
        mode = "full" if saved is None else "incremental"
        first = state["seq"]
        reader = LogReader(log_dir)
        records: Iterator[Record] = reader.records(after=start)
        if progress is not None:
            records = _with_progress(records, reader, start.offset if start else 0, progress)
        try:
            head = next(records, None)
        except CheckpointMismatch as exc:
            raise StaleCheckpoint(exc.seq, exc.expected, exc.found) from None
        if saved is not None and previous is not None and head is None:
            return RebuildResult("unchanged", state["seq"], 0, previous, 0, len(state["facts"]))
        try:
            staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out))
        except OSError as exc:
            raise OutputUnavailable(str(out), exc.strerror or str(exc)) from None
        try:
            resumed = previous / "archive.sqlite" if saved is not None and previous else None
            db = archive.Archive(staging / "archive.sqlite", resumed)
            try:
                if head is not None:
                    fold(_archived(chain((head,), records), db), state)
                rounds = write_outputs(staging, state, db, previous if resumed else None)
            finally:
                db.close()
            generation = publish(out, staging, state, reader.position, durable)
            prune(out, {generation} | ({previous} if previous is not None else set()))
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise OutputUnavailable(str(out), exc.strerror or str(exc)) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        folded = state["seq"] - first
        return RebuildResult(mode, state["seq"], folded, generation, rounds, len(state["facts"]))


def _archived(records: Iterator[Record], db: archive.Archive) -> Iterator[Record]:
    """Pass records through, adding each to the archive's events (in batches)."""
    rows: list[tuple[Any, ...]] = []
    row = archive.event_row
    for record in records:
        rows.append(row(record))
        if len(rows) >= ARCHIVE_BATCH:
            db.add_events(rows)
            rows.clear()
        yield record
    db.add_events(rows)
