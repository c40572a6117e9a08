"""Small display fixes: years as written in `sources check`, `show`'s columns sized to content."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from eventlog.sources import shown_number, written_numbers

Run = Callable[..., Result]


def test_a_year_is_shown_as_written() -> None:
    """2025 written plainly is a year: shown 2025, while 6057 and 6 057 show as 6,057."""
    found = written_numbers("In 2025, 6057 and 6\u00a0057 bodies; 12000 in all.")
    assert [shown_number(n, w) for n, w in found] == ["2025", "6,057", "6,057", "12,000"]


def test_sources_check_lists_a_year_as_written(seeded: Path, cli: Run, tmp_path: Path) -> None:
    """`sources check` lists the year 2025 of a document as 2025, not 2,025."""
    text = tmp_path / "doc.txt"
    text.write_text("On 16 June 2025 Ukraine received 6,057 bodies.\n", encoding="utf-8")
    assert (
        cli(
            "source", "add", str(text), "--slug", "doc-1", "--outlet", "Reuters", "--keep"
        ).exit_code
        == 0
    )
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "doc.txt").write_bytes(text.read_bytes())
    result = cli("sources", "check", str(shelf))
    assert result.exit_code == 0, result.output
    assert "  numbers no fact quotes: 16, 2025, 6,057" in result.stdout.splitlines()


def test_show_sizes_the_id_column_to_the_longest_id(log_dir: Path, cli: Run) -> None:
    """A generated 32-character id does not push its summary out of the SUMMARY column."""
    note = (
        '{"type": "note.recorded", "data": {"text": "still ongoing", '
        '"source": {"attributed_to": "X", "party": "UA"}}}'
    )
    assert cli("append", input=note).exit_code == 0
    other = note.replace("still ongoing", "not over yet")
    assert cli("append", input='{"id": "n-2", ' + other[1:]).exit_code == 0
    lines = cli("show").stdout.splitlines()
    column = lines[0].index("SUMMARY")
    generated = lines[1].split()[3]
    assert len(generated) == 32
    assert lines[0].index("ID") == lines[1].index(generated) == lines[2].index("n-2")
    assert [line[column:] for line in lines[1:]] == ["still ongoing  [X]", "not over yet  [X]"]
