"""Rendering the site's files (one HTML page, its CSV files) from the report's data.

Jinja2 with autoescaping everywhere and a ``finalize`` hook that spells control
and bidirectional characters visibly (``<U+202E>``), so no text from an event can
become markup or reorder what a reader sees. The page carries its CSS inline,
allowed by hash in a Content-Security-Policy that forbids every script and every
request: the site works from ``file://`` with no network at all.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from projections.report import csvfiles, text
from projections.report.charts import Chart, cumulative_chart, rounds_chart
from projections.report.data import FlowKey, ReportData, scope_text

TEMPLATES = Path(__file__).parent / "templates"
PARTY_NAMES = {"UA": "Ukraine", "RU": "Russia", "other": "another source", "any": "either side"}
ACCOUNT_NAMES = {
    "UA": "Ukraine's account",
    "RU": "Russia's account",
    "other": "neither side's account",
}
KIND_NAMES = {"bodies": "Bodies", "pows": "Prisoners of war", "civilians": "Civilians"}
CHUNK = 1 << 20
"""Characters of the page written at a time."""
_ANCHOR = re.compile(r"[A-Za-z0-9._-]{1,100}")


def anchor(value: Any) -> str:
    """A fragment id for a slug: the slug itself when plain, else a digest of it."""
    slug = str(value)
    if _ANCHOR.fullmatch(slug):
        return slug
    return "h" + hashlib.sha256(slug.encode()).hexdigest()[:20]


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict) and "value" in value:
        return text.quantity(value)
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def change(step: Any) -> str:
    """One field of a correction: ``1,000 -> 1,100`` (the store keeps from and to); of a
    changed object (a source), only its fields that changed."""
    if not (isinstance(step, dict) and step.keys() == {"from", "to"}):
        return _shown(step)
    old, new = step["from"], step["to"]
    if isinstance(old, dict) and isinstance(new, dict) and "value" not in old:
        return "; ".join(
            f"{key} {_shown(old.get(key))} -> {_shown(new.get(key))}"
            for key in sorted(old.keys() | new.keys())
            if old.get(key) != new.get(key)
        )
    return f"{_shown(old)} -> {_shown(new)}"


def _finalize(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return text.visible(value)
    return value


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=text.number,
        qty=text.quantity,
        span=lambda pair: text.span(*pair),
        date=text.human_date,
        safe_url=text.safe_url,
        anchor=anchor,
        scope=scope_text,
        party=lambda p: PARTY_NAMES.get(p, p or "either side"),
        account=lambda p: ACCOUNT_NAMES.get(p, p),
        kind=lambda k: KIND_NAMES.get(k, k),
        change=change,
    )
    return env


def csp(css: str) -> str:
    """The page's policy: its one inline stylesheet by hash, nothing else loads or runs."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def _flow_name(key: FlowKey) -> str:
    kind, source, target = key
    return f"{KIND_NAMES.get(kind, kind)}, {PARTY_NAMES.get(source, source)} to " + (
        PARTY_NAMES.get(target, target)
    )


def charts(data: ReportData) -> list[Chart]:
    """Two charts per flow: rounds (with accounts where they differ) and the running sum."""
    found = []
    for i, t in enumerate(data.totals, 1):
        key = (t["kind"], t["from"], t["to"])
        points = data.points(key)
        name = _flow_name(key)
        found.append(rounds_chart(f"chart-{i}-rounds", name, points))
        found.append(cumulative_chart(f"chart-{i}-sum", name, points, data.claims(key)))
    return found


def _imprecise(data: ReportData) -> list[int]:
    """Per headline flow, how many of its rounds are dated less precisely than a day."""
    return [
        sum(1 for p in data.points((t["kind"], t["from"], t["to"])) if len(p["occurred_on"]) != 10)
        for t in data.totals
    ]


TITLE = "Repatriations and prisoner exchanges between Ukraine and Russia: what was reported"
PER_PAGE = 200
"""Rounds whose details (accounts, notes, trails) fit on the main page; beyond that they
go to pages of this many rounds, so that the main page stays small enough to open."""


@dataclass(frozen=True)
class RoundPage:
    """One page of round details."""

    name: str
    first: str
    last: str
    rounds: list[dict[str, Any]]


