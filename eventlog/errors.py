"""Every error the event log raises, under one base class.

Each carries the data a caller needs (the line, the seq, what was expected)
so that the CLI can render one precise ``Error:`` line without parsing text.
"""

from __future__ import annotations


class EventLogError(Exception):
    """Base class of every error raised by ``eventlog``."""

    exit_code = 1


class InvalidEvent(EventLogError):
    """A submitted event is malformed or breaks a rule checked at append."""

    def __init__(self, message: str, *, index: int | None = None, field: str | None = None) -> None:
        self.index = index
        self.field = field
        self.reason = message
        where = []
        if index is not None:
            where.append(f"event {index}")
        if field:
            where.append(f"field '{field}'")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


class SeqConflict(EventLogError):
    """The log's last seq is not the one the caller expected (``--expect-seq``)."""

    exit_code = 3

    def __init__(self, expected: int, found: int) -> None:
        self.expected = expected
        self.found = found
        super().__init__(f"expected the log's last seq to be {expected}, found {found}")


class CorruptLog(EventLogError):
    """The stored log is damaged: a line fails to parse, validate or chain."""

    def __init__(self, message: str, *, line: int, seq: int | None = None) -> None:
        self.line = line
        self.seq = seq
        self.reason = message
        at = f"line {line}" + (f" (seq {seq})" if seq is not None else "")
        super().__init__(f"{at}: {message}")


class CheckpointMismatch(EventLogError):
    """The log no longer holds the line a checkpoint names."""

    def __init__(self, seq: int, expected: str, found: str | None) -> None:
        self.seq = seq
        self.expected = expected
        self.found = found
        got = "no such line" if found is None else f"hash {found}"
        super().__init__(f"checkpoint seq {seq}: expected hash {expected}, the log has {got}")


class LogNotFound(EventLogError):
    """There is no event log where one was expected."""

    def __init__(self, path: str) -> None:
        import os

        self.path = path
        super().__init__(
            f"no event log at {path} (looked in {os.path.abspath(path)}): "
            "choose one with --log DIR or EVENTLOG_DIR, or create one with "
            "'eventlog init'"
        )


class LogUnavailable(EventLogError):
    """The log's location cannot be used (not a directory, a symlink, not writable, disk full)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class BadNote(EventLogError):
    """A key, signed note, checkpoint or proof is malformed or not signed by the expected key."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"{what}: {reason}")


class ProofFailed(EventLogError):
    """A Merkle proof or a checkpoint does not hold; ``check`` names the check that failed."""

    def __init__(self, check: str) -> None:
        self.check = check
        super().__init__(check)


class TransparencyConfig(EventLogError):
    """The log's origin, verifier key or checkpoints are missing or conflict with a request."""

    def __init__(self, message: str) -> None:
        self.reason = message
        super().__init__(message)
