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

import os
import subprocess
import sys
from collections.abc import Iterator
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
    **FACT_DATA,
    "fact.corrected": CorrectionData,
    "fact.retracted": RetractionData,
}
"""A known type's data is validated by its own model: the same schema as the discriminated
union, without building the submission around it (a quarter of the validation's cost)."""
VALIDATE = {
    name: model.__pydantic_validator__.validate_python for name, model in DATA_MODELS.items()
}
"""``model.model_validate`` without its Python wrapper: the same validator, the same errors."""

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
    """The per-line checks of ``[0, stop)`` running in worker processes.

    Workers are ``python -m eventlog.verifypool`` subprocesses (not ``multiprocessing``,
    which would re-run a calling script's top level, or fork a threaded caller), each
    given every ``len(procs)``-th range and printing one result line per range. A
    range a worker did not answer for is checked in this process.
    """

    def __init__(
        self, procs: list[subprocess.Popen[bytes]], ranges: list[tuple[int, int]], path: Path
    ) -> None:
        self.procs, self.ranges, self.path = procs, ranges, path

    def _result(self, n: int) -> tuple[int, Failure | None]:
        proc = self.procs[n % len(self.procs)]
        raw = proc.stdout.readline() if proc.stdout is not None else b""
        try:
            count, failure = orjson.loads(raw)
            return int(count), None if failure is None else (
                int(failure[0]),
                int(failure[1]),
                str(failure[2]),
            )
        except (ValueError, TypeError, IndexError):
            return _check_range(str(self.path), *self.ranges[n])

    def first_failure(self, before: int | None) -> Failure | None:
        """The first failing line, looking no further than line ``before`` (None: all)."""
        seen = 0
        for n in range(len(self.ranges)):
            if before is not None and seen >= before:
                return None
            count, failure = self._result(n)
            if failure is not None:
                return (seen + failure[0], failure[1], failure[2])
            seen += count
        return None


@contextmanager
def checking(path: Path, fd: int, stop: int) -> Iterator[Checks | None]:
    """Workers checking ``[0, stop)``, or None on one core (the main pass does everything)."""
    count = (os.cpu_count() or 1) - 1
    if count < 1 or not sys.executable:
        yield None
        return
    cuts = _bounds(fd, stop, max(1, stop // _CHUNK))
    ranges = list(pairwise(cuts))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for k in range(min(count, len(ranges))):
            args = [str(x) for a, b in ranges[k::count] for x in (a, b)]
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "eventlog.verifypool", str(path), *args],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield Checks(procs, ranges, path)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _main(argv: list[str]) -> None:
    path, bounds = argv[0], [int(x) for x in argv[1:]]
    for a, b in zip(bounds[::2], bounds[1::2], strict=True):
        sys.stdout.buffer.write(orjson.dumps(_check_range(path, a, b)) + b"\n")
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main(sys.argv[1:])
