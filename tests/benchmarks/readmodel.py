"""The read model's benchmark (issue 9 section 7): whole commands on a small and a large log.

``python -m tests.benchmarks.readmodel --small LOG10K --large LOG1M --work DIR`` measures,
on copies of two logs made by the same generator (``tests.benchmarks.generate``), each
command as a user runs it (a child process, wall time and peak RSS from ``os.wait4``):
a full build, ``rebuild`` after 1 and after 1,000 new events, ``trail`` and ``totals``
on an up-to-date store, ``--known-at`` and ``--as-of`` queries, the baseline (read +
``orjson.loads``), and the store's size beside the log's. It prints the targets with
the ratios measured in this one run. The logs grow by the events it appends.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from tests.benchmarks.run import Measure, run_child, run_cli, run_step, script

MB = 1 << 20


def measure(log: Path, out: Path, runs: int) -> dict[str, Measure]:
    """Every read-model step on one log (the store in ``out`` is rebuilt from scratch)."""
    cli = [*script("projections"), "--log", str(log), "--out", str(out)]
    m: dict[str, Measure] = {}
    baselines = [run_step("baseline", log=str(log)) for _ in range(3)]
    m["baseline"] = sorted(baselines, key=lambda r: r.seconds)[1]
    shutil.rmtree(out, ignore_errors=True)
    m["full"] = run_cli([*cli, "rebuild", "--full"])
    m["store"] = Measure(
        0,
        0,
        {
            "bytes": (out / "archive.sqlite").stat().st_size,
            "log": (log / "events.jsonl").stat().st_size,
        },
    )
    for count in (1, 1000):
        samples = []
        for n in range(runs):
            run_step(
                "append_new", log=str(log), events=count, seed=count + n, prefix=f"rm{count}x{n}"
            )
            samples.append(run_cli([*cli, "rebuild"]))
        m[f"rebuild_{count}"] = _median(samples)
    m["totals"] = run_cli([*cli, "totals", "--json"], runs=runs)
    m["trail"] = run_cli([*cli, "trail", "e-00000002", "--json"], runs=runs)
    out_text, _, _ = run_child([*cli, "totals", "--json"])
    head = int(out_text.split(b'"seq":', 1)[1].split(b",", 1)[0])
    m["known_at"] = run_cli([*cli, "totals", "--json", "--known-at", str(head // 2)], runs=1)
    m["as_of"] = run_cli([*cli, "totals", "--json", "--as-of", "2023-06"], runs=1)
    return m


def _median(samples: list[Measure]) -> Measure:
    ordered = sorted(samples, key=lambda s: s.seconds)
    return Measure(ordered[len(ordered) // 2].seconds, max(s.rss for s in samples))


def report(small: dict[str, Measure], large: dict[str, Measure], sizes: tuple[str, str]) -> str:
    """The targets of issue 9 section 7 with the figures of this run."""

    def t(m: Measure) -> str:
        return f"{m.seconds:.3f} s"

    rows = []

    def ratio(name: str, key: str, limit: float) -> None:
        value = large[key].seconds / small[key].seconds
        rows.append(
            (
                name,
                f"{t(small[key])} / {t(large[key])}",
                f"{value:.2f}x",
                f"<= {limit}x",
                "met" if value <= limit else "MISSED",
            )
        )

    ratio("rebuild after 1 new event (large / small)", "rebuild_1", 1.5)
    ratio("rebuild after 1,000 new events (large / small)", "rebuild_1000", 1.5)
    ratio("trail ID, up-to-date store (large / small)", "trail", 1.5)
    ratio("totals, up-to-date store (large / small)", "totals", 2.0)
    full = large["full"].seconds
    for key, name in (("known_at", "--known-at N/2"), ("as_of", "--as-of 2023-06")):
        share = large[key].seconds / full
        rows.append(
            (
                f"totals {name} at the large size / full build",
                f"{t(large[key])}",
                f"{share:.0%}",
                "<= 20%",
                "met" if share <= 0.2 else "MISSED",
            )
        )
    base = large["baseline"].seconds
    rows.append(
        (
            "full build / baseline (large)",
            f"{t(large['full'])} / {t(large['baseline'])}",
            f"{full / base:.1f}x",
            "<= 3x",
            "met" if full <= 3 * base else "MISSED",
        )
    )
    rss_up = max(large["rebuild_1"].rss, large["rebuild_1000"].rss)
    rows.append(
        (
            "peak RSS of a catch-up (large)",
            f"{rss_up / MB:.0f} MB",
            "",
            "<= 100 MB",
            "met" if rss_up <= 100 * MB else "MISSED",
        )
    )
    rows.append(
        (
            "peak RSS of a full build (large)",
            f"{large['full'].rss / MB:.0f} MB",
            "",
            "<= 512 MB",
            "met" if large["full"].rss <= 512 * MB else "MISSED",
        )
    )
    store, log = large["store"].extra["bytes"], large["store"].extra["log"]
    rows.append(
        (
            "store size / log size (large)",
            f"{store / MB:.0f} MB / {log / MB:.0f} MB",
            f"{store / log:.2f}x",
            "<= 1x",
            "met" if store <= log else "MISSED",
        )
    )
    lines = [
        f"| target ({sizes[0]} = small, {sizes[1]} = large) | figures | ratio | limit | |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "| step | small | large |", "|---|---|---|"]
    for key in (
        "baseline",
        "full",
        "rebuild_1",
        "rebuild_1000",
        "totals",
        "trail",
        "known_at",
        "as_of",
    ):
        lines.append(
            f"| {key} | {t(small[key])}, {small[key].rss / MB:.0f} MB"
            f" | {t(large[key])}, {large[key].rss / MB:.0f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.readmodel")
    parser.add_argument("--small", type=Path, required=True, help="log directory (e.g. 10k)")
    parser.add_argument("--large", type=Path, required=True, help="log directory (e.g. 1M)")
    parser.add_argument("--work", type=Path, required=True, help="where the stores go")
    parser.add_argument("--runs", type=int, default=3, help="runs per timed query")
    parser.add_argument("--names", default="10k,1M", help="how the sizes are called")
    opts = parser.parse_args()
    small = measure(opts.small, opts.work / "out-small", opts.runs)
    large = measure(opts.large, opts.work / "out-large", opts.runs)
    names = opts.names.split(",")
    print(report(small, large, (names[0], names[1])))


if __name__ == "__main__":
    main()
