"""Tampering with the stored bytes is caught by `eventlog verify`, naming the line (and seq)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlog.cli import main
from eventlog.errors import CorruptLog
from eventlog.store import append
from eventlog.verify import Checkpoint, verify

Run = Callable[..., Result]


def lines_of(log_dir: Path) -> list[bytes]:
    return (log_dir / "events.jsonl").read_bytes().splitlines()


def write_lines(log_dir: Path, lines: list[bytes]) -> None:
    (log_dir / "events.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


def sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def assert_caught(result: Result, prefix: str, fragment: str) -> None:
    """verify exits 1 with one Error line that starts with ``prefix`` (line and seq)."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.stdout == ""
    [message] = result.stderr.splitlines()
    assert message.startswith(prefix), message
    assert fragment in message


CHAIN_BROKEN = "'prev' is not the hash of the line before it"


def test_intact_seeded_log_verifies(seeded: Path, cli: Run) -> None:
    """The untampered seeded log verifies (control for every test below)."""
    assert cli("verify").exit_code == 0


def test_flipped_byte_in_data_breaks_the_chain_at_the_next_line(seeded: Path, cli: Run) -> None:
    """A changed digit inside line 3 (still valid JSON) is caught at line 4 (seq 4)."""
    lines = lines_of(seeded)
    assert b'"value":6057' in lines[2]
    lines[2] = lines[2].replace(b'"value":6057', b'"value":9057', 1)
    write_lines(seeded, lines)
    assert_caught(cli("verify"), "Error: line 4 (seq 4): ", CHAIN_BROKEN)


def test_flipped_byte_that_breaks_json(seeded: Path, cli: Run) -> None:
    """A flipped structural byte in line 3 is caught at line 3: not valid JSON."""
    path = seeded / "events.jsonl"
    data = bytearray(path.read_bytes())
    start = sum(len(line) + 1 for line in lines_of(seeded)[:2])
    assert data[start] == ord("{")
    data[start] ^= 0x01
    path.write_bytes(bytes(data))
    assert_caught(cli("verify"), "Error: line 3: ", "not valid JSON, and valid lines follow it")


def test_flipped_byte_in_seq(seeded: Path, cli: Run) -> None:
    """A changed seq in line 3 is caught at line 3, naming the seq found."""
    lines = lines_of(seeded)
    lines[2] = lines[2].replace(b'"seq":3,', b'"seq":8,')
    write_lines(seeded, lines)
    assert_caught(cli("verify"), "Error: line 3 (seq 8): ", "expected seq 3, found 8")


def test_deleted_line(seeded: Path, cli: Run) -> None:
    """A deleted line 3 is caught at line 3, which now holds seq 4."""
    lines = lines_of(seeded)
    del lines[2]
    write_lines(seeded, lines)
    assert_caught(cli("verify"), "Error: line 3 (seq 4): ", "expected seq 3, found 4")


def test_deleted_first_line(seeded: Path, cli: Run) -> None:
    """A deleted first line is caught at line 1, which now holds seq 2."""
    write_lines(seeded, lines_of(seeded)[1:])
    assert_caught(cli("verify"), "Error: line 1 (seq 2): ", "expected seq 1, found 2")


def test_duplicated_line(seeded: Path, cli: Run) -> None:
    """A duplicated line 3 is caught at line 4, which holds seq 3 again."""
    lines = lines_of(seeded)
    lines.insert(3, lines[2])
    write_lines(seeded, lines)
    assert_caught(cli("verify"), "Error: line 4 (seq 3): ", "expected seq 4, found 3")


def test_duplicated_last_line(seeded: Path, cli: Run) -> None:
    """A duplicated last line is caught: the copy repeats seq 7."""
    lines = lines_of(seeded)
    write_lines(seeded, [*lines, lines[-1]])
    assert_caught(cli("verify"), "Error: line 8 (seq 7): ", "expected seq 8, found 7")


def test_swapped_lines(seeded: Path, cli: Run) -> None:
    """Swapped lines 3 and 4 are caught at line 3, which holds seq 4."""
    lines = lines_of(seeded)
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(seeded, lines)
    assert_caught(cli("verify"), "Error: line 3 (seq 4): ", "expected seq 3, found 4")


def _forged_note(after: bytes) -> bytes:
    """A well-formed note chained right after the line ``after``, as a forger would write it."""
    before = json.loads(after)
    record = {
        "seq": before["seq"] + 1,
        "id": "forged",
        "type": "note.recorded",
        "v": 2,
        "data": {"text": "forged", "source": {"attributed_to": "x", "party": "UA"}},
        "recorded_at": before["recorded_at"],
        "recorded_by": "mallory",
        "prev": sha(after),
    }
    return json.dumps(record, separators=(",", ":")).encode()


