"""Shared helpers of the reliability suites: the soak switch, sample events, CLI runners.

``EVENTLOG_SOAK=10 pytest tests/reliability`` multiplies every iteration count
by ten (kill loops, failpoint rounds, fuzz examples, concurrent appends).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from eventlog.reader import log_file
from eventlog.store import append, init_log

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_child.py"
SOURCE = {"attributed_to": "Ukrainian Coordination Headquarters", "party": "UA"}


def soak_factor() -> int:
    """The ``EVENTLOG_SOAK`` multiplier (1 in the normal run)."""
    raw = os.environ.get("EVENTLOG_SOAK", "1")
    try:
        return max(1, int(raw))
    except ValueError:
        raise pytest.UsageError(f"EVENTLOG_SOAK must be an integer, got {raw!r}") from None


def scaled(count: int) -> int:
    """An iteration count at the current soak scale."""
    return count * soak_factor()


def agreement(slug: str, event_id: str | None = None) -> dict[str, Any]:
    """A valid ``agreement.recorded`` submission."""
    event: dict[str, Any] = {
        "type": "agreement.recorded",
        "data": {
            "agreement": slug,
            "title": f"Agreement {slug}",
            "concluded_on": "2025-06-02",
            "source": SOURCE,
        },
    }
    if event_id:
        event["id"] = event_id
    return event


def round_(
    slug: str, agreement_slug: str | None = None, event_id: str | None = None
) -> dict[str, Any]:
    """A valid ``round.recorded`` submission."""
    data: dict[str, Any] = {"round": slug, "occurred_on": "2025-06-16", "source": SOURCE}
    if agreement_slug:
        data["agreement"] = agreement_slug
    event: dict[str, Any] = {"type": "round.recorded", "data": data}
    if event_id:
        event["id"] = event_id
    return event


def transfer(round_slug: str, value: int, event_id: str | None = None) -> dict[str, Any]:
    """A valid ``transfer.reported`` submission (bodies, RU to UA)."""
    event: dict[str, Any] = {
        "type": "transfer.reported",
        "data": {
            "round": round_slug,
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "count": {"value": value, "qualifier": "exact"},
            "source": SOURCE,
        },
    }
    if event_id:
        event["id"] = event_id
    return event


def note(text: str, event_id: str | None = None) -> dict[str, Any]:
    """A valid ``note.recorded`` submission: needs no earlier event."""
    event: dict[str, Any] = {"type": "note.recorded", "data": {"text": text, "source": SOURCE}}
    if event_id:
        event["id"] = event_id
    return event


def seed(log_dir: Path) -> list[dict[str, Any]]:
    """Fill a fresh log with an agreement, a round, two transfers and a note; return them."""
    init_log(log_dir)
    events = [
        agreement("istanbul-2025", "agr-1"),
        round_("r-2025-06", "istanbul-2025", "rnd-1"),
        transfer("r-2025-06", 1212, "tr-1"),
        transfer("r-2025-06", 27, "tr-2"),
        note("the exchange of prisoners is still ongoing", "note-1"),
    ]
    append(log_dir, events, by="seed")
    return events


def log_bytes(log_dir: Path) -> bytes:
    """The exact bytes of the log file."""
    return log_file(log_dir).read_bytes()


def cli(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``eventlog`` CLI in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if k != "EVENTLOG_FAILPOINT"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "eventlog.cli", *args],
        input=input,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A fresh, empty log directory."""
    path = tmp_path / "log"
    init_log(path)
    return path


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A log directory holding the five ``seed`` events."""
    path = tmp_path / "log"
    seed(path)
    return path
