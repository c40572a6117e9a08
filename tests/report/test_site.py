"""``projections report``: the page's safety nets, its contents, and atomic publication."""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from report_site import HOSTILE, build, paged, run, views

from projections.report import csvfiles
from projections.report.data import assemble
from projections.report.load import load
from projections.report.site import charts, render_pages
from projections.store import catch_up


def test_report_prints_one_summary_line(archive_log: Path, tmp_path: Path) -> None:
    """The command writes OUT/site and says where, from which seq."""
    result = run("--log", str(archive_log), "report", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert result.output.startswith(f"Report: {tmp_path / 'out' / 'site' / 'index.html'} and 6 ")
    seq = len((archive_log / "events.jsonl").read_bytes().splitlines())
    assert f"from seq {seq} (" in result.output
    assert sorted(os.listdir(tmp_path / "out" / "site")) == sorted(
        ["index.html", *csvfiles.COLUMNS]
    )


def test_page_has_a_restrictive_policy_and_no_script(archive_log: Path, tmp_path: Path) -> None:
    """The CSP allows only the page's own stylesheet, by hash; the page holds no script."""
    page = (build(archive_log, tmp_path / "out") / "index.html").read_text()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode()).digest()).decode()
    assert html.unescape(policy.group(1)).startswith(
        f"default-src 'none'; style-src 'sha256-{digest}'"
    )
    assert "<script" not in page.lower()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_page_shows_the_stores_figures(archive_log: Path, tmp_path: Path) -> None:
    """Every headline total and every reported gap of ``totals --json`` is on the page."""
    page = (build(archive_log, tmp_path / "out") / "index.html").read_text()
    totals, _ = views(archive_log, tmp_path / "out")
    for t in totals["totals"]:
        assert f'data-figure="best">{t["best"]:,}<' in page
    for r in totals["reported_totals"]:
        gap = r["gap_range"]
        shown = f"≥ {gap['low']:,}" if gap["high"] is None else f"{gap['low']:,}"
        assert f">{shown}</td>" in page


def test_hostile_text_is_escaped_and_made_visible(hostile_log: Path, tmp_path: Path) -> None:
    """Markup from events is escaped, bidi and control characters spelled, javascript:
    never linked, and the crafted URL's quote cannot close its attribute."""
    page = (build(hostile_log, tmp_path / "out") / "index.html").read_text()
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert 'href="javascript' not in page.lower()
    assert "\u202e" not in page
    assert "\t" not in page.split("<body>", 1)[1].split("<style>")[0]
    assert "&lt;U+202E&gt;evil&lt;U+2066&gt;" in page
    assert "evil&lt;U+2066&gt;&lt;U+0009&gt;tabbed" in page
    assert 'href="https://example.invalid/&#34;&gt;&lt;script&gt;' in page
    assert HOSTILE not in page


def test_republishing_swaps_the_whole_site(archive_log: Path, tmp_path: Path) -> None:
    """A second report replaces the symlink in one rename and removes the old directory."""
    out = tmp_path / "out"
    first = os.readlink(build(archive_log, out))
    second = os.readlink(build(archive_log, out))
    assert first != second
    assert not (out / first).exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".site-")] == [second]


def test_a_directory_in_the_sites_place_is_refused(archive_log: Path, tmp_path: Path) -> None:
    """OUT/site that is not the report's symlink: one Error line, exit 1, left alone."""
    out = tmp_path / "out"
    (out / "site").mkdir(parents=True)
    (out / "site" / "mine.txt").write_text("keep")
    result = run("--log", str(archive_log), "report", "--out", str(out))
    assert result.exit_code == 1
    assert result.output == f"Error: {out / 'site'}: exists and is not the report's symlink\n"
    assert (out / "site" / "mine.txt").read_text() == "keep"


def test_a_missing_log_is_one_error_line(tmp_path: Path) -> None:
    """No log: one Error line, exit 1, nothing published."""
    result = run("--log", str(tmp_path / "nolog"), "report", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert result.output.count("\n") == 1
    assert not (tmp_path / "out" / "site").exists()


def test_rebuild_with_report_refreshes_the_site(archive_log: Path, tmp_path: Path) -> None:
    """``rebuild --report`` rebuilds, then publishes the site, for cron."""
    out = tmp_path / "out"
    result = run("--log", str(archive_log), "rebuild", "--out", str(out), "--report")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1].startswith("Report: ")
    assert (out / "site" / "index.html").is_file()


def test_hostile_text_appears_in_every_section(hostile_log: Path, tmp_path: Path) -> None:
    """The escaped hostile text is shown in rounds, accounts, notes, trails and sources."""
    page = (build(hostile_log, tmp_path / "out") / "index.html").read_text()
    escaped = "&lt;script&gt;window.__pwned=1&lt;/script&gt;"
    for section in (
        "reported",
        "disagreements",
        "rounds",
        "offers",
        "notes",
        "revisions",
        "sources",
    ):
        body = page.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
        assert escaped in body, section


