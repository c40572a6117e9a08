"""Helpers of the transparency-log tests (a module of its own name: every test folder has a
``conftest``, so importing from ``conftest`` could find another folder's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eventlog.store import append

ORIGIN = "repatriation-archive.example/log"


def agreements(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` valid submissions (agreements) numbered from ``start``."""
    return [
        {
            "type": "agreement.recorded",
            "data": {
                "agreement": f"agr-{n}",
                "title": f"Talks {n}",
                "source": {"attributed_to": "Coordination Headquarters", "party": "UA"},
            },
        }
        for n in range(start, start + count)
    ]


def add_events(log_dir: Path, start: int, count: int) -> None:
    append(log_dir, agreements(start, count), by="tester")


def log_lines(log_dir: Path) -> list[bytes]:
    return (log_dir / "events.jsonl").read_bytes().split(b"\n")[:-1]
