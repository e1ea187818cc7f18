"""The sliced token frames decode exactly as ``json.loads`` would.

Most events of a reply are plain token frames, which the reader slices instead
of decoding; these properties hold the fast path to the slow one, through the
session (the only way frames reach the reader).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto import Dialect, OAProtoError, Token
from tests.helpers.session_fixtures import drain, queued_with_limits, reach, sse_headers

SETTINGS = settings(max_examples=300, deadline=None)
HEAD = '{"event_type": "token", "text": "'
TAIL = '"}'

# Text full of what JSON strings treat specially: quotes, backslashes,
# control characters, separators, surrogates, non-ASCII.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\u2028", "}"]),
        st.characters(),
    )
)

# What can travel as UTF-8: no lone surrogates.
wire_text = tricky_text.filter(lambda text: not any("\ud800" <= c <= "\udfff" for c in text))


def _first_event(data: str) -> object:
    """What the session makes of one ``data:`` line: its first event, or the error."""
    session = reach("OPENING", Dialect.INFERENCE)
    session.receive_stream_start(200, sse_headers(Dialect.INFERENCE))
    try:
        session.receive_data(f"data: {data}\r\n\r\n".encode("utf-8", "surrogatepass"))
        return drain(session)[0]
    except OAProtoError as error:
        return type(error)


@SETTINGS
@given(text=tricky_text, ensure_ascii=st.booleans())
def test_a_frame_the_server_writes_reads_as_its_text(text: str, ensure_ascii: bool) -> None:
    data = json.dumps({"event_type": "token", "text": text}, ensure_ascii=ensure_ascii)
    if ensure_ascii or not any("\ud800" <= c <= "\udfff" for c in text):
        assert _first_event(data) == Token(text=text)


@SETTINGS
@given(middle=tricky_text, head=st.sampled_from([HEAD, HEAD[:-1], HEAD + " "]), tail=st.text())
def test_whatever_is_sliced_is_what_json_decodes(middle: str, head: str, tail: str) -> None:
    for data in (head + middle + TAIL, head + middle + TAIL + tail, head + middle):
        if "\n" in data or "\r" in data or any("\ud800" <= c <= "\udfff" for c in data):
            continue  # not one SSE data line, or not UTF-8
        event = _first_event(data)
        if isinstance(event, Token):
            assert json.loads(data) == {"event_type": "token", "text": event.text}


@SETTINGS
@given(texts=st.lists(wire_text, max_size=8), ensure_ascii=st.booleans())
def test_the_session_yields_the_same_tokens_on_both_paths(
    texts: list[str], ensure_ascii: bool
) -> None:
    session = reach("OPENING", Dialect.INFERENCE)
    session.receive_stream_start(200, sse_headers(Dialect.INFERENCE))
    frames = [
        json.dumps({"event_type": "token", "text": text}, ensure_ascii=ensure_ascii)
        for text in texts
    ]
    # Every other frame with other spacing, which only json.loads reads.
    frames[1::2] = ["{ " + frame[1:] for frame in frames[1::2]]
    session.receive_data("".join(f"data: {frame}\r\n\r\n" for frame in frames).encode())
    events = drain(session)
    assert events == [Token(text=text) for text in texts]
    assert session.token_text == "".join(texts)


# --- whole token chunks, read without the SSE decoder ---

WHOLE_PREFIX = b'data: {"event_type": "token", "text": "'


def token_chunk(text: str, ensure_ascii: bool) -> bytes:
    frame = json.dumps({"event_type": "token", "text": text}, ensure_ascii=ensure_ascii)
    return b"data: " + frame.encode() + b"\r\n\r\n"


# One read of a stream: whole token frames most often (the reader's own path),
# and every kind of chunk that must make it defer to the decoder: invalid
# UTF-8 in the text, LF endings, a frame split across reads, lines that leave
# a block open or set an ID, pings, comments, lines past the limits, a long
# unfinished line.
STATE_SETTERS = [
    b"\r\n",
    b"\n",
    b"\r",
    b": keep-alive\r\n\r\n",
    b"id: 7\r\n",
    b"event: ping\r\n",
    b"data: 2023-07-14 13:28:17\r\n\r\n",
    b"data: ",
    b'{"event_type": "token", "text": "x"}\r\n\r\n',
    b"retry: 5\r\n",
    WHOLE_PREFIX + b"x" * 300 + b'"}\r\n\r\n',
    b"data: " + b"y" * 600,  # an unfinished line long enough to be held as pieces
]

chunks = st.one_of(
    st.builds(token_chunk, wire_text, st.booleans()),
    st.builds(lambda raw: WHOLE_PREFIX + raw + b'"}\r\n\r\n', st.binary(max_size=6)),
    st.builds(lambda text: token_chunk(text, False).replace(b"\r\n", b"\n"), wire_text),
    st.builds(lambda text: token_chunk(text, False)[:-2], wire_text),
    st.sampled_from(STATE_SETTERS),
)


def _events_of(reads: list[bytes], limit: int | None) -> list[object]:
    """The session's events (its error by type, then its token text) for ``reads``."""
    limits = {} if limit is None else {"max_line_size": limit, "max_event_size": limit - 6}
    session = queued_with_limits(Dialect.INFERENCE, **limits)
    session.open_event_stream()
    session.receive_stream_start(200, sse_headers(Dialect.INFERENCE))
    seen: list[object] = []
    try:
        for read in reads:
            session.receive_data(read)
            seen += drain(session)
    except OAProtoError as error:
        seen.append(type(error))
    seen.append(session.token_text)
    return seen


@settings(max_examples=400, deadline=None)
@given(reads=st.lists(chunks, max_size=12), limit=st.none() | st.integers(36, 64))
def test_whole_token_chunks_read_as_the_decoder_reads_them(
    reads: list[bytes], limit: int | None
) -> None:
    # Read by read, whole token chunks skip the decoder; byte by byte, the
    # decoder reads everything. The events never depend on the chunking.
    primed = [b": start\r\n", *reads]  # the decoder's first read always takes its slow path
    byte_by_byte = [bytes([byte]) for read in primed for byte in read]
    assert _events_of(primed, limit) == _events_of(byte_by_byte, limit)


@pytest.mark.parametrize("limit", [None, 40, 64])
@pytest.mark.parametrize("before", STATE_SETTERS)
def test_a_whole_token_chunk_after_each_kind_of_read(before: bytes, limit: int | None) -> None:
    reads = [b": start\r\n", before, token_chunk("word ", False), token_chunk("é", False)]
    byte_by_byte = [bytes([byte]) for read in reads for byte in read]
    assert _events_of(reads, limit) == _events_of(byte_by_byte, limit)
