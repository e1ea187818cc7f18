"""The sliced token frames decode exactly as ``json.loads`` would.

Most events of a reply are plain token frames, which the reader slices instead
of decoding; these properties hold the fast path to the slow one, through the
session (the only way frames reach the reader).
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto import Dialect, OAProtoError, Token
from tests.helpers.session_fixtures import drain, reach, sse_headers

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
