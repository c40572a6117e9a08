"""Nothing derived is trusted unchecked: a tampered log, a foreign log, a rule break."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result
from projection_logs import Log, istanbul
from test_store import dump

from projections.cli import main

COMMANDS = [
    ["totals"],
    ["rounds"],
    ["trail", "e6"],
    ["rebuild"],
    ["totals", "--known-at", "3"],
    ["rounds", "--as-of", "2025"],
]


def run(log_dir: Path, out: Path, *args: str) -> Result:
    """``projections --log log_dir --out out args``."""
    return CliRunner().invoke(main, ["--log", str(log_dir), "--out", str(out), *args])


def one_error(result: Result, code: int = 1) -> str:
    """The exit code, nothing on stdout, one ``Error:`` line on stderr; returns the line."""
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def built(tmp_path: Path, upto: int) -> tuple[Path, Path, Log]:
    """The Istanbul story's first ``upto`` lines caught up into a store with totals.json."""
    story = istanbul()
    log, out = tmp_path / "log", tmp_path / "out"
    story.write(log, upto)
    assert run(log, out, "rebuild").exit_code == 0
    return log, out, story


def tamper(log: Path, line: int) -> None:
    """Change one digit of a count in a line (same length, chain now broken after it)."""
    path = log / "events.jsonl"
    lines = path.read_bytes().split(b"\n")
    index = line - 1
    assert b'"seq":' in lines[index]
    lines[index] = lines[index].replace(b'"recorded_by":"tester"', b'"recorded_by":"tasted"')
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize("args", COMMANDS)
@pytest.mark.parametrize("line", [12, 15])
def test_tampered_new_line_is_refused_by_every_command(
    tmp_path: Path, args: list[str], line: int
) -> None:
    """An edited line after the store's head: every command exits 1 with one Error line naming
    the line and seq, and the store and totals.json are unchanged."""
    log, out, story = built(tmp_path, 10)
    story.write(log)
    tamper(log, line)
    before = dump(out), (out / "totals.json").read_bytes()
    message = one_error(run(log, out, *args))
    assert f"line {line + 1} (seq {line + 1})" in message
    assert (dump(out), (out / "totals.json").read_bytes()) == before


@pytest.mark.parametrize("args", COMMANDS)
def test_edited_head_line_is_refused_by_every_command(tmp_path: Path, args: list[str]) -> None:
    """An edit of the line the store's position names: refused, store unchanged."""
    log, out, _ = built(tmp_path, 10)
    tamper(log, 10)
    before = dump(out)
    assert "line 10 (seq 10)" in one_error(run(log, out, *args))
    assert dump(out) == before


def test_a_full_build_checks_the_whole_chain(tmp_path: Path) -> None:
    """A fresh store over a log edited deep inside is refused, naming the first broken link."""
    story = istanbul()
    log = tmp_path / "log"
    story.write(log)
    tamper(log, 3)
    assert "line 4 (seq 4)" in one_error(run(log, tmp_path / "out", "rebuild"))
    assert not (tmp_path / "out" / "totals.json").exists()


@pytest.mark.parametrize("args", COMMANDS)
@pytest.mark.parametrize(
    ("key", "value"), [("head_seq", "99"), ("head_recorded_at", "2099-01-01T00:00:00.000000Z")]
)
def test_a_store_head_that_disagrees_with_its_line_is_refused(
    tmp_path: Path, args: list[str], key: str, value: str
) -> None:
    """A receipt whose seq or time was edited (its offset and hash left true) is refused in one
    line naming the store, never printed as the archive's position; the store is unchanged."""
    import sqlite3

    log, out, _ = built(tmp_path, 12)
    with sqlite3.connect(out / "archive.sqlite") as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    conn.close()
    before = dump(out)
    line = one_error(run(log, out, *args))
    assert "archive.sqlite: the store's head says" in line
    assert dump(out) == before


def test_another_log_is_refused(tmp_path: Path) -> None:
    """A store belongs to the log whose line 1 it recorded."""
    log, out, _ = built(tmp_path, 10)
    other = Log()
    other.agreement("zz")
    other.write(log)
    assert "another log" in one_error(run(log, out, "totals"))


