"""The ``projections`` command, through click's CliRunner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result
from projection_logs import istanbul

from projections.cli import main
from projections.rebuild import locked


def run(log_dir: Path, *args: str) -> Result:
    """Invoke ``projections --log log_dir args``, the store beside the log (``../out``)."""
    out = str(log_dir.parent / "out")
    return CliRunner().invoke(main, ["--log", str(log_dir), *args], env={"PROJECTIONS_OUT": out})


def as_json(log_dir: Path, *args: str) -> dict[str, Any]:
    """Invoke a command with --json and parse its one JSON object."""
    result = run(log_dir, *args, "--json")
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = orjson.loads(result.stdout)
    return parsed


def failed(result: Result, code: int) -> str:
    """Check a failure: the exit code, no stdout, one ``Error:`` line on stderr; return it."""
    assert (result.exit_code, result.stdout) == (code, "")
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_totals_json_keys(story_log: Path) -> None:
    """totals --json has the contract's keys at every level."""
    view = as_json(story_log, "totals")
    assert {"known_at", "as_of", "totals", "reported_totals", "offers"} <= set(view)
    entry = view["totals"][0]
    keys = {"kind", "from", "to", "low", "high", "best", "exact", "rounds", "by_party"}
    assert keys | {"discrepant_rounds"} <= set(entry)
    assert {"low", "high", "best", "rounds"} <= set(entry["by_party"]["UA"]) & set(
        entry["by_party"]["RU"]
    )
    reported = {
        "id",
        "kind",
        "from",
        "to",
        "scope",
        "as_of",
        "count",
        "source",
        "rounds_sum",
        "gap",
    }
    assert reported <= set(view["reported_totals"][0])
    assert {"low", "high", "best"} <= set(view["reported_totals"][0]["rounds_sum"])
    assert {"id", "kind", "from", "to", "count", "as_of", "source"} <= set(view["offers"][0])
    assert view["known_at"]["seq"] == 20


def test_rounds_json_keys(story_log: Path) -> None:
    """rounds --json has the contract's keys for rounds, flows and accounts."""
    view = as_json(story_log, "rounds")
    assert {"known_at", "as_of", "rounds"} <= set(view)
    found = view["rounds"][-1]
    assert {"round", "occurred_on", "agreement", "label", "mediators", "revisions", "flows"} <= set(
        found
    )
    flow = found["flows"][0]
    assert {"kind", "from", "to", "accounts", "low", "high", "best", "discrepancy"} <= set(flow)
    assert {"id", "count"} == set(flow["accounts"]["UA"])


def test_trail_json_keys(story_log: Path) -> None:
    """trail --json has the contract's keys for the trail and each version."""
    view = as_json(story_log, "trail", "e6")
    assert {"id", "type", "status", "versions"} <= set(view)
    keys = {"seq", "event_id", "recorded_at", "recorded_by", "action", "data", "changes", "reason"}
    assert all(keys <= set(v) for v in view["versions"])
    assert view["versions"][1]["changes"]["count"]["to"]["value"] == 3645


def test_totals_table(story_log: Path) -> None:
    """totals prints readable tables with the flow, the figures and the gap."""
    result = run(story_log, "totals")
    assert result.exit_code == 0
    assert (
        "bodies  RU    UA  6057  6057  6060  no         3       6057     6060     -           r3"
        in result.stdout
    )
    assert "Reported totals" in result.stdout
    assert "Outstanding offers" in result.stdout


def test_rounds_table(story_log: Path) -> None:
    """rounds prints one row per flow and marks discrepancies."""
    result = run(story_log, "rounds")
    assert result.exit_code == 0
    assert "UA:3645 RU:3648" in result.stdout
    assert "DIFFER" in result.stdout


def test_trail_table(story_log: Path) -> None:
    """trail prints each version with the change and the reason."""
    result = run(story_log, "trail", "e6")
    assert result.exit_code == 0
    assert "count: 3640 -> 3645" in result.stdout
    assert "typo in the HQ statement" in result.stdout


def test_known_at_before_the_correction(story_log: Path) -> None:
    """Known at seq 16, UA's sum is 6052 and the trail has one version."""
    totals = as_json(story_log, "totals", "--known-at", "16")
    assert totals["totals"][0]["by_party"]["UA"]["best"] == 6052
    assert totals["known_at"]["seq"] == 16
    assert len(as_json(story_log, "trail", "e6", "--known-at", "16")["versions"]) == 1


def test_known_at_after_the_correction(story_log: Path) -> None:
    """Known at seq 17, UA's sum is the corrected 6057."""
    totals = as_json(story_log, "totals", "--known-at", "17")
    assert totals["totals"][0]["by_party"]["UA"]["best"] == 6057


def test_known_at_a_timestamp(story_log: Path, story: Any) -> None:
    """A UTC timestamp cuts the log at what had been recorded by then."""
    stamp = story.records[15]["recorded_at"]
    totals = as_json(story_log, "totals", "--known-at", stamp)
    assert (totals["known_at"]["seq"], totals["known_at"]["recorded_at"]) == (16, stamp)


def test_as_of(story_log: Path) -> None:
    """--as-of counts only rounds that occurred by then."""
    rounds = as_json(story_log, "rounds", "--as-of", "2025-06-13")
    assert (rounds["as_of"], [r["round"] for r in rounds["rounds"]]) == ("2025-06-13", ["r4", "r1"])


def test_as_of_and_known_at_together(story_log: Path) -> None:
    """Both axes combine: as of the 16th, known at seq 16."""
    totals = as_json(story_log, "totals", "--as-of", "2025-06-16", "--known-at", "16")
    assert (totals["totals"][0]["best"], totals["reported_totals"][0]["gap"]) == (6052, 8)


