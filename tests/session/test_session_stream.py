"""The reply's event stream: typed events, endings and failures, however the bytes are chunked."""

from __future__ import annotations

import json
import random
from itertools import pairwise
from typing import Any

import pytest

from oaproto import (
    NEED_DATA,
    APIError,
    ChatSession,
    ChatState,
    Dialect,
    Event,
    IncompleteReplyError,
    LocalProtocolError,
    OAProtoError,
    Pending,
    PluginIntermediate,
    RemoteProtocolError,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    SSELimitError,
    Token,
    UnknownStreamEvent,
    ValidationError,
)
from oaproto.api import MAX_ERROR_BODY_SIZE
from tests.helpers.session_fixtures import (
    ABORTED_FRAME,
    ASSISTANT_ID,
    DIALECTS,
    EMPTY_TOKEN,
    FINAL_TEXT,
    HAPPY_STREAM,
    INFERENCE,
    INFERENCE_SSE_HEADERS,
    NO_CONTENT_HEADERS,
    OLD_PING,
    PENDING,
    PENDING_HEAD,
    PING,
    PLUGIN_FRAME,
    TIMEOUT_FRAME,
    TOKEN_FRAMES,
    WEB,
    WEB_SSE_HEADERS,
    chunkings,
    frame,
    message_frame,
    message_read,
    new_session,
    queued_with_limits,
    reach,
    sse_headers,
    state_of,
    stream,
    token,
)

S = ChatState


def _outcome(body: bytes, dialect: Dialect, pieces: list[bytes], **kw: Any) -> tuple[object, ...]:
    """Events, final state, and the error (type, str) if one was raised."""
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    events: list[Event] = []
    error: tuple[type[BaseException], str] | None = None
    try:
        events = stream(session, body, pieces=pieces, **kw)
    except OAProtoError as exc:
        error = (type(exc), str(exc))
    return tuple(events), session.state, session.token_text, error