def test_a_javascript_url_is_never_a_link() -> None:
    """A source URL that is not http(s) (which eventlog refuses, but a log written by
    another tool may hold) is shown as text, never linked."""
    source = {"attributed_to": "x", "party": "UA", "url": "javascript:alert(1)", "quote": "q"}
    trail = {
        "id": "n1",
        "type": "note.recorded",
        "status": "current",
        "versions": [{"seq": 1, "event_id": "n1", "recorded_at": "t", "recorded_by": "b",
                      "action": "reported", "data": {"text": "t", "source": source}}],
    }  # fmt: skip
    empty = {"known_at": {"seq": 1}, "totals": [], "reported_totals": [], "offers": []}
    data = assemble(empty, {"rounds": []}, [trail], [], "h" * 64, "now")
    page = b"".join(render_pages(data)["index.html"]).decode()
    assert "javascript:alert(1)" in page
    assert 'href="javascript' not in page
    assert "not linked (not http or https)" in page


def test_csv_files_are_linked_from_the_page(archive_log: Path, tmp_path: Path) -> None:
    """Each CSV file is linked from the section it backs and from the list of files."""
    page = (build(archive_log, tmp_path / "out") / "index.html").read_text()
    for name in csvfiles.COLUMNS:
        assert page.count(f'href="{name}"') >= 1


def test_a_correction_shows_its_change_reason_and_source(hostile_log: Path, tmp_path: Path) -> None:
    """The trail of a corrected account shows old and new count, the reason and the
    correction's own source, all escaped."""
    page = (build(hostile_log, tmp_path / "out") / "index.html").read_text()
    (row,) = [r for r in page.split("<tr>") if "count: 1,000 -&gt; 1,100" in r]
    assert "<td>count: 1,000 -&gt; 1,100</td>" in row
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in row
    assert 'Source: <span class="source">+&lt;script&gt;' in row
    assert "quote13" in row


def test_an_empty_log_gives_a_page_that_says_so(tmp_path: Path) -> None:
    """A log with no event yet: a page with no figure and an honest footer."""
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "events.jsonl").write_bytes(b"")
    result = run("--log", str(tmp_path / "log"), "report", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert result.output.endswith("(0 rounds) from an empty log\n")
    page = (tmp_path / "out" / "site" / "index.html").read_text()
    assert "No transfer has been recorded yet." in page
    assert "Built from an empty log." in page


def test_many_rounds_put_their_details_on_pages(hostile_log: Path, tmp_path: Path) -> None:
    """Past ``per_page`` rounds, details go to round pages the main page links to."""
    site = paged(hostile_log, tmp_path / "out", per_page=1)
    index = (site / "index.html").read_text()
    assert sorted(p.name for p in site.glob("rounds-*.html")) == ["rounds-1.html", "rounds-2.html"]
    assert '<a href="rounds-1.html#round-r1">' in index
    assert '<a href="rounds-1.html#fact-tr-1-ua">' in index
    assert '<section class="round"' not in index
    first = (site / "rounds-1.html").read_text()
    assert '<section class="round" id="round-r1">' in first
    assert '<li id="fact-tr-1-ua">' in first
    assert "count: 1,000 -&gt; 1,100" in first
    assert "<script" not in first.lower()
    assert first.count('http-equiv="Content-Security-Policy"') == 1


class _Links(HTMLParser):
    """The ids a page defines and the links it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))


def _dangling(site: Path) -> list[str]:
    """Every link inside the site whose file or fragment does not exist."""
    pages: dict[str, _Links] = {}
    for path in site.glob("*.html"):
        parser = _Links()
        parser.feed(path.read_text())
        pages[path.name] = parser
    broken = []
    for name, parser in pages.items():
        for href in parser.hrefs:
            if href.startswith(("http://", "https://")):
                continue
            target, _, fragment = href.partition("#")
            target = target or name
            if not (site / target).is_file() or (
                fragment and target in pages and fragment not in pages[target].ids
            ):
                broken.append(f"{name}: {href}")
    return broken


def test_every_link_inside_the_site_resolves(
    archive_log: Path, hostile_log: Path, tmp_path: Path
) -> None:
    """Each link to a round, an account, a fact, a document or a CSV file finds its target,
    on one page and when round details are on pages of their own."""
    assert _dangling(build(archive_log, tmp_path / "a")) == []
    assert _dangling(build(hostile_log, tmp_path / "h")) == []
    assert _dangling(paged(hostile_log, tmp_path / "p", per_page=1)) == []


def test_running_sums_end_at_the_stores_totals(hostile_log: Path, tmp_path: Path) -> None:
    """The charts' running sum of the rounds (the one sum the page draws itself) ends
    at the total the store gives for the flow."""
    out = tmp_path / "out"
    build(hostile_log, out)
    totals, _ = views(hostile_log, out)
    caught = catch_up(hostile_log, out)
    try:
        data = load(caught.conn, caught.lines)
    finally:
        caught.close()
    sums = [c for c in charts(data) if c.id.endswith("-sum")]
    assert [c.rows[-1][-1] for c in sums] == [f"{t['best']:,}" for t in totals["totals"]]


def test_a_retracted_claim_keeps_its_trail_on_the_page(hostile_log: Path, tmp_path: Path) -> None:
    """A reported total that was retracted leaves the table but its trail (reported, then
    retracted with the reason) is on the page."""
    page = (build(hostile_log, tmp_path / "out") / "index.html").read_text()
    section = page.split('<section id="revisions">', 1)[1].split("</section>", 1)[0]
    assert '<p id="trail-tot-2"><code>tot-2</code> (total.reported): retracted</p>' in section
    assert "<td>retracted</td>" in section
    assert 'id="fact-tot-2"' not in page
