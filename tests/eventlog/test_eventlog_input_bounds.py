"""Inputs are bounded: no file, device, FIFO or stream can fill memory or block a command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import Result

from eventlog import submissions
from eventlog.errors import InvalidEvent
from eventlog.inputs import TooLarge, read_regular, read_stream
from eventlog.sources import MAX_DOCUMENT

Run = Callable[..., Result]
HAS_ZERO = os.path.exists("/dev/zero")


def one_error(result: Result) -> str:
    """The single Error line of a failed command."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.mark.skipif(not HAS_ZERO, reason="needs /dev/zero")
def test_source_add_of_a_device_is_one_error_line(seeded: Path, cli: Run) -> None:
    """`source add /dev/zero` is refused as not a regular file, not a MemoryError."""
    before = (seeded / "events.jsonl").read_bytes()
    line = one_error(cli("source", "add", "/dev/zero", "--slug", "s", "--outlet", "x"))
    assert line == "Error: /dev/zero: not a regular file (a FIFO, device or directory)"
    assert (seeded / "events.jsonl").read_bytes() == before


def test_a_document_over_64_mib_is_refused(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """A document file over the 64 MiB limit is one Error line naming it and the limit."""
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(MAX_DOCUMENT + 1)
    line = one_error(cli("source", "add", str(big), "--slug", "s", "--outlet", "x"))
    assert line == f"Error: {big}: over 64 MiB, the limit for a document"


@pytest.mark.skipif(not HAS_ZERO, reason="needs /dev/zero")
def test_append_yes_of_an_endless_input_stops_at_the_hard_bound(
    seeded: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream past the hard bound with --yes (and --dry-run) stops there: one Error line;
    `append /dev/zero` is refused at once as not a regular file."""
    monkeypatch.setattr(submissions, "MAX_BATCH_BYTES", 3 * 2**20)
    before = (seeded / "events.jsonl").read_bytes()
    for flag in ("--yes", "--dry-run"):
        line = one_error(cli("append", "-", flag, input=b" " * (3 * 2**20 + 1)))
        assert line == (
            "Error: the input is over 3 MiB, the limit for one batch even with --yes: split it"
        )
        line = one_error(cli("append", "/dev/zero", flag))
        assert line == "Error: /dev/zero: not a regular file (a FIFO, device or directory)"
    assert (seeded / "events.jsonl").read_bytes() == before


def test_the_hard_batch_bound_is_1_gib() -> None:
    """The documented hard bound on one batch is 1 GiB."""
    assert submissions.MAX_BATCH_BYTES == 2**30


def test_a_stream_is_read_no_further_than_its_bound() -> None:
    """read_stream stops one chunk past the bound rather than reading the stream to its end."""
    stream = BytesIO(b"x" * (5 * 2**20))
    with pytest.raises(TooLarge):
        read_stream(stream, 2**20)
    assert stream.tell() <= 2**20 + 1
    assert read_stream(BytesIO(b"abc"), 3) == b"abc"


def test_read_batch_names_the_yes_bound() -> None:
    """Unconfirmed input over 16 MiB is refused pointing to --dry-run and --yes."""
    with pytest.raises(InvalidEvent, match="over 16 MiB: check it with --dry-run"):
        submissions.read_batch(BytesIO(b" " * (16 * 2**20 + 1)), confirmed=False)


def test_read_regular_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    """A FIFO with no writer is refused at once (O_NONBLOCK, then fstat)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        read_regular(fifo, 100)


def test_check_proof_of_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    """`check-proof FIFO` in a real process exits 1 with one Error line instead of blocking."""
    fifo = tmp_path / "proof"
    os.mkfifo(fifo)
    line = tmp_path / "line"
    line.write_text("{}\n")
    script = Path(sys.executable).with_name("eventlog")
    done = subprocess.run(
        [str(script), "check-proof", str(fifo), "--line", str(line), "--vkey", "x"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == f"Error: {fifo}: not a regular file (a FIFO, device or directory)\n"
