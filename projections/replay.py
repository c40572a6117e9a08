"""Reading the log into a fold state: the only place queries touch the log."""

from __future__ import annotations

import os
from typing import Any

from eventlog.reader import LogReader
from projections.facts import State
from projections.state import fold
from projections.timeaxes import EVERYTHING, KnownAt
from projections.trails import trail_in


def load(log_dir: str | os.PathLike[str], known_at: KnownAt = EVERYTHING) -> State:
    """Fold the log in ``log_dir`` up to the ``known_at`` cut.

    Raises ``eventlog`` errors (``LogNotFound``, ``CorruptLog``) as they come.
    """
    return fold(LogReader(log_dir).records(), known_at=known_at)


def load_trail(
    log_dir: str | os.PathLike[str], fact_id: str, known_at: KnownAt = EVERYTHING
) -> dict[str, Any]:
    """The trail of one fact, replayed from the log up to the ``known_at`` cut.

    Raises ``UnknownFact`` and the ``eventlog`` errors.
    """
    return trail_in(LogReader(log_dir).records(), fact_id, known_at)