def test_a_reused_id_is_one_error_line(tmp_path: Path) -> None:
    """A log that reuses an id (which eventlog refuses) never gives the read side a traceback."""
    story = istanbul()
    story.records[5]["id"] = story.records[4]["id"]
    story.write(tmp_path / "log")
    assert "reuses id" in one_error(run(tmp_path / "log", tmp_path / "out", "totals"))


def test_a_correction_of_an_unknown_fact_is_one_error_line(tmp_path: Path) -> None:
    """A correction naming no earlier fact is one Error line naming its seq."""
    story = istanbul()
    story.correct("nothing-here", count={"value": 1})
    story.write(tmp_path / "log")
    assert "'nothing-here'" in one_error(run(tmp_path / "log", tmp_path / "out", "totals"))


def test_a_torn_final_line_is_not_folded(tmp_path: Path) -> None:
    """A last line cut by a crash (no newline, or not JSON) is left for eventlog to recover."""
    story = istanbul()
    story.write(tmp_path / "log")
    path = tmp_path / "log" / "events.jsonl"
    path.write_bytes(path.read_bytes() + b'{"seq":21,"id":"x"')
    result = run(tmp_path / "log", tmp_path / "out", "totals", "--json")
    assert result.exit_code == 0
    assert '"seq":20' in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["totals", "--known-at", "²"],
        ["totals", "--known-at", "0001-01-01T00:00:00+01:00"],
        ["rounds", "--as-of", "\uff12\uff10\uff12\uff15"],
        ["trail", "e6", "--known-at", "٣"],
        ["totals", "--as-of", "2025-12/2025-06"],
        ["totals", "--known-at", "9" * 5000],
    ],
)
def test_bad_time_arguments_are_one_error_line(tmp_path: Path, args: list[str]) -> None:
    """Non-ASCII digits, a moment before year 1 in UTC, a reversed interval, a seq of more
    digits than Python converts: exit 2, one line."""
    story = istanbul()
    story.write(tmp_path / "log")
    one_error(run(tmp_path / "log", tmp_path / "out", *args), 2)


def test_out_inside_the_log_directory_is_refused(tmp_path: Path) -> None:
    """The store never goes into the log directory (it would share the appenders' lock)."""
    story = istanbul()
    story.write(tmp_path / "log")
    for out in (tmp_path / "log", tmp_path / "log" / "build"):
        assert "inside the log directory" in one_error(run(tmp_path / "log", out, "rebuild"))
    assert sorted(p.name for p in (tmp_path / "log").iterdir()) == ["events.jsonl"]


def test_a_killed_rebuilds_temporary_file_is_removed(tmp_path: Path) -> None:
    """A temporary totals file left by a killed rebuild is removed by the next one."""
    log, out, _ = built(tmp_path, 10)
    (out / ".totals.json.tmp-999999").write_bytes(b"half")
    assert run(log, out, "rebuild").exit_code == 0
    assert not list(out.glob(".totals.json.tmp-*"))


def test_table_cells_escape_control_and_bidi_characters(tmp_path: Path) -> None:
    """A note, a reason or a name with a newline, ESC or a bidi override shows them escaped;
    --json keeps the exact text."""
    story = istanbul()
    story.correct("e6", reason="bad\nrow\x1b[31m\u202e", count={"value": 1})
    story.write(tmp_path / "log")
    text = run(tmp_path / "log", tmp_path / "out", "trail", "e6").stdout
    assert "bad\\nrow\\x1b[31m\\u202e" in text
    assert "\x1b" not in text and "\u202e" not in text
    exact = run(tmp_path / "log", tmp_path / "out", "trail", "e6", "--json").stdout
    assert "bad\\nrow\\u001b[31m\u202e" in exact


def test_a_damaged_store_is_rebuilt_or_refused_in_one_line(tmp_path: Path) -> None:
    """Bytes of the store file overwritten at many places: each command is rebuilt from the log
    (exit 0) or refused with one Error line (exit 1), never a traceback."""
    import random

    log, out, _ = built(tmp_path, 20)
    pristine = (out / "archive.sqlite").read_bytes()
    rng = random.Random(5)
    for _ in range(40):
        damaged = bytearray(pristine)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        (out / "archive.sqlite").write_bytes(bytes(damaged))
        for name in ("archive.sqlite-wal", "archive.sqlite-shm"):
            (out / name).unlink(missing_ok=True)
        result = run(log, out, "totals", "--json")
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        if result.exit_code == 1:
            one_error(result)


