"""``eventlog report exchange``: rounds and both parties' accounts of them in one batch."""

from __future__ import annotations

import re
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

_MARKS = {mark: qualifier for qualifier, mark in catalog.QUALIFIER_MARKS.items() if mark}
_FIGURE = re.compile(r"(>=|<=|~)?([0-9]+)")


def _figure(text: str, option: str) -> dict[str, Any] | None:
    """``390``, ``>=390``, ``~390`` or ``-`` (no figure) as a count."""
    text = text.strip().replace(",", "").replace("_", "")
    if text == "-":
        return None
    match = _FIGURE.fullmatch(text)
    if match is None:
        raise click.BadParameter(
            f"{text!r} is not a figure (390, >=390, <=390, ~390 or -)", param_hint=option
        )
    mark, value = match.groups()
    return {"value": int(value), "qualifier": _MARKS.get(mark or "", "exact")}


def _accounts(text: str | None, rounds: int, option: str) -> list[tuple[Any, Any]]:
    """``TO_UA/TO_RU`` per round, comma-separated in the order of --round."""
    if text is None:
        return [(None, None)] * rounds
    stages = text.split(",") if "," in text and "/" in text else [text]
    if len(stages) != rounds:
        raise click.BadParameter(
            f"{len(stages)} accounts for {rounds} rounds: give one "
            "TO_UA/TO_RU per --round, comma-separated",
            param_hint=option,
        )
    result = []
    for stage in stages:
        to_ua, sep, to_ru = stage.partition("/")
        if not sep:
            raise click.BadParameter(
                f"{stage!r}: expected TO_UA/TO_RU (as 390/390 or 1000/-)", param_hint=option
            )
        result.append((_figure(to_ua, option), _figure(to_ru, option)))
    return result


@click.command(short_help="Record rounds and both parties' accounts of them in one batch.")
@click.option(
    "--round",
    "rounds",
    multiple=True,
    required=True,
    metavar="SLUG",
    help="Slug of a new round; repeat for each stage.",
)
@click.option(
    "--occurred-on",
    "dates",
    multiple=True,
    required=True,
    metavar="DATE",
    help="Date of each round, in the order of --round.",
)
@click.option("--agreement", help="Slug of the agreement the rounds belong to.")
@click.option("--mediator", "mediators", multiple=True, help="A mediator; repeat for each.")
@click.option("--kind", type=click.Choice(catalog.KINDS), required=True)
@click.option(
    "--ua-account",
    metavar="TO_UA/TO_RU[,...]",
    help="Ukraine's figures: handed to Ukraine / handed to Russia, per round.",
)
@click.option(
    "--ru-account", metavar="TO_UA/TO_RU[,...]", help="Russia's figures, in the same form."
)
@click.option("--ua-attributed-to", help="Who gave Ukraine's figures (needed with --ua-account).")
@click.option("--ru-attributed-to", help="Who gave Russia's figures (needed with --ru-account).")
@click.option("--ua-quote", help="The sentence Ukraine's figures come from.")
@click.option("--ru-quote", help="The sentence Russia's figures come from.")
@click.option(
    "--attribution",
    type=click.Choice(catalog.ATTRIBUTIONS),
    help="'inferred' when the report does not name who gave the figures.",
)
@click.option("--document", help="Slug of the recorded document all of it comes from...")
@click.option("--outlet", help="...or the outlet that reported it,")
@click.option("--url", help="its URL")
@click.option("--published-on", help="and its date.")
@expect_option
@by_option
@dry_run_option
@allow_duplicate_option
@click.pass_context
def exchange(
    ctx: click.Context, /, rounds: tuple[str, ...], dates: tuple[str, ...], **kw: Any
) -> None:
    """Record rounds of an exchange and each party's account of both directions, at once.

    One all-or-nothing batch: a round.recorded per --round, and a transfer.reported
    for each figure each party gave (ids rnd-SLUG and tr-SLUG-FROM-TO-PARTY, so a
    repeated command reports "exists"). One source for all of it. Figures are
    TO_UA/TO_RU per round: 390/390, >=1000/-, ~300/300; '-' where none was given.

    \b
    Examples:
      eventlog report exchange --kind pows --document reuters-2025-05-25 \\
        --round may-23-2025 --occurred-on 2025-05-23 \\
        --round may-24-2025 --occurred-on 2025-05-24 \\
        --round may-25-2025 --occurred-on 2025-05-25 \\
        --ua-account 390/390,307/307,303/303 --ua-attributed-to Zelensky \\
        --ru-account 390/390,307/307,303/303 --ru-attributed-to 'Russian Defence Ministry'
    """
    if len(dates) != len(rounds):
        raise click.UsageError(
            f"{len(rounds)} --round but {len(dates)} --occurred-on: give one date per round"
        )
    accounts = {
        party: _accounts(kw[f"{party.lower()}_account"], len(rounds), f"--{party.lower()}-account")
        for party in catalog.PARTIES
    }
    given = [p for p in catalog.PARTIES if kw[f"{p.lower()}_account"] is not None]
    if not given:
        raise click.UsageError("give --ua-account, --ru-account or both")
    for party in given:
        if not kw[f"{party.lower()}_attributed_to"]:
            raise click.UsageError(
                f"--{party.lower()}-account needs --{party.lower()}-attributed-to"
            )
    shared = {
        k: kw[k]
        for k in ("attribution", "document", "outlet", "url", "published_on")
        if kw[k] is not None
    }

    def source(party: str, quote: bool) -> dict[str, Any]:
        said = {"attributed_to": kw[f"{party.lower()}_attributed_to"], "party": party, **shared}
        if quote and kw[f"{party.lower()}_quote"]:
            said["quote"] = kw[f"{party.lower()}_quote"]
        return said

    items: list[tuple[int, Any]] = []
    for stage, (slug, date) in enumerate(zip(rounds, dates, strict=True)):
        data: dict[str, Any] = {
            "round": slug,
            "occurred_on": date,
            "source": source(given[0], False),
        }
        if kw["agreement"]:
            data["agreement"] = kw["agreement"]
        if kw["mediators"]:
            data["mediators"] = list(kw["mediators"])
        items.append((1, {"id": f"rnd-{slug}", "type": catalog.ROUND, "data": data}))
        for party in given:
            for (sender, receiver), count in zip(
                (("RU", "UA"), ("UA", "RU")), accounts[party][stage], strict=True
            ):
                if count is None:
                    continue
                items.append(
                    (
                        1,
                        {
                            "id": f"tr-{slug}-{sender}-{receiver}-{party}".lower(),
                            "type": catalog.TRANSFER,
                            "data": {
                                "round": slug,
                                "kind": kw["kind"],
                                "from": sender,
                                "to": receiver,
                                "count": count,
                                "source": source(party, True),
                            },
                        },
                    )
                )
    options = {
        "data.occurred_on": "--occurred-on",
        "occurred_on": "--occurred-on",
        "round": "--round",
        "data.round": "--round",
        "data.kind": "--kind",
        "agreement": "--agreement",
        "data.source.document": "--document",
        "source.document": "--document",
        "data.source.outlet": "--outlet",
        "data.source.url": "--url",
        "data.source.published_on": "--published-on",
        "source.published_on": "--published-on",
        "data.mediators": "--mediator",
    }
    submit(
        ctx,
        items,
        by=kw["by"],
        expect_seq=kw["expect_seq"],
        dry_run=kw["dry_run"],
        allow_duplicate=kw["allow_duplicate"],
        options=options,
    )
