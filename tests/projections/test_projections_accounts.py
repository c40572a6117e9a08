"""The totals table shows every account of a flow, so that the accounts visibly add up."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from projection_logs import Log

from projections.cli import main


def _log(tmp_path: Path) -> Path:
    """Two rounds: June (UA's account, 2245) and 2025 (only an outlet's account, 1200)."""
    log = Log()
    log.round("june", "2025-06-10")
    log.round("later", "2025")
    log.transfer("june", 2245, "UA")
    log.transfer("later", 1200, "other", who="Reuters")
    log.write(tmp_path / "log")
    return tmp_path / "log"


def _totals_row(tmp_path: Path, *args: str) -> list[str]:
    """The header and the RU->UA row of ``projections totals``, split into cells."""
    log_dir = _log(tmp_path)
    result = CliRunner().invoke(
        main, ["--log", str(log_dir), "--out", str(tmp_path / "out"), "totals", *args]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("kind "))
    assert lines[head + 1].startswith("bodies  RU    UA")
    return [lines[head], lines[head + 1]]


def test_others_account_is_a_column(tmp_path: Path) -> None:
    """The 1,200 reported by neither party appears under 'others say' beside UA's 2245."""
    header, row = _totals_row(tmp_path)
    assert "UA says  RU says  others say  discrepant rounds" in header
    assert row.split() == [
        "bodies",
        "RU",
        "UA",
        "3445",
        "3445",
        "3445",
        "yes",
        "2",
        "2245",
        "-",
        "1200",
        "-",
    ]


def test_an_open_account_is_a_range_under_as_of(tmp_path: Path) -> None:
    """Under --as-of 2025-07 the outlet's 1200 (a round possibly done) shows 0-1200, not 0."""
    _, row = _totals_row(tmp_path, "--as-of", "2025-07")
    cells = row.split()
    assert cells[8:11] == ["2245", "-", "0-1200"]
