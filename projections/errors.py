"""Every error ``projections`` raises, under one base class, each carrying its exit code.

Each carries the data a caller needs so the CLI can render one precise
``Error:`` line; library code never prints and never exits.
"""

from __future__ import annotations

import errno


class ProjectionError(Exception):
    """Base class of every error raised by ``projections``."""

    exit_code = 1


class InvalidKnownAt(ProjectionError):
    """``--known-at`` is neither a seq nor a UTC timestamp."""

    exit_code = 2

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"--known-at {value!r}: expected a seq (e.g. 42) or a UTC timestamp "
            "(e.g. 2025-06-16T10:00:00Z), ASCII digits only"
        )


class InvalidDate(ProjectionError):
    """A date (``--as-of``) is not YYYY, YYYY-MM, YYYY-MM-DD or START/END on the calendar."""

    exit_code = 2

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"date {value!r}: expected YYYY, YYYY-MM, YYYY-MM-DD or START/END "
            "(ASCII digits, a real calendar date, start not after end)"
        )


class UnknownFact(ProjectionError):
    """No fact with this id (or round or agreement slug) had been recorded at that moment."""

    def __init__(self, fact_id: str, seq: int) -> None:
        self.fact_id = fact_id
        self.seq = seq
        super().__init__(f"no fact, round or agreement {fact_id!r} in the log up to seq {seq}")


class DanglingTarget(ProjectionError):
    """A correction or retraction names a fact the log does not hold before it."""

    def __init__(self, seq: int, target: str) -> None:
        self.seq = seq
        self.target = target
        super().__init__(f"seq {seq}: correction or retraction of unknown fact {target!r}")


class BrokenLog(ProjectionError):
    """A line of the log does not continue the chain (or cannot be read as a record)."""

    def __init__(self, line: int, seq: int | None, reason: str) -> None:
        self.line = line
        self.seq = seq
        self.reason = reason
        at = f"line {line}" + (f" (seq {seq})" if seq is not None else "")
        super().__init__(f"log {at}: {reason}; nothing was changed")


class StoreMismatch(ProjectionError):
    """The store does not belong to this log, or the log no longer holds the store's head."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{path}: {reason}; nothing was changed (if the log was replaced on purpose, "
            "rerun `projections rebuild --full`)"
        )


class RebuildLocked(ProjectionError):
    """Another rebuild holds the lock on the output directory."""

    exit_code = 4

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"another rebuild is running (lock {path} is held)")


class OutputUnavailable(ProjectionError):
    """The output directory or the store cannot be created, read or written."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    @classmethod
    def of(cls, exc: OSError, default: object) -> OutputUnavailable:
        """The error naming the file at fault: a rename's target, else the file opened,
        else ``default`` (the output directory)."""
        path = exc.filename2 or exc.filename or default
        if exc.errno == errno.ELOOP:  # opened with O_NOFOLLOW
            return cls(str(path), "is a symbolic link (refused; remove it)")
        if exc.errno == errno.EISDIR:
            return cls(str(path), "is a directory (a file is written there; remove it)")
        return cls(str(path), exc.strerror or str(exc))


class StoreDamaged(ProjectionError):
    """A row of the store holds what no valid store can (a negative offset, say)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the store is damaged: {reason}; rerun `projections rebuild --full`")
