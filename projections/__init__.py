"""The read side of the archive: pure folds of the event log, and what is derived from them."""

from projections.errors import (
    CorruptCheckpoint,
    DanglingTarget,
    InvalidDate,
    InvalidKnownAt,
    OutputUnavailable,
    ProjectionError,
    RebuildLocked,
    StaleCheckpoint,
    UnknownFact,
)
from projections.state import apply, fold, new_state
from projections.timeaxes import KnownAt, parse_date, parse_known_at

__all__ = [
    "CorruptCheckpoint",
    "DanglingTarget",
    "InvalidDate",
    "InvalidKnownAt",
    "KnownAt",
    "OutputUnavailable",
    "ProjectionError",
    "RebuildLocked",
    "StaleCheckpoint",
    "UnknownFact",
    "apply",
    "fold",
    "new_state",
    "parse_date",
    "parse_known_at",
]
