"""``eventlog source add`` and ``eventlog sources check``: documents the archive quotes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from eventlog import catalog
from eventlog.cli_common import by_option, dry_run_option, expect_option, submit


@click.group(short_help="Record a document the archive quotes.")
def source() -> None:
    """Record a document the archive quotes (a report, a statement, a transcript).

    \b
    Examples:
      eventlog source add report-004.txt --slug report-004 --outlet Reuters --keep
    """


@source.command("add", short_help="Record a document with the SHA-256 of its text.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--slug",
    required=True,
    help="The document's name in the log: lowercase letters, digits and hyphens.",
)
@click.option("--outlet", help="Who published it (left out when the document names no one).")
@click.option("--title")
@click.option("--url", help="http(s) URL it was published at.")
@click.option("--published-on", help="Date (YYYY[-MM[-DD]]).")
@click.option("--language", help="Language tag (uk, ru, en...).")
@click.option("--note", help="Anything a reader should know about the document.")
@click.option(
    "--keep",
    is_flag=True,
    help="Also store the text under LOG/sources/<sha256>.txt, so quotes are checked.",
)
@click.option("--id", "event_id", help="Event id of your choosing (default: generated).")
@expect_option
@by_option
@dry_run_option
@click.pass_context
def source_add(ctx: click.Context, /, file: Path, keep: bool, **kw: Any) -> None:
    """Record FILE as the document SLUG, with the SHA-256 of its UTF-8 text.

    The hash is the citation: the text need not be in the repository. With --keep
    it is stored beside the log, and quotes citing the document must occur in it.

    \b
    Examples:
      eventlog source add report-004.txt --slug report-004 --outlet Reuters --keep
    """
    from eventlog.sources import keep as keep_text
    from eventlog.sources import read_document, text_hash

    text = read_document(file)
    data = {
        "document": kw["slug"],
        "sha256": text_hash(text),
        **{
            k: kw[k]
            for k in ("outlet", "title", "url", "published_on", "language", "note")
            if kw[k] is not None
        },
    }
    item: dict[str, Any] = {"type": catalog.SOURCE, "data": data}
    if kw["event_id"]:
        item["id"] = kw["event_id"]
    options = {
        "data.document": "--slug",
        "document": "--slug",
        "data.outlet": "--outlet",
        "data.title": "--title",
        "data.url": "--url",
        "data.note": "--note",
        "data.published_on": "--published-on",
        "published_on": "--published-on",
        "data.language": "--language",
        "id": "--id",
    }
    submit(
        ctx,
        [(1, item)],
        by=kw["by"],
        expect_seq=kw["expect_seq"],
        dry_run=kw["dry_run"],
        options=options,
    )
    if keep and not kw["dry_run"]:
        keep_text(Path(ctx.obj), text)


@click.group(short_help="Check the log's quotes against its documents.")
def sources() -> None:
    """Check the log's quotes against the documents they cite.

    \b
    Examples:
      eventlog sources check ../shared/sources
    """


def _current_facts(log_dir: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The current documents by slug, and the current data of every other current fact."""
    from eventlog.reader import LogReader, existing_log

    existing_log(log_dir)
    facts: dict[str, tuple[str, dict[str, Any]]] = {}
    for record in LogReader(log_dir).records():
        data = record["data"]
        if record["type"] in catalog.FACT_TYPES:
            facts[record["id"]] = (record["type"], data)
        elif record["type"] == catalog.CORRECTED and data["target"] in facts:
            kind, old = facts[data["target"]]
            facts[data["target"]] = (kind, catalog.merge_correction(old, data["changes"]))
        elif record["type"] == catalog.RETRACTED:
            facts.pop(data["target"], None)
    documents = {d["document"]: d for kind, d in facts.values() if kind == catalog.SOURCE}
    return documents, [d for kind, d in facts.values() if kind != catalog.SOURCE]


@sources.command("check", short_help="Check every quote against documents found by hash.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_context
def sources_check(ctx: click.Context, directory: Path) -> None:
    """Find each recorded document in DIRECTORY by the SHA-256 of its text and check
    that every quote citing it occurs in it (after normalising whitespace and quote
    marks); list, per document, the numbers in its text that no quote contains.

    Exit 1 if a quote is not found or a document is not in DIRECTORY.

    \b
    Examples:
      eventlog sources check ../shared/sources
    """
    from eventlog.render import escape
    from eventlog.sources import check_directory, shown_number

    documents, facts = _current_facts(ctx.obj)
    reports = check_directory(directory, documents, facts)
    failed = False
    for report in reports:
        if report.path is None:
            failed = True
            why = "no sha256 recorded" if report.sha256 is None else "no file with its sha256"
            click.echo(
                f"document {report.slug}: NOT FOUND in {escape(str(directory))} ({why}); "
                f"{report.quotes} quotes unchecked"
            )
            continue
        state = "all found" if not report.missing else f"{len(report.missing)} NOT FOUND"
        name = escape(report.path.name)  # a file name is text from outside too
        click.echo(f"document {report.slug}: {name}; {report.quotes} quotes, {state}")
        for quote in report.missing:
            failed = True
            click.echo(f"  quote not in the document: {escape(quote)}")
        shown = ", ".join(shown_number(n, report.written[n]) for n in report.unquoted) or "none"
        click.echo(f"  numbers no fact quotes: {shown}")
    if not reports:
        click.echo("no documents recorded")
    if failed:
        ctx.exit(1)
