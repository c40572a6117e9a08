"""Reading submitted events from bytes: one JSON object, a JSON array, or JSON lines.

Parsing input is library work, so that the command line only parses options and
any caller gets the same errors, each naming the input line at fault.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson

from eventlog.codec import MAX_LINE
from eventlog.errors import InvalidEvent
from eventlog.inputs import TooLarge, read_stream, size_words

LARGE_BATCH_EVENTS = 10_000
"""A batch of more events than this needs an explicit yes (``--yes``) to be appended."""
LARGE_BATCH_BYTES = 16 * 1024 * 1024
"""Nor may the input exceed 16 MiB without one."""
MAX_BATCH_BYTES = 1024 * 1024 * 1024
"""No input may exceed 1 GiB, even with ``--yes``: it is refused while being read."""


def read_batch(stream: BinaryIO, confirmed: bool) -> bytes:
    """The submitted input, read in chunks up to its bound; raises ``InvalidEvent`` beyond.

    Unconfirmed, the bound is ``LARGE_BATCH_BYTES`` (over it needs ``--yes`` anyway);
    confirmed (``--yes`` or ``--dry-run``), ``MAX_BATCH_BYTES``.
    """
    limit = MAX_BATCH_BYTES if confirmed else LARGE_BATCH_BYTES
    try:
        return read_stream(stream, limit)
    except TooLarge:
        if confirmed:
            raise InvalidEvent(
                f"the input is over {size_words(MAX_BATCH_BYTES)}, the limit "
                "for one batch even with --yes: split it"
            ) from None
        raise InvalidEvent(
            f"the input is over {size_words(LARGE_BATCH_BYTES)}: check it "
            "with --dry-run, then append it with --yes"
        ) from None


def read_submissions(raw: bytes) -> list[tuple[int, Any]]:
    """Submitted events with the input line each starts on; raises ``InvalidEvent``."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw.count(b"\n", 0, exc.start) + 1
        raise InvalidEvent(f"line {bad_line}: not UTF-8 (bad byte at offset {exc.start})") from None
    if not raw.strip():
        raise InvalidEvent("empty batch: the input holds no event")
    try:
        whole = orjson.loads(raw)
    except orjson.JSONDecodeError:
        whole = None
    # One line over the limit is refused as such; a pretty-printed object is one
    # event whose stored (compact) line the store measures.
    if isinstance(whole, dict) and (len(raw) <= MAX_LINE or b"\n" in raw.strip()):
        return [(1, whole)]
    if isinstance(whole, list):
        return [(1, item) for item in whole]
    items = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise InvalidEvent(f"line {number}: {len(line)} bytes, over the {MAX_LINE}-byte limit")
        try:
            items.append((number, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            raise InvalidEvent(f"line {number}: malformed JSON: {exc}") from None
    return items


def is_large(count: int, size: int) -> bool:
    """Whether a batch of ``count`` events read from ``size`` bytes needs an explicit yes."""
    return count > LARGE_BATCH_EVENTS or size > LARGE_BATCH_BYTES
