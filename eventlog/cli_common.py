"""What the ``eventlog`` commands share: shared options, the one submit path, dry-run summaries."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from eventlog import catalog
from eventlog.cli_boundary import fail, one_line

by_option = click.option("--by", help="Who records it (default $EVENTLOG_USER, else the OS user).")
expect_option = click.option(
    "--expect-seq",
    type=click.IntRange(min=0),
    help="Append only if the log's last seq is N (else exit 3).",
)
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Check everything, write nothing; summarise what would change."
)
allow_duplicate_option = click.option(
    "--allow-duplicate",
    is_flag=True,
    help="Accept a fact identical to a current one (another report of the same).",
)


def recorder(by: str | None) -> str:
    """Who records: ``--by``, else ``$EVENTLOG_USER``, else the OS user; checked as text."""
    from eventlog.store import default_user

    name, where = (by, "--by") if by else (default_user(), "EVENTLOG_USER")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        fail(f"{where}: not UTF-8 text")
    if not name.strip() or any(not (c.isprintable() or c == " ") for c in name):
        fail(f"{where}: a name of printable characters is needed, got {name!r}")
    return name


def option_of(field: str | None, options: dict[str, str]) -> str | None:
    """The option a maintainer typed for a field (``data.occurred_on`` -> ``--occurred-on``)."""
    if not field:
        return None
    for key in (field, field.removeprefix("data."), f"data.{field}"):
        if key in options:
            return options[key]
    return None


def _typed(item: Any, field: str | None) -> str | None:
    """The text typed for ``field`` (``data.source.url``) in a submitted item, shortened;
    None if it is not text (a missing field, a number)."""
    for start in (item, item.get("data") if isinstance(item, dict) else None):
        value = start
        for key in (field or "").split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            return value if len(value) <= 80 else value[:77] + "..."
    return None


def submit(
    ctx: click.Context,
    items: list[tuple[int, Any]],
    *,
    by: str | None,
    expect_seq: int | None,
    dry_run: bool = False,
    allow_duplicate: bool = False,
    options: dict[str, str] | None = None,
    texts: dict[str, str] | None = None,
    per_argument: bool = False,
) -> None:
    """Append ``(input line, event)`` items and print one JSON line each (or a dry-run summary).

    ``options`` maps data fields to the options they came from, so that an error names
    the option typed (and, ``per_argument``, which event: one per argument); ``texts`` are
    document texts (sha256 -> text) quotes are checked in.
    """
    import orjson

    from eventlog.errors import InvalidEvent
    from eventlog.sources import check_batch_quotes
    from eventlog.store import append

    events = [item for _, item in items]
    try:
        check_batch_quotes(Path(ctx.obj), events, texts or {})
        results = append(
            ctx.obj,
            events,
            by=recorder(by),
            expect_seq=expect_seq,
            dry_run=dry_run,
            allow_duplicate=allow_duplicate,
        )
    except InvalidEvent as exc:
        option = option_of(exc.field, options or {})
        if option is not None:
            # One event per argument (correct T1 T2): say which one is at fault.
            which = f" (event {exc.index})" if per_argument and exc.index is not None else ""
            typed = _typed(items[exc.index - 1][1] if exc.index else None, exc.field)
            shown = f" (got {typed!r})" if typed and typed not in exc.reason else ""
            fail(f"{option}{which}: {exc.reason}{shown}")
        if exc.index is None or (len(items) <= 1 and items[0][0] == 1):
            raise
        line = items[exc.index - 1][0]
        field = f", field '{exc.field}'" if exc.field else ""
        fail(f"line {line} (event {exc.index}){field}: {exc.reason}")
    if getattr(results, "pinned_to", None) is not None:
        click.echo(
            f"Warning: this clock is behind the log's last recorded_at; stamped "
            f"{results.pinned_to} instead (recorded_at never decreases)",
            err=True,
        )
    if dry_run:
        for line_text in dry_run_summary(events, results):
            click.echo(line_text)
        return
    for result in results:
        click.echo(orjson.dumps(result.as_dict()).decode())


def dry_run_summary(events: list[Any], results: list[Any]) -> list[str]:
    """What a batch would change: count per type, the ids, rounds and figures touched."""
    new = [
        (event, result)
        for event, result in zip(events, results, strict=True)
        if result.status == "appended"
    ]
    lines = ["Dry run: nothing was written."]
    if not new:
        return [*lines, f"All {len(results)} events are already in the log (exists)."]
    first, last = new[0][1].seq, new[-1][1].seq
    lines.append(
        f"Would append {len(new)} events (seq {first}..{last}); "
        f"{len(results) - len(new)} already in the log."
    )
    per_type = Counter(result.type for _, result in new)
    for event_type in catalog.EVENT_TYPES:
        if per_type[event_type]:
            ids = [r.id for _, r in new if r.type == event_type]
            shown = ", ".join(ids[:5]) + (f", ... ({len(ids) - 5} more)" if len(ids) > 5 else "")
            lines.append(f"  {event_type:<18} {per_type[event_type]:>6}  ids: {shown}")
    rounds: dict[str, list[str]] = {}
    for event, _ in new:
        data = event.get("data", {})
        slug = data.get("round") or data.get("changes", {}).get("round")
        if event.get("type") in catalog.FACT_TYPES and slug:
            figures = rounds.setdefault(slug, [])
            if "count" in data:
                party = data.get("source", {}).get("party", "?")
                figures.append(
                    f"{data['from']}->{data['to']} {data['kind']} "
                    f"{catalog.mark(data['count'].get('qualifier', 'exact'))}"
                    f"{data['count']['value']:,} [{party}]"
                )
    for slug, figures in rounds.items():
        lines.append(f"  round {slug}: " + ("; ".join(figures) or "recorded"))
    for event, _ in new:
        data = event.get("data", {})
        if event.get("type") == catalog.CORRECTED:
            lines.append(
                f"  corrects {data.get('target')}: "
                + ", ".join(f"{k}={v}" for k, v in data.get("changes", {}).items())
            )
        elif event.get("type") == catalog.RETRACTED:
            lines.append(f"  retracts {data.get('target')}")
    return [one_line(line) for line in lines]