def test_inserted_forged_line(seeded: Path, cli: Run) -> None:
    """A well-formed forged line chained after line 3 is caught at the next line (line 5, seq 4)."""
    lines = lines_of(seeded)
    lines.insert(3, _forged_note(lines[2]))
    write_lines(seeded, lines)
    assert_caught(cli("verify"), "Error: line 5 (seq 4): ", "expected seq 5, found 4")


def test_inserted_forged_line_with_renumbered_seqs(seeded: Path, cli: Run) -> None:
    """A forged line with every later seq renumbered still breaks the chain (line 5, seq 5)."""
    lines = lines_of(seeded)
    renumbered = [
        line.replace(f'"seq":{n},'.encode(), f'"seq":{n + 1},'.encode(), 1)
        for n, line in enumerate(lines[3:], start=4)
    ]
    write_lines(seeded, [*lines[:3], _forged_note(lines[2]), *renumbered])
    assert_caught(cli("verify"), "Error: line 5 (seq 5): ", CHAIN_BROKEN)


def test_line_truncated_in_the_middle_followed_by_valid_lines(seeded: Path, cli: Run) -> None:
    """Line 3 cut in half, with lines 4..7 after it, is corruption at line 3, not a torn tail."""
    lines = lines_of(seeded)
    lines[2] = lines[2][: len(lines[2]) // 2]
    write_lines(seeded, lines)
    assert_caught(cli("verify"), "Error: line 3: ", "not valid JSON, and valid lines follow it")


def test_line_truncated_and_joined_to_the_next(seeded: Path, cli: Run) -> None:
    """Half of line 3 glued to line 4 (its newline gone) is corruption at line 3."""
    path = seeded / "events.jsonl"
    lines = lines_of(seeded)
    lines[2:4] = [lines[2][:40] + lines[3]]
    write_lines(seeded, lines)
    assert_caught(
        CliRunner().invoke(main, ["--log", str(path.parent), "verify"]),
        "Error: line 3: ",
        "not valid JSON, and valid lines follow it",
    )


def test_edited_last_line_passes_without_a_checkpoint(seeded: Path, cli: Run) -> None:
    """An edit of the last line leaves the chain intact: only a checkpoint can expose it."""
    lines = lines_of(seeded)
    lines[-1] = lines[-1].replace(b'"value":2239', b'"value":2999', 1)
    write_lines(seeded, lines)
    assert cli("verify").exit_code == 0


def test_edited_last_line_caught_by_checkpoint(seeded: Path, cli: Run) -> None:
    """An edit of the last line is caught by `verify --checkpoint` from an earlier `head`."""
    head = json.loads(cli("head").stdout)
    lines = lines_of(seeded)
    lines[-1] = lines[-1].replace(b'"value":2239', b'"value":2999', 1)
    write_lines(seeded, lines)
    assert_caught(
        cli("verify", "--checkpoint", f"{head['seq']}:{head['hash']}"),
        "Error: line 7 (seq 7): ",
        "does not match the checkpoint",
    )


def test_edited_checkpointed_line_caught_after_more_appends(seeded: Path, cli: Run) -> None:
    """A checkpointed line edited after later appends is caught (by the chain, at the next line)."""
    head = json.loads(cli("head").stdout)
    note = {
        "type": "note.recorded",
        "data": {"text": "later", "source": {"attributed_to": "x", "party": "UA"}},
    }
    assert cli("append", input=json.dumps(note)).exit_code == 0
    lines = lines_of(seeded)
    lines[6] = lines[6].replace(b'"value":2239', b'"value":2999', 1)
    write_lines(seeded, lines)
    assert_caught(
        cli("verify", "--checkpoint", f"{head['seq']}:{head['hash']}"),
        "Error: line 7 (seq 7): ",
        "does not match the checkpoint",
    )


def test_removed_last_line_caught_by_checkpoint(seeded: Path, cli: Run) -> None:
    """A cut of the last line is caught by the checkpoint: lines were removed."""
    head = json.loads(cli("head").stdout)
    write_lines(seeded, lines_of(seeded)[:-1])
    assert cli("verify").exit_code == 0
    assert_caught(
        cli("verify", "--checkpoint", f"{head['seq']}:{head['hash']}"),
        "Error: line 7: ",
        "the log ends at seq 6 but the checkpoint names seq 7",
    )


def test_verify_does_not_trust_the_index(seeded: Path, cli: Run) -> None:
    """Tampering is caught even though the append index still describes the original log."""
    lines = lines_of(seeded)
    del lines[1]
    write_lines(seeded, lines)
    assert (seeded / ".index.sqlite").exists()
    assert_caught(cli("verify"), "Error: line 2 (seq 3): ", "expected seq 2, found 3")


def test_append_refuses_a_log_whose_tail_link_is_broken(seeded: Path, cli: Run) -> None:
    """An append after the line before the last was edited is refused; nothing is written."""
    lines = lines_of(seeded)
    lines[-2] = lines[-2].replace(b'"misattributed"', b'"misattribute!"', 1)
    write_lines(seeded, lines)
    before = (seeded / "events.jsonl").read_bytes()
    note = {
        "type": "note.recorded",
        "data": {"text": "x", "source": {"attributed_to": "x", "party": "UA"}},
    }
    result = cli("append", input=json.dumps(note))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: line 7 (seq 7): ")
    assert before == (seeded / "events.jsonl").read_bytes()


# -- any single flipped byte ------------------------------------------------------------------

_FLIP = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def seeded_bytes(seeded: Path) -> bytes:
    """The seeded log's bytes, for copies to tamper with."""
    return (seeded / "events.jsonl").read_bytes()


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A directory whose events.jsonl each example overwrites with a tampered copy."""
    directory = tmp_path / "scratch"
    directory.mkdir()
    return directory


def _flip(directory: Path, original: bytes, position: int, mask: int) -> Path:
    data = bytearray(original)
    data[position] ^= mask
    (directory / "events.jsonl").write_bytes(bytes(data))
    return directory


@_FLIP
@given(where=st.floats(0, 1, exclude_max=True), mask=st.integers(1, 255))
def test_any_flipped_byte_is_caught_with_a_checkpoint(
    seeded_bytes: bytes, scratch: Path, where: float, mask: int
) -> None:
    """Flipping any single bit pattern of any byte fails `verify --checkpoint` at the head."""
    last = seeded_bytes.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    checkpoint = Checkpoint(7, sha(last))
    directory = _flip(scratch, seeded_bytes, int(where * len(seeded_bytes)), mask)
    with pytest.raises(CorruptLog):
        verify(directory, checkpoint)


@_FLIP
@given(where=st.floats(0, 1, exclude_max=True), mask=st.integers(1, 255))
def test_any_flipped_byte_before_the_last_line_is_noticed(
    seeded_bytes: bytes, scratch: Path, where: float, mask: int
) -> None:
    """Without a checkpoint, a flip before the last line fails verify or is at least a torn tail."""
    last_start = seeded_bytes.rstrip(b"\n").rfind(b"\n") + 1
    directory = _flip(scratch, seeded_bytes, int(where * last_start), mask)
    try:
        report = verify(directory)
    except CorruptLog:
        return
    assert report.torn_bytes > 0
    assert report.events < 7


def _chained(log_dir: Path, event_id: str, event_type: str, data: dict[str, object]) -> None:
    """Add a correctly chained line that ``append`` would refuse (a forged, rule-breaking one)."""
    lines = lines_of(log_dir)
    head = json.loads(lines[-1])
    record = {
        "seq": head["seq"] + 1,
        "id": event_id,
        "type": event_type,
        "v": 2,
        "data": data,
        "recorded_at": head["recorded_at"],
        "recorded_by": "forger",
        "prev": sha(lines[-1]),
    }
    write_lines(log_dir, [*lines, json.dumps(record, separators=(",", ":")).encode()])


def test_verify_checks_a_correction_against_the_fact_as_already_corrected(
    seeded: Path, cli: Run
) -> None:
    """verify reads a fact back from its line, then follows its corrections in order."""
    swap = {"from": "UA", "to": "RU"}
    append(
        seeded,
        [
            {
                "id": "c1",
                "type": "fact.corrected",
                "data": {"target": "tr-ua", "changes": swap, "reason": "swapped"},
            },
            {
                "id": "c2",
                "type": "fact.corrected",
                "data": {"target": "tr-ua", "changes": {"count": {"value": 1}}, "reason": "typo"},
            },
        ],
    )
    assert verify(seeded).events == 9
    # valid against the original (RU -> UA), not against the corrected fact (UA -> RU)
    _chained(
        seeded,
        "c3",
        "fact.corrected",
        {"target": "tr-ua", "changes": {"to": "UA"}, "reason": "forged"},
    )
    assert_caught(cli("verify"), "Error: line 10 (seq 10): ", "the corrected fact would be invalid")
