"""The report's CSV files: documented columns, formulas neutralised, numbers kept."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from report_site import HOSTILE, HOSTILE_PROSE, build, views

from projections.report import csvfiles


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_starts_a_formula_is_neutralised(start: str) -> None:
    """A text cell a spreadsheet would evaluate starts with an apostrophe."""
    assert csvfiles.neutral(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


def test_numbers_and_plain_text_are_unchanged() -> None:
    """Negative numbers stay numbers; ordinary text and flags are written as they are."""
    assert [csvfiles.neutral(v) for v in (-3, 6060, "Reuters", True, None)] == [
        -3, 6060, "Reuters", "yes", ""
    ]  # fmt: skip


def test_every_file_has_its_documented_header(archive_log: Path, tmp_path: Path) -> None:
    """Each CSV of the real archive's site starts with the columns COLUMNS documents."""
    site = build(archive_log, tmp_path / "out")
    for name, columns in csvfiles.COLUMNS.items():
        rows = _read(site / name)
        assert rows[0] == [c for c, _ in columns]
        assert all(len(r) == len(columns) for r in rows)


def test_rounds_csv_holds_the_stores_figures(archive_log: Path, tmp_path: Path) -> None:
    """rounds.csv has one row per round and flow, with the figures ``rounds --json`` gives."""
    site = build(archive_log, tmp_path / "out")
    _, rounds = views(archive_log, tmp_path / "out")
    expected = [
        [r["round"], f["kind"], f["from"], f["to"], str(f["best"])]
        for r in rounds["rounds"]
        for f in r["flows"]
    ]
    rows = _read(site / "rounds.csv")[1:]
    assert [[r[0], r[5], r[6], r[7], r[8]] for r in rows] == expected


def test_hostile_text_is_inert_in_every_file(hostile_log: Path, tmp_path: Path) -> None:
    """No cell of any file starts with a formula character; the hostile text is kept."""
    site = build(hostile_log, tmp_path / "out")
    seen = False
    for name in csvfiles.COLUMNS:
        for row in _read(site / name)[1:]:
            for cell in row:
                assert not cell.startswith(csvfiles.FORMULA_STARTS) or cell.lstrip("-").isdigit()
                seen = seen or HOSTILE in cell
    assert seen
    notes = _read(site / "notes.csv")
    assert notes[1][3] == HOSTILE_PROSE
    accounts = _read(site / "accounts.csv")
    assert accounts[1][-1].startswith("'=HYPERLINK(")
    assert accounts[1][-4].startswith("'+<script>")


def test_readme_documents_every_column() -> None:
    """The README lists each CSV file with every one of its columns, in order."""
    from report_site import REPO

    readme = (REPO / "README.md").read_text()
    for name, columns in csvfiles.COLUMNS.items():
        (line,) = [x for x in readme.splitlines() if x.startswith(f"- `{name}`: ")]
        positions = [line.index(f"`{c}` (") for c, _ in columns]
        assert positions == sorted(positions)
