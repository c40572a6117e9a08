"""Quantities as intervals, and the arithmetic of reported figures.

A reported Quantity ``{"value": v, "qualifier": q}`` becomes an interval
``(low, high)`` with a ``best`` point estimate and an ``approx`` flag:

=========  ======  ======  =====  ======
qualifier  low     high    best   approx
=========  ======  ======  =====  ======
exact      v       v       v      no
at_least   v       open    v      no
at_most    0       v       v      no
about      v       v       v      yes
=========  ======  ======  =====  ======

``high`` is ``None`` when the upper end is open. We never invent error bars:
"about" keeps ``low == high == v`` and is marked approximate instead.

* Sum (figures of different rounds): lows add, highs add (open if any term is
  open), bests add, approximate if any term is.
* Envelope (accounts of the same round and flow that disagree): the lowest low
  and the highest high (open if any is), i.e. the range of what was reported;
  the best is chosen separately (see ``projections.rounds``).
* A figure is *exact* only when it is a single point (``low == high``) and no
  term is approximate; so a sum never presents an approximate, lower-bound or
  upper-bound figure, nor disagreeing accounts, as exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple


class Interval(NamedTuple):
    """A figure as a range with a point estimate."""

    low: int
    high: int | None
    best: int
    approx: bool

    @property
    def exact(self) -> bool:
        """A single point, and no approximate term."""
        return not self.approx and self.high == self.low

    def as_json(self) -> dict[str, Any]:
        """The ``low``/``high``/``best``/``exact`` keys of the JSON outputs."""
        return {"low": self.low, "high": self.high, "best": self.best, "exact": self.exact}


ZERO = Interval(0, 0, 0, False)


def figure_of(value: int, qualifier: str) -> Interval:
    """The interval of a reported value with its qualifier."""
    if qualifier == "exact":
        return Interval(value, value, value, False)
    if qualifier == "at_least":
        return Interval(value, None, value, False)
    if qualifier == "at_most":
        return Interval(0, value, value, False)
    return Interval(value, value, value, True)


def of(quantity: Mapping[str, Any]) -> Interval:
    """The interval a reported Quantity stands for."""
    return figure_of(quantity["value"], quantity.get("qualifier", "exact"))


def add(a: Interval, b: Interval) -> Interval:
    """The sum of two figures: lows, highs and bests add; open or approximate spreads."""
    high = None if a.high is None or b.high is None else a.high + b.high
    return Interval(a.low + b.low, high, a.best + b.best, a.approx or b.approx)


def total(items: Iterable[Interval]) -> Interval:
    """The sum of many figures (``ZERO`` for none)."""
    result = ZERO
    for item in items:
        result = add(result, item)
    return result


def envelope(items: Iterable[Interval], best: Interval) -> Interval:
    """The range spanned by disagreeing accounts, with ``best`` as the point estimate."""
    lows: list[int] = []
    highs: list[int | None] = []
    approx = best.approx
    for item in items:
        lows.append(item.low)
        highs.append(item.high)
    high = None if any(h is None for h in highs) else max(h for h in highs if h is not None)
    return Interval(min(lows), high, best.best, approx)
