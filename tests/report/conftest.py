"""Fixtures of the report tests: a copy of the real archive and a log of hostile text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_site import HOSTILE, REPO, hostile_events

from eventlog import store


@pytest.fixture
def archive_log(tmp_path: Path) -> Path:
    """A copy of the archive in ``log/``."""
    target = tmp_path / "log"
    target.mkdir()
    shutil.copyfile(REPO / "log" / "events.jsonl", target / "events.jsonl")
    return target


@pytest.fixture
def hostile_log(tmp_path: Path) -> Path:
    """A log appended through ``eventlog`` whose every free text is hostile."""
    target = tmp_path / "hostile-log"
    target.mkdir()
    store.append(target, hostile_events(), by=f"{HOSTILE} by")
    return target
