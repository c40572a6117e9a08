"""Inline SVG charts drawn at build time, each with a text alternative and a data table.

No script and no external file: a chart is a string of SVG markup, every text in
it escaped, every mark a class the browser tests count (``bar``, ``account``,
``step``, ``claim``). The x axis is the rounds in date order, one slot per round,
not a time scale: many rounds are dated only to a month or a year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from projections.report.text import human_date, number, quantity, span, visible

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


@dataclass
class Chart:
    """One chart: its SVG, the sentence that replaces it, and the table of its data."""

    id: str
    title: str
    alt: str
    columns: list[str]
    rows: list[list[str]]
    svg: Markup = field(default_factory=Markup)
    marks: dict[str, int] = field(default_factory=dict)


def _scale(top_value: int) -> tuple[int, float]:
    """A rounded axis maximum and the pixels per unit."""
    top = max(top_value, 1)
    magnitude = 10 ** (len(str(top)) - 1)
    axis = ((top + magnitude - 1) // magnitude) * magnitude
    return axis, (HEIGHT - TOP - BOTTOM) / axis


def _y(value: int, per_unit: float) -> float:
    return round(HEIGHT - BOTTOM - value * per_unit, 1)


def _frame(chart_id: str, title: str, alt: str, axis: int, body: list[str]) -> Markup:
    base = HEIGHT - BOTTOM
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(alt)}</desc>',
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{base}" text-anchor="end">0</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">'
        f"{escape(number(axis))}</text>",
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def _slots(count: int) -> tuple[float, float]:
    """The width of one round's slot and of its bar."""
    slot = (WIDTH - LEFT - RIGHT) / max(count, 1)
    return slot, min(slot * 0.6, 48)


LABEL_GAP = 64
"""Pixels between two axis labels: with many rounds, only every n-th is labelled."""
LISTED = 12
"""Rounds a text alternative lists one by one; beyond that it summarises."""


def _every(count: int) -> int:
    slot, _ = _slots(count)
    return max(1, math.ceil(LABEL_GAP / slot))


def _label(x: float, text: str) -> str:
    return (
        f'<text class="label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
        f"{escape(visible(text))}</text>"
    )


def _listing(points: list[dict[str, Any]]) -> str:
    """Each round's figure, or for many rounds the first, the last and the largest."""
    if len(points) <= LISTED:
        return "; ".join(
            f"{human_date(p['occurred_on'])} ({visible(p['round'])}): {span(p['low'], p['high'])}"
            for p in points
        )
    largest = max(points, key=lambda p: p["best"])
    first, last = points[0], points[-1]
    return (
        f"from {human_date(first['occurred_on'])} to {human_date(last['occurred_on'])}; the "
        f"largest, {visible(largest['round'])} ({human_date(largest['occurred_on'])}), "
        f"{span(largest['low'], largest['high'])}; every round is in the table below"
    )


