"""Source documents: their hash, the quotes that cite them, the numbers no fact quotes.

A document is cited by the SHA-256 of its UTF-8 text; the text itself need not be
in the repository. A quote matches a document when it occurs in the text after
both are normalised: typographic quote marks become ASCII (U+201C-201F, U+00AB
and U+00BB to ``"``, U+2018-201B to ``'``), dashes stay as they are, and every run of whitespace
(newlines included) becomes one space.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventlog import catalog
from eventlog.errors import EventLogError, InvalidEvent
from eventlog.inputs import TooLarge, read_regular, size_words

SOURCES_DIR = "sources"
"""Under the log directory: kept documents, ``<sha256>.txt``."""

_QUOTES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u201f": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
    }
)
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(
    r"(?<![\w.,])[0-9]{1,3}(?:[,\u00a0\u202f ][0-9]{3})+(?!\w)"
    r"|(?<![\w.,])[0-9]+(?!\w)"
)


class DocumentError(EventLogError):
    """A document cannot be read or does not hold what cites it."""


def normalise(text: str) -> str:
    """Text as quotes are matched: ASCII quote marks, whitespace runs as one space."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


def text_hash(text: str) -> str:
    """The SHA-256 hex of a document's UTF-8 text: its citation."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


MAX_DOCUMENT = 64 * 1024 * 1024
"""Bound on a document's size: far above any report or bulletin, so a device or a huge
file is refused with one error instead of filling memory."""


def read_document(path: Path) -> str:
    """A document's text; raises ``DocumentError`` unless it is a regular file of UTF-8 text
    of at most ``MAX_DOCUMENT`` bytes."""
    try:
        return read_regular(path, MAX_DOCUMENT).decode("utf-8")
    except TooLarge:
        raise DocumentError(
            f"{path}: over {size_words(MAX_DOCUMENT)}, the limit for a document"
        ) from None
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    except OSError as exc:
        raise DocumentError(f"{path}: {exc.strerror or exc}") from None


def keep(log_dir: Path, text: str) -> Path:
    """Store a document's text under ``log/sources/<sha256>.txt`` (idempotent)."""
    directory = log_dir / SOURCES_DIR
    directory.mkdir(mode=0o755, exist_ok=True)
    path = directory / f"{text_hash(text)}.txt"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(text.encode("utf-8"))
        tmp.replace(path)
    return path


def numbers(text: str) -> list[int]:
    """The whole numbers written in a text (``6,057`` and ``6 057`` are 6057), in order."""
    return [number for number, _ in written_numbers(text)]


def written_numbers(text: str) -> list[tuple[int, str]]:
    """Each whole number in a text with the way it is written there, in order."""
    return [
        (int(re.sub(r"\D", "", match.group())), match.group()) for match in _NUMBER.finditer(text)
    ]


def shown_number(number: int, written: str) -> str:
    """A number as a table shows it: ``6,057``; but one that looks like a year (1900 to 2099
    written without a separator, as ``2025``) as written, never ``2,025``."""
    if len(written) == 4 and written.isdigit() and 1900 <= number <= 2099:
        return written
    return f"{number:,}"


def quotes_of(data: dict[str, Any]) -> Iterator[tuple[str | None, str]]:
    """``(document slug, quote)`` of the source of a fact's data, if it quotes."""
    source = data.get("source")
    if isinstance(source, dict) and isinstance(source.get("quote"), str):
        yield source.get("document"), source["quote"]


def _cited(event: Any) -> Iterator[tuple[str | None, str]]:
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return
    data = event["data"]
    yield from quotes_of(data)
    if event.get("type") == catalog.CORRECTED and isinstance(data.get("changes"), dict):
        yield from quotes_of(data["changes"])


