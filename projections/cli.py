"""The ``projections`` command: thin click commands over the library.

Exit codes: 0 success; 1 the log or the outputs cannot be used (missing or
corrupt log, unknown fact, unwritable output); 2 bad arguments; 3 the
rebuild checkpoint no longer matches the log (rerun with ``--full``) or is
unreadable; 4 another rebuild holds the lock. Errors are one ``Error:`` line
on stderr. Heavy modules are imported inside the commands so that ``--help``
stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from projections.facts import State
    from projections.rebuild import Progress

PROGRESS_MIN_BYTES = 32 << 20
"""Show a progress bar only when at least this much of the log is to be folded."""


def exit_code_for(exc: Exception) -> int:
    """The exit code documented for a library error."""
    from projections import errors

    if isinstance(exc, errors.InvalidKnownAt | errors.InvalidDate):
        return 2
    if isinstance(exc, errors.StaleCheckpoint | errors.CorruptCheckpoint):
        return 3
    if isinstance(exc, errors.RebuildLocked):
        return 4
    return 1


@contextmanager
def reported() -> Iterator[None]:
    """Turn library errors into one ``Error:`` line and an exit code."""
    from eventlog.errors import EventLogError
    from projections.errors import ProjectionError

    try:
        yield
    except (ProjectionError, EventLogError) as exc:
        # One line whatever the message holds, and the documented exit code.
        click.echo(f"Error: {' '.join(str(exc).split())}", err=True)
        sys.exit(exit_code_for(exc))


def _load(log_dir: Path, known_at: str | None) -> State:
    from projections.replay import load
    from projections.timeaxes import parse_known_at

    return load(log_dir, parse_known_at(known_at))


def _as_of(value: str | None) -> str | None:
    from projections.timeaxes import parse_date

    return None if value is None else parse_date(value)


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
    help="Replay only what had been recorded by this seq or UTC time.",
)
as_of_option = click.option(
    "--as-of",
    metavar="DATE",
    help="Count only rounds that occurred, and claims made, by this date.",
)


@click.group()
@click.option(
    "--log",
    "log_dir",
    type=click.Path(path_type=Path),
    envvar="EVENTLOG_DIR",
    default="log",
    show_default="$EVENTLOG_DIR or ./log",
    help="Directory of the event log.",
)
@click.pass_context
def main(ctx: click.Context, log_dir: Path) -> None:
    """Replay the event log into totals, per-round history and revision trails."""
    ctx.obj = log_dir


@main.command()
@json_option
@known_at_option
@as_of_option
@click.pass_obj
def totals(log_dir: Path, as_json: bool, known_at: str | None, as_of: str | None) -> None:
    """Totals per flow, reported totals beside the rounds, outstanding offers."""
    from projections.render import totals_text
    from projections.totals import totals_view

    with reported():
        date = _as_of(as_of)
        view = totals_view(_load(log_dir, known_at), date)
    _emit(view, as_json, totals_text)


@main.command()
@json_option
@known_at_option
@as_of_option
@click.pass_obj
def rounds(log_dir: Path, as_json: bool, known_at: str | None, as_of: str | None) -> None:
    """Each round with every party's account of each flow."""
    from projections.render import rounds_text
    from projections.rounds import rounds_view

    with reported():
        date = _as_of(as_of)
        view = rounds_view(_load(log_dir, known_at), date)
    _emit(view, as_json, rounds_text)


@main.command()
@click.argument("fact_id", metavar="ID")
@json_option
@known_at_option
@click.pass_obj
def trail(log_dir: Path, fact_id: str, as_json: bool, known_at: str | None) -> None:
    """The versions of one fact: reported, each correction, retraction."""
    from projections.render import trail_text
    from projections.replay import load_trail
    from projections.timeaxes import parse_known_at

    with reported():
        view = load_trail(log_dir, fact_id, parse_known_at(known_at))
    _emit(view, as_json, trail_text)


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress callback drawing on stderr, only on a terminal and for long work."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            if total < PROGRESS_MIN_BYTES or done >= total:
                return
            bar = click.progressbar(length=total, label="folding", file=sys.stderr)
            bars.append(bar.__enter__())
            bars.append(0)
        bar, shown = bars
        bar.update(done - shown)
        bars[1] = done

    try:
        yield update
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="build/projections",
    show_default=True,
    help="Directory of the published outputs.",
)
@click.option("--full", is_flag=True, help="Fold the whole log, ignoring the checkpoint.")
@click.option("--report", "with_report", is_flag=True, help="Also refresh the site in OUT/site.")
@click.pass_obj
def rebuild(log_dir: Path, out_dir: Path, full: bool, with_report: bool) -> None:
    """Write totals.json, rounds.json, trails.json and archive.sqlite into OUT/current."""
    from projections.rebuild import rebuild as run

    with reported(), _progress_bar() as progress:
        result = run(log_dir, out_dir, full=full, progress=progress)
    click.echo(result.summary())
    if with_report:
        _report(log_dir, out_dir)


def _report(log_dir: Path, out_dir: Path) -> None:
    from projections.report import write_report

    with reported():
        result = write_report(log_dir, out_dir)
    click.echo(result.summary())


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="build/projections",
    show_default=True,
    help="Directory of the published outputs.",
)
@click.pass_obj
def report(log_dir: Path, out_dir: Path) -> None:
    """Write the reader's site (HTML, charts, CSV files) into OUT/site, atomically."""
    _report(log_dir, out_dir)