STREAMS = {
    "happy": HAPPY_STREAM,
    "plugin": PENDING + PLUGIN_FRAME + EMPTY_TOKEN + TOKEN_FRAMES + message_frame(),
    "aborted": token("Hel") + PING + ABORTED_FRAME,
    "timeout": PENDING + PENDING + TIMEOUT_FRAME,
    "unknown": frame({"event_type": "safe_prompt", "safe_prompt": "x"}) + message_frame(),
    "truncated": PENDING + TOKEN_FRAMES + message_frame()[:-30],
    "bad-json": token("a") + b"data: {oops\r\n\r\n",
    "only-pings": PING + OLD_PING + PING,
    "empty": b"",
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_events_do_not_depend_on_chunking(dialect: Dialect, name: str) -> None:
    body = STREAMS[name]
    outcomes = {label: _outcome(body, dialect, pieces) for label, pieces in chunkings(body)}
    assert len(set(map(repr, outcomes.values()))) == 1, outcomes


Lazily = tuple[tuple[Event, ...], ChatState, str, tuple[type[BaseException], str] | None]


# How lazily to read: at most so many events after every so many pieces.
READINGS = [(0, 1), (1, 1), (1_000_000, 2)]


def _read_lazily(
    session: ChatSession, pieces: list[bytes], per_piece: int, every: int = 1
) -> Lazily:
    """Feed the pieces, reading at most ``per_piece`` events after every ``every``-th,
    then EOF, then the rest.

    Data may be fed with events still unread, or before reading the data
    fed last, and the body's end before any is read (as h11 allows): the
    reader must queue it all in order.
    """
    session.receive_stream_start(200, sse_headers(session.dialect))
    events: list[Event] = []
    error: tuple[type[BaseException], str] | None = None
    try:
        for index, piece in enumerate(pieces, 1):
            if not session.is_streaming:
                break
            session.receive_data(piece)
            if index % every:
                continue
            for _ in range(per_piece):
                event = session.next_event() if session.is_streaming else NEED_DATA
                if event is NEED_DATA:
                    break
                events.append(event)
        if session.is_streaming:
            session.receive_eof()
            while session.is_streaming:
                event = session.next_event()
                assert event is not NEED_DATA  # the body ended: every event is there
                events.append(event)
    except OAProtoError as exc:
        error = (type(exc), str(exc))
    return tuple(events), session.state, session.token_text, error


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_events_do_not_depend_on_when_they_are_read(dialect: Dialect, name: str) -> None:
    body = STREAMS[name]
    eager = reach("QUEUED", dialect)
    eager.open_event_stream()
    expected = _read_lazily(eager, [body], len(body) + 1)
    for label, pieces in chunkings(body):
        for per_piece, every in READINGS:
            session = reach("QUEUED", dialect)
            session.open_event_stream()
            got = _read_lazily(session, pieces, per_piece, every)
            assert got == expected, (label, per_piece, every)


@pytest.mark.parametrize("limits", [{"max_line_size": 200}, {"max_event_size": 150}])
def test_a_limit_error_waits_behind_unread_events(limits: dict[str, int]) -> None:
    body = token("a") + token("b") + message_frame() + token("never")
    for label, pieces in chunkings(body):
        for per_piece, every in READINGS:
            session = queued_with_limits(INFERENCE, **limits)
            session.open_event_stream()
            events, state, text, error = _read_lazily(session, pieces, per_piece, every)
            assert events == (Token(text="a"), Token(text="b")), (label, per_piece, every)
            assert (state, text) == (S.ERROR, "ab")
            assert error is not None
            assert error[0] is IncompleteReplyError


@pytest.mark.parametrize("dialect", DIALECTS)
def test_happy_stream_event_sequence(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    events = stream(session, HAPPY_STREAM)
    assert events[:5] == [
        Pending(queue_position=1, queue_size=3),
        Pending(queue_position=0, queue_size=0),
        Token(text="Hello"),
        Token(text=" world"),
        Token(text=" \u00e9"),
    ]
    assert len(events) == 6
    assert isinstance(events[5], ReplyCompleted)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_plugin_event_and_its_trailing_empty_token(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    events = stream(session, STREAMS["plugin"])
    assert events[1] == PluginIntermediate(
        current_plugin_thought="I should search",
        current_plugin_action_taken="search",
        current_plugin_action_input="weather",
        current_plugin_action_response="sunny",
    )
    # After plugin_intermediate the server falls through and sends an empty token.
    assert events[2] == Token(text="")
    assert session.token_text == "Hello world \u00e9"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_unknown_event_types_are_passed_through(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    events = stream(
        session,
        frame({"event_type": "safe_prompt", "safe_prompt": "x"})
        + frame({"event_type": "future", "n": [1, 2]})
        + message_frame(),
    )
    assert events[0] == UnknownStreamEvent(
        event_type="safe_prompt", data={"event_type": "safe_prompt", "safe_prompt": "x"}
    )
    assert isinstance(events[1], UnknownStreamEvent)
    assert events[1].data["n"] == [1, 2]
    assert isinstance(events[2], ReplyCompleted)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_pings_of_both_forms_are_skipped(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    session.receive_stream_start(200, sse_headers(dialect))
    session.receive_data(PING + OLD_PING)
    assert session.next_event() is NEED_DATA
    assert state_of(session) is S.STREAMING


@pytest.mark.parametrize("dialect", DIALECTS)
def test_final_content_is_authoritative_and_tokens_are_kept(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    # The worker strips the text and drops a stop sequence.
    body = token(" Hello") + token(" world") + token("</s>") + message_frame(content="Hello world")
    completed = stream(session, body)[-1]
    assert isinstance(completed, ReplyCompleted)
    assert completed.text == "Hello world" == session.reply_text
    assert completed.token_text == " Hello world</s>" == session.token_text


@pytest.mark.parametrize("dialect", DIALECTS)
def test_need_data_until_a_whole_event_arrived(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    assert session.state is S.OPENING
    with pytest.raises(LocalProtocolError):
        session.next_event()
    with pytest.raises(LocalProtocolError):
        session.receive_data(b"x")
    session.receive_stream_start(200, sse_headers(dialect))
    with pytest.raises(LocalProtocolError):
        session.receive_stream_start(200, sse_headers(dialect))
    assert session.next_event() is NEED_DATA
    session.receive_data(PENDING[:-2])
    assert session.next_event() is NEED_DATA
    session.receive_data(b"")
    assert session.next_event() is NEED_DATA
    session.receive_data(PENDING[-2:])
    assert session.next_event() == Pending(queue_position=1, queue_size=3)
    assert session.next_event() is NEED_DATA


@pytest.mark.parametrize("dialect", DIALECTS)
def test_eof_calls_are_checked(dialect: Dialect) -> None:
    session = reach("STREAMING", dialect)
    session.receive_eof()
    assert state_of(session) is S.STREAM_ENDED
    assert session.is_streaming
    with pytest.raises(LocalProtocolError, match="receive_eof"):
        session.receive_eof()
    with pytest.raises(LocalProtocolError, match="receive_data"):
        session.receive_data(b"x")
    assert state_of(session) is S.STREAM_ENDED


# --- endings without a terminal event ---


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("body", "partial"),
    [
        (PENDING + TOKEN_FRAMES, "Hello world \u00e9"),
        (STREAMS["truncated"], "Hello world \u00e9"),
        (STREAMS["only-pings"], ""),
        (PENDING, ""),
    ],
)
def test_eof_without_message_or_error_is_incomplete(
    dialect: Dialect, body: bytes, partial: str
) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    with pytest.raises(IncompleteReplyError) as info:
        stream(session, body)
    assert info.value.partial_text == partial
    assert info.value.message_id == ASSISTANT_ID
    assert session.state is S.ERROR
    assert session.token_text == partial
    assert session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
def test_web_200_empty_and_inference_204_mean_already_finished(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    if dialect is WEB:
        events = stream(session, b"", status=200, headers=())
    else:
        events = stream(session, b"", status=204, headers=NO_CONTENT_HEADERS)
    assert events == [ReplyAlreadyFinished(message_id=ASSISTANT_ID)]
    assert session.state is S.QUEUED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_204_with_a_body_is_a_protocol_error(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    with pytest.raises(RemoteProtocolError, match="204 with a body"):
        stream(session, PENDING, status=204, headers=NO_CONTENT_HEADERS)
    assert session.state is S.ERROR


def test_inference_200_empty_without_content_type_is_already_finished() -> None:
    session = reach("QUEUED", INFERENCE)
    session.open_event_stream()
    assert stream(session, b"", headers=()) == [ReplyAlreadyFinished(message_id=ASSISTANT_ID)]


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/json", "text/event-streams"]
)
def test_inference_requires_an_event_stream_content_type(content_type: str | None) -> None:
    session = reach("QUEUED", INFERENCE)
    session.open_event_stream()
    headers = () if content_type is None else (("content-type", content_type),)
    session.receive_stream_start(200, headers)
    session.receive_data(HAPPY_STREAM)
    # The verdict waits for the end of the body, so the preview can show it.
    assert session.next_event() is NEED_DATA
    session.receive_eof()
    with pytest.raises(RemoteProtocolError, match="not text/event-stream") as info:
        session.next_event()
    assert "data: " in str(info.value)
    assert session.state is S.ERROR


def test_inference_content_type_parameters_and_case_are_accepted() -> None:
    session = reach("QUEUED", INFERENCE)
    session.open_event_stream()
    headers = (("Content-Type", "Text/Event-Stream ; charset=utf-8"),)
    assert isinstance(stream(session, HAPPY_STREAM, headers=headers)[-1], ReplyCompleted)


@pytest.mark.parametrize("content_type", [None, "text/html", "application/octet-stream"])
def test_web_accepts_any_content_type(content_type: str | None) -> None:
    session = reach("QUEUED", WEB)
    session.open_event_stream()
    headers = () if content_type is None else (("content-type", content_type),)
    assert isinstance(stream(session, HAPPY_STREAM, headers=headers)[-1], ReplyCompleted)


def test_web_html_body_is_an_incomplete_reply() -> None:
    session = reach("QUEUED", WEB)
    session.open_event_stream()
    with pytest.raises(IncompleteReplyError):
        stream(
            session, b"<html><body>Sign in</body></html>", headers=(("content-type", "text/html"),)
        )


# --- error statuses ---


@pytest.mark.parametrize("dialect", DIALECTS)
def test_500_on_the_events_route_raises_at_eof(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    session.receive_stream_start(500, (("content-type", "text/plain"),))
    session.receive_data(b"Internal ")
    assert session.next_event() is NEED_DATA
    session.receive_data(b"Server Error")
    assert session.next_event() is NEED_DATA
    session.receive_eof()
    with pytest.raises(APIError) as info:
        session.next_event()
    assert info.value.status == 500
    assert info.value.detail == "Internal Server Error"
    # The assistant message exists and may still be generating: back to QUEUED,
    # where it can be fetched, its stream re-opened, or another one requested.
    assert session.state is S.QUEUED
    assert session.assistant_message_id == ASSISTANT_ID
    assert session.needs_cleanup
    session.open_event_stream()


def test_inference_400_for_a_prompter_message_id() -> None:
    session = reach("QUEUED", INFERENCE)
    session.open_event_stream()
    body = b'{"detail":"Only assistant messages can be streamed."}'
    with pytest.raises(ValidationError) as info:
        stream(session, body, status=400, headers=(("content-type", "application/json"),))
    assert info.value.detail == "Only assistant messages can be streamed."


@pytest.mark.parametrize("status", [99, 101, 600])
def test_non_final_status_on_the_stream(status: int) -> None:
    session = reach("QUEUED", WEB)
    session.open_event_stream()
    with pytest.raises(RemoteProtocolError):
        stream(session, b"", status=status, headers=())
    assert session.state is S.ERROR


def test_error_body_is_kept_bounded() -> None:
    session = reach("QUEUED", WEB)
    session.open_event_stream()
    with pytest.raises(APIError) as info:
        stream(session, b"x" * (MAX_ERROR_BODY_SIZE + 5000), status=502, headers=())
    assert len(info.value.body) == MAX_ERROR_BODY_SIZE


# --- malformed frames: typed errors that keep the partial text ---


def _message(**changes: Any) -> dict[str, Any]:
    data = message_read()
    data.update(changes)
    return data


BAD_FRAMES = {
    "not-json": b"data: {oops\r\n\r\n",
    "not-utf8-json": b"data: \xff\xfe\r\n\r\n",
    "empty-data": b"data:\r\n\r\n",
    "array": b"data: [1, 2]\r\n\r\n",
    "no-event-type": frame({"text": "x"}),
    "event-type-int": frame({"event_type": 3}),
    "token-text-null": frame({"event_type": "token", "text": None}),
    "token-text-missing": frame({"event_type": "token"}),
    "pending-bool": frame({"event_type": "pending", "queue_position": True, "queue_size": 1}),
    "pending-str": frame({"event_type": "pending", "queue_position": 1, "queue_size": "3"}),
    "plugin-missing-field": frame(
        {"event_type": "plugin_intermediate", "current_plugin_thought": "t"}
    ),
    "message-null": frame({"event_type": "message", "message": None}),
    "message-without-id": frame(
        {"event_type": "message", "message": {k: v for k, v in message_read().items() if k != "id"}}
    ),
    "message-pending": frame({"event_type": "message", "message": _message(state="pending")}),
    "message-other-id": frame({"event_type": "message", "message": _message(id="other")}),
    "message-prompter": frame({"event_type": "message", "message": _message(role="prompter")}),
    "message-no-content": frame({"event_type": "message", "message": _message(content=None)}),
    "error-not-str": frame({"event_type": "error", "error": 5, "message": None}),
    "error-message-bad": frame({"event_type": "error", "error": "x", "message": {"id": 1}}),
    "error-other-id": frame({"event_type": "error", "error": "x", "message": _message(id="o")}),
    "deep-json": b"data: " + b"[" * 100000 + b"\r\n\r\n",
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
def test_malformed_frames_raise_with_the_partial_text(dialect: Dialect, name: str) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    with pytest.raises(IncompleteReplyError) as info:
        stream(session, token("Hel") + token("lo") + BAD_FRAMES[name])
    assert isinstance(info.value.__cause__, RemoteProtocolError)
    assert info.value.partial_text == "Hello"
    assert info.value.message_id == ASSISTANT_ID
    assert session.state is S.ERROR
    assert session.token_text == "Hello"


@pytest.mark.parametrize("limits", [{"max_line_size": 200}, {"max_event_size": 150}])
def test_oversized_event_is_a_limit_error_with_the_partial_text(limits: dict[str, int]) -> None:
    body = token("ok") + message_frame() + token("never")
    for _label, pieces in chunkings(body):
        session = queued_with_limits(INFERENCE, **limits)
        session.open_event_stream()
        with pytest.raises(IncompleteReplyError) as info:
            stream(session, body, headers=INFERENCE_SSE_HEADERS, pieces=pieces)
        assert isinstance(info.value.__cause__, SSELimitError)
        assert info.value.partial_text == "ok"
        assert session.state is S.ERROR


@pytest.mark.parametrize("limits", [{"max_line_size": 200}, {"max_event_size": 150}])
def test_events_before_an_oversized_line_in_the_same_chunk_are_delivered(
    limits: dict[str, int],
) -> None:
    # The reader feeds the decoder whole chunks; the events a chunk completed
    # before its oversized line come with the limit error and are returned
    # before it, whatever the chunking.
    words = ["a", "b", "c", "d"]
    body = b"".join(map(token, words)) + PING + message_frame() + token("never")
    rnd = random.Random(7)
    cuts = [sorted(rnd.sample(range(1, len(body)), rnd.randint(1, 9))) for _ in range(10)]
    random_pieces = [[body[a:b] for a, b in pairwise([0, *points, len(body)])] for points in cuts]
    labelled = [*chunkings(body), *(("random", pieces) for pieces in random_pieces)]
    for _label, pieces in labelled:
        session = queued_with_limits(INFERENCE, **limits)
        session.open_event_stream()
        session.receive_stream_start(200, INFERENCE_SSE_HEADERS)
        delivered: list[Event] = []
        with pytest.raises(IncompleteReplyError) as info:  # noqa: PT012 - events come first
            for piece in pieces:
                session.receive_data(piece)
                while (event := session.next_event()) is not NEED_DATA:
                    delivered.append(event)
        assert delivered == [Token(text=word) for word in words], _label
        assert isinstance(info.value.__cause__, SSELimitError)
        assert info.value.partial_text == "abcd"
        assert session.state is S.ERROR


def test_large_message_line_within_the_default_limits() -> None:
    # gpt4free's line reader had a 128 KiB ceiling; ours is configurable.
    session = reach("QUEUED", INFERENCE)
    session.open_event_stream()
    content = "word " * 60_000
    completed = stream(session, message_frame(content=content))[-1]
    assert isinstance(completed, ReplyCompleted)
    assert completed.text == content


def test_bad_limits_are_refused_at_construction() -> None:
    with pytest.raises(LocalProtocolError):
        new_session(WEB, max_event_size=-1)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_error_event_message_with_unknown_state_is_kept(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    body = frame({"event_type": "error", "error": "odd", "message": _message(state="exploded")})
    failed = stream(session, body)[-1]
    assert isinstance(failed, ReplyFailed)
    assert failed.state == "exploded"


def test_web_stream_headers_fixture_is_what_the_site_sends() -> None:
    # Guards the fixture itself: the website copies no content type.
    assert all(name != "content-type" for name, _ in WEB_SSE_HEADERS)
    assert json.loads(PENDING[6:])["event_type"] == "pending"
    assert json.loads(PENDING_HEAD[6:])["queue_position"] == 0
    assert FINAL_TEXT.endswith("\u00e9")
