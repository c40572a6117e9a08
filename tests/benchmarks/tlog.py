"""Benchmark of the transparency log: ``python -m tests.benchmarks.tlog [--sizes 10k,1M]``.

Targets (issue 13): ``checkpoint`` and ``prove SEQ`` at the largest size <= 1.5x the
same at the smallest; a single durable append with the tree maintained <= 10% slower
than without; ``check-proof`` and ``check-consistency`` independent of the log's size.
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
from eventlog.checkpoints import prove_inclusion, set_origin, sign_checkpoint, write_key
from eventlog.note import Signer
from eventlog.proofs import check_consistency, check_inclusion
from eventlog.tree import TreeStore
from tests.benchmarks.generate import Generator
from tests.benchmarks.run import parse_size

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "bench.example/log"
EVENTLOG = [sys.executable, "-m", "eventlog.cli"]


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


def measure(size: int, work: Path, runs: int) -> dict[str, float]:
    """Every figure at one size."""
    log, key_file = work / f"log-{size}", work / f"key-{size}"
    gen = Generator(seed=size)
    figures: dict[str, float] = {"build": build(log, size, gen)}
    signer = Signer.generate(ORIGIN)
    write_key(key_file, signer)
    start = time.perf_counter()
    sign_checkpoint(log, signer)  # the first checkpoint hashes the whole log
    figures["first checkpoint (library)"] = time.perf_counter() - start

    def append_then_checkpoint() -> float:
        store.append(log, gen.take(100), by="bench")
        begin = time.perf_counter()
        sign_checkpoint(log, signer)
        return time.perf_counter() - begin

    figures["checkpoint after 100 appends (library)"] = statistics.median(
        append_then_checkpoint() for _ in range(runs))
    cli_times = []
    for _ in range(runs):
        store.append(log, gen.take(100), by="bench")
        cli_times.append(_median(_cli(["checkpoint", "--key", str(key_file)], log), 1))
    figures["checkpoint after 100 appends (CLI)"] = statistics.median(cli_times)

    kept = sorted((log / "checkpoints").iterdir(), key=lambda p: int(p.name.split(".")[0]))
    cp_old, cp_new = kept[0], kept[-1]
    cp_bytes = cp_new.read_bytes()
    seq = size // 2 + 1
    figures["prove SEQ (library)"] = _median(lambda: prove_inclusion(log, seq, cp_bytes), runs)
    figures["prove SEQ (CLI)"] = _median(
        _cli(["prove", str(seq), "--checkpoint", str(cp_new)], log), runs)
    proof = prove_inclusion(log, seq, cp_bytes).encode()
    lines = (log / "events.jsonl").open("rb")
    line = next(x for i, x in enumerate(lines, start=1) if i == seq)
    lines.close()
    proof_file, line_file = work / f"proof-{size}", work / f"line-{size}"
    proof_file.write_bytes(proof)
    line_file.write_bytes(line)
    vkey = str(signer.verifier)
    figures["check-proof (library)"] = _median(
        lambda: check_inclusion(proof, line, signer.verifier), runs * 20)
    figures["check-proof (CLI)"] = _median(
        _cli(["check-proof", str(proof_file), "--line", str(line_file), "--vkey", vkey], log),
        runs)
    cons = _cli(["prove", "--consistency", str(cp_old), str(cp_new)], log)
    cons_file = work / f"cons-{size}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVENTLOG_DIR": str(log)}
    cons_file.write_bytes(subprocess.run(
        [*EVENTLOG, "prove", "--consistency", str(cp_old), str(cp_new)], env=env, check=True,
        capture_output=True).stdout)
    figures["prove --consistency (CLI)"] = _median(cons, runs)
    old_b, new_b, cons_b = cp_old.read_bytes(), cp_new.read_bytes(), cons_file.read_bytes()
    figures["check-consistency (library)"] = _median(
        lambda: check_consistency(old_b, new_b, cons_b, signer.verifier), runs * 20)
    figures["check-consistency (CLI)"] = _median(
        _cli(["check-consistency", str(cp_old), str(cp_new), str(cons_file), "--vkey", vkey],
             log), runs)
    figures.update(single_appends(log, gen, runs * 20))
    return figures


def single_appends(log: Path, gen: Generator, count: int) -> dict[str, float]:
    """Durable single-event appends with the tree kept current, and without (alternating),
    and the lazy alternative: appends without it, then one catch-up ``sync``."""
    hook = store.extend_after_append
    with_tree, without = [], []
    for _ in range(count):
        for timings, enabled in ((with_tree, True), (without, False)):
            store.extend_after_append = hook if enabled else (lambda *a: None)
            event = gen.take(1)
            start = time.perf_counter()
            store.append(log, event, by="bench")
            timings.append(time.perf_counter() - start)
    store.extend_after_append = hook
    # the store is now behind by `count` events: the lazy catch-up
    from eventlog.reader import existing_log
    from eventlog.tail import read_tail

    start = time.perf_counter()
    with TreeStore(log) as tree:
        path = existing_log(log)
        tree.sync(path, read_tail(path).position)
    catch_up = (time.perf_counter() - start) / count
    return {"single append, tree maintained (median)": statistics.median(with_tree),
            "single append, no tree (median)": statistics.median(without),
            "lazy catch-up per event": catch_up}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10k,1M")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        results = {size: measure(size, Path(tmp), args.runs) for size in sizes}
    small, large = sizes[0], sizes[-1]
    print(f"| figure | {' | '.join(f'{s:,} events' for s in sizes)} | "
          f"{large:,} / {small:,} |")
    print(f"|---|{'---|' * len(sizes)}---|")
    for name in results[small]:
        row = " | ".join(f"{results[s][name] * 1000:.2f} ms" for s in sizes)
        print(f"| {name} | {row} | {results[large][name] / results[small][name]:.2f}x |")
    for s in sizes:
        r = results[s]
        slower = r["single append, tree maintained (median)"] / \
            r["single append, no tree (median)"] - 1
        print(f"\nAt {s:,} events a single durable append with the tree maintained is "
              f"{slower * 100:+.1f}% against the same append without it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