def test_a_final_line_of_an_unknown_version_is_refused(tmp_path: Path) -> None:
    """A complete last line that is JSON but not a record this version reads (``"v":3``) is
    not a torn tail: it is refused naming the line, never skipped."""
    story = istanbul()
    story.write(tmp_path / "log")
    path = tmp_path / "log" / "events.jsonl"
    path.write_bytes(path.read_bytes() + b'{"seq":21,"v":3,"prev":"x"}\n')
    assert "line 21" in one_error(run(tmp_path / "log", tmp_path / "out", "totals"))


def test_concurrent_first_queries_share_one_store(tmp_path: Path) -> None:
    """Four `projections totals` started at once on a fresh output directory all answer the
    same figures: the store is created once, under SQLite's write lock."""
    import subprocess
    import sys

    story = istanbul()
    story.write(tmp_path / "log")
    argv = [sys.executable, "-m", "projections", "--log", str(tmp_path / "log"), "--out",
            str(tmp_path / "out"), "totals", "--json"]  # fmt: skip
    children = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(4)]  # fmt: skip
    answers = set()
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()
        answers.add(out)
    assert len(answers) == 1


def test_inferred_attributions_are_marked_in_tables(tmp_path: Path) -> None:
    """An account or a total attributed by the maintainers' inference reads "(inferred)"."""
    story = Log()
    story.round("r1", "2025-06")
    story.transfer("r1", 24, "UA", attribution="inferred")
    story.total({"agreement": "a1"}, "2025", 50)
    story.records[-1]["data"]["source"]["attribution"] = "inferred"
    story.write(tmp_path / "log")
    rounds = run(tmp_path / "log", tmp_path / "out", "rounds").stdout
    totals = run(tmp_path / "log", tmp_path / "out", "totals").stdout
    assert "UA:24 (inferred)" in rounds
    assert "Russian MoD (inferred)" in totals


@pytest.mark.parametrize(("name", "fact_id"), [("r3", "e4"), ("istanbul", "e1"), ("e6", "e6")])
def test_trail_accepts_a_round_or_agreement_slug(tmp_path: Path, name: str, fact_id: str) -> None:
    """`projections trail` takes a fact id, a round's slug or an agreement's slug."""
    istanbul().write(tmp_path / "log")
    result = run(tmp_path / "log", tmp_path / "out", "trail", name, "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["id"] == fact_id


def test_a_reused_slug_is_one_error_line(tmp_path: Path) -> None:
    """A second round with an earlier round's slug (which eventlog refuses) is refused naming
    its line, in the same catch-up or a later one."""
    story = istanbul()
    story.round("r1", "2025-07")
    story.write(tmp_path / "log")
    assert "reuses slug 'r1'" in one_error(run(tmp_path / "log", tmp_path / "out", "totals"))
    story.write(tmp_path / "log", len(story.records) - 1)
    assert run(tmp_path / "log", tmp_path / "out", "totals").exit_code == 0
    story.write(tmp_path / "log")
    assert "reuses slug 'r1'" in one_error(run(tmp_path / "log", tmp_path / "out", "totals"))


def test_rounds_json_streamed_equals_the_whole_object(tmp_path: Path) -> None:
    """`rounds --json` of the head, written round by round, is the JSON of the whole object."""
    from projections import queries
    from projections.store import catch_up

    istanbul().write(tmp_path / "log")
    streamed = run(tmp_path / "log", tmp_path / "out", "rounds", "--json").stdout_bytes
    caught = catch_up(tmp_path / "log", tmp_path / "out")
    try:
        view = queries.rounds(caught.conn, caught.head.seq, caught.lines)
    finally:
        caught.close()
    view["head"] = {"seq": caught.head.seq, "hash": caught.head.hash}
    assert streamed == orjson.dumps(view) + b"\n"


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """A reader that stops early (`| head`) ends the command with exit 141 and no Error line."""
    import subprocess
    import sys

    story = Log()
    for n in range(3000):
        story.round(f"r{n}", "2025-06-01", label="x" * 100)
    story.write(tmp_path / "log")
    argv = [sys.executable, "-m", "projections", "--log", str(tmp_path / "log"), "--out",
            str(tmp_path / "out"), "rounds", "--json"]  # fmt: skip
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.read(10) == b'{"known_at'
    child.stdout.close()
    assert child.wait(timeout=120) == 141
    assert child.stderr.read() == b""
    child.stderr.close()