def recorded_documents(log_dir: Path) -> dict[str, dict[str, Any]]:
    """The current data of every recorded, non-retracted document of the log, by slug."""
    from eventlog.errors import LogNotFound
    from eventlog.reader import LogReader, existing_log

    try:
        existing_log(log_dir)
    except LogNotFound:
        return {}
    by_id: dict[str, dict[str, Any]] = {}
    for record in LogReader(log_dir).records():
        data = record["data"]
        if record["type"] == catalog.SOURCE:
            by_id[record["id"]] = data
        elif record["type"] == catalog.CORRECTED and data["target"] in by_id:
            by_id[data["target"]] = catalog.merge_correction(by_id[data["target"]], data["changes"])
        elif record["type"] == catalog.RETRACTED:
            by_id.pop(data["target"], None)
    return {data["document"]: data for data in by_id.values()}


def check_batch_quotes(log_dir: Path, events: list[Any], texts: dict[str, str]) -> None:
    """Refuse a batch event whose quote cites a document of known text and is not in it.

    A document's text is known when it is kept (``log/sources/<sha256>.txt``) or given
    in ``texts`` (sha256 -> text, from ``--document FILE``). Raises ``InvalidEvent``.
    """
    if not any(slug for event in events for slug, _ in _cited(event)):
        return
    documents = recorded_documents(log_dir)
    for event in events:
        if (
            isinstance(event, dict)
            and event.get("type") == catalog.SOURCE
            and isinstance(event.get("data"), dict)
            and "document" in event["data"]
        ):
            documents[event["data"]["document"]] = event["data"]
    known: dict[str, str] = {}
    for slug, data in documents.items():
        digest = str(data.get("sha256", ""))
        kept = log_dir / SOURCES_DIR / f"{digest}.txt"
        if digest in texts:
            known[slug] = normalise(texts[digest])
        elif digest and kept.is_file():  # a recorded hash names the kept file
            known[slug] = normalise(read_document(kept))
    for index, event in enumerate(events, start=1):
        for cited, quote in _cited(event):
            if cited in known and normalise(quote) not in known[cited]:
                raise InvalidEvent(
                    f"the quote {quote!r} does not occur in document '{cited}'",
                    index=index,
                    field="data.source.quote",
                )


@dataclass
class DocumentReport:
    """What ``sources check`` found for one recorded document."""

    slug: str
    sha256: str | None
    path: Path | None = None
    quotes: int = 0
    missing: list[str] = field(default_factory=list)
    """Quotes citing the document that do not occur in it."""
    unquoted: list[int] = field(default_factory=list)
    """Numbers in the document's text that no quote citing it contains."""
    written: dict[int, str] = field(default_factory=dict)
    """How each unquoted number is first written in the text (``2025``, ``6 057``)."""


def check_directory(
    directory: Path, documents: dict[str, dict[str, Any]], facts: Iterable[dict[str, Any]]
) -> list[DocumentReport]:
    """Check every quote against the documents found in ``directory`` by hash.

    ``documents``: slug -> current data of each recorded document; ``facts``: the
    current data of every current fact. Files are matched by the SHA-256 of their text.
    """
    by_hash: dict[str, Path] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            try:
                by_hash[text_hash(read_document(path))] = path
            except DocumentError:
                continue  # not a text document: it cannot be one the log cites
    reports = {
        slug: DocumentReport(slug, data.get("sha256"), by_hash.get(data.get("sha256", "")))
        for slug, data in documents.items()
    }
    texts = {slug: normalise(read_document(r.path)) for slug, r in reports.items() if r.path}
    quoted: dict[str, list[str]] = {slug: [] for slug in reports}
    for data in facts:
        for slug, quote in quotes_of(data):
            if slug not in reports:
                continue
            reports[slug].quotes += 1
            quoted[slug].append(quote)
            if slug in texts and normalise(quote) not in texts[slug]:
                reports[slug].missing.append(quote)
    for slug, report in reports.items():
        if report.path is None:
            continue
        cited = {n for quote in quoted[slug] for n in numbers(quote)}
        seen: set[int] = set()
        for number, written in written_numbers(read_document(report.path)):
            if number not in cited and number not in seen:
                seen.add(number)
                report.unquoted.append(number)
                report.written[number] = written
    return list(reports.values())
