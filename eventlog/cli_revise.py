"""``eventlog correct`` and ``retract``: revisions of earlier facts, from options."""

from __future__ import annotations

from typing import Any

import click

from eventlog import catalog
from eventlog.cli_common import by_option, dry_run_option, expect_option, submit
from eventlog.cli_report import source_from, source_options, stack_options


def _parse_sets(pairs: tuple[str, ...], as_json: bool) -> dict[str, Any]:
    import orjson

    changes: dict[str, Any] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field:
            raise click.UsageError(f"expected FIELD=VALUE, got {pair!r}")
        if as_json:
            try:
                changes[field] = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise click.UsageError(f"--set-json {field}: not JSON: {exc}") from None
        else:
            changes[field] = value
    return changes


_REVISION_FIELDS = {**source_options(required=False)[1], "id": "--id", "data.target": "TARGET"}
"""The options (and argument) of ``correct`` and ``retract`` that an error may name."""


def _revision_options(func: Any) -> Any:
    more, _ = source_options(required=False)
    return stack_options(
        [
            *more,
            click.option(
                "--id", "event_id", help="Event id of your choosing (default: generated)."
            ),
            expect_option,
            by_option,
            dry_run_option,
        ]
    )(func)


@click.command(short_help="Correct fields of a fact; the original stays in the log.")
@click.argument("targets", nargs=-1, required=True, metavar="TARGET...")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="FIELD=TEXT",
    help="Set a text field (as occurred_on=2025-06).",
)
@click.option(
    "--set-json",
    "json_sets",
    multiple=True,
    metavar="FIELD=JSON",
    help="Set a field to a JSON value (as mediators='[\"ICRC\"]' or label=null).",
)
@click.option("--count", type=int, help="Shortcut: set count to this value...")
@click.option(
    "--qualifier",
    type=click.Choice(catalog.QUALIFIERS),
    default="exact",
    help="...with this qualifier.",
)
@click.option("--reason", required=True, help="Why the fact is corrected.")
@click.pass_context
def correct(
    ctx: click.Context,
    /,
    targets: tuple[str, ...],
    sets: tuple[str, ...],
    json_sets: tuple[str, ...],
    count: int | None,
    qualifier: str,
    reason: str,
    **kw: Any,
) -> None:
    """Correct fields of each fact TARGET (event ids); the originals stay in the log.

    Several targets are corrected in one all-or-nothing batch (one figure across the
    transfers of a round, say), each by its own fact.corrected event.

    \b
    Examples:
      eventlog correct tr-ua --count 6058 --reason 'the report says 6,058'
      eventlog correct rnd-june --set occurred_on=2025-06/2025-07 --reason 'date uncertain'
      eventlog correct tr-1 tr-2 --set-json 'source={"attributed_to": "ICRC", "party": "other"}' \\
        --reason 'the report attributes both to the ICRC'
    """
    changes = {**_parse_sets(sets, False), **_parse_sets(json_sets, True)}
    if count is not None:
        changes["count"] = {"value": count, "qualifier": qualifier}
    if not changes:
        raise click.UsageError("nothing to correct: give --set, --set-json or --count")
    source = source_from(kw)
    items = []
    for index, target in enumerate(targets, start=1):
        item: dict[str, Any] = {
            "type": catalog.CORRECTED,
            "data": {
                "target": target,
                "changes": changes,
                "reason": reason,
                **({"source": source} if source else {}),
            },
        }
        if kw.get("event_id"):
            item["id"] = kw["event_id"] if len(targets) == 1 else f"{kw['event_id']}-{index}"
        items.append((1, item))
    options = {**_REVISION_FIELDS, "reason": "--reason", "data.reason": "--reason"}
    for pairs, flag in ((sets, "--set"), (json_sets, "--set-json")):
        for pair in pairs:
            field = pair.partition("=")[0]
            options[f"changes.{field}"] = f"{flag} {field}"
    if count is not None:
        options.update({"changes.count": "--count", "changes.count.value": "--count"})
    submit(
        ctx.parent or ctx,
        items,
        by=kw["by"],
        expect_seq=kw["expect_seq"],
        dry_run=kw["dry_run"],
        options=options,
        per_argument=len(targets) > 1,
    )


correct = _revision_options(correct)


@click.command(short_help="Retract a fact: it leaves every figure, stays in the log.")
@click.argument("target")
@click.option("--reason", required=True, help="Why the fact is withdrawn.")
@click.pass_context
def retract(ctx: click.Context, /, target: str, reason: str, **kw: Any) -> None:
    """Retract the fact TARGET: it leaves every figure but stays in the log and its trail.

    Retract what is wrong (a true duplicate, a misattributed fact); a second party's
    differing account is not wrong: keep it, the round shows the discrepancy.

    \b
    Examples:
      eventlog retract note-7 --reason 'the same statement was recorded twice (note-3)'
    """
    source = source_from(kw)
    item: dict[str, Any] = {
        "type": catalog.RETRACTED,
        "data": {"target": target, "reason": reason, **({"source": source} if source else {})},
    }
    if kw.get("event_id"):
        item["id"] = kw["event_id"]
    submit(
        ctx.parent or ctx,
        [(1, item)],
        by=kw["by"],
        expect_seq=kw["expect_seq"],
        dry_run=kw["dry_run"],
        options={**_REVISION_FIELDS, "reason": "--reason", "data.reason": "--reason"},
    )


retract = _revision_options(retract)
