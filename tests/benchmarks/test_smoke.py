"""CI smoke test of the benchmark: it runs end to end at 10k events; it asserts no time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runs_at_10k_and_prints_its_table(tmp_path: Path) -> None:
    """`python -m tests.benchmarks --sizes 10k` finishes and prints the targets and figures."""
    out = tmp_path / "BENCHMARKS.md"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks",
            "--sizes",
            "10k",
            "--batch",
            "2k",
            "--appends",
            "100",
            "--quiet",
            "--out",
            str(out),
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
    assert "## Targets at 10,000 events" in proc.stdout
    assert "| full rebuild / baseline |" in proc.stdout
    assert "### 10,000 events" in proc.stdout
    assert out.read_text().rstrip("\n") == proc.stdout.rstrip("\n")
