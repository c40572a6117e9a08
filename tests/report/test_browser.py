"""The site in a real browser: headless Chromium (the Debian package) driven by Playwright.

Skipped, with the reason, only where ``/usr/bin/chromium`` is absent; ``.ci/run``
installs it, so CI always runs these.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from report_site import HOSTILE, build, hostile_events, paged, views

from eventlog import store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium here (apt-get install -y chromium)"
)


@dataclass
class Opened:
    """A page opened from disk, with everything it tried to load or log."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """The real archive's site and the hostile log's site: (log, site) each."""
    import shutil

    from report_site import REPO

    root = tmp_path_factory.mktemp("sites")
    archive = root / "log"
    archive.mkdir()
    shutil.copyfile(REPO / "log" / "events.jsonl", archive / "events.jsonl")
    hostile = root / "hostile"
    hostile.mkdir()
    store.append(hostile, hostile_events(), by=f"{HOSTILE} by")
    return {
        "archive": (archive, build(archive, root / "out-archive")),
        "hostile": (hostile, build(hostile, root / "out-hostile")),
    }


def open_site(browser: Any, site: Path, width: int = 1280, name: str = "index.html") -> Opened:
    """Open ``site/NAME`` from disk, recording every request and every error; any
    request other than the page itself is aborted."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    url = (site / name).resolve().as_uri()
    opened = Opened(page, url)

    def route(r: Any) -> None:
        opened.requests.append(r.request.url)
        if r.request.url == url:
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: m.type in ("error", "warning") and opened.errors.append(m.text))
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.goto(url)
    return opened


def expected_marks(log_dir: Path, out: Path) -> list[dict[str, int]]:
    """Per chart, in page order, the marks the store's figures call for."""
    totals, rounds = views(log_dir, out)
    marks = []
    for t in totals["totals"]:
        key = (t["kind"], t["from"], t["to"])
        flows = [
            f
            for r in rounds["rounds"]
            for f in r["flows"]
            if (f["kind"], f["from"], f["to"]) == key
        ]
        with closing(sqlite3.connect(out / "archive.sqlite")) as conn:
            (differing,) = conn.execute(
                "SELECT count(*) FROM accounts JOIN flows USING (round, kind, sender, receiver)"
                " WHERE discrepant = 1 AND kind = ? AND sender = ? AND receiver = ?",
                key,
            ).fetchone()
        claims = [
            c
            for c in totals["reported_totals"]
            if c["kind"] == t["kind"] and c["to"] == t["to"] and c["from"] in (t["from"], None)
        ]
        marks.append({"bar": len(flows), "account": differing})
        marks.append({"step": len(flows), "claim": len(claims)})
    return marks


@pytest.mark.parametrize("name", ["archive", "hostile"])
def test_headline_figures_are_visible(browser: Any, sites: dict[str, Any], name: str) -> None:
    """Each flow's best total, as ``totals --json`` gives it, is shown with separators."""
    log_dir, site = sites[name]
    totals, _ = views(log_dir, site.parent)
    opened = open_site(browser, site)
    for i, t in enumerate(totals["totals"], 1):
        best = opened.page.locator(f"#total-{i} .best")
        assert best.is_visible()
        assert best.inner_text() == f"{t['best']:,}"
    assert opened.page.locator(".flow").count() == len(totals["totals"])


@pytest.mark.parametrize("name", ["archive", "hostile"])
def test_every_chart_draws_its_marks(browser: Any, sites: dict[str, Any], name: str) -> None:
    """Each chart's SVG is rendered with one mark per round, account and claim."""
    log_dir, site = sites[name]
    opened = open_site(browser, site)
    figures = opened.page.locator("figure")
    expected = expected_marks(log_dir, site.parent)
    assert figures.count() == len(expected)
    for i, marks in enumerate(expected):
        figure = figures.nth(i)
        svg = figure.locator("svg.chart")
        assert svg.is_visible()
        assert svg.bounding_box()["height"] > 100
        assert {k: figure.locator(f"svg .{k}").count() for k in marks} == marks
        assert figure.locator("svg desc").text_content()
        assert figure.locator("table.chart-data tbody tr").count() == next(iter(marks.values()))


