"""The append index's ``duplicate_of``: a digest per current fact, checked against the log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eventlog.index import Index, fact_digest
from eventlog.reader import LogReader, log_file
from eventlog.store import append
from reliability.conftest import SOURCE


def _lookup(log: Path, event_type: str, data: dict[str, Any]) -> str | None:
    fd = os.open(log_file(log), os.O_RDONLY)
    index = Index(log, fd)
    try:
        return index.duplicate_of(event_type, fact_digest(event_type, data))
    finally:
        index.close()
        os.close(fd)


def test_duplicate_of_finds_current_facts_only(seeded: Path) -> None:
    """A fact is found by its digest; after a correction by its new data; never once retracted."""
    current = {r["id"]: r for r in LogReader(seeded)}
    original = current["tr-1"]["data"]
    assert _lookup(seeded, "transfer.reported", original) == "tr-1"
    assert _lookup(seeded, "note.recorded", original) is None
    append(
        seeded,
        [
            {
                "type": "fact.corrected",
                "data": {
                    "target": "tr-1",
                    "changes": {"count": {"value": 1213}},
                    "reason": "r",
                    "source": SOURCE,
                },
            }
        ],
    )
    corrected = {**original, "count": {"value": 1213, "qualifier": "exact"}}
    assert _lookup(seeded, "transfer.reported", original) is None
    assert _lookup(seeded, "transfer.reported", corrected) == "tr-1"
    append(seeded, [{"type": "fact.retracted", "data": {"target": "tr-1", "reason": "r"}}])
    assert _lookup(seeded, "transfer.reported", corrected) is None


def test_duplicate_of_survives_a_rebuild_of_the_index(seeded: Path) -> None:
    """A rebuilt index answers as the incrementally kept one did."""
    data = {r["id"]: r for r in LogReader(seeded)}["note-1"]["data"]
    (seeded / ".index.sqlite").unlink()
    for extra in ("-wal", "-shm"):
        Path(f"{seeded}/.index.sqlite{extra}").unlink(missing_ok=True)
    append(seeded, [{"type": "note.recorded", "data": {"text": "t", "source": SOURCE}}])
    assert _lookup(seeded, "note.recorded", data) == "note-1"
