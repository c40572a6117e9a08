"""``verify`` on more than one core: the per-line checks in worker processes.

The chain, the seq and the rules that depend on earlier events (ids, slugs,
references, corrections) are sequential, and stay in the main process. The checks
that look at one line alone, the schema and the dates-not-after-recording rule (more
than half of ``verify``'s time), run in worker processes over byte ranges of the log
at the same time. The main pass runs the sequential checks on lines it has not yet
seen validated; the first failure of either side wins, in the same order as the
sequential ``verify`` would report it on one line: envelope and chain, then schema,
then dates, then the other rules.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from eventlog.codec import upcast
from eventlog.events import FACT_DATA, SUBMISSION, CorrectionData, RetractionData
from eventlog.reader import scan_lines
from eventlog.rules import RuleError, check_dates

DATA_MODELS: dict[str, type[BaseModel]] = {
    **FACT_DATA, "fact.corrected": CorrectionData, "fact.retracted": RetractionData}
"""A known type's data is validated by its own model: the same schema as the discriminated
union, without building the submission around it (a quarter of the validation's cost)."""
VALIDATE = {name: model.__pydantic_validator__.validate_python
           for name, model in DATA_MODELS.items()}
"""``model.model_validate`` without its Python wrapper: the same validator, the same errors."""

POOL_FROM = 32 * 1024 * 1024
"""Logs smaller than this (bytes) are verified in one process: starting workers costs more."""
_CHUNK = 4 * 1024 * 1024

ENVELOPE, SCHEMA, DATES, RULES = range(4)
"""The order in which one line's checks run (and so which failure a line reports)."""

Failure = tuple[int, int, str]
"""``(line number, kind, message)``."""


def schema_error(record: dict[str, Any]) -> str | None:
    """The message ``verify`` gives for a record's data failing its schema, or None."""
    validate = VALIDATE.get(record["type"])
    try:
        if validate is None:  # an unknown type: the union names the error
            SUBMISSION.validate_python({"type": record["type"], "data": record["data"]})
        else:
            validate(record["data"])
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][1:] if validate is None else ("data", *err["loc"])
        return f"invalid event: {'.'.join(str(p) for p in loc)}: {err['msg']}"
    return None


def _check_range(path: str, start: int, end: int) -> tuple[int, Failure | None]:
    """Lines in ``[start, end)``: their count and the first one's schema or date failure
    (its number counted from 1 within the range). Lines whose envelope cannot be read are
    skipped: the main pass reports them."""
    count = 0
    for line, _ in scan_lines(Path(path), start, end):
        count += 1
        try:
            record = upcast(orjson.loads(line))
            data, recorded_on = record["data"], record["recorded_at"][:10]
            if type(data) is not dict or type(recorded_on) is not str:
                continue
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        message = schema_error(record)
        if message is not None:
            return count, (count, SCHEMA, message)
        try:
            check_dates(data, recorded_on)
        except RuleError as exc:
            return count, (count, DATES, f"breaks a rule: {exc}")
    return count, None


def _bounds(fd: int, stop: int, parts: int) -> list[int]:
    """Offsets just past a newline cutting ``[0, stop)`` into about ``parts`` ranges."""
    cuts = [0]
    for k in range(1, parts):
        at = max(stop * k // parts, cuts[-1])
        while at < stop:
            block = os.pread(fd, 65536, at)
            nl = block.find(b"\n")
            if nl >= 0:
                at += nl + 1
                break
            at += len(block)
        if cuts[-1] < at < stop:
            cuts.append(at)
    cuts.append(stop)
    return cuts


class Checks:
    """The per-line checks of ``[0, stop)`` running in worker processes."""

    def __init__(self, pool: ProcessPoolExecutor, path: Path, fd: int, stop: int) -> None:
        cuts = _bounds(fd, stop, max(1, stop // _CHUNK))
        self.futures: list[Future[tuple[int, Failure | None]]] = [
            pool.submit(_check_range, str(path), a, b) for a, b in pairwise(cuts)]

    def first_failure(self, before: int | None) -> Failure | None:
        """The first failing line, looking no further than line ``before`` (None: all)."""
        seen = 0
        for n, future in enumerate(self.futures):
            if before is not None and seen >= before:
                for rest in self.futures[n:]:
                    rest.cancel()
                return None
            count, failure = future.result()
            if failure is not None:
                return (seen + failure[0], failure[1], failure[2])
            seen += count
        return None


@contextmanager
def workers() -> Iterator[ProcessPoolExecutor | None]:
    """A pool of worker processes, or None on one core (the main pass does everything)."""
    count = (os.cpu_count() or 1) - 1
    if count < 1:
        yield None
        return
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
