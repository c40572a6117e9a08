"""The codec owns the stored line: the batch's fast splice is byte for byte ``encode``'s."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from eventlog.catalog import EVENT_TYPES
from eventlog.codec import LineBuilder, data_json, decode, encode, prev_of
from eventlog.errors import InvalidEvent
from eventlog.reader import log_file
from eventlog.store import append
from reliability.conftest import SOURCE, scaled, seed

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
STAMP = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
HEX = st.binary(min_size=32, max_size=32).map(bytes.hex)


@settings(max_examples=scaled(300), deadline=None)
@given(
    seq=st.integers(1, 2**62),
    event_id=st.text(min_size=1),
    event_type=st.sampled_from(EVENT_TYPES),
    data=st.dictionaries(st.text(), JSON, max_size=6),
    stamp=STAMP,
    by=st.text(min_size=1),
    prev=HEX,
)
def test_the_fast_splice_is_byte_identical_to_encode(
    seq: int, event_id: str, event_type: str, data: dict[str, Any], stamp: str, by: str, prev: str
) -> None:
    """For every generated event, ``LineBuilder.line`` writes exactly ``encode``'s bytes."""
    record = {
        "seq": seq,
        "id": event_id,
        "type": event_type,
        "v": 2,
        "data": data,
        "recorded_at": stamp,
        "recorded_by": by,
        "prev": prev,
    }
    line = LineBuilder(stamp, by).line(seq, event_id, event_type, data_json(data), prev)
    assert line == encode(record)
    assert prev_of(line) == prev
    assert orjson.loads(line) == record


@settings(
    max_examples=scaled(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(
        st.text(
            st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1
        ).filter(str.strip),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    by=st.text(min_size=1).filter(str.isprintable),
)
def test_every_appended_line_is_what_encode_writes_of_its_record(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], by: str
) -> None:
    """Lines the store wrote re-encode to themselves, and each ``prev`` is the line before's."""
    log = tmp_path_factory.mktemp("codec") / "log"
    seed(log)
    events = [{"type": "note.recorded", "data": {"text": t, "source": SOURCE}} for t in texts]
    try:
        append(log, events, by=by)
    except InvalidEvent:  # the models may refuse a text; that is not the codec's case
        reject()
    lines = log_file(log).read_bytes().split(b"\n")[:-1]
    for before, line in itertools.pairwise(lines):
        assert encode(decode(line)) == line
        assert prev_of(line) == hashlib.sha256(before).hexdigest()


def test_prev_of_a_line_without_a_trailing_prev_is_none() -> None:
    """``prev_of`` only reads the store's own layout; anything else is decoded instead."""
    assert prev_of(b'{"prev":"' + b"a" * 64 + b'","seq":1}') is None
    assert prev_of(b"{}") is None
