"""Benchmark of the transparency log: ``python -m tests.benchmarks.tlog [--sizes 10k,1M]``.

Targets (issue 13): ``checkpoint`` and ``prove SEQ`` at the largest size <= 1.5x the
same at the smallest; a single durable append with the tree maintained <= 10% slower
than without (the append leaves the tree to be caught up by its readers: measured beside
the eager alternative and the catch-up per event); ``check-proof`` and
``check-consistency`` independent of the log's size.
Every ratio is measured in one run. Commands are timed as subprocesses (what a user
waits for, interpreter start-up included) and as library calls in this process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventlog import store
from eventlog.checkpoints import (
    prove_consistency,
    prove_inclusion,
    set_origin,
    sign_checkpoint,
    verify_kept,
    write_key,
)
from eventlog.note import Signer
from eventlog.proofs import check_consistency, check_inclusion
from eventlog.reader import existing_log, line_ending_at
from eventlog.tail import read_tail
from eventlog.tree import TreeStore
from tests.benchmarks.generate import Generator
from tests.benchmarks.run import parse_size

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "bench.example/log"
EVENTLOG = [sys.executable, "-m", "eventlog.cli"]
PLAIN = "single append (as shipped: the tree is caught up later)"
EAGER = "single append + eager tree update (the alternative)"
LAZY = "lazy catch-up by the next reader, per event"


def _median(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cli(args: list[str], log: Path) -> Callable[[], None]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVENTLOG_DIR": str(log)}

    def run() -> None:
        subprocess.run([*EVENTLOG, *args], env=env, check=True, capture_output=True)

    return run


def build(log: Path, events: int, gen: Generator) -> float:
    store.init_log(log)
    set_origin(log, ORIGIN)
    start = time.perf_counter()
    left = events
    while left:
        batch = gen.take(min(100_000, left))
        store.append(log, batch, by="bench")
        left -= len(batch)
    return time.perf_counter() - start


class Subject:
    """One log of a given size, its key, two kept checkpoints and a proof of each kind."""

    def __init__(self, size: int, work: Path) -> None:
        self.size, self.log, self.key_file = size, work / f"log-{size}", work / f"key-{size}"
        self.gen = Generator(seed=size)
        self.figures: dict[str, list[float]] = {}
        self.note("build", build(self.log, size, self.gen))
        self.signer = Signer.generate(ORIGIN)
        write_key(self.key_file, self.signer)
        start = time.perf_counter()
        sign_checkpoint(self.log, self.signer)  # the first checkpoint hashes the whole log
        self.note("first checkpoint (library)", time.perf_counter() - start)
        self.old = self.log / "checkpoints" / f"{size}.checkpoint"
        self.append(100)
        sign_checkpoint(self.log, self.signer)
        self.new = self.log / "checkpoints" / f"{size + 100}.checkpoint"
        self.seq = size // 2 + 1
        self.proof = prove_inclusion(self.log, self.seq, self.new.read_bytes()).encode()
        self.line = (self.log / "events.jsonl").read_bytes().split(b"\n")[self.seq - 1]
        self.files = {name: work / f"{name}-{size}" for name in ("proof", "line", "cons")}
        self.files["proof"].write_bytes(self.proof)
        self.files["line"].write_bytes(self.line)
        self.cons = prove_consistency(
            self.log, self.old.read_bytes(), self.new.read_bytes()
        ).encode()
        self.files["cons"].write_bytes(self.cons)

    def note(self, name: str, seconds: float) -> None:
        self.figures.setdefault(name, []).append(seconds)

    def append(self, count: int) -> None:
        store.append(self.log, self.gen.take(count), by="bench")

    def timed(self, name: str, fn: Callable[[], Any], repeat: int = 1) -> None:
        self.note(name, _median(fn, repeat))

    def one_round(self) -> None:
        """Each figure once (the caller alternates sizes between rounds)."""
        self.append(100)
        start = time.perf_counter()
        sign_checkpoint(self.log, self.signer)
        self.note("checkpoint after 100 appends (library)", time.perf_counter() - start)
        new = self.new.read_bytes()
        self.timed("prove SEQ (library)", lambda: prove_inclusion(self.log, self.seq, new), 5)
        self.timed(
            "prove --consistency (library)",
            lambda: prove_consistency(self.log, self.old.read_bytes(), new),
            5,
        )
        v = self.signer.verifier
        self.timed("check-proof (library)", lambda: check_inclusion(self.proof, self.line, v), 20)
        old = self.old.read_bytes()
        self.timed(
            "check-consistency (library)", lambda: check_consistency(old, new, self.cons, v), 20
        )
        start = time.perf_counter()
        verify_kept(self.log)
        self.note("verify's pass over kept checkpoints (library)", time.perf_counter() - start)
        eager, plain = single_appends(self.log, self.gen, 20)
        self.figures.setdefault(PLAIN, []).extend(plain)
        self.figures.setdefault(EAGER, []).extend(eager)
        start = time.perf_counter()
        with TreeStore(self.log) as tree:  # the plain appends left it 20 events behind
            path = existing_log(self.log)
            tree.sync(path, read_tail(path).position)
        self.note(LAZY, (time.perf_counter() - start) / 20)

    def cli_commands(self) -> dict[str, tuple[Callable[[], None], Callable[[], Any]]]:
        """Each command as (what to do before it, untimed; the command)."""
        vkey = str(self.signer.verifier)

        def nothing() -> None:
            pass

        return {
            "checkpoint after 100 appends (CLI)": (
                lambda: self.append(100),
                _cli(["checkpoint", "--key", str(self.key_file)], self.log),
            ),
            "prove SEQ (CLI)": (
                nothing,
                _cli(["prove", str(self.seq), "--checkpoint", str(self.new)], self.log),
            ),
            "prove --consistency (CLI)": (
                nothing,
                _cli(["prove", "--consistency", str(self.old), str(self.new)], self.log),
            ),
            "check-proof (CLI)": (
                nothing,
                _cli(
                    [
                        "check-proof",
                        str(self.files["proof"]),
                        "--line",
                        str(self.files["line"]),
                        "--vkey",
                        vkey,
                    ],
                    self.log,
                ),
            ),
            "check-consistency (CLI)": (
                nothing,
                _cli(
                    [
                        "check-consistency",
                        str(self.old),
                        str(self.new),
                        str(self.files["cons"]),
                        "--vkey",
                        vkey,
                    ],
                    self.log,
                ),
            ),
        }


def time_clis(subjects: list[Subject], runs: int) -> None:
    """Each command run on every size in turn, ``runs`` times: the sizes' runs alternate
    closely in time, so that a shared machine's load weighs on both alike."""
    commands = [s.cli_commands() for s in subjects]
    for _ in range(runs):
        for name in commands[0]:
            for subject, table in zip(subjects, commands, strict=True):
                before, command = table[name]
                before()
                start = time.perf_counter()
                command()
                subject.note(name, time.perf_counter() - start)


