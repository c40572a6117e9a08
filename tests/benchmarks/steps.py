"""The measured steps, each run in its own process so that its peak RSS is its own.

``python -m tests.benchmarks.steps STEP JSON-ARGS`` runs one step and prints
one JSON object on stdout: the step's own timings (imports excluded) and
whatever it reports. The driver (``tests.benchmarks.run``) reads the peak RSS
of that process from ``os.wait4``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

Step = Callable[[dict[str, Any]], dict[str, Any]]
STEPS: dict[str, Step] = {}


def step(func: Step) -> Step:
    STEPS[func.__name__] = func
    return func


def _append() -> Callable[..., Any]:
    from eventlog.store import append

    return append


@step
def generate(args: dict[str, Any]) -> dict[str, Any]:
    """Build the log through ``eventlog.store.append``, in batches."""
    from tests.benchmarks.generate import Generator

    append = _append()
    gen = Generator(seed=args.get("seed", 1))
    remaining, batch, spent, appended = args["events"], args["batch"], 0.0, 0
    while remaining > 0:
        events = gen.take(min(batch, remaining))
        start = time.perf_counter()
        append(args["log"], events, by="bench")
        spent += time.perf_counter() - start
        remaining -= len(events)
        appended += len(events)
    return {"seconds": spent, "events": appended}


@step
def baseline(args: dict[str, Any]) -> dict[str, Any]:
    """Read each line and ``orjson.loads`` it, nothing else: the floor of any replay."""
    loads = orjson.loads
    start = time.perf_counter()
    count = 0
    with open(Path(args["log"]) / "events.jsonl", "rb") as fh:
        for line in fh:
            loads(line)
            count += 1
    return {"seconds": time.perf_counter() - start, "events": count}


@step
def verify(args: dict[str, Any]) -> dict[str, Any]:
    """``eventlog.verify.verify``: chain, schema and rules of every line."""
    from eventlog.verify import verify as run

    start = time.perf_counter()
    report = run(args["log"])
    return {"seconds": time.perf_counter() - start, "events": report.events}


@step
def rebuild(args: dict[str, Any]) -> dict[str, Any]:
    """``projections.rebuild.rebuild``: full or incremental, as the out dir dictates."""
    from projections.rebuild import rebuild as run

    start = time.perf_counter()
    result = run(args["log"], args["out"], full=args.get("full", False))
    mode = "full" if args.get("full") else "catch-up"
    return {
        "seconds": time.perf_counter() - start,
        "mode": mode,
        "folded": result.folded,
        "seq": result.seq,
    }


@step
def append_new(args: dict[str, Any]) -> dict[str, Any]:
    """One batch append of ``events`` new submissions (generated before the clock starts)."""
    from tests.benchmarks.generate import Generator

    append = _append()
    events = Generator(seed=args["seed"], prefix=args["prefix"]).take(args["events"])
    start = time.perf_counter()
    append(args["log"], events, by="bench")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "events": len(events), "rate": len(events) / seconds}


@step
def single_appends(args: dict[str, Any]) -> dict[str, Any]:
    """``count`` single durable appends in-process, each followed by a bare write+fsync of
    the very bytes it appended (to a file beside the log), so both see the same disk load."""
    from tests.benchmarks.generate import single_transfer

    append = _append()
    log = Path(args["log"])
    count, prefix = args["count"], args["prefix"]
    append(log, [single_transfer(f"{prefix}-warm")], by="bench")  # index built, caches warm
    size = (log / "events.jsonl").stat().st_size
    latencies, bare = [], []
    fd = os.open(
        Path(args["scratch"]) / "bare.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
    )
    reader = os.open(log / "events.jsonl", os.O_RDONLY)
    try:
        for i in range(count):
            event = single_transfer(f"{prefix}-{i:06d}")
            start = time.perf_counter()
            append(log, [event], by="bench")
            latencies.append(time.perf_counter() - start)
            end = os.fstat(reader).st_size
            line = os.pread(reader, end - size, size)
            size = end
            start = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            bare.append(time.perf_counter() - start)
    finally:
        os.close(reader)
        os.close(fd)
    return {"append": _latency(latencies), "bare": _latency(bare)}


def _latency(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p99": p99, "n": len(ordered)}


def main(argv: list[str]) -> None:
    name, raw = argv
    result = STEPS[name](orjson.loads(raw))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
