"""`projections rounds --json` with stdout closed is one Error line, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECTIONS = str(Path(sys.executable).parent / "projections")


def test_rounds_json_to_a_closed_stdout_is_one_error_line(tmp_path: Path) -> None:
    """`rounds --json >&-` (the streamed export): exit 1, one Error line, no AttributeError."""
    log = tmp_path / "log"
    log.mkdir()
    shutil.copyfile(REPO / "log" / "events.jsonl", log / "events.jsonl")
    words = f"{PROJECTIONS} --log {log} --out {tmp_path / 'out'} rounds --json"
    done = subprocess.run(
        ["/bin/sh", "-c", f"exec {words} >&-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "Error: standard output is closed\n"