def single_appends(log: Path, gen: Generator, count: int) -> tuple[list[float], list[float]]:
    """Durable single-event appends as the store makes them (the tree is caught up later, by
    its readers), alternated with the eager alternative: the same append plus the tree
    store's update for that event (``TreeStore.extend``, what a call after the durable write
    would do), the two timed and added.

    Before each eager append the store is caught up and the new line is read back (both
    untimed: a call inside the append would hold the line already); a check after the
    update makes sure it covered the event.
    """
    path = existing_log(log)
    eager: list[float] = []
    plain: list[float] = []
    for _ in range(count):
        with TreeStore(log) as tree:
            before = read_tail(path).position
            tree.sync(path, before)
        start = time.perf_counter()
        store.append(log, gen.take(1), by="bench")
        appending = time.perf_counter() - start
        after = read_tail(path).position
        line = line_ending_at(path, after.offset)
        assert line is not None
        start = time.perf_counter()
        with TreeStore(log) as tree:
            done = tree.extend(before, [line], after)
        eager.append(appending + time.perf_counter() - start)
        if not done:
            raise RuntimeError("the tree store did not take the appended line")
        start = time.perf_counter()
        store.append(log, gen.take(1), by="bench")
        plain.append(time.perf_counter() - start)
    return eager, plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10k,1M")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cli-runs", type=int, default=15)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        subjects = [Subject(size, Path(tmp)) for size in sizes]
        for _ in range(args.runs):
            for subject in subjects:
                subject.one_round()
        time_clis(subjects, args.cli_runs)
    small, large = subjects[0], subjects[-1]
    print(
        f"| figure (median) | {' | '.join(f'{s.size:,} events' for s in subjects)} | "
        f"{large.size:,} / {small.size:,} |"
    )
    print(f"|---|{'---|' * len(subjects)}---|")
    for name in small.figures:
        medians = [statistics.median(s.figures[name]) for s in subjects]
        row = " | ".join(f"{m * 1000:.2f} ms" for m in medians)
        print(f"| {name} | {row} | {medians[-1] / medians[0]:.2f}x |")
    for s in subjects:
        eager = statistics.median(s.figures[EAGER])
        plain = statistics.median(s.figures[PLAIN])
        print(
            f"\nAt {s.size:,} events the eager tree update would add "
            f"{(eager / plain - 1) * 100:+.1f}% to a single durable append "
            f"({len(s.figures[PLAIN])} of each, alternated); as shipped the append does "
            "no tree work, and its share of the lazy catch-up by the next reader is "
            f"{statistics.median(s.figures[LAZY]) / plain * 100:+.1f}% of an append."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
