"""Synthetic, realistic submissions for the benchmark: valid chains of valid references.

The stream imitates the archive's real shape: agreements, then rounds that
mostly belong to one; each round carries one to three flows (bodies handed
back, prisoners exchanged both ways), and each flow two or three accounts
(the Ukrainian, the Russian and sometimes a mediator's). Notes, reported
totals and offers are sprinkled in; about 5% of events correct an earlier
fact (a count, a round's date or label, a source) and about 1% retract one.

Everything is seeded, so one size always gives the same events; ids are
chosen by the client (``<prefix>-<n>``) so that corrections can name their
targets within a batch.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

Event = dict[str, Any]

FIRST_ROUND = "r-0000001"
"""The slug of the first round of every generated log, which is never retracted."""

_VOICES = {
    "UA": [
        ("Coordination Headquarters for the Treatment of POWs", "Ukrinform"),
        ("Ukrainian Ministry of Reintegration", "Suspilne"),
        ("Verkhovna Rada Commissioner for Human Rights", "Ukrainska Pravda"),
    ],
    "RU": [
        ("Russian Defence Ministry", "TASS"),
        ("Vladimir Medinsky, head of the Russian delegation", "RIA Novosti"),
        ("Tatyana Moskalkova, Russian human rights commissioner", "Interfax"),
    ],
    "other": [
        ("International Committee of the Red Cross", "Reuters"),
        ("UAE Ministry of Foreign Affairs", "WAM"),
        ("Turkish Foreign Ministry", "Anadolu"),
    ],
}
_MEDIATORS = ["United Arab Emirates", "Türkiye", "ICRC", "Qatar", "Saudi Arabia"]
_PLACES = ["Istanbul", "Abu Dhabi", "Jeddah", "Doha", "the Belarus border"]
_START = dt.date(2022, 3, 1)
_LAST_DAY = (dt.date(2026, 3, 1) - _START).days
_FLOWS = [
    [("bodies", "RU", "UA")],
    [("bodies", "RU", "UA"), ("bodies", "UA", "RU")],
    [("pows", "RU", "UA"), ("pows", "UA", "RU")],
    [("pows", "RU", "UA"), ("pows", "UA", "RU"), ("civilians", "RU", "UA")],
]


class Generator:
    """An endless, seeded stream of valid submissions; ``prefix`` keeps ids apart."""

    def __init__(self, seed: int = 1, prefix: str = "e") -> None:
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.slug_prefix = "" if prefix == "e" else f"{prefix}-"
        self.n = 0
        self.rounds = 0
        self.agreements = 0
        self.agreement: str | None = None
        self.live: list[tuple[str, str]] = []  # (id, type) of recent facts that may be revised
        self.queue: list[Event] = []

    # -- helpers ---------------------------------------------------------------
    def _id(self) -> str:
        self.n += 1
        return f"{self.prefix}-{self.n:08d}"

    def _day(self) -> int:
        # 40 rounds a day, and none after 2026-03-01: append refuses dates in the future
        return min(self.rounds // 40, _LAST_DAY)

    def _date(self, day: int) -> str:
        date = _START + dt.timedelta(days=day)
        roll = self.rng.random()
        if roll < 0.04:
            return date.strftime("%Y-%m")
        if roll < 0.05:
            return date.strftime("%Y")
        return date.isoformat()

    def _source(self, party: str) -> dict[str, Any]:
        who, outlet = self.rng.choice(_VOICES[party])
        source: dict[str, Any] = {"attributed_to": who, "party": party, "outlet": outlet}
        if self.rng.random() < 0.7:
            source["url"] = (
                f"https://news.example.org/{outlet.lower().replace(' ', '-')}/{self.n:08d}"
            )
        source["published_on"] = (_START + dt.timedelta(days=self._day())).isoformat()
        if self.rng.random() < 0.3:
            source["quote"] = "The transfer took place with the mediation of the UAE."
        return source

    def _fact(self, event_type: str, data: dict[str, Any], revisable: bool = True) -> Event:
        event_id = self._id()
        if revisable:
            self.live.append((event_id, event_type))
            if len(self.live) > 4096:
                del self.live[:2048]
        return {"id": event_id, "type": event_type, "data": data}

    # -- the stream --------------------------------------------------------------
    def _agreement(self) -> Event:
        self.agreements += 1
        slug = f"{self.slug_prefix}a-{self.agreements:05d}"
        self.agreement = slug
        data = {
            "agreement": slug,
            "title": f"Agreement {self.agreements} on exchanges",
            "concluded_on": self._date(self._day()),
            "place": self.rng.choice(_PLACES),
            "source": self._source("other"),
        }
        return self._fact("agreement.recorded", data, revisable=False)

    def _round(self) -> list[Event]:
        rng = self.rng
        self.rounds += 1
        slug = f"{self.slug_prefix}r-{self.rounds:07d}"
        day = self._day()
        data: dict[str, Any] = {
            "round": slug,
            "occurred_on": self._date(day),
            "source": self._source(rng.choice(("UA", "RU"))),
        }
        if self.agreement is not None and rng.random() < 0.8:
            data["agreement"] = self.agreement
        if rng.random() < 0.5:
            data["label"] = f"stage {self.rounds % 7 + 1}"
        if rng.random() < 0.6:
            data["mediators"] = rng.sample(_MEDIATORS, rng.randint(1, 2))
        events = [self._fact("round.recorded", data)]
        for kind, sender, receiver in rng.choice(_FLOWS):
            base = rng.randint(1, 1200)
            parties = ["UA", "RU"] + (["other"] if rng.random() < 0.3 else [])
            for party in parties:
                value = base + (rng.randint(-5, 5) if rng.random() < 0.2 else 0)
                qualifier = "about" if rng.random() < 0.05 else "exact"
                events.append(
                    self._fact(
                        "transfer.reported",
                        {
                            "round": slug,
                            "kind": kind,
                            "from": sender,
                            "to": receiver,
                            "count": {"value": max(value, 0), "qualifier": qualifier},
                            "source": self._source(party),
                        },
                    )
                )
        roll = rng.random()
        if roll < 0.10:
            events.append(
                self._fact(
                    "note.recorded",
                    {
                        "text": "The exchange of prisoners is still ongoing.",
                        "round": slug,
                        "source": self._source(rng.choice(("UA", "RU", "other"))),
                    },
                )
            )
        elif roll < 0.13 and self.agreement is not None:
            events.append(
                self._fact(
                    "offer.reported",
                    {
                        "kind": "bodies",
                        "from": "UA",
                        "to": "RU",
                        "count": {"value": rng.randint(100, 3000), "qualifier": "at_least"},
                        "as_of": (_START + dt.timedelta(days=day)).isoformat(),
                        "agreement": self.agreement,
                        "source": self._source("UA"),
                    },
                )
            )
        elif roll < 0.14:
            scope = (
                {"agreement": self.agreement}
                if self.agreement and rng.random() < 0.5
                else {"since": "2022-02"}
            )
            events.append(
                self._fact(
                    "total.reported",
                    {
                        "kind": "bodies",
                        "from": "RU",
                        "to": "UA",
                        "scope": scope,
                        "as_of": (_START + dt.timedelta(days=day)).isoformat(),
                        "count": {"value": rng.randint(1000, 20000), "qualifier": "at_least"},
                        "source": self._source("UA"),
                    },
                )
            )
        return events

    def _revision(self) -> Event | None:
        """A correction (5 in 6) or a retraction (1 in 6) of a recent, live fact."""
        rng = self.rng
        if not self.live:
            return None
        slot = rng.randrange(len(self.live))
        target, target_type = self.live[slot]
        if rng.random() < 1 / 6 and target_type != "round.recorded":
            self.live[slot] = self.live[-1]
            self.live.pop()
            return {
                "id": self._id(),
                "type": "fact.retracted",
                "data": {
                    "target": target,
                    "reason": "withdrawn by its source",
                    "source": self._source("other"),
                },
            }
        # every correction changes its target (one that changes nothing is refused):
        # a label, a count or a quote no earlier event holds
        if target_type == "round.recorded":
            changes: dict[str, Any] = (
                {"label": f"corrected stage {self.n}"}
                if rng.random() < 0.5
                else {"occurred_on": self._date(self._day()), "label": f"redated {self.n}"}
            )
        elif target_type in ("transfer.reported", "offer.reported", "total.reported"):
            changes = {"count": {"value": 10**6 + self.n, "qualifier": "exact"}}
        else:
            changes = {"source": {**self._source("other"), "quote": f"revised {self.n}"}}
        return {
            "id": self._id(),
            "type": "fact.corrected",
            "data": {
                "target": target,
                "changes": changes,
                "reason": "figure revised in a later statement",
            },
        }

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        while not self.queue:
            if self.rounds % 200 == 0 and (self.agreement is None or self.rng.random() < 0.9):
                self.queue.append(self._agreement())
            self.queue.extend(self._round())
            # ~5.8 events per round: revisions make about 6% of the stream (1% retractions)
            for _ in range(self.rng.choices((0, 1), (0.62, 0.38))[0]):
                revision = self._revision()
                if revision is not None:
                    self.queue.append(revision)
        return self.queue.pop(0)

    def take(self, count: int) -> list[Event]:
        """The next ``count`` submissions."""
        return [next(self) for _ in range(count)]


def single_transfer(event_id: str, round_slug: str = FIRST_ROUND) -> Event:
    """One valid transfer into an existing round: the event of the single-append steps."""
    return {
        "id": event_id,
        "type": "transfer.reported",
        "data": {
            "round": round_slug,
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "count": {"value": 12, "qualifier": "exact"},
            "source": {
                "attributed_to": "Coordination Headquarters",
                "party": "UA",
                "outlet": "Ukrinform",
                "url": f"https://news.example.org/ukrinform/{event_id}",
            },
        },
    }
