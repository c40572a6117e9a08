"""The one codec: a stored record to its JSONL line and back, with upcasting.

A stored line is compact JSON with its keys in this order::

    {"seq":1,"id":"...","type":"...","v":2,"data":{...},
     "recorded_at":"2025-06-16T10:00:00.000000Z","recorded_by":"...","prev":"<64 hex>"}

``prev`` is the SHA-256 hex digest of the previous line's exact bytes without
its newline (64 zeros for the first line). Older schema versions are upcast on
read; the log itself is never rewritten.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import orjson

from eventlog import catalog
from eventlog.events import SCHEMA_VERSION

Record = dict[str, Any]
"""A decoded stored event: plain JSON values, upcast to the current schema."""

GENESIS = "0" * 64
MAX_LINE = 64 * 1024
"""Largest line (bytes, without newline) the store accepts."""

RECORD_KEYS = ("seq", "id", "type", "v", "data", "recorded_at", "recorded_by", "prev")
_TIMESTAMP_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")


def line_hash(line: bytes) -> str:
    """SHA-256 hex of a line's bytes without its newline: the next line's ``prev``."""
    return hashlib.sha256(line).hexdigest()


def encode(record: Record) -> bytes:
    """The record's line, without the newline; keys in the canonical order."""
    return orjson.dumps({key: record[key] for key in RECORD_KEYS})


MAX_DEPTH = 255
"""The deepest nesting of arrays and objects the codec writes or reads (orjson's own)."""


def data_json(data: dict[str, Any]) -> bytes:
    """An event's data as spliced into its line: compact JSON, an exact-size copy.

    orjson returns its whole output buffer (about 4 KiB) as the bytes object; a batch
    keeps one per event. Raises ``TypeError`` for an integer over 64 bits and
    ``ValueError`` for nesting deeper than ``MAX_DEPTH``; ``unencodable`` words both.
    """
    try:
        return bytes(memoryview(orjson.dumps(data)))
    except orjson.JSONEncodeError as exc:
        if "recursion" in str(exc).lower() or "depth" in str(exc).lower():
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
        raise TypeError(str(exc)) from None


def unencodable(exc: Exception) -> str:
    """Why a value cannot be stored, in words (from ``data_json`` or the models' dump)."""
    text = str(exc).lower()
    if "depth" in text or "recursion" in text or "nested" in text:
        return f"values are nested deeper than {MAX_DEPTH} levels"
    return "integers must fit in 64 bits"


class LineBuilder:
    """Builds the stored lines of one batch: ``encode``'s bytes, spliced from their parts.

    Every line of a batch shares its version, ``recorded_at`` and ``recorded_by``; those
    are dumped once, and the data's JSON from validation is reused rather than dumped
    again. ``tests/eventlog/test_codec_splice.py`` checks the result is byte for byte
    what ``encode`` writes of the same record.
    """

    def __init__(self, recorded_at: str, recorded_by: str) -> None:
        self._types: dict[str, bytes] = {}
        self._middle = b',"v":%d,"data":' % SCHEMA_VERSION
        self._suffix = (
            b',"recorded_at":'
            + orjson.dumps(recorded_at)
            + b',"recorded_by":'
            + orjson.dumps(recorded_by)
            + b',"prev":"'
        )

    def line(self, seq: int, event_id: str, event_type: str, data_json: bytes, prev: str) -> bytes:
        """The line (without newline) of one event; ``data_json`` is ``orjson.dumps(data)``."""
        kind = self._types.get(event_type)
        if kind is None:
            kind = self._types[event_type] = orjson.dumps(event_type)
        return b"".join(
            (
                b'{"seq":%d,"id":' % seq,
                orjson.dumps(event_id),
                b',"type":',
                kind,
                self._middle,
                data_json,
                self._suffix,
                prev.encode("ascii"),
                b'"}',
            )
        )


_PREV_TAIL = len('"prev":"') + 64 + 2


def prev_of(line: bytes) -> str | None:
    """The ``prev`` a line in the store's layout ends with, without parsing the line.

    Only the layout is checked: callers compare the result with a line hash, which
    nothing but 64 lowercase hex digits can equal.
    """
    if line[-_PREV_TAIL - 1 : -66] == b',"prev":"' and line.endswith(b'"}'):
        return line[-66:-2].decode("ascii", "replace")
    return None