def test_hostile_text_is_only_text(browser: Any, sites: dict[str, Any]) -> None:
    """Markup, scripts, javascript: links and bidi characters from events do nothing."""
    _, site = sites["hostile"]
    opened = open_site(browser, site)
    page = opened.page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("script, img, iframe, object, embed, link, base").count() == 0
    assert page.locator("style").count() == 1
    assert page.locator("[onerror]").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert all(re.match(r"(file|https?):", h) for h in hrefs)
    assert not any(h.lower().startswith("javascript") for h in hrefs)
    text = page.inner_text("body")
    assert "<script>window.__pwned=1</script>" in text
    assert "<U+202E>evil<U+2066>" in text
    assert "<U+2066><U+0009>tabbed" in text
    assert page.locator("body").is_visible()
    assert opened.requests == [opened.url]
    assert opened.errors == []


@pytest.mark.parametrize("name", ["archive", "hostile"])
def test_no_request_leaves_the_page(browser: Any, sites: dict[str, Any], name: str) -> None:
    """Opened from disk, the page loads nothing else and logs no error."""
    _, site = sites[name]
    opened = open_site(browser, site)
    opened.page.mouse.wheel(0, 20000)
    assert opened.requests == [opened.url]
    assert opened.errors == []


def test_screenshot_of_the_archive(browser: Any, sites: dict[str, Any], tmp_path: Path) -> None:
    """A full-page screenshot of the real archive's report is kept under the test's tmp dir."""
    _, site = sites["archive"]
    shot = tmp_path / "archive-report.png"
    open_site(browser, site).page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["archive", "hostile"])
def test_phone_width_has_no_horizontal_scroll(
    browser: Any, sites: dict[str, Any], name: str
) -> None:
    """At 390 px the page body never scrolls sideways (wide tables scroll in their box)."""
    _, site = sites[name]
    page = open_site(browser, site, width=390).page
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= 390
    assert widths[1] <= 390
    assert widths[2] == 390


def test_printable(browser: Any, sites: dict[str, Any]) -> None:
    """Printed, the page drops its navigation, keeps every table and makes a PDF."""
    _, site = sites["archive"]
    page = open_site(browser, site).page
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()
    assert page.locator("#rounds-table").is_visible()
    assert page.pdf()[:5] == b"%PDF-"


def test_numbers_are_right_aligned_with_separators(browser: Any, sites: dict[str, Any]) -> None:
    """Every numeric cell is right-aligned and no number has four digits in a row."""
    _, site = sites["archive"]
    page = open_site(browser, site).page
    cells = page.eval_on_selector_all(
        "td.num", "els => els.map(e => [getComputedStyle(e).textAlign, e.innerText])"
    )
    assert len(cells) > 20
    assert {align for align, _ in cells} == {"right"}
    assert not [t for _, t in cells if re.search(r"\d{4}", t)]
    assert any("," in t for _, t in cells)


def test_the_harness_sees_requests_and_errors(browser: Any, tmp_path: Path) -> None:
    """A page that does load something and log an error is caught by ``open_site``
    (so the empty lists above mean something)."""
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><img src="https://example.invalid/x.png">'
        "<script>console.error('boom')</script>"
    )
    opened = open_site(browser, tmp_path)
    assert "https://example.invalid/x.png" in opened.requests
    assert "boom" in opened.errors


def test_round_pages_are_inert_and_fit_a_phone(browser: Any, tmp_path: Path) -> None:
    """A page of round details (a large archive's) shows hostile text as text, loads
    nothing, logs no error and does not scroll sideways at 390 px."""
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    store.append(log_dir, hostile_events(), by=f"{HOSTILE} by")
    site = paged(log_dir, tmp_path / "out", per_page=1)
    opened = open_site(browser, site, width=390, name="rounds-1.html")
    page = opened.page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("script, img, iframe, object, embed, link, base").count() == 0
    assert "<script>window.__pwned=1</script>" in page.inner_text("body")
    assert page.locator("section.round").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert opened.requests == [opened.url]
    assert opened.errors == []