def round_pages(data: ReportData, per_page: int = PER_PAGE) -> list[RoundPage]:
    """The pages of round details: none when every round fits on the main page."""
    if len(data.rounds) <= per_page:
        return []
    width = len(str((len(data.rounds) - 1) // per_page + 1))
    return [
        RoundPage(
            f"rounds-{n:0{width}d}.html",
            text.human_date(group[0]["occurred_on"]),
            text.human_date(group[-1]["occurred_on"]),
            group,
        )
        for n, start in enumerate(range(0, len(data.rounds), per_page), 1)
        if (group := data.rounds[start : start + per_page])
    ]


def _hrefs(pages: list[RoundPage]) -> Callable[..., str]:
    """``round_href(slug[, fact_id])``: where a round's (or its fact's) details are."""
    where = {r["round"]: p.name for p in pages for r in p.rounds}

    def round_href(slug: str, fact_id: str | None = None) -> str:
        target = f"fact-{anchor(fact_id)}" if fact_id else f"round-{anchor(slug)}"
        return f"{where.get(slug, '')}#{target}"

    return round_href


def _chunks(parts: Iterator[str]) -> Iterator[bytes]:
    """UTF-8 bytes in pieces of about ``CHUNK`` characters."""
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8")


def render_pages(data: ReportData, per_page: int = PER_PAGE) -> dict[str, Iterator[bytes]]:
    """``index.html`` and the round pages, each rendered as it is written: a large
    archive's page is never held whole in memory."""
    env = _environment()
    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    pages = round_pages(data, per_page)
    documents = {d["document"] for d in data.documents if isinstance(d.get("document"), str)}

    def doc_href(page: str) -> Callable[[str], str]:
        return lambda slug: f"{page}#doc-{anchor(slug)}" if slug in documents else ""

    common = {"d": data, "css": Markup(css), "csp": csp(css), "round_href": _hrefs(pages)}
    files = {
        "index.html": _chunks(
            env.get_template("index.html.j2").generate(
                **common,
                doc_href=doc_href(""),
                title=TITLE,
                charts=charts(data),
                imprecise=_imprecise(data),
                csv_columns=csvfiles.COLUMNS,
                pages=pages,
                per_page=per_page,
            )
        )
    }
    template = env.get_template("rounds.html.j2")
    for page in pages:
        files[page.name] = _chunks(
            template.generate(
                **common,
                doc_href=doc_href("index.html"),
                title=f"Rounds from {page.first} to {page.last}",
                rounds=page.rounds,
            )
        )
    return files


def _where(source: dict[str, Any]) -> list[Any]:
    return [source.get("outlet"), text.safe_url(source.get("url")), source.get("quote")]


def csv_rows(data: ReportData) -> dict[str, list[list[Any]]]:
    """The rows of each CSV file, from the same data as the page."""
    rounds, accounts = [], []
    for r in data.rounds:
        for f in r["flows"]:
            key = [f["kind"], f["from"], f["to"]]
            rounds.append(
                [r["round"], r["occurred_on"], r["agreement"], r["label"],
                 "; ".join(r["mediators"]), *key, f["best"], f["low"], f["high"],
                 f["exact"], f["discrepancy"], r["revisions"]]
            )  # fmt: skip
            for a in f["accounts"]:
                s = a["source"]
                accounts.append(
                    [r["round"], *key, a["party"], a["count"]["value"], a["count"]["qualifier"],
                     a["id"], s.get("attributed_to"), *_where(s)]
                )  # fmt: skip
    totals = [
        [t["kind"], t["from"], t["to"], t["best"], t["low"], t["high"], t["exact"],
         t["approximate"], t["rounds"], "; ".join(t["discrepant_rounds"])]
        for t in data.totals
    ]  # fmt: skip
    reported = [
        [t["id"], t["kind"], t["from"], t["to"], scope_text(t["scope"]), t["as_of"],
         t["count"]["value"], t["count"]["qualifier"], t["rounds_sum"]["best"],
         t["rounds_sum"]["low"], t["rounds_sum"]["high"], t["gap_range"]["low"],
         t["gap_range"]["high"], t["gap_range"]["exact"], t["source"].get("attributed_to"),
         t["source"].get("party"), *_where(t["source"])]
        for t in data.reported_totals
    ]  # fmt: skip
    offers = [
        [o["id"], o["kind"], o["from"], o["to"], o["count"]["value"], o["count"]["qualifier"],
         o["as_of"], o["agreement"], o["source"].get("attributed_to"), *_where(o["source"])]
        for o in data.offers
    ]  # fmt: skip
    notes = [
        [n["id"], n.get("round"), n.get("agreement"), n["text"],
         n["source"].get("attributed_to"), *_where(n["source"])]
        for n in data.notes
    ]  # fmt: skip
    return {
        "rounds.csv": rounds,
        "accounts.csv": accounts,
        "totals.csv": totals,
        "reported_totals.csv": reported,
        "offers.csv": offers,
        "notes.csv": notes,
    }


def site_files(data: ReportData, per_page: int = PER_PAGE) -> dict[str, Iterable[bytes]]:
    """Every file of the site, by name, as the chunks to write (pages are rendered as
    they are written)."""
    files: dict[str, Iterable[bytes]] = dict(render_pages(data, per_page))
    for name, rows in csv_rows(data).items():
        files[name] = [csvfiles.render(name, rows)]
    return files
