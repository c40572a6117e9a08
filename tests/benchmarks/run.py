"""The benchmark driver: build logs at each size, run every step on them, print the table.

Each step runs in a child process (``tests.benchmarks.steps`` or a CLI), so
that its peak RSS is read from ``os.wait4`` for that child alone; library
steps time themselves (imports excluded), CLI steps are timed from outside.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tests.benchmarks import report

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Measure:
    """One measured step: seconds, peak RSS of its process (bytes), and extra figures."""

    seconds: float
    rss: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Options:
    sizes: list[int]
    batch: int = 100_000
    big_batch: int = 100_000
    appends: int = 1000
    incremental: tuple[int, int] = (1, 1000)
    startup_runs: int = 10
    cli_runs: int = 5
    work: Path | None = None
    verbose: bool = True


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1M`` -> 1000000, ``250`` -> 250."""
    text = text.strip()
    scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale != 1 else text
    return int(float(number) * scale)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["EVENTLOG_USER"] = "bench"
    env.pop("EVENTLOG_FAILPOINT", None)
    return env


def run_child(argv: list[str], stdin: bytes | None = None) -> tuple[bytes, float, int]:
    """Run a child to completion: its stdout, wall seconds and peak RSS (bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )
    out, err = _talk(proc, stdin)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:4])} ... exited {proc.returncode}: "
            f"{err.decode(errors='replace')[-2000:]}"
        )
    return out, wall, usage.ru_maxrss * 1024


def _talk(proc: subprocess.Popen[bytes], stdin: bytes | None) -> tuple[bytes, bytes]:
    """Feed stdin and read both pipes without reaping the child (``wait4`` does that)."""
    import threading

    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(n, s))
        for n, s in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    if proc.stdin is not None:
        proc.stdin.write(stdin or b"")
        proc.stdin.close()
    for reader in readers:
        reader.join()
    return chunks["out"], chunks["err"]


def run_step(name: str, **args: Any) -> Measure:
    """Run one step of ``tests.benchmarks.steps`` in a child process."""
    argv = [sys.executable, "-m", "tests.benchmarks.steps", name, orjson.dumps(args).decode()]
    out, wall, rss = run_child(argv)
    result = orjson.loads(out.strip().splitlines()[-1])
    seconds = result.pop("seconds", wall)
    result["wall"] = wall
    return Measure(seconds, rss, result)


def script(name: str) -> list[str]:
    """The console script ``name`` beside this interpreter (no shell shims), else ``-m``."""
    path = Path(sys.executable).parent / name
    if path.exists():
        return [str(path)]
    return [sys.executable, "-m", f"{name}.cli"]


def run_cli(argv: list[str], runs: int = 1, stdin: bytes | None = None) -> Measure:
    """Median wall time and largest peak RSS of ``runs`` runs of a command."""
    walls, peak = [], 0
    for _ in range(runs):
        _, wall, rss = run_child(argv, stdin)
        walls.append(wall)
        peak = max(peak, rss)
    return Measure(statistics.median(walls), peak, {"runs": runs, "min": min(walls)})


def _say(opts: Options, text: str) -> None:
    if opts.verbose:
        print(text, file=sys.stderr, flush=True)


def cli_append(logs: list[Path], prefix: str, runs: int) -> list[tuple[Measure, Measure]]:
    """A single event through ``eventlog append`` on each log: cold (index rebuilt), then warm.

    The warm runs alternate between the logs, so that the load of a shared
    machine weighs on each alike and their ratio holds.
    """
    from tests.benchmarks.generate import single_transfer

    def argv(log: Path) -> list[str]:
        return [*script("eventlog"), "--log", str(log), "append", "-"]

    colds = []
    for log in logs:
        for index_file in log.glob(".index.sqlite*"):
            index_file.unlink()
        colds.append(run_cli(argv(log), 1, orjson.dumps(single_transfer(f"{prefix}-cold"))))
    warm: list[list[Measure]] = [[] for _ in logs]
    for i in range(runs):
        for log, samples in zip(logs, warm, strict=True):
            event = orjson.dumps(single_transfer(f"{prefix}-{i:03d}"))
            samples.append(run_cli(argv(log), 1, event))
    return [
        (
            cold,
            Measure(
                statistics.median(s.seconds for s in samples),
                max(s.rss for s in samples),
                {"runs": runs},
            ),
        )
        for cold, samples in zip(colds, warm, strict=True)
    ]


def bench_size(n: int, work: Path, opts: Options, small: Path) -> dict[str, Measure]:
    """Every per-size step, in an order that keeps the log valid for the next one."""
    log, out, scratch = work / f"log-{n}", work / f"out-{n}", work / f"scratch-{n}"
    for path in (log, scratch):
        path.mkdir(parents=True)
    m: dict[str, Measure] = {}
    _say(opts, f"[{n}] generating through eventlog.store.append ...")
    m["generate"] = run_step("generate", log=str(log), events=n, batch=opts.batch)
    m["file"] = Measure(0.0, 0, {"bytes": (log / "events.jsonl").stat().st_size})
    m["index"] = Measure(
        0.0, 0, {"bytes": sum(p.stat().st_size for p in log.glob(".index.sqlite*"))}
    )
    _say(opts, f"[{n}] baseline, verify ...")
    runs = [run_step("baseline", log=str(log)) for _ in range(3)]
    m["baseline"] = sorted(runs, key=lambda r: r.seconds)[1]
    m["verify"] = run_step("verify", log=str(log))
    m["verify_cli"] = run_cli([*script("eventlog"), "--log", str(log), "verify"])
    _say(opts, f"[{n}] full rebuild ...")
    m["rebuild_full"] = run_step("rebuild", log=str(log), out=str(out), full=True)
    for count in opts.incremental:
        _say(opts, f"[{n}] incremental rebuild after {count} ...")
        m[f"append_{count}"] = run_step(
            "append_new", log=str(log), events=count, seed=count, prefix=f"inc{count}"
        )
        m[f"rebuild_inc_{count}"] = run_step("rebuild", log=str(log), out=str(out))
    _say(opts, f"[{n}] batch append of {opts.big_batch} ...")
    m["batch_append"] = run_step(
        "append_new", log=str(log), events=opts.big_batch, seed=7, prefix="batch"
    )
    _say(opts, f"[{n}] CLI single append ...")
    (m["cli_append_cold"], m["cli_append"]), (_, m["cli_append_small"]) = cli_append(
        [log, small], f"cli{n}", opts.cli_runs
    )
    _say(opts, f"[{n}] {opts.appends} single durable appends ...")
    m["single"] = run_step(
        "single_appends", log=str(log), scratch=str(scratch), count=opts.appends, prefix="single"
    )
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(log, ignore_errors=True)
    return m


def bench_once(work: Path, opts: Options) -> tuple[dict[str, Measure], Path]:
    """The steps that do not depend on the size: start-up, and the 10-event log."""
    _say(opts, "start-up and the 10-event log ...")
    commands = {
        "python": [sys.executable, "-c", "pass"],
        "eventlog_help": [*script("eventlog"), "--help"],
        "projections_help": [*script("projections"), "--help"],
    }
    samples: dict[str, list[Measure]] = {name: [] for name in commands}
    for _ in range(opts.startup_runs):  # interleaved, so that load on the machine hits all alike
        for name, argv in commands.items():
            samples[name].append(run_cli(argv))
    m: dict[str, Measure] = {}
    for name, runs in samples.items():
        walls = [r.seconds for r in runs]
        m[name] = Measure(
            statistics.median(walls),
            max(r.rss for r in runs),
            {"runs": len(runs), "min": min(walls)},
        )
    small = work / "log-10"
    small.mkdir()
    run_step("generate", log=str(small), events=10, batch=10)
    [(m["cli_append_cold"], m["cli_append"])] = cli_append([small], "cli", opts.cli_runs)
    return m, small


def machine() -> dict[str, str]:
    """CPU model, cores, Python version and date of this run."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def revision() -> str:
    """The commit measured, and whether the packages had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "eventlog", "projections"],
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes in eventlog/ or projections/)" if dirty else "")


def compile_project() -> None:
    """Write the bytecode of our packages, as a regular (non-editable) install does.

    Sandboxes often set PYTHONDONTWRITEBYTECODE, so an editable checkout would
    otherwise recompile every module at each start and inflate every CLI figure.
    """
    for package in ("eventlog", "projections"):
        compileall.compile_dir(str(ROOT / package), quiet=2, force=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks", description="Benchmark the log and the projections."
    )
    parser.add_argument(
        "--sizes", default="10k,100k,1M", help="Comma-separated log sizes (default 10k,100k,1M)."
    )
    parser.add_argument("--out", type=Path, help="Also write the report to this file.")
    parser.add_argument(
        "--appends", type=int, default=1000, help="Single durable appends to time (default 1000)."
    )
    parser.add_argument("--batch", default="100k", help="Batch size of one append (100k).")
    parser.add_argument("--work", type=Path, help="Work directory (default: a temp dir).")
    parser.add_argument("--quiet", action="store_true", help="No progress on stderr.")
    ns = parser.parse_args(argv)
    batch = parse_size(ns.batch)
    opts = Options(
        sizes=[parse_size(s) for s in ns.sizes.split(",") if s.strip()],
        batch=batch,
        big_batch=batch,
        appends=ns.appends,
        verbose=not ns.quiet,
    )
    started = time.perf_counter()
    compile_project()
    load_before, rev_before = machine()["load"], revision()
    with tempfile.TemporaryDirectory(prefix="eventlog-bench-", dir=ns.work) as tmp:
        work = Path(tmp)
        once, small = bench_once(work, opts)
        results = {n: bench_size(n, work, opts, small) for n in opts.sizes}
    info = machine()
    info["load"] = f"{load_before} at the start, {info['load']} at the end"
    rev_after = revision()
    info["revision"] = (
        rev_before
        if rev_after == rev_before
        else (f"{rev_before} at the start, {rev_after} at the end")
    )
    text = report.render(info, opts, once, results, time.perf_counter() - started)
    print(text)
    if ns.out is not None:
        ns.out.write_text(text)
    return 0
