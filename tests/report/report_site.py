"""Helpers of the report tests: the hostile log, building a site with the
``projections`` command, and what the store answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from projections.cli import main
from projections.report.load import load
from projections.report.publish import publish_site
from projections.report.site import site_files
from projections.store import catch_up

REPO = Path(__file__).resolve().parents[2]
HOSTILE = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    '<a href="javascript:window.__pwned=3">click</a>'
    '<style>body{display:none}</style> =HYPERLINK("http://example.invalid/leak")'
)
"""Markup, a script, a javascript: link and a formula: what any name may hold."""
HOSTILE_TEXT = HOSTILE + " \u202eevil\u2066"
"""With bidi controls, which eventlog admits in quotes (never in names)."""
HOSTILE_PROSE = HOSTILE_TEXT + "\ttabbed\nline"
"""With a tab and a newline, which eventlog admits in prose (note text, reasons)."""
HOSTILE_URL = 'https://example.invalid/"><script>window.__pwned=4</script>'


def _source(party: str, n: int) -> dict[str, Any]:
    return {
        "attributed_to": f"+{HOSTILE} who{n}",
        "party": party,
        "outlet": f"@SUM(1) {HOSTILE} outlet{n}",
        "url": HOSTILE_URL,
        "quote": f'=HYPERLINK("http://example.invalid/q") {HOSTILE_TEXT} quote{n}',
    }


def hostile_events() -> list[dict[str, Any]]:
    """A valid log with hostile text in every free-text field (as much as eventlog admits
    in each), a disagreement, a lower bound, a correction and a retraction."""
    flow = {"kind": "bodies", "from": "RU", "to": "UA"}
    return [
        {"id": "agr", "type": "agreement.recorded", "data": {
            "agreement": "hostile", "title": HOSTILE, "place": HOSTILE, "concluded_on": "2025",
            "source": _source("other", 1)}},
        {"id": "rnd-1", "type": "round.recorded", "data": {
            "round": "r1", "occurred_on": "2025-06", "agreement": "hostile", "label": HOSTILE,
            "mediators": [HOSTILE, f"{HOSTILE} 2"], "source": _source("UA", 2)}},
        {"id": "tr-1-ua", "type": "transfer.reported", "data": {
            "round": "r1", **flow, "count": {"value": 1000}, "source": _source("UA", 3)}},
        {"id": "tr-1-ru", "type": "transfer.reported", "data": {
            "round": "r1", **flow, "count": {"value": 1200}, "source": _source("RU", 4)}},
        {"id": "tr-1-ru-again", "type": "transfer.reported", "data": {
            "round": "r1", **flow, "count": {"value": 1250}, "source": _source("RU", 12)}},
        {"id": "rnd-2", "type": "round.recorded", "data": {
            "round": "r2", "occurred_on": "2025-07-14", "label": HOSTILE,
            "source": _source("RU", 5)}},
        {"id": "tr-2-ua", "type": "transfer.reported", "data": {
            "round": "r2", **flow, "count": {"value": 50, "qualifier": "at_least"},
            "source": _source("UA", 6)}},
        {"id": "tr-2-x", "type": "transfer.reported", "data": {
            "round": "r2", "kind": "pows", "from": "UA", "to": "RU", "count": {"value": 7},
            "source": _source("RU", 7)}},
        {"id": "tot", "type": "total.reported", "data": {
            **flow, "scope": {"agreement": "hostile"}, "as_of": "2025",
            "count": {"value": 5000, "qualifier": "at_least"}, "source": _source("other", 8)}},
        {"id": "ofr", "type": "offer.reported", "data": {
            **flow, "count": {"value": 300}, "as_of": "2025", "agreement": "hostile",
            "source": _source("RU", 9)}},
        {"id": "note-1", "type": "note.recorded", "data": {
            "round": "r1", "text": HOSTILE_PROSE, "source": _source("other", 10)}},
        {"id": "note-2", "type": "note.recorded", "data": {
            "agreement": "hostile", "text": HOSTILE_PROSE, "source": _source("other", 11)}},
        {"id": "cor", "type": "fact.corrected", "data": {
            "target": "tr-1-ua", "changes": {"count": {"value": 1100}}, "reason": HOSTILE_PROSE,
            "source": _source("UA", 13)}},
        {"id": "tot-2", "type": "total.reported", "data": {
            **flow, "scope": {"since": "2025-01"}, "as_of": "2025",
            "count": {"value": 4000}, "source": _source("UA", 14)}},
        {"id": "ret-tot-2", "type": "fact.retracted", "data": {
            "target": "tot-2", "reason": HOSTILE_PROSE}},
        {"id": "ret", "type": "fact.retracted", "data": {
            "target": "tr-2-x", "reason": HOSTILE_PROSE}},
    ]  # fmt: skip


def run(*args: str) -> Any:
    """Invoke the ``projections`` command in-process."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def build(log_dir: Path, out: Path) -> Path:
    """``projections report`` for ``log_dir`` into ``out``; the site's directory."""
    result = run("--log", str(log_dir), "report", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out / "site"


def views(log_dir: Path, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """What ``projections totals --json`` and ``rounds --json`` answer for ``log_dir``."""
    totals = run("--log", str(log_dir), "--out", str(out), "totals", "--json")
    rounds = run("--log", str(log_dir), "--out", str(out), "rounds", "--json")
    return json.loads(totals.output), json.loads(rounds.output)


def paged(log_dir: Path, out: Path, per_page: int) -> Path:
    """Publish the site with ``per_page`` rounds of details per page, through the
    library."""
    caught = catch_up(log_dir, out)
    try:
        data = load(caught.conn, caught.lines)
    finally:
        caught.close()
    return publish_site(out, site_files(data, per_page=per_page))