def rounds_chart(chart_id: str, flow: str, points: list[dict[str, Any]]) -> Chart:
    """Transfers per round for one flow: a bar at each round's best figure, and where the
    parties' accounts differ, a dot per account joined by the range they span.

    ``points``: the flow's rows in date order, each with ``round``, ``occurred_on``,
    ``best``, ``low``, ``high``, ``discrepancy`` and ``accounts`` (each with its
    ``party`` and ``count``).
    """
    top = max(
        [p["high"] if p["high"] is not None else p["low"] for p in points]
        + [a["count"]["value"] for p in points for a in p["accounts"]]
        + [0]
    )
    axis, per_unit = _scale(top)
    slot, bar = _slots(len(points))
    every = _every(len(points))
    body: list[str] = []
    dots = 0
    for i, p in enumerate(points):
        centre = LEFT + slot * (i + 0.5)
        y = _y(p["best"], per_unit)
        body.append(
            f'<rect class="bar" x="{centre - bar / 2:.1f}" y="{y}" width="{bar:.1f}" '
            f'height="{HEIGHT - BOTTOM - y:.1f}"><title>'
            f"{escape(visible(p['round']))}: {escape(number(p['best']))}</title></rect>"
        )
        if p["discrepancy"]:
            values = [a["count"]["value"] for a in p["accounts"]]
            body.append(
                f'<line class="range" x1="{centre:.1f}" x2="{centre:.1f}" '
                f'y1="{_y(min(values), per_unit)}" y2="{_y(max(values), per_unit)}"/>'
            )
            for account in p["accounts"]:
                party, count = account["party"], account["count"]
                dots += 1
                body.append(
                    f'<circle class="account party-{escape(party)}" cx="{centre:.1f}" '
                    f'cy="{_y(count["value"], per_unit)}" r="5"><title>'
                    f"{escape(party)} says {escape(quantity(count))}</title></circle>"
                )
        if i % every == 0:
            body.append(_label(centre, human_date(p["occurred_on"])))
    title = f"{flow}: transferred in each round"
    said = _listing(points)
    differ = [p for p in points if p["discrepancy"]]
    plural = "round" if len(points) == 1 else "rounds"
    alt = f"Bar chart of {len(points)} {plural} in date order. {said}."
    if len(differ) > LISTED:
        alt += f" The parties' accounts differ in {len(differ):,} rounds (see Disagreements)."
    elif differ:
        alt += " The parties' accounts differ in " + "; ".join(
            f"{visible(p['round'])} ("
            + ", ".join(f"{a['party']} says {quantity(a['count'])}" for a in p["accounts"])
            + ")"
            for p in differ
        )
        alt += "."
    rows = [
        [
            human_date(p["occurred_on"]),
            visible(p["round"]),
            ", ".join(f"{a['party']}: {quantity(a['count'])}" for a in p["accounts"]) or "-",
            number(p["best"]),
            span(p["low"], p["high"]),
        ]
        for p in points
    ]
    return Chart(
        id=chart_id,
        title=title,
        alt=alt,
        columns=["Date", "Round", "Accounts", "Best", "Range"],
        rows=rows,
        svg=_frame(chart_id, title, alt, axis, body),
        marks={"bar": len(points), "account": dots},
    )


def cumulative_chart(
    chart_id: str, flow: str, points: list[dict[str, Any]], claims: list[dict[str, Any]]
) -> Chart:
    """The running sum of the rounds' best figures, beside each reported total of the
    flow as a horizontal line (dashed when the claim is not exact)."""
    running: list[int] = []
    total = 0
    for p in points:
        total += p["best"]
        running.append(total)
    top = max([*running, *(c["count"]["value"] for c in claims), 0])
    axis, per_unit = _scale(top)
    slot, _ = _slots(len(points))
    every = _every(len(points))
    body: list[str] = []
    coords = [(LEFT + slot * (i + 0.5), _y(value, per_unit)) for i, value in enumerate(running)]
    if coords:
        path = " ".join(f"{x:.1f},{y}" for x, y in coords)
        body.append(f'<polyline class="line" points="{path}"/>')
    for i, ((x, y), p, value) in enumerate(zip(coords, points, running, strict=True)):
        body.append(
            f'<circle class="step" cx="{x:.1f}" cy="{y}" r="4"><title>after '
            f"{escape(visible(p['round']))}: {escape(number(value))}</title></circle>"
        )
        if i % every == 0:
            body.append(_label(x, human_date(p["occurred_on"])))
    label_y = float(TOP)
    for c in sorted(claims, key=lambda c: -c["count"]["value"]):
        y = _y(c["count"]["value"], per_unit)
        label_y = max(y - 4, label_y + 14)
        dashed = " open" if c["count"]["qualifier"] != "exact" else ""
        body.append(
            f'<line class="claim{dashed}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}">'
            f"<title>{escape(visible(c['by']))}: {escape(quantity(c['count']))}</title></line>"
        )
        body.append(
            f'<text class="claim-label" x="{WIDTH - RIGHT - 4}" y="{label_y}" text-anchor="end">'
            f"{escape(quantity(c['count']))} ({escape(visible(c['by']))})</text>"
        )
    title = f"{flow}: running sum of the recorded rounds beside the reported totals"
    alt = (
        f"Line chart: after {len(points)} recorded rounds the running sum is "
        f"{number(total)}. Reported totals: "
        + (
            "; ".join(
                f"{quantity(c['count'])} by {visible(c['by'])} ({visible(c['scope'])})"
                for c in claims
            )
            or "none"
        )
        + "."
    )
    rows = [
        [human_date(p["occurred_on"]), visible(p["round"]), number(p["best"]), number(value)]
        for p, value in zip(points, running, strict=True)
    ]
    return Chart(
        id=chart_id,
        title=title,
        alt=alt,
        columns=["Date", "Round", "Best", "Running sum"],
        rows=rows,
        svg=_frame(chart_id, title, alt, axis, body),
        marks={"step": len(points), "claim": len(claims)},
    )
