"""The spec oracle in oaproto.testing, held against hand-checked vectors, Python's codec,
the plain transcription in spec_reference.py and SSEDecoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto.sse import ServerSentEvent
from oaproto.testing import RULES, VECTORS, Vector, interpret_stream, spec_events
from oaproto.testing._oracle import utf8_decode
from oaproto.testing.strategies import chunkings, hostile_streams, sse_streams
from tests.helpers.sse_decoding import decode
from tests.helpers.sse_spec import parse as reference_parse

SETTINGS = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.name)
def test_oracle_gives_each_vectors_hand_written_events(vector: Vector) -> None:
    assert spec_events(b"".join(vector.chunks)) == list(vector.events)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.name)
def test_ssedecoder_passes_each_vector_in_its_reads_and_whole(vector: Vector) -> None:
    assert decode(list(vector.chunks)).events == list(vector.events)
    assert decode([b"".join(vector.chunks)]).events == list(vector.events)


def test_every_rule_has_vectors_and_names_are_unique() -> None:
    assert {vector.rule for vector in VECTORS} == {rule.name for rule in RULES}
    names = [vector.name for vector in VECTORS]
    assert len(names) == len(set(names))
    assert all(vector.name.startswith(vector.rule + "/") for vector in VECTORS)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"\xef\xbb\xbf\xef\xbb\xbfa", "\ufeffa"),  # one BOM dropped, the second kept
        (b"\xef\xbb", "\ufffd"),  # a cut-off BOM is a cut-off character
        (b"\xe2\x82\xac\xe2\x82", "\u20ac\ufffd"),  # truncated at the end: one U+FFFD
        (b"\xf0\x9f\x98a", "\ufffda"),  # truncated by ASCII
        (b"\xe0\x80\xaf", "\ufffd" * 3),  # overlong: each byte
        (b"\xed\xa0\x80", "\ufffd" * 3),  # a surrogate: each byte
        (b"\xf4\x90\x80\x80", "\ufffd" * 4),  # beyond U+10FFFF
        (b"\xf4\x8f\xbf\xbf\xc2\x80", "\U0010ffff\x80"),
        (b"\xc2", "\ufffd"),
        (b"\x80\xbf\xff", "\ufffd" * 3),
    ],
)
def test_utf8_decode_examples(body: bytes, text: str) -> None:
    assert utf8_decode(body) == text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_utf8_decode_agrees_with_pythons_replace_codec(body: bytes) -> None:
    # Two independent readings of the Encoding Standard must agree.
    unbommed = body[3:] if body.startswith(b"\xef\xbb\xbf") else body
    assert utf8_decode(body) == unbommed.decode("utf-8", "replace")


bodies = st.one_of(
    sse_streams().map(lambda stream: stream[0]),
    hostile_streams(max_line=200, max_pieces=10),
    st.binary(max_size=80),
)


@SETTINGS
@given(bodies)
def test_oracle_agrees_with_reference_and_decoder(body: bytes) -> None:
    outcome = interpret_stream(body)
    reference = reference_parse(body)
    assert outcome.events == reference.events
    assert (outcome.last_event_id, outcome.reconnection_time) == (
        reference.last_event_id,
        reference.retry,
    )
    assert decode([body]).events == outcome.events


def test_oracle_ignores_a_retry_longer_than_python_parses() -> None:
    # The documented interpretation shared with SSEDecoder; leading zeros do not count.
    body = b"retry: " + b"0" * 5000 + b"7\ndata: a\n\nretry: " + b"9" * 4301 + b"\ndata: b\n\n"
    outcome = interpret_stream(body)
    assert outcome.events == [ServerSentEvent(data="a", retry=7), ServerSentEvent(data="b")]
    assert outcome.reconnection_time == 7


@SETTINGS
@given(st.data())
def test_hostile_streams_with_expected_events(data: st.DataObject) -> None:
    body, expected = data.draw(hostile_streams(max_line=300, max_pieces=8, expected=True))
    assert expected == spec_events(body)
    assert decode(data.draw(chunkings(body))).events == expected
