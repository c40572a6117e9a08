"""Tamper matrix: every edit of the log is caught by ``verify`` naming the first bad line.

An edit at the tail that keeps the chain well formed (a re-forged last line, a
cut at a line boundary) is caught against a checkpoint from ``eventlog head``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from eventlog.cli import main
from eventlog.codec import encode, line_hash
from eventlog.errors import CorruptLog
from eventlog.reader import log_file
from eventlog.store import append
from eventlog.verify import Checkpoint, verify
from reliability.conftest import log_bytes, note, seed

Lines = list[bytes]
TARGET = 4  # the line tampered with, in a log of 8


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A log of eight events."""
    path = tmp_path / "log"
    seed(path)
    append(path, [note(f"later {i}", f"later-{i}") for i in range(3)])
    return path


def _lines(log: Path) -> Lines:
    return log_bytes(log).split(b"\n")[:-1]


def _write(log: Path, lines: Lines) -> None:
    log_file(log).write_bytes(b"".join(line + b"\n" for line in lines))


def _forge(lines: Lines, at: int, text: str) -> bytes:
    """A well-formed line for position ``at`` (1-based) whose ``prev`` chains to the line before."""
    record = orjson.loads(lines[at - 1])
    record["data"] = {"text": text, "source": {"attributed_to": "forger", "party": "other"}}
    record["type"], record["id"] = "note.recorded", f"forged-{at}"
    record["prev"] = line_hash(lines[at - 2]) if at > 1 else "0" * 64
    return encode(record)


def _cli_verify(log: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--log", str(log), "verify", *args])
    return result.exit_code, result.stderr


EDITS: dict[str, tuple[Callable[[Lines], Lines], int]] = {
    "delete": (lambda ls: ls[: TARGET - 1] + ls[TARGET:], TARGET),
    "duplicate": (lambda ls: [*ls[:TARGET], ls[TARGET - 1], *ls[TARGET:]], TARGET + 1),
    "swap": (lambda ls: [*ls[: TARGET - 1], ls[TARGET], ls[TARGET - 1], *ls[TARGET + 1 :]], TARGET),
    "insert a copy": (lambda ls: [*ls[: TARGET - 1], ls[0], *ls[TARGET - 1 :]], TARGET),
    "insert a forged line": (
        lambda ls: [*ls[: TARGET - 1], _forge(ls, TARGET, "inserted"), *ls[TARGET - 1 :]],
        TARGET + 1,
    ),
    "replace by a forged line": (
        lambda ls: [*ls[: TARGET - 1], _forge(ls, TARGET, "edited"), *ls[TARGET:]],
        TARGET + 1,
    ),
    "truncate in the middle of a line": (
        lambda ls: [*ls[: TARGET - 1], ls[TARGET - 1][:40], *ls[TARGET:]],
        TARGET,
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_line_edit_is_caught_naming_the_first_bad_line(log: Path, edit: str) -> None:
    """Each line-level edit fails ``eventlog verify`` (exit 1) naming the first bad line."""
    change, first_bad = EDITS[edit]
    _write(log, change(_lines(log)))
    with pytest.raises(CorruptLog) as caught:
        verify(log)
    assert caught.value.line == first_bad, str(caught.value)
    code, stderr = _cli_verify(log)
    assert code == 1 and stderr.startswith(f"Error: line {first_bad}"), stderr


def test_every_flipped_byte_is_caught(log: Path) -> None:
    """Flipping any bit of any byte of a middle line fails verify at that line or the next."""
    lines = _lines(log)
    for at in range(len(lines[TARGET - 1])):
        for bit in (0x01, 0x20, 0x80):
            damaged = list(lines)
            line = bytearray(lines[TARGET - 1])
            line[at] ^= bit
            damaged[TARGET - 1] = bytes(line)
            _write(log, damaged)
            with pytest.raises(CorruptLog) as caught:
                verify(log)
            named = caught.value.line
            assert named in (TARGET, TARGET + 1), (at, bit, str(caught.value))
            if named == TARGET + 1:  # the line itself still parses: its successor's prev breaks
                assert "chain is broken" in str(caught.value)


def _head(log: Path) -> str:
    result = CliRunner().invoke(main, ["--log", str(log), "head"])
    head = orjson.loads(result.stdout)
    return f"{head['seq']}:{head['hash']}"


def test_forged_last_line_is_caught_only_by_a_checkpoint(log: Path) -> None:
    """A re-forged last line with a correct prev passes verify but fails against a kept head."""
    checkpoint = _head(log)
    lines = _lines(log)
    _write(log, [*lines[:-1], _forge(lines, len(lines), "rewritten history")])
    assert _cli_verify(log)[0] == 0
    code, stderr = _cli_verify(log, "--checkpoint", checkpoint)
    assert code == 1 and stderr.startswith(f"Error: line {len(lines)}"), stderr
    with pytest.raises(CorruptLog) as caught:
        verify(log, Checkpoint.parse(checkpoint))
    assert caught.value.line == len(lines)


def test_forged_appended_line_keeps_the_checkpoint_prefix(log: Path) -> None:
    """A forged line appended after a checkpoint leaves the checkpoint's prefix provably intact."""
    checkpoint = _head(log)
    lines = _lines(log)
    forged = orjson.loads(_forge(lines, len(lines), "appended by hand"))
    forged.update(seq=len(lines) + 1, id="forged-tail", prev=line_hash(lines[-1]))
    _write(log, [*lines, encode(forged)])
    assert _cli_verify(log, "--checkpoint", checkpoint)[0] == 0


@pytest.mark.parametrize("keep", [0, 3, 7])
def test_truncation_below_a_checkpoint_is_caught(log: Path, keep: int) -> None:
    """Cutting the log at a line boundary passes plain verify but fails against a kept head."""
    checkpoint = _head(log)
    _write(log, _lines(log)[:keep])
    assert _cli_verify(log)[0] == 0
    code, stderr = _cli_verify(log, "--checkpoint", checkpoint)
    assert code == 1 and stderr.startswith(f"Error: line {keep + 1}"), stderr


def test_truncation_inside_a_line_is_caught_by_a_checkpoint(log: Path) -> None:
    """Cutting the log inside a line is only a torn tail to verify, but fails the checkpoint."""
    checkpoint = _head(log)
    content = log_bytes(log)
    cut = sum(len(line) + 1 for line in _lines(log)[: TARGET - 1]) + 25
    log_file(log).write_bytes(content[:cut])
    code, stderr = _cli_verify(log)
    assert code == 0 and "Warning: torn tail" in stderr
    code, stderr = _cli_verify(log, "--checkpoint", checkpoint)
    assert code == 1 and stderr.startswith(f"Error: line {TARGET}"), stderr


def test_edit_of_the_checkpoint_line_is_caught_with_later_lines_reforged(log: Path) -> None:
    """Re-forging the whole chain after an edit passes verify but not the kept checkpoint."""
    lines = _lines(log)
    checkpoint = f"{TARGET}:{line_hash(lines[TARGET - 1])}"
    forged = list(lines)
    forged[TARGET - 1] = _forge(lines, TARGET, "rewritten")
    for at in range(TARGET + 1, len(lines) + 1):
        record = orjson.loads(lines[at - 1])
        record["prev"] = line_hash(forged[at - 2])
        forged[at - 1] = encode(record)
    _write(log, forged)
    assert _cli_verify(log)[0] == 0
    code, stderr = _cli_verify(log, "--checkpoint", checkpoint)
    assert code == 1 and stderr.startswith(f"Error: line {TARGET}"), stderr
