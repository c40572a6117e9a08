"""Fixtures of the transparency-log tests: a log with an origin, a signing key, a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from eventlog.checkpoints import set_origin, write_key
from eventlog.cli import main
from eventlog.note import Signer
from eventlog.store import append, init_log

ORIGIN = "repatriation-archive.example/log"


def agreements(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` valid submissions (agreements) numbered from ``start``."""
    return [{"type": "agreement.recorded",
             "data": {"agreement": f"agr-{n}", "title": f"Talks {n}",
                      "source": {"attributed_to": "Coordination Headquarters", "party": "UA"}}}
            for n in range(start, start + count)]


def add_events(log_dir: Path, start: int, count: int) -> None:
    append(log_dir, agreements(start, count), by="tester")


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


def log_lines(log_dir: Path) -> list[bytes]:
    return (log_dir / "events.jsonl").read_bytes().split(b"\n")[:-1]
