"""Every error ``projections`` raises, under one base class.

Each carries the data a caller needs so the CLI can render one precise
``Error:`` line; library code never prints and never exits.
"""

from __future__ import annotations


class ProjectionError(Exception):
    """Base class of every error raised by ``projections``."""


class InvalidKnownAt(ProjectionError):
    """``--known-at`` is neither a seq nor a UTC timestamp."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"--known-at {value!r}: expected a seq (e.g. 42) or a UTC timestamp "
            "(e.g. 2025-06-16T10:00:00Z)"
        )


class InvalidDate(ProjectionError):
    """A date (``--as-of``) is not YYYY, YYYY-MM or YYYY-MM-DD on the calendar."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(f"date {value!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")


class UnknownFact(ProjectionError):
    """No fact with this id had been recorded (at the moment asked about)."""

    def __init__(self, fact_id: str, seq: int) -> None:
        self.fact_id = fact_id
        self.seq = seq
        super().__init__(f"no fact with id {fact_id!r} in the log up to seq {seq}")


class DanglingTarget(ProjectionError):
    """A correction or retraction names a fact the log does not hold before it."""

    def __init__(self, seq: int, target: str) -> None:
        self.seq = seq
        self.target = target
        super().__init__(f"seq {seq}: correction or retraction of unknown fact {target!r}")


class StaleCheckpoint(ProjectionError):
    """The log no longer holds the line the rebuild checkpoint names."""

    def __init__(self, seq: int, expected: str, found: str | None) -> None:
        self.seq = seq
        self.expected = expected
        self.found = found
        got = "no such line" if found is None else f"hash {found[:12]}"
        super().__init__(
            f"the log no longer holds seq {seq} with hash {expected[:12]} ({got}); "
            "rerun with --full to rebuild from the start"
        )


class CorruptCheckpoint(ProjectionError):
    """The checkpoint files of the published generation cannot be read."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"checkpoint {path}: {reason}; rerun with --full")


class RebuildLocked(ProjectionError):
    """Another rebuild holds the lock on the output directory."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"another rebuild is running (lock {path} is held)")


class OutputUnavailable(ProjectionError):
    """The output directory cannot be created or written."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")
