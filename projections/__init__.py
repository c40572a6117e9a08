"""The read side of the archive: pure folds of the event log, and the store kept from them.

Only re-exports. The folds are imported on first use so that ``projections
--help`` does not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from projections.errors import (
    BrokenLog,
    DanglingTarget,
    InvalidDate,
    InvalidKnownAt,
    OutputUnavailable,
    ProjectionError,
    RebuildLocked,
    StoreMismatch,
    UnknownFact,
)

if TYPE_CHECKING:
    from projections.state import apply, fold, new_state
    from projections.store import catch_up
    from projections.timeaxes import KnownAt, parse_date, parse_known_at

_LAZY = {
    "apply": "projections.state",
    "fold": "projections.state",
    "new_state": "projections.state",
    "catch_up": "projections.store",
    "KnownAt": "projections.timeaxes",
    "parse_date": "projections.timeaxes",
    "parse_known_at": "projections.timeaxes",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'projections' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [
    "BrokenLog",
    "DanglingTarget",
    "InvalidDate",
    "InvalidKnownAt",
    "KnownAt",
    "OutputUnavailable",
    "ProjectionError",
    "RebuildLocked",
    "StoreMismatch",
    "UnknownFact",
    "apply",
    "catch_up",
    "fold",
    "new_state",
    "parse_date",
    "parse_known_at",
]
