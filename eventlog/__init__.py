"""eventlog: the write side of the archive, an append-only, hash-chained JSONL log.

Public API: ``append`` (store), ``verify``, ``LogReader`` and ``Position``
(reader), and the errors in ``eventlog.errors``. Attributes are imported on
first use so that the command line starts fast.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "append": "eventlog.store",
    "init_log": "eventlog.store",
    "read_tail": "eventlog.store",
    "verify": "eventlog.verify",
    "Checkpoint": "eventlog.verify",
    "LogReader": "eventlog.reader",
    "Position": "eventlog.reader",
}

__all__ = ["Checkpoint", "LogReader", "Position", "append", "init_log", "read_tail", "verify"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventlog' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
