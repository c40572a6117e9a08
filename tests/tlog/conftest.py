"""Fixtures of the transparency-log tests: a log with an origin, a signing key, a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tlog_helpers import ORIGIN, add_events

from eventlog.checkpoints import set_origin, write_key
from eventlog.cli import main
from eventlog.note import Signer
from eventlog.store import init_log


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A log of 5 events whose origin is set."""
    path = tmp_path / "log"
    init_log(path)
    set_origin(path, ORIGIN)
    add_events(path, 1, 5)
    return path


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
def key_file(tmp_path: Path, signer: Signer) -> Path:
    path = tmp_path / "archive.key"
    write_key(path, signer)
    return path


@pytest.fixture
def cli(log_dir: Path) -> Callable[..., Result]:
    """Run ``eventlog --log LOG_DIR ARGS...`` in-process."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--log", str(log_dir), *args], catch_exceptions=False)

    return run
