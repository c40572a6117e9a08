"""Fixtures of the eventlog tests: an empty or seeded log, a CLI runner, a rejection check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from eventlog.cli import main
from eventlog.store import append, init_log

UA_SOURCE = {"attributed_to": "Coordination Headquarters", "party": "UA"}
RU_SOURCE = {"attributed_to": "Russian Defence Ministry", "party": "RU", "outlet": "Reuters"}

SEED: list[dict[str, Any]] = [
    {
        "id": "agr-istanbul",
        "type": "agreement.recorded",
        "data": {"agreement": "istanbul-2025", "title": "Istanbul talks", "source": UA_SOURCE},
    },
    {
        "id": "rnd-june",
        "type": "round.recorded",
        "data": {
            "round": "june-2025",
            "occurred_on": "2025-06-16",
            "agreement": "istanbul-2025",
            "source": UA_SOURCE,
        },
    },
    {
        "id": "tr-ua",
        "type": "transfer.reported",
        "data": {
            "round": "june-2025",
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "count": {"value": 6057, "qualifier": "exact"},
            "source": UA_SOURCE,
        },
    },
    {
        "id": "tr-ru",
        "type": "transfer.reported",
        "data": {
            "round": "june-2025",
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "count": {"value": 6060, "qualifier": "exact"},
            "source": RU_SOURCE,
        },
    },
    {
        "id": "note-wrong",
        "type": "note.recorded",
        "data": {"text": "exchange cancelled", "round": "june-2025", "source": RU_SOURCE},
    },
    {
        "id": "ret-note",
        "type": "fact.retracted",
        "data": {"target": "note-wrong", "reason": "misattributed"},
    },
    {
        "id": "offer-1",
        "type": "offer.reported",
        "data": {
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "as_of": "2025-06",
            "count": {"value": 2239, "qualifier": "exact"},
            "source": RU_SOURCE,
        },
    },
]
"""A small valid log: an agreement, a round, two accounts of one transfer, a retracted
note and an offer. Ids are fixed so that tests can correct and retract them."""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's log location or a crash failpoint from the environment."""
    monkeypatch.setenv("EVENTLOG_USER", "tester")
    monkeypatch.delenv("EVENTLOG_DIR", raising=False)
    monkeypatch.delenv("EVENTLOG_FAILPOINT", raising=False)


@pytest.fixture
def seed() -> list[dict[str, Any]]:
    """The SEED events, as submitted."""
    return SEED


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """An initialized, empty log directory."""
    directory = tmp_path / "log"
    init_log(directory)
    return directory


@pytest.fixture
def seeded(log_dir: Path) -> Path:
    """A log directory holding the SEED events (seq 1..7)."""
    append(log_dir, SEED, by="seeder")
    return log_dir


@pytest.fixture
def log_file(log_dir: Path) -> Path:
    """The events file of ``log_dir``."""
    return log_dir / "events.jsonl"


@pytest.fixture
def cli(log_dir: Path) -> Callable[..., Result]:
    """Run ``eventlog --log <log_dir> ARGS...`` in-process, stdout and stderr kept apart."""
    runner = CliRunner()

    def run(*args: str, input: bytes | str | None = None) -> Result:
        return runner.invoke(main, ["--log", str(log_dir), *args], input=input)

    return run


@pytest.fixture
def rejected(seeded: Path) -> Callable[..., None]:
    """Check a result is a clean rejection and that the seeded log's bytes did not change."""
    path = seeded / "events.jsonl"
    before = path.read_bytes()

    def check(result: Result, expected_prefix: str, *fragments: str) -> None:
        assert isinstance(result.exception, SystemExit), result.exception  # no traceback
        assert result.exit_code == 1
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: ")
        assert lines[0].startswith(expected_prefix), lines[0]
        for fragment in fragments:
            assert fragment in lines[0]
        assert "Traceback" not in result.output
        assert before == path.read_bytes()
        assert not (seeded / "quarantine").exists()

    return check
