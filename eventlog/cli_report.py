"""``eventlog report``: facts recorded from options, not JSON.

The ``report`` subcommands are built from the catalogue and the models (a fact
type's fields become its options), on first use, so that ``eventlog --help``
does not import pydantic. ``report exchange`` records a round and its transfers
in one all-or-nothing batch.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

import click

from eventlog import catalog
from eventlog.cli_common import (
    allow_duplicate_option,
    by_option,
    dry_run_option,
    expect_option,
    submit,
)
from eventlog.cli_exchange import exchange

_HELP = {
    "agreement": "Slug of the agreement (lowercase letters, digits, hyphens).",
    "round": "Slug of the round (lowercase letters, digits, hyphens).",
    "occurred_on": "Date: YYYY, YYYY-MM, YYYY-MM-DD, or START/END such as 2025-06/2025-12.",
    "concluded_on": "Date (YYYY[-MM[-DD]] or START/END).",
    "as_of": "Date the figure was stated for.",
    "mediators": "A mediator; repeat for each.",
    "supersedes": "Id of an earlier report (same party, round or scope, flow) this one replaces.",
    "text": "What the report says.",
}
_SOURCE_HELP = {
    "attributed_to": "Who said it (as 'Russian Defence Ministry').",
    "party": "Whose account it is.",
    "attribution": "'inferred' when the report does not name who said it and you infer it.",
    "document": "Slug of a recorded document (eventlog source add) it comes from.",
    "outlet": "The outlet that reported it.",
    "url": "http(s) URL of the report.",
    "published_on": "Date of the report (YYYY[-MM[-DD]]).",
    "quote": "The sentence the fact comes from, verbatim.",
}
_DESCRIPTIONS = {
    catalog.AGREEMENT: "Record an agreement (as one reached at talks in Istanbul).",
    catalog.ROUND: "Record a round of repatriation or exchange.",
    catalog.TRANSFER: "Record one party's account of what was handed over in a round.",
    catalog.TOTAL: "Record an aggregate claim (as 'over 4,800 bodies since February 2022').",
    catalog.OFFER: "Record a pledge that is not yet a transfer (as 'ready to hand over 2,239').",
    catalog.NOTE: "Record a qualitative report that carries no count.",
}
_EXAMPLES = {
    catalog.AGREEMENT: "eventlog report agreement --agreement istanbul-2025 --title "
    "'Istanbul talks, second round' --concluded-on 2025 --place Istanbul "
    "--attributed-to Reuters --party other",
    catalog.OFFER: "eventlog report offer --kind bodies --from RU --to UA --count 2239 "
    "--as-of 2025 --attributed-to 'Russian Defence Ministry' --party RU",
    catalog.NOTE: "eventlog report note --text 'the exchange is still ongoing' "
    "--round june-2025 --attributed-to 'Coordination Headquarters' --party UA",
    catalog.ROUND: "eventlog report round --round june-2025 --occurred-on 2025-06 "
    "--attributed-to 'Coordination Headquarters' --party UA --document ukrinform-1",
    catalog.TRANSFER: "eventlog report transfer --round june-2025 --kind bodies --from RU --to UA "
    "--count 6057 --attributed-to 'Coordination Headquarters' --party UA",
    catalog.TOTAL: "eventlog report total --kind bodies --to UA --since 2022-02 --as-of 2025-06 "
    "--count 6000 --qualifier at_least --attributed-to Reuters --party other",
}


def stack_options(option_list: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def decorate(func: Any) -> Any:
        # on a function options are stacked (the last applied is listed first); on a
        # Command they are appended to its params
        for option in option_list if isinstance(func, click.Command) else reversed(option_list):
            func = option(func)
        return func

    return decorate


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _choice(annotation: Any) -> click.Choice[Any] | None:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return click.Choice(typing.get_args(annotation))
    return None


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


_SOURCE_CHOICES = {"party": catalog.SOURCE_PARTIES, "attribution": catalog.ATTRIBUTIONS}
_SOURCE_REQUIRED = ("attributed_to", "party")


def source_options(required: bool) -> tuple[list[Callable[[Any], Any]], dict[str, str]]:
    """Options for a ``Source`` (one per field, ``_SOURCE_HELP``; a test checks they are the
    model's), without importing the models: ``correct`` and ``retract`` are built at import."""
    option_list, fields = [], {}
    for name, help_text in _SOURCE_HELP.items():
        flag = _flag(name)
        choices = _SOURCE_CHOICES.get(name)
        option_list.append(
            click.option(
                flag,
                f"source_{name}",
                type=click.Choice(choices) if choices else None,
                required=required and name in _SOURCE_REQUIRED,
                help=help_text,
            )
        )
        fields[f"data.source.{name}"] = flag
        fields[f"source.{name}"] = flag
    return option_list, fields


def source_from(kw: dict[str, Any]) -> dict[str, Any] | None:
    """The ``source`` object from its options (popped from ``kw``)."""
    source = {k.removeprefix("source_"): kw.pop(k) for k in list(kw) if k.startswith("source_")}
    source = {k: v for k, v in source.items() if v is not None}
    return source or None


def _field_options(model: Any) -> tuple[list[Callable[[Any], Any]], dict[str, str], bool]:
    """One option per field of a fact's model (``source`` aside); field -> option map."""
    option_list: list[Callable[[Any], Any]] = []
    fields: dict[str, str] = {}
    has_source = False
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key == "source":
            has_source = True
            continue
        if key == "count":
            option_list.append(
                click.option("--count", type=int, required=True, help="The reported number.")
            )
            option_list.append(
                click.option(
                    "--qualifier",
                    type=click.Choice(catalog.QUALIFIERS),
                    default="exact",
                    show_default=True,
                    help="'over 6,000' is --count 6000 --qualifier at_least.",
                )
            )
            fields.update(
                {
                    "data.count.value": "--count",
                    "data.count": "--count",
                    "data.count.qualifier": "--qualifier",
                }
            )
        elif key == "scope":
            option_list.append(
                click.option(
                    "--scope-agreement", help="The total covers this agreement's rounds..."
                )
            )
            option_list.append(click.option("--since", help="...or everything since this date."))
            fields.update(
                {
                    "data.scope.agreement": "--scope-agreement",
                    "scope.agreement": "--scope-agreement",
                    "data.scope.since": "--since",
                }
            )
        elif typing.get_origin(_unwrap(info.annotation)) is list:
            flag = _flag(key.removesuffix("s"))
            option_list.append(
                click.option(flag, f"field_{key}", multiple=True, help=_HELP.get(key))
            )
            fields[f"data.{key}"] = flag
        else:
            flag = _flag(key)
            option_list.append(
                click.option(
                    flag,
                    f"field_{key}",
                    type=_choice(info.annotation),
                    required=info.is_required(),
                    help=_HELP.get(key),
                )
            )
            fields[f"data.{key}"] = flag
            fields[key] = flag
    return option_list, fields, has_source


def _fact_command(event_type: str) -> click.Command:
    """``report <name>`` for a fact type: one option per field of its model."""
    from eventlog.events import FACT_DATA

    option_list, fields, has_source = _field_options(FACT_DATA[event_type])
    more, source_fields = source_options(required=True) if has_source else ([], {})
    fields.update(source_fields)
    option_list += [
        *more,
        click.option("--id", "event_id", help="Event id of your choosing (default: generated)."),
        expect_option,
        by_option,
        dry_run_option,
        allow_duplicate_option,
    ]

    def callback(**kw: Any) -> None:
        ctx = click.get_current_context()
        data: dict[str, Any] = {}
        for key in list(kw):
            if key.startswith("field_"):
                value = kw.pop(key)
                data[key.removeprefix("field_")] = (
                    list(value) if isinstance(value, tuple) else value
                )
        if "count" in kw:
            data["count"] = {"value": kw.pop("count"), "qualifier": kw.pop("qualifier")}
        if "since" in kw:
            agreement, since = kw.pop("scope_agreement"), kw.pop("since")
            if (agreement is None) == (since is None):
                raise click.UsageError("give exactly one of --scope-agreement and --since")
            data["scope"] = {"agreement": agreement} if agreement else {"since": since}
        if has_source:
            data["source"] = source_from(kw)
        item: dict[str, Any] = {
            "type": event_type,
            "data": {k: v for k, v in data.items() if v not in (None, [])},
        }
        if kw.get("event_id"):
            item["id"] = kw["event_id"]
        submit(
            ctx.parent.parent if ctx.parent and ctx.parent.parent else ctx,
            [(1, item)],
            by=kw["by"],
            expect_seq=kw["expect_seq"],
            dry_run=kw["dry_run"],
            allow_duplicate=kw["allow_duplicate"],
            options={**fields, "id": "--id"},
        )

    description = _DESCRIPTIONS[event_type]
    example = _EXAMPLES.get(event_type)
    help_text = description + (f"\n\n\b\nExamples:\n  {example}" if example else "")
    command = click.Command(
        event_type.split(".", maxsplit=1)[0],
        callback=callback,
        help=help_text,
        short_help=description,
    )
    return stack_options(option_list)(command)  # type: ignore[no-any-return]


class _ReportGroup(click.Group):
    """Builds each fact type's command when it is first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = [t.split(".")[0] for t in catalog.FACT_TYPES if t in _DESCRIPTIONS]
        return [*names, "exchange"]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "exchange":
            return exchange
        for event_type in catalog.FACT_TYPES:
            if event_type.split(".")[0] == cmd_name and event_type in _DESCRIPTIONS:
                return _fact_command(event_type)
        return None


@click.group(cls=_ReportGroup, short_help="Record a reported fact without writing JSON by hand.")
def report() -> None:
    """Record a reported fact without writing JSON by hand.

    \b
    Examples:
      eventlog report transfer --round june-2025 --kind bodies --from RU --to UA \\
        --count 6057 --attributed-to 'Coordination Headquarters' --party UA
      eventlog report exchange --round may-23-2025 --occurred-on 2025-05-23 --kind pows \\
        --ua-account 390/390 --ru-account 390/390 --ua-attributed-to Zelensky \\
        --ru-attributed-to 'Russian Defence Ministry' --document reuters-2025-05-23
    """
