"""The checkpoint a rebuild resumes from: the fold state, saved and loaded fast.

The state is written as length-prefixed marshal blocks (plain containers only),
inside the generation it produced, beside ``checkpoint.json`` (format, codec,
seq, byte offset and hash of the last folded line).
"""

from __future__ import annotations

import marshal
import os
import sys
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from eventlog.reader import Position
from projections.errors import CorruptCheckpoint
from projections.facts import State, reindex

FORMAT = 4
"""Version of the checkpoint and output layout; a different one forces a full rebuild."""
STATE_CODEC = f"marshal-{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}"
"""The saved state is marshalled (fast for plain containers); another Python rebuilds fully."""


CHUNKED = ("facts", "steps")
"""The big dicts of the state, saved in chunks so that no copy of them is ever whole."""
DERIVED = ("members", "rounds")
"""Indexes of the facts, rebuilt on load (``projections.facts.reindex``), never saved."""
STATE_CHUNK = 8192


def _put(handle: Any, obj: Any) -> None:
    data = marshal.dumps(obj)
    handle.write(len(data).to_bytes(8, "little") + data)


def _get(handle: Any) -> Any:
    # marshal.load on a file reads object by object through Python: length-prefixed
    # blocks read whole and given to marshal.loads load about ten times faster
    size = int.from_bytes(handle.read(8), "little")
    if size > os.fstat(handle.fileno()).st_size:
        raise EOFError("state.marshal is truncated")
    data = handle.read(size)
    if len(data) != size:
        raise EOFError("state.marshal is truncated")
    return marshal.loads(data)


def save_state(path: Path, state: State) -> None:
    """Marshal the state: its small part, then each big dict as lists of items."""
    with open(path, "wb") as handle:
        _put(handle, {k: v for k, v in state.items() if k not in CHUNKED + DERIVED})
        for key in CHUNKED:
            _put(handle, len(state[key]))
            items = iter(state[key].items())
            while chunk := list(islice(items, STATE_CHUNK)):
                _put(handle, chunk)


def load_state(path: Path) -> State:
    """Read a state written by ``save_state``."""
    with open(path, "rb") as handle:
        state: State = _get(handle)
        for key in CHUNKED:
            size = _get(handle)
            held: dict[Any, Any] = {}
            while len(held) < size:
                chunk = _get(handle)
                if not chunk:
                    raise ValueError("short chunk")
                held.update(chunk)
            state[key] = held
        if handle.read(1):
            raise ValueError("trailing bytes")
    reindex(state)
    return state


def load_checkpoint(generation: Path) -> tuple[State, Position] | None:
    """The fold state and log position saved with a generation (None: other format)."""
    path = generation / "checkpoint.json"
    try:
        meta = orjson.loads(path.read_bytes())
        if meta.get("format") != FORMAT or meta.get("codec") != STATE_CODEC:
            return None
        position = Position(meta["seq"], meta["offset"], meta["hash"])
        state = load_state(generation / "state.marshal")
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise CorruptCheckpoint(str(path), str(exc) or type(exc).__name__) from None
    if state.get("seq") != position.seq:
        raise CorruptCheckpoint(str(path), "state and position disagree")
    return state, position
