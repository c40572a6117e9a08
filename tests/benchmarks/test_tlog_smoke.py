"""CI smoke test of the transparency-log benchmark: it runs end to end; it asserts no time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tlog_benchmark_runs_and_prints_its_table(tmp_path: Path) -> None:
    """`python -m tests.benchmarks.tlog` on two small logs prints every figure and the ratios."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.tlog",
            "--sizes",
            "200,400",
            "--runs",
            "1",
            "--cli-runs",
            "1",
            "--work",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for figure in (
        "checkpoint after 100 appends (CLI)",
        "prove SEQ (library)",
        "check-proof (CLI)",
        "check-consistency (library)",
        "single append (as shipped: the tree is caught up later)",
        "lazy catch-up by the next reader, per event",
    ):
        assert f"| {figure} |" in proc.stdout
    assert "the eager tree update would add" in proc.stdout
