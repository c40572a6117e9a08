"""Reading submitted events from bytes: one JSON object, a JSON array, or JSON lines.

Parsing input is library work, so that the command line only parses options and
any caller gets the same errors, each naming the input line at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO

import orjson

from eventlog.codec import MAX_LINE
from eventlog.errors import InvalidEvent
from eventlog.inputs import TooLarge, read_regular, read_stream, size_words

LARGE_BATCH_EVENTS = 10_000
"""A batch of more events than this needs an explicit yes (``--yes``) to be appended."""
LARGE_BATCH_BYTES = 16 * 1024 * 1024
"""Nor may the input exceed 16 MiB without one."""
MAX_BATCH_BYTES = 1024 * 1024 * 1024
"""No input may exceed 1 GiB, even with ``--yes``: it is refused while being read."""


def read_batch(source: BinaryIO | str, confirmed: bool) -> bytes:
    """The submitted input, read in chunks up to its bound; raises ``InvalidEvent`` beyond.

    ``source`` is a stream (stdin) or a file's path: a regular file only, so that a FIFO
    or a device is an error at once rather than a wait. Unconfirmed, the bound is
    ``LARGE_BATCH_BYTES`` (over it needs ``--yes`` anyway); confirmed (``--yes`` or
    ``--dry-run``), ``MAX_BATCH_BYTES``.
    """
    limit = MAX_BATCH_BYTES if confirmed else LARGE_BATCH_BYTES
    try:
        if isinstance(source, str):
            return read_regular(source, limit)
        return read_stream(source, limit)
    except OSError as exc:  # name the file (read_regular's "not a regular file" does not)
        raise OSError(exc.errno, exc.strerror, exc.filename or source) from None
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


def _error_field(exc: Any) -> tuple[str, str]:
    """The field and the message of pydantic's first error, in the catalogue's words."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    if loc and "." in loc[0] and loc[0].split(".")[0].isalpha():
        loc = loc[1:]  # drop the union tag ("transfer.reported") pydantic puts first
    field = ".".join(loc).replace("from_", "from")
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "union_tag_invalid":
        field, message = "type", f"unknown event type {err['input'].get('type')!r}"
    elif err["type"] == "union_tag_not_found":
        field, message = "type", "field required"
    elif err["type"] == "missing":
        message = "field required"
    elif err["type"] == "extra_forbidden":
        message = "unexpected field"
    return field, message


Parsed = tuple[str | None, str, dict[str, Any], bytes]
"""A validated submission: ``(id, type, stored data, the stored data's JSON)``."""


def parse_submissions(items: Sequence[Any]) -> list[Parsed]:
    """Validate each submitted event against the catalogue: ``(id, type, data, its JSON)``.

    Raises ``InvalidEvent`` naming the 1-based index and field of the first bad event.
    """
    from pydantic import ValidationError  # here: the command line imports this module

    from eventlog import codec
    from eventlog.events import SUBMISSION, dump_data

    if not items:
        raise InvalidEvent("empty batch: nothing to append")
    parsed: list[Parsed] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidEvent("an event must be a JSON object", index=index)
        try:
            model = SUBMISSION.validate_python(item)
        except ValidationError as exc:
            field, message = _error_field(exc)
            raise InvalidEvent(message, index=index, field=field or None) from None
        if model.id is not None:
            if model.id in seen:
                raise InvalidEvent(
                    f"duplicate id '{model.id}' (also event {seen[model.id]})",
                    index=index,
                    field="id",
                )
            seen[model.id] = index
        try:
            data = dump_data(model.data)
            blob = codec.data_json(data)
        except (ValueError, TypeError) as exc:  # only what the codec can write
            raise InvalidEvent(
                f"a value cannot be stored: {codec.unencodable(exc)}", index=index, field="data"
            ) from None
        parsed.append((model.id, model.type, data, blob))
    return parsed
