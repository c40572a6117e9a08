"""The ``projections`` command: thin click commands over the store.

Every command first catches the store (``OUT/archive.sqlite``) up with the
log, then answers from it. Errors are one ``Error:`` line on stderr and the
exit code their class carries (``projections.errors``, ``eventlog.errors``):
0 success, 1 the log, the store or the output cannot be used, 2 bad
arguments, 4 another rebuild holds the lock. Heavy modules are imported
inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eventlog.cli_boundary import BoundaryGroup

if TYPE_CHECKING:
    import sqlite3

    from projections.store import CaughtUp

DEFAULT_OUT = "build/projections"


class _Group(BoundaryGroup):
    """The one error boundary: library errors (which carry their exit code) and a
    store SQLite cannot read; OSError, usage errors and closed pipes as eventlog's."""

    def convert(self, exc: Exception) -> tuple[str, int] | None:
        import sqlite3

        from eventlog.errors import EventLogError
        from projections.errors import ProjectionError

        if isinstance(exc, ProjectionError | EventLogError):
            return str(exc), exc.exit_code
        if isinstance(exc, sqlite3.Error):
            return (
                f"the store cannot be used ({type(exc).__name__}); "
                "rerun `projections rebuild --full`",
                1,
            )
        return None


class Context:
    """The global options: where the log is, where the store lives."""

    def __init__(self, log_dir: Path, out: Path) -> None:
        self.log_dir = log_dir
        self.out = out

    def catch_up(self) -> CaughtUp:
        """Catch the store up with the log."""
        from projections.store import catch_up

        return catch_up(self.log_dir, self.out)


Query = Callable[["sqlite3.Connection", int, Any], dict[str, Any]]
Fold = Callable[[Any, str | None], dict[str, Any]]


def answer(ctx: Context, known_at: str | None, as_of: str | None, query: Query, fold: Fold) -> Any:
    """Catch up, then answer from the store: the maintained tables for the current
    figures, the fact versions for a ``--known-at`` cut or an ``--as-of`` date."""
    from projections.history import seq_at, state_at
    from projections.store import guarded
    from projections.timeaxes import parse_date, parse_known_at

    cut = parse_known_at(known_at)
    date = None if as_of is None else parse_date(as_of)
    caught = ctx.catch_up()
    conn = caught.conn
    head = caught.head.seq
    try:
        with guarded(ctx.out):
            conn.execute("BEGIN")
            if cut.seq is None and cut.recorded_at is None and date is None:
                view = query(conn, head, caught.lines)
            else:
                seq = head if cut.seq is None else min(cut.seq, head)
                if cut.recorded_at is not None:
                    seq = seq_at(conn, cut.recorded_at)
                view = fold(state_at(conn, caught.lines, seq), date)
            conn.execute("COMMIT")
    finally:
        caught.close()
    view["head"] = {"seq": head, "hash": caught.head.hash}
    return view


def _emit(view: dict[str, Any], as_json: bool, text: Callable[[dict[str, Any]], str]) -> None:
    if as_json:
        from projections.render import to_json

        click.echo(to_json(view).decode())
    else:
        click.echo(text(view))


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
known_at_option = click.option(
    "--known-at",
    metavar="SEQ|TIME",
    help="Answer as the archive stood at this seq or UTC time.",
)
as_of_option = click.option(
    "--as-of",
    metavar="DATE",
    help="Count rounds certainly (low) or possibly (high) done by this date.",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log",
    "log_dir",
    type=click.Path(path_type=Path),
    envvar="EVENTLOG_DIR",
    default="log",
    show_default="$EVENTLOG_DIR or ./log",
    help="Directory of the event log.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PROJECTIONS_OUT",
    default=DEFAULT_OUT,
    show_default=f"$PROJECTIONS_OUT or ./{DEFAULT_OUT}",
    help="Directory of the store (archive.sqlite) and of totals.json.",
)
@click.pass_context
def main(ctx: click.Context, log_dir: Path, out: Path) -> None:
    """Keep the read model of the event log and answer from it.

    \b
    Examples:
      projections rebuild
      projections totals --as-of 2025-07
      projections --log /srv/archive/log --out /srv/archive/build rounds --json
    """
    ctx.obj = Context(log_dir, out)


