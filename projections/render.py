"""Rendering: JSON bytes for machines (exact text), plain-text tables for people.

Text from events is data: every table cell and error line shows control,
format (bidi, zero-width) and line-separator characters escaped visibly
(``\\n``, ``\\x1b``, ``\\u202e``), on a terminal and in a pipe alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson

from eventlog.catalog import mark

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_PARTY_ORDER = {"UA": 0, "RU": 1, "other": 2}
_HIDDEN = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


@lru_cache(maxsize=512)
def _escape_char(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    if unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else (f"\\U{code:08x}")
    )


def escape(text: str) -> str:
    """``text`` with every control, format and separator character escaped visibly."""
    if text.isprintable():
        return text
    return "".join(_escape_char(c) for c in text)


def to_json(obj: Any) -> bytes:
    """Compact JSON, keys in the documented order, no trailing newline."""
    return orjson.dumps(obj)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict) and "value" in value:
        return quantity(value)
    if isinstance(value, list):
        return escape(",".join(str(v) for v in value)) or "-"
    return escape(str(value))


def _by(source: dict[str, Any]) -> str:
    """Who a figure is attributed to, marked when the attribution is the maintainers' inference."""
    who = str(source.get("attributed_to", ""))
    return who + " (inferred)" if source.get("attribution") == "inferred" else who


def quantity(count: dict[str, Any]) -> str:
    """A Quantity as people write it: 6057, >=6000, <=10, ~300."""
    return mark(count.get("qualifier", "exact")) + str(count["value"])


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(headers), *(line(r) for r in cells)])


def _header(title: str, view: dict[str, Any]) -> str:
    known = view["known_at"]
    at = f"seq {known['seq']}" + (f" ({known['recorded_at']})" if known["recorded_at"] else "")
    as_of = view["as_of"] or "any date"
    return f"{title} known at {at}, as of {as_of}"


def account(sums: dict[str, Any] | None) -> str | None:
    """One party's account of a flow: its figure, or ``low-high`` while its rounds leave it
    open (under ``--as-of``, a round only possibly done by then), ``>=low`` if unbounded."""
    if not sums or not sums["rounds"]:
        return None
    if sums["high"] is None:
        return f">={sums['low']}"
    if sums["low"] != sums["high"]:
        return f"{sums['low']}-{sums['high']}"
    return str(sums["best"])


def totals_text(view: dict[str, Any]) -> str:
    """The ``totals`` object as tables: totals, reported totals, outstanding offers."""
    rows = [
        [
            t["kind"],
            t["from"],
            t["to"],
            t["best"],
            t["low"],
            "open" if t["high"] is None else t["high"],
            t["exact"],
            t["rounds"],
            account(t["by_party"].get("UA")),
            account(t["by_party"].get("RU")),
            account(t["by_party"].get("other")),
            t["discrepant_rounds"],
        ]
        for t in view["totals"]
    ]
    heads = [
        "kind",
        "from",
        "to",
        "best",
        "low",
        "high",
        "sum exact",
        "rounds",
        "UA says",
        "RU says",
        "others say",
    ]
    parts = [
        _header("Totals", view),
        "A total is the sum of the itemized rounds only, not the number transferred overall;",
        "'sum exact' means exact arithmetic over those rounds. Each party's account sums its",
        "own reports (others: outlets and officials of neither party); low-high while open.",
        table([*heads, "discrepant rounds"], rows),
    ]
    if view["reported_totals"]:
        rows = [
            [
                r["id"],
                r["kind"],
                r["from"] or "any",
                r["to"],
                ",".join(f"{k}={v}" for k, v in r["scope"].items()),
                r["as_of"],
                r["count"],
                _by(r["source"]),
                r["rounds_sum"]["best"],
                _gap(r),
            ]
            for r in view["reported_totals"]
        ]
        heads = [
            "id",
            "kind",
            "from",
            "to",
            "scope",
            "as of",
            "reported",
            "by",
            "rounds sum",
            "gap",
        ]
        parts += ["", "Reported totals", table(heads, rows)]
    if view["offers"]:
        rows = [
            [
                o["id"],
                o["kind"],
                o["from"],
                o["to"],
                o["count"],
                o["as_of"],
                _by(o["source"]),
            ]
            for o in view["offers"]
        ]
        parts += [
            "",
            "Outstanding offers",
            table(["id", "kind", "from", "to", "count", "as of", "by"], rows),
        ]
    return "\n".join(parts)


def rounds_text(view: dict[str, Any]) -> str:
    """The ``rounds`` object as one table row per flow of each round."""
    rows = []
    for r in view["rounds"]:
        head = [r["occurred_on"], r["round"], r["agreement"], r["revisions"]]
        if not r["flows"]:
            rows.append([*head, None, None, None, None, None, None, None, None])
        for f in r["flows"]:
            reports = f.get("reports") or [{"party": p, **a} for p, a in f["accounts"].items()]
            reports = sorted(reports, key=lambda a: _PARTY_ORDER.get(a["party"], 9))
            accounts = " ".join(
                f"{a['party']}:{_cell(a['count'])}" + (" (inferred)" if a.get("inferred") else "")
                for a in reports
            )
            high = "open" if f["high"] is None else f["high"]
            row = [f["kind"], f"{f['from']}->{f['to']}", accounts, f["best"], f["low"], high]
            rows.append([*head, *row, f["exact"], "DIFFER" if f["discrepancy"] else ""])
            head = ["", "", "", ""]
    heads = [
        "occurred",
        "round",
        "agreement",
        "revs",
        "kind",
        "flow",
        "accounts",
        "best",
        "low",
        "high",
    ]
    return "\n".join([_header("Rounds", view), table([*heads, "exact", ""], rows)])


def trail_text(trail: dict[str, Any]) -> str:
    """A fact's trail: one row per version, then the current data."""
    rows = []
    for v in trail["versions"]:
        if v["changes"]:
            what = "; ".join(
                f"{k}: {_short(c['from'])} -> {_short(c['to'])}" for k, c in v["changes"].items()
            )
        else:
            what = ""
        reason = v["reason"]
        if v.get("superseded_by"):
            reason = f"by {v['superseded_by']}"
        rows.append([v["seq"], v["recorded_at"], v["recorded_by"], v["action"], what, reason])
    last = trail["versions"][-1]["data"] if trail["versions"] else {}
    heads = ["seq", "recorded at", "by", "action", "changes", "reason"]
    return "\n".join(
        [
            escape(f"{trail['id']} ({trail['type']}): {trail['status']}"),
            table(heads, rows),
            "data: " + escape(orjson.dumps(last).decode()),
        ]
    )


def _short(value: Any) -> str:
    if isinstance(value, dict) and "value" in value:
        return quantity(value)
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return escape(value)
    return escape(orjson.dumps(value).decode())


def _gap(entry: dict[str, Any]) -> str:
    """The gap as the table shows it: exact, ``>=n``, ``<=n``, ``a..b``, or ``~n``."""
    span = entry.get("gap_range")
    if span is None or span["exact"]:
        return str(entry["gap"])
    low, high = span["low"], span["high"]
    if low is not None and high is None:
        return f">={low}"
    if low is None and high is not None:
        return f"<={high}"
    if low is not None and high is not None and low != high:
        return f"{low}..{high}"
    if low is None and high is None:
        return "unbounded"
    return f"~{entry['gap']}"
