"""The benchmark's report: absolute figures, ratios to the baseline, targets met or missed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.benchmarks.run import Measure, Options

NOTES = Path(__file__).with_name("notes.md")
"""Hand-written analysis (what limits a missed target, what was tried), appended to the report."""

MB = 1024 * 1024


def _t(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def _mb(rss: int) -> str:
    return f"{rss / MB:.0f} MB" if rss else ""


def _x(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base > 0 else ""


def _n(count: int) -> str:
    return f"{count:,}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def size_table(n: int, m: dict[str, Measure], opts: Options) -> list[str]:
    """One size: every step with its time, ratio to the baseline and peak RSS."""
    base = m["baseline"].seconds
    full = m["rebuild_full"].seconds
    gen = m["generate"]
    single, bare = m["single"].extra["append"], m["single"].extra["bare"]
    batch = m["batch_append"]
    rows = [
        [
            f"generate {_n(n)} events (append, batches of {_n(opts.batch)})",
            _t(gen.seconds),
            _x(gen.seconds, base),
            _mb(gen.rss),
            f"{gen.extra['events'] / gen.seconds:,.0f} events/s",
        ],
        [
            "**baseline**: read lines + `orjson.loads`",
            _t(base),
            "1.00x",
            _mb(m["baseline"].rss),
            f"{m['file'].extra['bytes'] / MB:.0f} MB log, median of 3",
        ],
        [
            "`verify` (library)",
            _t(m["verify"].seconds),
            _x(m["verify"].seconds, base),
            _mb(m["verify"].rss),
            "chain + schema + rules",
        ],
        [
            "`eventlog verify` (CLI, wall)",
            _t(m["verify_cli"].seconds),
            _x(m["verify_cli"].seconds, base),
            _mb(m["verify_cli"].rss),
            "incl. start-up",
        ],
        [
            "full `projections rebuild`",
            _t(full),
            _x(full, base),
            _mb(m["rebuild_full"].rss),
            "library call, outputs written",
        ],
    ]
    for count in opts.incremental:
        inc = m[f"rebuild_inc_{count}"]
        rows.append(
            [
                f"incremental rebuild after {_n(count)} new",
                _t(inc.seconds),
                _x(inc.seconds, base),
                _mb(inc.rss),
                f"{inc.seconds / full:.1%} of full",
            ]
        )
    rows += [
        [
            f"batch append of {_n(batch.extra['events'])}",
            _t(batch.seconds),
            _x(batch.seconds, base),
            _mb(batch.rss),
            f"{batch.extra['rate']:,.0f} events/s",
        ],
        [
            "`eventlog append` 1 event, cold (index rebuilt)",
            _t(m["cli_append_cold"].seconds),
            "",
            _mb(m["cli_append_cold"].rss),
            "CLI wall",
        ],
        [
            "`eventlog append` 1 event, index warm",
            _t(m["cli_append"].seconds),
            "",
            _mb(m["cli_append"].rss),
            f"CLI wall, median of {m['cli_append'].extra['runs']}",
        ],
        [
            "... the same on the 10-event log, alternated with it",
            _t(m["cli_append_small"].seconds),
            "",
            _mb(m["cli_append_small"].rss),
            f"on {_n(n)}: {m['cli_append'].seconds / m['cli_append_small'].seconds:.2f}x",
        ],
        [
            f"single durable append (in-process) x{single['n']}",
            _t(single["median"]),
            "",
            _mb(m["single"].rss),
            f"median; p99 {_t(single['p99'])}",
        ],
        [
            f"bare `os.write` + `os.fsync` x{bare['n']}",
            _t(bare["median"]),
            "",
            "",
            f"median; p99 {_t(bare['p99'])}; append/bare {single['median'] / bare['median']:.2f}x",
        ],
    ]
    return [
        f"### {_n(n)} events",
        "",
        *_table(["Measurement", "Time", "x baseline", "Peak RSS", "Notes"], rows),
        "",
    ]


def once_table(once: dict[str, Measure]) -> list[str]:
    py = once["python"].seconds
    rows = [
        ["`python -c pass`", _t(py), "1.00x", _mb(once["python"].rss)],
        [
            "`eventlog --help`",
            _t(once["eventlog_help"].seconds),
            _x(once["eventlog_help"].seconds, py),
            _mb(once["eventlog_help"].rss),
        ],
        [
            "`projections --help`",
            _t(once["projections_help"].seconds),
            _x(once["projections_help"].seconds, py),
            _mb(once["projections_help"].rss),
        ],
        [
            "`eventlog append` 1 event on a 10-event log, cold",
            _t(once["cli_append_cold"].seconds),
            "",
            _mb(once["cli_append_cold"].rss),
        ],
        [
            "`eventlog append` 1 event on a 10-event log, index warm",
            _t(once["cli_append"].seconds),
            "",
            _mb(once["cli_append"].rss),
        ],
    ]
    return [
        "### Start-up and the 10-event log (median of several runs)",
        "",
        *_table(["Measurement", "Time", "x `python -c pass`", "Peak RSS"], rows),
        "",
    ]


def targets(
    once: dict[str, Measure], results: dict[int, dict[str, Measure]], opts: Options
) -> list[str]:
    """Each target of the issue, checked at the largest size of this run."""
    n = max(results)
    m = results[n]
    base, full = m["baseline"].seconds, m["rebuild_full"].seconds
    single = m["single"].extra
    py = once["python"].seconds
    # RSS growth is judged from a tenth of the largest size (100k -> 1M) when it was run
    small, large = (n // 10 if n // 10 in results else min(results)), n
    rows: list[tuple[str, str, str, bool]] = [
        ("full rebuild / baseline", f"{full / base:.2f}x", "≤ 1.5x", full <= 1.5 * base),
        (
            "verify / baseline",
            f"{m['verify'].seconds / base:.2f}x",
            "≤ 3x",
            m["verify"].seconds <= 3 * base,
        ),
    ]
    limits = {1: 0.05, 1000: 0.10}
    for count in opts.incremental:
        inc = m[f"rebuild_inc_{count}"].seconds
        limit = limits.get(count, 0.10)
        rows.append(
            (
                f"incremental after {_n(count)} / full",
                f"{inc / full:.1%}",
                f"≤ {limit:.0%}",
                inc <= limit * full,
            )
        )
    rate = m["batch_append"].extra["rate"]
    if "index" in m:
        share = m["index"].extra["bytes"] / m["file"].extra["bytes"]
        rows.append(
            (
                "append index size / log size (after generating)",
                f"{share:.1%}",
                "≤ 25%",
                share <= 0.25,
            )
        )
    rows += [
        ("batch append", f"{rate:,.0f} events/s", "≥ 50,000 events/s", rate >= 50_000),
        (
            "single append median / bare write+fsync",
            f"{single['append']['median'] / single['bare']['median']:.2f}x",
            "≤ 3x",
            single["append"]["median"] <= 3 * single["bare"]["median"],
        ),
        (
            f"CLI append on {_n(n)} log / on 10-event log (runs alternated)",
            f"{m['cli_append'].seconds / m['cli_append_small'].seconds:.2f}x",
            "≤ 1.5x",
            m["cli_append"].seconds <= 1.5 * m["cli_append_small"].seconds,
        ),
        (
            "peak RSS of full rebuild",
            _mb(m["rebuild_full"].rss),
            "≤ 512 MB",
            m["rebuild_full"].rss <= 512 * MB,
        ),
    ]
    if small != large:
        grow = m["rebuild_full"].rss / results[small]["rebuild_full"].rss
        size_ratio = large / small
        rows.append(
            (
                f"RSS growth of full rebuild {_n(small)} → {_n(large)}",
                f"{grow:.2f}x",
                f"≤ {size_ratio:.0f}x (linear)",
                grow <= size_ratio,
            )
        )
    for name in ("eventlog_help", "projections_help"):
        cmd = name.replace("_help", "")
        rows.append(
            (
                f"`{cmd} --help` / `python -c pass`",
                f"{once[name].seconds / py:.2f}x",
                "≤ 1.5x",
                once[name].seconds <= 1.5 * py,
            )
        )
    table = _table(
        ["Target", "Measured", "Required", "Met"],
        [[a, b, c, "yes" if ok else "**no**"] for a, b, c, ok in rows],
    )
    return [f"## Targets at {_n(n)} events", "", *table, ""]


def render(
    machine: dict[str, str],
    opts: Options,
    once: dict[str, Measure],
    results: dict[int, dict[str, Measure]],
    elapsed: float,
) -> str:
    """The whole report as Markdown."""
    sizes = ",".join(_short(n) for n in opts.sizes)
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `python -m tests.benchmarks --sizes {sizes}` on {machine['date']} "
        f"(whole run {elapsed / 60:.1f} min).",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores",
        f"- Python: {machine['python']} on {machine['platform']}",
        f"- Code: commit {machine.get('revision', 'unknown')}",
        f"- Load average (1, 5, 15 min): {machine['load']} (the machine is shared)",
        "",
        "Library steps time themselves in a fresh process (imports excluded); CLI steps are",
        "wall time of the whole command. Peak RSS is each step's own process (`os.wait4`).",
        "The project's bytecode is compiled first, as a regular install does.",
        "",
    ]
    lines += targets(once, results, opts)
    lines += ["## All figures", ""]
    lines += once_table(once)
    for n in sorted(results):
        lines += size_table(n, results[n], opts)
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    return "\n".join(lines)


def _short(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def as_json(results: dict[int, dict[str, Measure]]) -> dict[str, Any]:
    """The raw figures, for machines."""
    return {
        str(n): {k: {"seconds": v.seconds, "rss": v.rss, **v.extra} for k, v in m.items()}
        for n, m in results.items()
    }
