"""Scheduled rebuilds: fold the new events, write every output, publish atomically.

Layout of the output directory (default ``build/projections``)::

    .lock                 flock held for the whole rebuild
    current -> gen-000007 symlink, swapped atomically with os.replace
    gen-000007/           totals.json rounds.json trails.json archive.sqlite
                          checkpoint.json state.marshal rounds.index trails.index
                          rounds.figures
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
  gave the same rows on other pages). A clean round is not derived again
  either: what the totals take of it (``projections.totals.compact``: slug,
  date, agreement, and per flow its figure, discrepancy and the parties'
  figures) is read back from the previous generation's ``rounds.figures``
  (marshalled blocks of ``ROUND_BATCH`` rounds in output order, written by
  every build) and fed to ``Figures``, which takes every round that way.
* Likewise ``trails.json``: the trails of facts neither reported nor revised
  since the checkpoint are copied from the previous file (each fact's report
  seq and trail length kept in ``trails.index``), and only new and newly
  revised facts are spelled. Their ``revisions`` rows are staged in a temporary
  table and merged with the previous archive's rows of the other revised facts
  in one ``INSERT ... SELECT`` ordered as a full build inserts them (by the
  fact's report seq, then step), so the pages match.
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
* Incremental <= 5%/10% of full: clean rounds and unchanged trails are now
  copied and clean rounds no longer derived (interleaved at 1M, +1 event:
  15.1-16.5 s before, 7.6-9.6 s after), but every round is still fed to
  ``Figures`` (the largest part left: ~3.5 s of 11.6 s under cProfile), all
  rounds are sorted (0.7 s) and the whole state is loaded and saved (~2.7 s
  under cProfile). Next steps, in order of gain: (1) totals kept as running
  sums per flow, corrected by the old compact figures of each dirty round
  (``rounds.figures``) and its new ones (``discrepant_rounds`` and ``since``
  scopes need the round order, offers the latest round per flow, which does
  not subtract); (2) the state kept on disk in indexed segments instead of one
  marshalled whole; (3) the trails.index read whole (~15 MB at 1M) and the
  compact rounds push an incremental's peak RSS at 1M to ~530 MB (a full build
  stays ~503 MB). Appending events to a file copy of the previous
  archive.sqlite was not attempted: the derived
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

import gc
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from eventlog.errors import CheckpointMismatch
from eventlog.reader import LogReader
from projections import archive
from projections.checkpoint import load_checkpoint
from projections.errors import OutputUnavailable, StaleCheckpoint
from projections.facts import Record
from projections.outputs import ARCHIVE_BATCH, write_outputs
from projections.publish import locked, prune, publish, published
from projections.state import fold, new_state

DEFAULT_OUT = "build/projections"
OUTPUTS = ("totals.json", "rounds.json", "trails.json", "archive.sqlite")
PROGRESS_EVERY = 16384

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


def _with_progress(
    records: Iterator[Record], reader: LogReader, start: int, progress: Progress
) -> Iterator[Record]:
    total = max(reader.path.stat().st_size - start, 0)
    for count, record in enumerate(records, 1):
        yield record
        if count % PROGRESS_EVERY == 0:
            progress(reader.position.offset - start, total)
    progress(total, total)


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
                rounds = write_outputs(
                    staging, state, db, previous if resumed else None, since=first
                )
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
