"""The ``eventlog`` command line: thin commands over the library.

Every error becomes one ``Error:`` line on stderr and an exit code, in ``_Group``
and nowhere else: each library exception carries its exit code (1 rejected input
or failed verification, 3 ``--expect-seq`` conflict); usage errors exit 2; a
closed pipe ends quietly with 141 (128 + SIGPIPE). Heavy modules (pydantic) are
imported inside the commands so that ``eventlog --help`` starts fast. Other
modules add their commands with ``main.add_command`` (see ``register``).
"""

from __future__ import annotations

import os
import sys

import click

from eventlog import catalog, cli_tlog
from eventlog.cli_boundary import BoundaryGroup, fail
from eventlog.cli_common import by_option, dry_run_option, expect_option


class _Group(BoundaryGroup):
    """The one error boundary: each library exception carries its exit code."""

    def convert(self, exc: Exception) -> tuple[str, int] | None:
        from eventlog.errors import EventLogError

        return (str(exc), exc.exit_code) if isinstance(exc, EventLogError) else None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="repatriation-archive", prog_name="eventlog")
@click.option(
    "--log",
    "log_dir",
    type=click.Path(),
    envvar="EVENTLOG_DIR",
    default="log",
    show_default=True,
    show_envvar=True,
    help="Directory holding events.jsonl.",
)
@click.pass_context
def main(ctx: click.Context, log_dir: str) -> None:
    """An append-only, hash-chained log of reported repatriations and prisoner exchanges.

    \b
    Examples:
      eventlog init
      eventlog report transfer --round june-2025 --kind bodies --from RU --to UA \\
        --count 6057 --attributed-to 'Coordination Headquarters' --party UA
      eventlog verify && eventlog show --round june-2025
    """
    ctx.obj = log_dir


# -- writing ---------------------------------------------------------------------


@main.command(short_help="Append events from a file or stdin, all or nothing.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@expect_option
@by_option
@dry_run_option
@click.option(
    "--allow-duplicate",
    is_flag=True,
    help="Accept a fact identical to a current one (another report of the same).",
)
@click.option(
    "--yes",
    is_flag=True,
    help="Append a batch over 10,000 events or 16 MiB (check it with --dry-run first).",
)
@click.option(
    "--document",
    "documents",
    multiple=True,
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="A document's text: quotes citing it (found by hash) must occur in it.",
)
@click.pass_context
def append(
    ctx: click.Context,
    file: str,
    expect_seq: int | None,
    by: str | None,
    dry_run: bool,
    allow_duplicate: bool,
    yes: bool,
    documents: tuple[str, ...],
) -> None:
    """Append events from FILE (or stdin): one JSON object, a JSON array, or JSON lines.

    Each event is {"type": ..., "data": {...}} with an optional "id". The batch
    is all or nothing. Prints one JSON line per event: seq, id, prev, hash, status.
    Input is read up to 16 MiB (1 GiB with --yes or --dry-run).

    \b
    Examples:
      eventlog append events.jsonl --dry-run
      eventlog append events.jsonl --expect-seq 75 --by maintainer
      eventlog append - --yes < big-batch.jsonl
    """
    from eventlog.cli_common import submit
    from eventlog.submissions import (
        LARGE_BATCH_BYTES,
        LARGE_BATCH_EVENTS,
        is_large,
        read_batch,
        read_submissions,
    )

    # Read in chunks up to a bound (16 MiB, or 1 GiB with --yes/--dry-run), so that
    # /dev/zero or a huge file is an Error line, not exhausted memory.
    # A named file is opened without blocking and must be regular (a FIFO is refused).
    if file == "-" and sys.stdin is None:
        fail("no input: stdin is closed (give FILE, or pipe the events in)")
    source = sys.stdin.buffer if file == "-" else file
    raw = read_batch(source, confirmed=yes or dry_run)
    items = read_submissions(raw)
    if is_large(len(items), len(raw)) and not (yes or dry_run):
        fail(
            f"a batch of {len(items):,} events ({len(raw):,} bytes) is over "
            f"{LARGE_BATCH_EVENTS:,} events or {LARGE_BATCH_BYTES // 2**20} MiB: "
            "check it with --dry-run, then append it with --yes"
        )
    from pathlib import Path

    from eventlog.sources import read_document, text_hash

    texts = {text_hash(text): text for text in map(read_document, map(Path, documents))}
    submit(
        ctx,
        items,
        by=by,
        expect_seq=expect_seq,
        dry_run=dry_run,
        allow_duplicate=allow_duplicate,
        texts=texts,
    )


@main.command(short_help="Create the log directory and an empty log.")
@click.option(
    "--origin",
    callback=cli_tlog.check_origin,
    help="The log's unique name for its checkpoints (set once).",
)
@click.pass_context
def init(ctx: click.Context, origin: str | None) -> None:
    """Create the log directory and an empty log, if they do not exist.

    \b
    Examples:
      eventlog init
      eventlog --log /srv/archive/log init --origin repatriation-archive.example/log
    """
    from eventlog.store import init_log

    path = init_log(ctx.obj)
    cli_tlog.set_origin_on_init(ctx.obj, origin)
    click.echo(f"log ready at {path}")


# -- reading ----------------------------------------------------------------------

STATUSES = ("current", "corrected", "retracted", "superseded")


@main.command(short_help="List the log's events: a table, or JSON lines.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, as stored (upcast).")
@click.option("--from-seq", type=click.IntRange(min=1), default=1, help="Start at this seq.")
@click.option("--until", type=click.IntRange(min=1), help="Stop after this seq.")
@click.option(
    "--type", "event_type", type=click.Choice(catalog.EVENT_TYPES), help="Only events of this type."
)
@click.option("--id", "event_id", help="Only this event and the revisions that target it.")
@click.option(
    "--round",
    "round_",
    metavar="SLUG",
    help="Only the round SLUG, the facts naming it and their revisions.",
)
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    help="Only facts with this status (revisions are left out).",
)
@click.pass_context
def show(
    ctx: click.Context,
    as_json: bool,
    from_seq: int,
    until: int | None,
    event_type: str | None,
    event_id: str | None,
    round_: str | None,
    status: str | None,
) -> None:
    """List the log's events: a table, or JSON lines with --json.

    In the table, control, bidirectional and zero-width characters are shown
    escaped (\\n, \\x1b, \\u202e); --json keeps the exact text.

    \b
    Examples:
      eventlog show --round june-2025
      eventlog show --type transfer.reported --status current
      eventlog show --json --from-seq 40 --until 50
    """
    import orjson

    from eventlog.reader import LogReader, existing_log
    from eventlog.render import escape, select, summary

    existing_log(ctx.obj)  # fail before the table header is printed
    records = LogReader(ctx.obj).records()
    if until is not None:
        records = (r for r in records if r["seq"] <= until)
    rows = select(
        list(records) if (event_id or round_ or status) else records,
        from_seq=from_seq,
        event_type=event_type,
        event_id=event_id,
        round_slug=round_,
        status=status,
    )
    if as_json:
        for record in rows:
            click.echo(orjson.dumps(record).decode())
        return
    # Columns sized to their content (a generated id is 32 characters, a chosen one up to
    # 128): the table is built whole, then printed.
    cells = [
        (str(r["seq"]), r["recorded_at"][:19], r["type"], escape(r["id"]), escape(summary(r)))
        for r in rows
    ]
    heads = ("SEQ", "RECORDED_AT", "TYPE", "ID", "SUMMARY")
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(heads[:4])]
    for row in [heads, *cells]:
        seq, *middle, text = row
        click.echo(
            "  ".join(
                [
                    seq.rjust(widths[0]),
                    *(v.ljust(w) for v, w in zip(middle, widths[1:], strict=True)),
                    text,
                ]
            ).rstrip()
        )


