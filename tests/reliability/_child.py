"""A child process for the crash and concurrency suites (run as a script, not collected).

``_child.py loop LOG PREFIX``: append notes (single events and small batches) for
ever, printing ``SEQ ID`` for each event only after ``append`` returned.

``_child.py worker LOG NAME COUNT``: append COUNT notes named NAME-i, as single
events, batches and ``expect_seq`` retry loops; print ``SEQ ID`` per event.
"""

from __future__ import annotations

import random
import sys

from eventlog.errors import SeqConflict
from eventlog.reader import log_file
from eventlog.store import append, read_tail

SOURCE = {"attributed_to": "child", "party": "other"}


def _note(event_id: str) -> dict[str, object]:
    return {
        "type": "note.recorded",
        "id": event_id,
        "data": {"text": f"note {event_id}", "source": SOURCE},
    }


def _fact(event_id: str, rng: random.Random) -> dict[str, object]:
    """Mostly notes; one in five a round (its slug is its id), so rounds.json moves too."""
    if rng.random() < 0.2:
        return {
            "type": "round.recorded",
            "id": event_id,
            "data": {"round": event_id, "occurred_on": "2025-06-16", "source": SOURCE},
        }
    return _note(event_id)


def _ack(results: list) -> None:  # type: ignore[type-arg]
    sys.stdout.write("".join(f"{r.seq} {r.id}\n" for r in results))
    sys.stdout.flush()


def loop(log: str, prefix: str) -> None:
    rng = random.Random()
    i = 0
    while True:
        size = 1 if rng.random() < 0.6 else rng.randint(2, 5)
        batch = [_note(f"{prefix}-{i + k}") for k in range(size)]
        i += size
        _ack(append(log, batch, by="loop"))


def worker(log: str, name: str, count: int) -> None:
    rng = random.Random(name)
    done = 0
    while done < count:
        size = min(count - done, 1 if rng.random() < 0.5 else rng.randint(2, 6))
        batch = [_fact(f"{name}-{done + k}", rng) for k in range(size)]
        if rng.random() < 0.3:
            while True:  # optimistic concurrency: read the head, append only on top of it
                try:
                    seq = read_tail(log_file(log)).position.seq
                except FileNotFoundError:
                    seq = 0  # no append has created the log yet: it is empty
                try:
                    results = append(log, batch, by=name, expect_seq=seq)
                    break
                except SeqConflict:
                    continue
        else:
            results = append(log, batch, by=name)
        _ack(results)
        done += size


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "loop":
        loop(sys.argv[2], sys.argv[3])
    elif mode == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
