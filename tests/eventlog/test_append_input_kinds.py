"""`eventlog append FILE` takes regular files only and a closed stdin is an error, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EVENTLOG = str(Path(sys.executable).parent / "eventlog")


def run(log_dir: Path, *args: str, shell_suffix: str = "") -> subprocess.CompletedProcess[str]:
    """``eventlog --log DIR append ARGS`` in a real process (a shell for redirections)."""
    words = " ".join([EVENTLOG, "--log", str(log_dir), "append", *args])
    return subprocess.run(
        ["/bin/sh", "-c", f"exec {words} {shell_suffix}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_appending_a_fifo_is_refused_at_once(seeded: Path, tmp_path: Path) -> None:
    """A FIFO given as FILE is one Error line naming it (it used to wait for a writer)."""
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    before = (seeded / "events.jsonl").read_bytes()
    done = run(seeded, str(fifo))
    assert done.returncode == 1
    assert done.stderr == f"Error: {fifo}: not a regular file (a FIFO, device or directory)\n"
    assert (seeded / "events.jsonl").read_bytes() == before


def test_a_closed_stdin_is_one_error_line(seeded: Path) -> None:
    """`eventlog append - <&-` is one Error line, exit 1, not click's RuntimeError traceback."""
    before = (seeded / "events.jsonl").read_bytes()
    done = run(seeded, "-", shell_suffix="<&-")
    assert done.returncode == 1
    assert done.stderr == "Error: no input: stdin is closed (give FILE, or pipe the events in)\n"
    assert (seeded / "events.jsonl").read_bytes() == before


def test_a_regular_file_and_stdin_still_append(seeded: Path, tmp_path: Path) -> None:
    """The same event is read from a named file and from a pipe (dry runs, nothing written)."""
    event = (
        '{"id": "note-x", "type": "note.recorded", "data": {"text": "x", '
        '"source": {"outlet": "Outlet", "published_on": "2025-06-01", '
        '"attributed_to": "X", "party": "UA"}}}'
    )
    path = tmp_path / "one.json"
    path.write_text(event)
    from_file = run(seeded, str(path), "--dry-run")
    from_pipe = subprocess.run(
        [EVENTLOG, "--log", str(seeded), "append", "-", "--dry-run"],
        input=event,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert from_file.returncode == 0, from_file.stderr
    assert from_pipe.returncode == 0, from_pipe.stderr
    assert "Would append 1 events" in from_file.stdout
    assert from_file.stdout == from_pipe.stdout
    assert from_file.stderr == from_pipe.stderr
    assert "Traceback" not in from_file.stderr