@main.command(short_help="Check every line, the chain and the rules.")
@click.option(
    "--checkpoint",
    metavar="SEQ:HASH",
    help="Also prove the log still begins with the prefix `eventlog head` printed.",
)
@click.pass_context
def verify(ctx: click.Context, checkpoint: str | None) -> None:
    """Check every line: JSON, schema, gapless seq, the prev chain, references.

    Exit 0 when intact (a torn tail left by a crash is a warning), 1 when not,
    naming the first bad line.

    \b
    Examples:
      eventlog verify
      eventlog verify --checkpoint 33:a56fed39...   # the line `eventlog head` printed
    """
    from eventlog.verify import Checkpoint
    from eventlog.verify import verify as run

    report = run(
        ctx.obj, Checkpoint.parse(cli_tlog.head_checkpoint(checkpoint)) if checkpoint else None
    )
    if report.torn_bytes:
        why = {
            True: "an append is in progress: probably its write in flight, not a crash",
            False: "left by a crash; the next append moves them to quarantine/",
            None: "cannot tell a write in flight from a crash",
        }[report.in_flight]
        click.echo(
            f"Warning: torn tail: {report.torn_bytes} bytes after seq {report.head.seq} ({why})",
            err=True,
        )
    proof = f", checkpoint seq {report.checkpoint.seq} holds" if report.checkpoint else ""
    proof += cli_tlog.verify_checkpoints(ctx.obj)
    click.echo(f"OK: {report.events} events, chain intact{proof}; head {report.head}")


@main.command(short_help="Print the seq and hash of the last line.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(cli_tlog.HEAD_FORMATS),
    default="json",
    show_default=True,
    help="JSON, or SEQ:HASH as `verify --checkpoint` takes.",
)
@click.pass_context
def head(ctx: click.Context, fmt: str) -> None:
    """Print {"seq", "hash"} of the last line: the checkpoint an auditor keeps.

    \b
    Examples:
      eventlog head
      eventlog verify --checkpoint "$(eventlog head --format seq:hash)"
    """
    from eventlog.reader import existing_log
    from eventlog.store import read_tail

    tail = read_tail(existing_log(ctx.obj))
    click.echo(cli_tlog.format_head(tail.position.seq, tail.position.hash, fmt))


@main.command(short_help="Print the JSON Schema of submitted events.")
def schema() -> None:
    """Print the JSON Schema (2020-12) of submitted events, generated from the models.

    \b
    Examples:
      eventlog schema > submission.schema.json
    """
    import orjson

    from eventlog.events import submission_schema

    click.echo(orjson.dumps(submission_schema(), option=orjson.OPT_INDENT_2).decode())


def register(*commands: click.Command) -> None:
    """Add commands defined in other modules to ``eventlog``."""
    for command in commands:
        main.add_command(command)


def _load_commands() -> None:
    from eventlog.cli_report import report
    from eventlog.cli_revise import correct, retract
    from eventlog.cli_sources import source, sources

    register(report, correct, retract, source, sources)
    cli_tlog.register(main)


_load_commands()

if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
