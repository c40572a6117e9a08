"""Fixtures of the projections tests: the Istanbul story in memory and on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from projection_logs import Log, istanbul


@pytest.fixture
def story() -> Log:
    """The Istanbul repatriation story (see ``istanbul``)."""
    return istanbul()


@pytest.fixture
def story_log(tmp_path: Path, story: Log) -> Iterator[Path]:
    """The Istanbul story written as a log directory."""
    log_dir = tmp_path / "log"
    story.write(log_dir)
    yield log_dir