@main.command(short_help="Totals per flow, reported totals, outstanding offers.")
@json_option
@known_at_option
@as_of_option
@click.pass_obj
def totals(ctx: Context, as_json: bool, known_at: str | None, as_of: str | None) -> None:
    """Totals per flow, reported totals beside the rounds, outstanding offers.

    \b
    Examples:
      projections totals
      projections totals --as-of 2025-07
      projections totals --known-at 42 --json
    """
    from projections import queries
    from projections.render import totals_text
    from projections.totals import totals_view

    view = answer(ctx, known_at, as_of, queries.totals, totals_view)
    _emit(view, as_json, totals_text)


@main.command()
@json_option
@known_at_option
@as_of_option
@click.pass_obj
def rounds(ctx: Context, as_json: bool, known_at: str | None, as_of: str | None) -> None:
    """Each round with every account of each flow.

    \b
    Examples:
      projections rounds
      projections rounds --as-of 2025-06 --known-at 2025-06-16T10:00:00Z
      projections rounds --json > rounds.json
    """
    from projections import queries
    from projections.render import rounds_text
    from projections.rounds import rounds_view

    if as_json and known_at is None and as_of is None:
        stream_rounds(ctx)
        return
    view = answer(ctx, known_at, as_of, queries.rounds, rounds_view)
    _emit(view, as_json, rounds_text)


def stream_rounds(ctx: Context) -> None:
    """``rounds --json`` of the head, written round by round (the bulky export)."""
    from projections import queries
    from projections.store import guarded

    if sys.stdout is None:  # `>&-`: one Error line, not an AttributeError on flush
        raise OSError(errno.EBADF, "standard output is closed")
    caught = ctx.catch_up()
    head = {"seq": caught.head.seq, "hash": caught.head.hash}
    try:
        with guarded(ctx.out):
            caught.conn.execute("BEGIN")
            sys.stdout.flush()
            out = sys.stdout.buffer
            queries.write_rounds(caught.conn, caught.head.seq, caught.lines, head, out)
            out.flush()
            caught.conn.execute("COMMIT")
    finally:
        caught.close()


@main.command()
@click.argument("name", metavar="ID|ROUND|AGREEMENT")
@json_option
@known_at_option
@click.pass_obj
def trail(ctx: Context, name: str, as_json: bool, known_at: str | None) -> None:
    """The versions of one fact (or of a round or agreement, by slug).

    \b
    Examples:
      projections trail tr-final-ua
      projections trail istanbul-2025 --known-at 40
      projections trail rnd-2025-1000-for-24 --json
    """
    from projections import queries
    from projections.history import seq_at
    from projections.render import trail_text
    from projections.store import guarded
    from projections.timeaxes import parse_known_at

    cut = parse_known_at(known_at)
    caught = ctx.catch_up()
    conn = caught.conn
    try:
        with guarded(ctx.out):
            conn.execute("BEGIN")
            seq = caught.head.seq if cut.seq is None else min(cut.seq, caught.head.seq)
            if cut.recorded_at is not None:
                seq = seq_at(conn, cut.recorded_at)
            view = queries.trail(conn, name, seq, caught.lines)
            conn.execute("COMMIT")
    finally:
        caught.close()
    _emit(view, as_json, trail_text)


@main.command(short_help="Catch the store up; publish totals.json (the cron job).")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Same as the global --out.",
)
@click.option("--full", is_flag=True, help="Rebuild the store from the start of the log.")
@click.option("--report", "with_report", is_flag=True, help="Also refresh the site in OUT/site.")
@click.pass_obj
def rebuild(ctx: Context, out: Path | None, full: bool, with_report: bool) -> None:
    """Catch the store up and publish totals.json beside it (the cron job).

    \b
    Examples:
      projections rebuild
      projections rebuild --full
      projections rebuild --out /srv/archive/build/projections --report
    """
    from projections.rebuild import rebuild as run

    if out is not None:
        ctx.out = out
    result = run(ctx.log_dir, ctx.out, full=full)
    click.echo(result.summary())
    if with_report:
        _report(ctx)


def _report(ctx: Context) -> None:
    from projections.report import write_report

    result = write_report(ctx.log_dir, ctx.out)
    click.echo(result.summary())


@main.command(short_help="Write the reader's site (HTML, charts, CSV) into OUT/site.")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Same as the global --out.",
)
@click.pass_obj
def report(ctx: Context, out: Path | None) -> None:
    """Write the reader's site (HTML, charts, CSV files) into OUT/site, atomically.

    \b
    Examples:
      projections report
      projections report --out /srv/archive/build/projections
    """
    if out is not None:
        ctx.out = out
    _report(ctx)
