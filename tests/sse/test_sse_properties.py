"""Property tests: chunking never matters, encode/decode round-trips, only typed errors,
and the decoder agrees with a line-by-line transcription of the spec on any bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oaproto import SSELimitError
from oaproto.sse import ServerSentEvent, SSEDecoder, comment, encode_sse
from oaproto.testing.strategies import chunkings, hostile_streams, sse_events, sse_streams
from tests.helpers.sse_decoding import Decoded, decode
from tests.helpers.sse_spec import limit_offence, parse

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes built from the tokens that matter to the grammar, so that random
# inputs are dense in fields, line ends, BOMs and broken UTF-8.
TOKENS = [
    b"data", b"data:", b"data: ", b"event:", b"id:", b"id", b"retry:", b"retry: 12", b":",
    b" ", b"  ", b"\r", b"\n", b"\r\n", b"\n\n", b"\x00", b"\xef\xbb\xbf", b"\xef\xbb",
    b"\xff", b"\xe2\x82", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"0", b"7", b"x", b"y z",
    "\u0663".encode(), b"\xc2\x85", b"\xe2\x80\xa8", b"\x0b", b"\x0c",
    b'data: {"event_type": "token", "text": "a"}\n\n',
]  # fmt: skip
token_streams = st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join)
any_bytes = st.one_of(st.binary(max_size=300), token_streams, hostile_streams(max_line=300))


def state(result: Decoded) -> tuple[list[ServerSentEvent], str, int | None]:
    return result.events, result.last_event_id, result.retry


@SETTINGS
@given(st.data())
def test_valid_streams_give_their_events_in_any_chunking(data: st.DataObject) -> None:
    body, expected = data.draw(sse_streams())
    assert decode([body]).events == expected
    assert decode(data.draw(chunkings(body, allow_empty=True))).events == expected


@SETTINGS
@given(token_streams)
def test_one_byte_at_a_time_equals_whole(body: bytes) -> None:
    assert state(decode([body[i : i + 1] for i in range(len(body))])) == state(decode([body]))


@SETTINGS
@given(st.data())
def test_any_bytes_any_chunking_same_events(data: st.DataObject) -> None:
    body = data.draw(any_bytes)
    assert state(decode(data.draw(chunkings(body)))) == state(decode([body]))


@SETTINGS
@given(any_bytes)
def test_differential_against_spec_transcription(body: bytes) -> None:
    reference = parse(body)
    got = decode([body])
    assert got.events == reference.events
    assert got.last_event_id == reference.last_event_id
    assert got.retry == reference.retry


@SETTINGS
@given(st.data())
def test_differential_in_random_chunks(data: st.DataObject) -> None:
    body = data.draw(token_streams)
    reference = parse(body)
    got = decode(data.draw(chunkings(body)))
    assert (got.events, got.last_event_id, got.retry) == (
        reference.events,
        reference.last_event_id,
        reference.retry,
    )


@SETTINGS
@given(
    sse_events(),
    st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1),
    st.data(),
)
def test_decode_encode_round_trip(
    events: list[ServerSentEvent], endings: list[str], data: st.DataObject
) -> None:
    frames = []
    for i, event in enumerate(events):
        ending = endings[i % len(endings)]
        if i % 3 == 2:
            frames.append(comment("keep-alive", line_ending=ending))
        frames.append(
            encode_sse(
                event.data,
                event=None if event.event == "message" else event.event,
                id=event.id,
                retry=event.retry,
                line_ending=ending,
            )
        )
    body = b"".join(frames)
    assert decode(data.draw(chunkings(body))).events == events


@SETTINGS
@given(st.text(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_encode_normalises_line_ends_in_data(text: str, ending: str) -> None:
    text = text.encode("utf-8", "replace").decode()  # no lone surrogates
    frame = encode_sse(text, line_ending=ending)
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert decode([frame]).events == [ServerSentEvent(data=expected)]


def decode_limited(chunks: list[bytes], limit: int) -> tuple[list[ServerSentEvent], bool]:
    decoder = SSEDecoder(max_line_size=limit, max_event_size=limit)
    events: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
        events += decoder.close()
    except SSELimitError:
        return events, True
    return events, False


@SETTINGS
@given(st.data(), st.integers(0, 64))
def test_arbitrary_bytes_raise_only_the_typed_error(data: st.DataObject, limit: int) -> None:
    body = data.draw(any_bytes)
    unlimited = decode([body]).events
    whole, whole_failed = decode_limited([body], limit)
    split, split_failed = decode_limited(data.draw(chunkings(body)), limit)
    # Whether a limit is hit does not depend on the chunking, and whatever was
    # returned before is what an unlimited decoder returns.
    assert whole_failed == split_failed
    for events, failed in ((whole, whole_failed), (split, split_failed)):
        assert events == unlimited[: len(events)]
        if not failed:
            assert events == unlimited


def decode_lossless(
    chunks: list[bytes], max_line: int | None, max_event: int | None
) -> tuple[list[ServerSentEvent], bool]:
    """The events returned, then those of the limit error, if one is raised."""
    decoder = SSEDecoder(max_line_size=max_line, max_event_size=max_event)
    events: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
        events += decoder.close()
    except SSELimitError as exc:
        failure = exc
    else:
        return events, False
    assert type(failure.events) is tuple
    return events + list(failure.events), True


@SETTINGS
@given(
    st.data(),
    st.one_of(st.none(), st.integers(0, 64)),
    st.one_of(st.none(), st.integers(0, 64)),
)
def test_limit_error_loses_no_event(
    data: st.DataObject, max_line: int | None, max_event: int | None
) -> None:
    # For every chunking, the events returned before a limit error plus the
    # error's events are exactly what an unlimited decoder dispatches before
    # the offending line, and whether it raises does not depend on the chunking.
    body = data.draw(any_bytes)
    offence = limit_offence(body, max_line, max_event)
    expected = decode([body if offence is None else body[:offence]]).events
    outcome = (expected, offence is not None)
    assert decode_lossless([body], max_line, max_event) == outcome
    bytewise = [body[i : i + 1] for i in range(len(body))]
    assert decode_lossless(bytewise, max_line, max_event) == outcome
    assert decode_lossless(data.draw(chunkings(body)), max_line, max_event) == outcome


@SETTINGS
@given(st.data())
def test_state_after_every_feed_is_that_of_the_lines_fed(data: st.DataObject) -> None:
    # After each feed(), the events returned so far, last_event_id and retry
    # are what the spec gives for the bytes fed so far (complete lines only).
    body = data.draw(any_bytes)
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    fed = b""
    for chunk in data.draw(chunkings(body)):
        events += decoder.feed(chunk)
        fed += chunk
        reference = parse(fed)
        assert events == reference.events
        assert decoder.last_event_id == reference.last_event_id
        assert decoder.retry == reference.retry
