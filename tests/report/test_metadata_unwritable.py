"""OUT/metadata.json that cannot be written: one Error line naming it, and no staging file left."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_site import run


@pytest.mark.parametrize("command", ["report", "rebuild"])
def test_a_directory_in_metadatas_place_is_one_error_and_no_litter(
    archive_log: Path, tmp_path: Path, command: str
) -> None:
    """A directory at OUT/metadata.json: exit 1, one Error line naming it, nothing left over."""
    out = tmp_path / "out"
    (out / "metadata.json").mkdir(parents=True)
    result = run("--log", str(archive_log), "--out", str(out), command)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {out / 'metadata.json'}: is a directory (a file is written there; remove it)\n"
    )
    assert [p.name for p in out.glob(".metadata.json*")] == []
    assert (out / "metadata.json").is_dir()
    assert not (out / "site").exists()