def parses(line: bytes) -> bool:
    """Whether a line is JSON of any kind (at most ``MAX_LINE`` bytes).

    This decides what a torn tail is: bytes after the last line that parses may be
    left by a crash; a line that parses but cannot be read as a record is damage.
    """
    if len(line) > MAX_LINE:
        return False
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def decode(line: bytes) -> Record:
    """Parse one stored line and upcast it to the current schema version.

    Raises ``orjson.JSONDecodeError`` (a ``ValueError``) on bad JSON and
    ``ValueError`` on a record that is not an object with a known version.
    """
    record: Record = orjson.loads(line)
    if type(record) is not dict:
        raise ValueError("a stored line must be a JSON object")
    version = record.get("v")
    if version != SCHEMA_VERSION:
        record = upcast(record)
    return record


def check_envelope(record: Record) -> None:
    """Check the fields the store adds; raises ``ValueError`` naming the first bad one."""
    if tuple(record) != RECORD_KEYS:
        missing = [k for k in RECORD_KEYS if k not in record]
        extra = [k for k in record if k not in RECORD_KEYS]
        if missing or extra:
            raise ValueError(f"record keys: missing {missing}, unexpected {extra}")
    seq = record["seq"]
    if type(seq) is not int or seq < 1:
        raise ValueError("'seq' must be a positive integer")
    for key in ("id", "type", "recorded_by"):
        if type(record[key]) is not str or not record[key]:
            raise ValueError(f"'{key}' must be a non-empty string")
    if type(record["data"]) is not dict:
        raise ValueError("'data' must be an object")
    stamp = record["recorded_at"]
    if type(stamp) is not str or not _TIMESTAMP_RE.fullmatch(stamp):
        raise ValueError("'recorded_at' must be a UTC timestamp YYYY-MM-DDTHH:MM:SS.ffffffZ")
    prev = record["prev"]
    if type(prev) is not str or not _HEX64_RE.fullmatch(prev):
        raise ValueError("'prev' must be 64 lowercase hex digits")


def well_formed(raw: Record, length: int, number: int, prev: str, stamp: str) -> bool:
    """Whether a decoded line of ``length`` bytes passes every envelope check at once.

    ``verify``'s shortcut for the common case: the current version, seq ``number``,
    ``prev`` the hash of the line before, ``recorded_at`` not before ``stamp``. It
    accepts nothing ``check_envelope`` refuses; what it does not accept goes through
    the full checks, so that every error is named as before.
    """
    if length > MAX_LINE or tuple(raw) != RECORD_KEYS:
        return False
    seq, event_id, event_type, version, data, recorded_at, recorded_by, line_prev = raw.values()
    return (
        type(seq) is int
        and seq == number
        and type(event_id) is str
        and event_id != ""
        and type(event_type) is str
        and event_type != ""
        and type(recorded_by) is str
        and recorded_by != ""
        and type(version) is int
        and version == SCHEMA_VERSION
        and type(data) is dict
        and line_prev == prev  # ``prev`` is a verified hash: 64 lowercase hex digits
        and (
            (stamp != "" and recorded_at == stamp)
            or (
                type(recorded_at) is str
                and _TIMESTAMP_RE.fullmatch(recorded_at) is not None
                and recorded_at >= stamp
            )
        )
    )


# -- upcasting ---------------------------------------------------------------

_COUNTED = catalog.FLOW_TYPES


def _upcast_v1_v2(record: Record) -> Record:
    """Version 1 stored ``count`` as a bare integer; version 2 stores a Quantity.

    A bare integer was always an exact figure, so it becomes
    ``{"value": n, "qualifier": "exact"}``; corrections of a count are upcast too.
    """
    data = dict(record["data"])
    if record["type"] in _COUNTED and type(data.get("count")) is int:
        data["count"] = {"value": data["count"], "qualifier": "exact"}
    elif record["type"] == catalog.CORRECTED and isinstance(data.get("changes"), dict):
        changes = dict(data["changes"])
        if type(changes.get("count")) is int:
            changes["count"] = {"value": changes["count"], "qualifier": "exact"}
        data["changes"] = changes
    return {**record, "data": data, "v": 2}


UPCASTERS: dict[int, Callable[[Record], Record]] = {1: _upcast_v1_v2}
"""``UPCASTERS[n]`` turns a version-n record into version n+1."""


def upcast(record: Record) -> Record:
    """Apply upcasters until the record has the current schema version."""
    version = record.get("v")
    if type(version) is not int or not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(f"unknown schema version {version!r}")
    if type(record.get("data")) is not dict:
        raise ValueError("'data' must be an object")
    while version < SCHEMA_VERSION:
        record = UPCASTERS[version](record)
        version = record["v"]
    return record
