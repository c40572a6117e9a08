"""The report's CSV files: UTF-8 with a header row, every column documented, and no
cell a spreadsheet would run as a formula.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe (OWASP's advice), which spreadsheets show as
text; numbers are written as numbers. The files start with a UTF-8 byte order
mark so that spreadsheet programs do not guess another encoding.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may evaluate at the start of a cell."""

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "rounds.csv": [
        ("round", "the round's slug (its identity in the archive)"),
        ("occurred_on", "when it happened: YYYY, YYYY-MM, YYYY-MM-DD or an interval START/END"),
        ("agreement", "slug of the agreement the round belongs to, if any"),
        ("label", "the round's description"),
        ("mediators", "who mediated, separated by '; '"),
        ("kind", "what was transferred: bodies, pows or civilians"),
        ("from", "the side that handed over (UA or RU)"),
        ("to", "the side that received"),
        ("best", "the figure the totals use for this round and flow"),
        ("low", "the lowest figure the accounts allow"),
        ("high", "the highest figure the accounts allow; empty when open (a lower bound)"),
        ("exact", "yes when low = high and no term is approximate"),
        ("discrepancy", "yes when the parties' accounts differ"),
        ("revisions", "corrections and retractions of the round and its facts"),
    ],
    "accounts.csv": [
        ("round", "the round's slug"),
        ("kind", "what was transferred"),
        ("from", "the side that handed over"),
        ("to", "the side that received"),
        ("party", "whose account: UA, RU or other"),
        ("value", "the number reported"),
        ("qualifier", "exact, at_least (over N), at_most or about"),
        ("fact_id", "the id of the transfer.reported fact"),
        ("attributed_to", "who the report attributes the figure to"),
        ("outlet", "where it was published"),
        ("url", "the publication's http(s) address, if recorded"),
        ("quote", "the sentence the figure comes from, verbatim"),
    ],
    "totals.csv": [
        ("kind", "what was transferred"),
        ("from", "the side that handed over"),
        ("to", "the side that received"),
        ("best", "sum of the rounds' best figures"),
        ("low", "sum of the rounds' lowest figures"),
        ("high", "sum of the highest figures; empty when a term is a lower bound"),
        ("exact", "yes when low = high and no term is approximate"),
        ("approximate", "yes when a term is 'about'"),
        ("rounds", "how many rounds are summed (only the itemized ones)"),
        ("discrepant_rounds", "slugs of rounds whose accounts differ, separated by '; '"),
    ],
    "reported_totals.csv": [
        ("id", "the total.reported fact's id"),
        ("kind", "what was transferred"),
        ("from", "the side that handed over; 'any' when the claim covers both"),
        ("to", "the side that received"),
        ("scope", "what the claim covers, e.g. agreement=istanbul-2025"),
        ("as_of", "the date the claim speaks for"),
        ("value", "the number claimed"),
        ("qualifier", "exact, at_least (over N), at_most or about"),
        ("rounds_sum_best", "sum of the recorded rounds in the scope"),
        ("rounds_sum_low", "lowest such sum"),
        ("rounds_sum_high", "highest such sum; empty when open"),
        ("gap_low", "claim minus rounds: lowest"),
        ("gap_high", "claim minus rounds: highest; empty when open (the claim is a lower bound)"),
        ("gap_exact", "yes when the gap is one number"),
        ("attributed_to", "who made the claim"),
        ("party", "whose account: UA, RU or other"),
        ("outlet", "where it was published"),
        ("url", "the publication's http(s) address, if recorded"),
        ("quote", "the sentence the claim comes from, verbatim"),
    ],
    "offers.csv": [
        ("id", "the offer.reported fact's id"),
        ("kind", "what is offered"),
        ("from", "the side offering to hand over"),
        ("to", "the side that would receive"),
        ("value", "the number offered"),
        ("qualifier", "exact, at_least, at_most or about"),
        ("as_of", "the date of the offer"),
        ("agreement", "the agreement it refers to, if any"),
        ("attributed_to", "who made the offer"),
        ("outlet", "where it was published"),
        ("url", "the publication's http(s) address, if recorded"),
        ("quote", "the sentence the offer comes from, verbatim"),
    ],
    "notes.csv": [
        ("id", "the note.recorded fact's id"),
        ("round", "the round it is about, if any"),
        ("agreement", "the agreement it is about, if any"),
        ("text", "the note"),
        ("attributed_to", "who said it ('archive-maintainers' for the archive's own inferences)"),
        ("outlet", "where it was published"),
        ("url", "the publication's http(s) address, if recorded"),
        ("quote", "the sentence it comes from, verbatim"),
    ],
}
"""Each file's columns, in order, with what they hold (shown on the site and in the README)."""


def neutral(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: text that could start a formula is
    prefixed with an apostrophe; booleans become yes/no; None an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def render(name: str, rows: Iterable[Sequence[Any]]) -> bytes:
    """The bytes of one documented CSV file: BOM, header, rows, CRLF line ends."""
    columns = COLUMNS[name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c for c, _ in columns])
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"{name}: a row of {len(row)} cells for {len(columns)} columns")
        writer.writerow([neutral(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
