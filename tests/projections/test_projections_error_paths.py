"""Errors name the file at fault: the output file, the lock, a damaged store's row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result
from projection_logs import istanbul

from projections.cli import main


def _run(log_dir: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--log", str(log_dir), "--out", str(out), *args])


def _error(result: Result) -> str:
    """The one Error line of a failed command."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def _built(tmp_path: Path) -> tuple[Path, Path]:
    log_dir, out = tmp_path / "log", tmp_path / "out"
    istanbul().write(log_dir)
    assert _run(log_dir, out, "rebuild").exit_code == 0
    return log_dir, out


def test_totals_json_a_directory_is_named(tmp_path: Path) -> None:
    """OUT/totals.json a directory: the error names OUT/totals.json, not OUT."""
    log_dir, out = _built(tmp_path)
    (out / "totals.json").unlink()
    (out / "totals.json").mkdir()
    assert _error(_run(log_dir, out, "rebuild")) == (
        f"Error: {out}/totals.json: is a directory (a file is written there; remove it)"
    )


def test_a_symlinked_lock_is_named(tmp_path: Path) -> None:
    """OUT/.lock a symlink: the error names OUT/.lock and says it is a symbolic link."""
    log_dir, out = _built(tmp_path)
    (out / ".lock").unlink()
    (out / ".lock").symlink_to("elsewhere")
    assert _error(_run(log_dir, out, "rebuild")) == (
        f"Error: {out}/.lock: is a symbolic link (refused; remove it)"
    )


def test_a_negative_offset_says_the_store_is_damaged(tmp_path: Path) -> None:
    """facts.offset = -1: every reader says the store is damaged and to rebuild --full,
    which repairs it."""
    log_dir, out = _built(tmp_path)
    with sqlite3.connect(out / "archive.sqlite") as conn:
        conn.execute("UPDATE facts SET offset = -1")
    conn.close()
    for args in (("totals",), ("trail", "e6"), ("rebuild",)):
        line = _error(_run(log_dir, out, *args))
        assert line.startswith("Error: the store is damaged: fact "), line
        assert line.endswith(
            f"points at byte -1 of {log_dir}/events.jsonl; rerun `projections rebuild --full`"
        ), line
    assert _run(log_dir, out, "rebuild", "--full").exit_code == 0
    assert _run(log_dir, out, "totals").exit_code == 0