def test_log_from_the_environment(story_log: Path) -> None:
    """Without --log, $EVENTLOG_DIR names the log."""
    env = {"EVENTLOG_DIR": str(story_log), "PROJECTIONS_OUT": str(story_log.parent / "out")}
    result = CliRunner().invoke(main, ["totals", "--json"], env=env)
    assert orjson.loads(result.stdout)["known_at"]["seq"] == 20


def test_queries_leave_the_log_untouched(story_log: Path) -> None:
    """Running every query leaves the log's bytes unchanged."""
    before = (story_log / "events.jsonl").read_bytes()
    for args in (["totals"], ["rounds"], ["trail", "e6"], ["totals", "--json"]):
        run(story_log, *args)
    assert (story_log / "events.jsonl").read_bytes() == before


def test_rebuild_prints_one_summary_line(story_log: Path, tmp_path: Path) -> None:
    """rebuild exits 0 with one line on stdout and nothing on stderr."""
    result = run(story_log, "rebuild", "--out", str(tmp_path / "out"))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.count("\n") == 1
    assert "store at seq 20" in result.stdout


def test_rebuild_publishes_the_totals_of_the_store(story_log: Path, tmp_path: Path) -> None:
    """totals.json beside the store equals `totals --json` (both name the head they reflect)."""
    run(story_log, "rebuild", "--out", str(tmp_path / "out"))
    published = orjson.loads((tmp_path / "out" / "totals.json").read_bytes())
    assert published == as_json(story_log, "totals")
    assert published["head"]["seq"] == 20
    assert (tmp_path / "out" / "archive.sqlite").is_file()


def test_rebuild_refuses_a_rewritten_log(story_log: Path, tmp_path: Path) -> None:
    """A store whose head the log no longer holds exits 1 with one Error line naming --full;
    the store and totals.json are unchanged, and --full rebuilds from the new log."""
    out = tmp_path / "out"
    run(story_log, "rebuild", "--out", str(out))
    before = (out / "totals.json").read_bytes(), (out / "archive.sqlite").read_bytes()
    istanbul().write(story_log, upto=5)
    line = failed(run(story_log, "rebuild", "--out", str(out)), 1)
    assert "--full" in line
    assert ((out / "totals.json").read_bytes(), (out / "archive.sqlite").read_bytes()) == before
    assert run(story_log, "rebuild", "--out", str(out), "--full").exit_code == 0
    assert orjson.loads((out / "totals.json").read_bytes())["head"]["seq"] == 5


def test_rebuild_while_locked(story_log: Path, tmp_path: Path) -> None:
    """A rebuild while another holds the lock exits 4."""
    with locked(tmp_path / "out"):
        failed(run(story_log, "rebuild", "--out", str(tmp_path / "out")), 4)


def test_missing_log(tmp_path: Path) -> None:
    """A missing log exits 1 with one Error line."""
    assert "no event log" in failed(run(tmp_path / "nolog", "totals"), 1)


def test_unknown_trail(story_log: Path) -> None:
    """A trail of an unknown id exits 1 with one Error line."""
    assert "'nope'" in failed(run(story_log, "trail", "nope"), 1)


@pytest.mark.parametrize(
    "args", [["totals", "--known-at", "soon"], ["rounds", "--as-of", "2025-13"]]
)
def test_bad_time_arguments(story_log: Path, args: list[str]) -> None:
    """A bad --known-at or --as-of exits 2 with one Error line."""
    failed(run(story_log, *args), 2)


@pytest.mark.parametrize(
    "args", [["--bogus"], ["nosuch"], ["totals", "--bogus"], ["trail"], ["--out"]]
)
def test_a_usage_error_is_one_error_line_and_a_hint(story_log: Path, args: list[str]) -> None:
    """An unknown option or command, or a missing argument: exit 2, one Error line and at
    most a hint line, as eventlog (no Usage block)."""
    result = run(story_log, *args)
    assert (result.exit_code, result.stdout) == (2, "")
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith("Error: "), result.stderr
    assert all(line.startswith("Try '") and line.endswith(" -h' for help.") for line in lines[1:])


@pytest.mark.parametrize("command", ["totals", "rounds", "trail", "rebuild"])
def test_every_command_has_help(command: str) -> None:
    """Every command documents itself in --help."""
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert main.commands[command].help
    assert "Usage:" in result.stdout


def test_help_lists_every_command_uncut_and_h_is_help() -> None:
    """The group's help shows each command's whole summary (none cut with '...'); -h is --help."""
    result = CliRunner().invoke(main, ["-h"])
    assert result.exit_code == 0, result.output
    listed = result.stdout.split("Commands:")[1]
    assert "..." not in listed
    assert all(f"  {name} " in listed for name in main.commands)


def test_help_does_not_import_the_heavy_modules() -> None:
    """--help loads neither sqlite3 nor the rebuild driver."""
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom projections.cli import main\n"
        "CliRunner().invoke(main, ['--help'])\n"
        "heavy = {'sqlite3', 'projections.rebuild', 'projections.totals', 'projections.state'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_package_reexports_resolve() -> None:
    """The package's re-exports resolve to the library's functions."""
    import projections
    from projections.state import fold

    assert projections.fold is fold
    with pytest.raises(AttributeError):
        _ = projections.nothing_here


def test_log_path_that_is_a_file_is_one_error_line(tmp_path: Path) -> None:
    """--log naming a regular file gives one Error line and exit 1, not a usage error."""
    target = tmp_path / "file"
    target.write_text("x")
    result = run(target, "totals")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {target}: not a directory\n"
    assert target.read_text() == "x"
