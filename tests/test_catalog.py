"""The catalogue is the one list of the archive's vocabulary: everything else agrees with it."""

from __future__ import annotations

import typing

from eventlog import catalog, events
from projections import state


def _literal(annotation: object) -> tuple[str, ...]:
    return tuple(typing.get_args(annotation))


def test_every_event_type_has_a_model() -> None:
    """Each catalogued event type is a member of the submission union, and nothing else is."""
    union = typing.get_args(typing.get_args(events.Submission)[0])
    modelled = {model.model_fields["type"].annotation.__args__[0] for model in union}
    assert set(catalog.EVENT_TYPES) == modelled
    assert set(catalog.FACT_TYPES) == set(events.FACT_DATA)


def test_every_event_type_has_a_fold_handler() -> None:
    """The read side's fold handles every event type (none is skipped silently)."""
    assert set(catalog.EVENT_TYPES) <= set(state.HANDLERS)


def test_vocabulary_matches_the_models() -> None:
    """Parties, kinds and qualifiers in the models are the catalogue's."""
    assert _literal(events.Party) == catalog.PARTIES
    assert _literal(events.Kind) == catalog.KINDS
    assert _literal(events.Qualifier) == catalog.QUALIFIERS
    assert set(catalog.QUALIFIER_MARKS) == set(catalog.QUALIFIERS)


def test_every_event_type_has_a_show_summary() -> None:
    """``eventlog show`` summarises every event type in words of its own."""
    from eventlog.render import SUMMARIES, summary

    samples = {
        catalog.AGREEMENT: {"agreement": "a", "title": "T"},
        catalog.ROUND: {"round": "r", "occurred_on": "2025"},
        catalog.TRANSFER: {
            "round": "r",
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "count": {"value": 1, "qualifier": "exact"},
        },
        catalog.TOTAL: {
            "kind": "bodies",
            "to": "UA",
            "scope": {"since": "2022"},
            "as_of": "2025",
            "count": {"value": 1, "qualifier": "exact"},
        },
        catalog.OFFER: {
            "kind": "bodies",
            "from": "RU",
            "to": "UA",
            "as_of": "2025",
            "count": {"value": 1, "qualifier": "exact"},
        },
        catalog.NOTE: {"text": "n"},
        catalog.SOURCE: {"document": "d", "outlet": "Reuters"},
        catalog.CORRECTED: {"target": "x", "changes": {"label": "L"}, "reason": "why"},
        catalog.RETRACTED: {"target": "x", "reason": "why"},
    }
    assert set(samples) == set(catalog.EVENT_TYPES)
    assert set(SUMMARIES) == set(catalog.EVENT_TYPES)
    lines = {summary({"type": t, "data": d}) for t, d in samples.items()}  # type: ignore[typeddict-item]
    assert len(lines) == len(samples)


def test_source_options_are_the_source_model_fields() -> None:
    """`report`, `correct` and `retract` offer one option per field of ``Source``, no more."""
    from eventlog.cli_report import _SOURCE_CHOICES, _SOURCE_HELP, _SOURCE_REQUIRED

    fields = events.Source.model_fields
    assert list(_SOURCE_HELP) == list(fields)
    assert {n for n, f in fields.items() if f.is_required()} == set(_SOURCE_REQUIRED)
    assert _SOURCE_CHOICES["party"] == _literal(fields["party"].annotation)
