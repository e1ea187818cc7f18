"""The chat session against its transition table, and against random server input.

1. Every (situation, call) pair: the call either does what ``TRANSITIONS``
   says (for receive calls: the outcome it reports moves the state per the
   table; a rejection's ``BEFORE_COMMAND`` restores every public attribute
   to what it was when the request was sent) or raises ``LocalProtocolError``
   leaving every public attribute unchanged (h2's ``test_state_machines.py``
   idea, made exhaustive), then the same check along random walks of calls
   with random arguments.
2. Random statuses, bodies and byte streams fed at each step produce only
   events or ``OAProtoError`` subclasses (h11's fuzzing property).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto import (
    NEED_DATA,
    APIError,
    AssistantMessageQueued,
    ChatCreated,
    ChatDeleted,
    ChatSession,
    ChatState,
    Dialect,
    HttpRequest,
    HttpResponse,
    LocalProtocolError,
    OAProtoError,
    PrompterMessagePosted,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    ReplyUnfinished,
)
from oaproto.state import BEFORE_COMMAND, REQUIRES, TRANSITIONS, SessionInput
from tests.helpers.session_fixtures import (
    ABORTED_FRAME,
    BUSY_TEXT,
    CREATED_RESPONSE,
    DELETED_RESPONSE,
    DIALECTS,
    EMPTY_TOKEN,
    FETCHED_COMPLETE,
    FORBIDDEN,
    GONE_RESPONSE,
    HAPPY_STREAM,
    INFERENCE_SSE_HEADERS,
    INTERNAL_SERVER_ERROR,
    OLD_PING,
    PENDING,
    PING,
    PLUGIN_FRAME,
    PROMPTER_RESPONSE,
    QUEUED_RESPONSE,
    SENT_FROM,
    SITUATIONS,
    TIMEOUT_FRAME,
    before_sending,
    chat_list_read,
    error_json,
    json_response,
    message_frame,
    message_read,
    prompter_read,
    public_attributes,
    reach,
    token,
)

I = SessionInput  # noqa: E741
CALLS = [i for i in SessionInput if not i.is_outcome]

# Which outcome each returned event reports; other events leave the state alone.
OUTCOME_OF: dict[type, SessionInput] = {
    ChatCreated: I.CHAT_CREATED,
    PrompterMessagePosted: I.PROMPTER_MESSAGE_POSTED,
    AssistantMessageQueued: I.ASSISTANT_MESSAGE_QUEUED,
    ReplyCompleted: I.REPLY_COMPLETED,
    ReplyFailed: I.REPLY_FAILED,
    ReplyUnfinished: I.REPLY_UNFINISHED,
    ReplyAlreadyFinished: I.REPLY_ALREADY_FINISHED,
    ChatDeleted: I.CHAT_DELETED,
}

# The success response of whatever is in flight, for the exhaustive check.
SUCCESS: dict[ChatState, HttpResponse] = {
    ChatState.CREATING: CREATED_RESPONSE,
    ChatState.POSTING: PROMPTER_RESPONSE,
    ChatState.REQUESTING: QUEUED_RESPONSE,
    ChatState.FETCHING: FETCHED_COMPLETE,
    ChatState.DELETING: DELETED_RESPONSE,
}

BUSY = error_json(Dialect.INFERENCE, BUSY_TEXT, 503)
RESPONSES = [
    CREATED_RESPONSE,
    PROMPTER_RESPONSE,
    QUEUED_RESPONSE,
    FETCHED_COMPLETE,
    DELETED_RESPONSE,
    GONE_RESPONSE,
    FORBIDDEN,
    INTERNAL_SERVER_ERROR,
    BUSY,
    json_response(message_read(content=None, state="aborted_by_worker")),
    json_response(message_read(content=None, state="in_progress")),
]
FRAMES = [PENDING, token("Hi"), EMPTY_TOKEN, PING, OLD_PING, PLUGIN_FRAME, message_frame()]
FRAMES += [ABORTED_FRAME, TIMEOUT_FRAME, b"data: {bad\r\n\r\n", message_frame()[:40]]
STARTS = [
    (200, INFERENCE_SSE_HEADERS),
    (200, ()),
    (204, ()),
    (500, (("content-type", "text/plain"),)),
]


def invoke(session: ChatSession, call: SessionInput, arg: Any = None) -> object:
    """Call the method of ``call``; ``arg`` picks the argument of receive calls."""
    if call is I.CREATE_CHAT:
        return session.create_chat()
    if call is I.POST_PROMPTER_MESSAGE:
        return session.post_prompter_message("Hi")
    if call is I.REQUEST_ASSISTANT_MESSAGE:
        return session.request_assistant_message()
    if call is I.OPEN_EVENT_STREAM:
        return session.open_event_stream()
    if call is I.FETCH_MESSAGE:
        return session.fetch_message()
    if call is I.DELETE_CHAT:
        return session.delete_chat()
    if call is I.ABANDON_STREAM:
        session.abandon_stream()
        return None
    if call is I.RECEIVE_RESPONSE:
        return session.receive_response(arg or SUCCESS.get(session.state, CREATED_RESPONSE))
    if call is I.RECEIVE_STREAM_START:
        status, headers = arg or STARTS[0]
        session.receive_stream_start(status, headers)
        return None
    if call is I.RECEIVE_DATA:
        session.receive_data(arg or token("x"))
        return None
    if call is I.RECEIVE_EOF:
        session.receive_eof()
        return None
    assert call is I.NEXT_EVENT
    return session.next_event()


def legal(session: ChatSession, call: SessionInput) -> bool:
    """What the tables say about ``call`` now."""
    if (session.state, call) not in TRANSITIONS:
        return False
    return all(getattr(session, known.value) is not None for known in REQUIRES.get(call, ()))


class Walk:
    """A session in a situation, checked call by call against the tables.

    ``sent`` is what a rejection of the request in flight must restore: the
    public attributes when that request was sent (from ``SENT_FROM`` for the
    starting situation, then recorded at each command that returned a request).
    """

    def __init__(self, name: str, dialect: Dialect) -> None:
        self.session = reach(name, dialect)
        self.sent = before_sending(name, dialect) if name in SENT_FROM else None

    def step(self, call: SessionInput, arg: Any = None) -> None:
        """Make one call and check it against the tables."""
        session = self.session
        before = public_attributes(session)
        state = session.state
        expected_legal = legal(session, call)
        try:
            result = invoke(session, call, arg)
        except LocalProtocolError:
            assert public_attributes(session) == before
            if expected_legal:
                # The only legal-state refusals: the byte stream's own contract.
                assert call in (I.RECEIVE_DATA, I.RECEIVE_EOF), (state, call)
            return
        except APIError:
            assert expected_legal
            self.check_rejected(state)
            return
        except OAProtoError:
            assert expected_legal
            assert session.state is TRANSITIONS[(state, I.REMOTE_ERROR)]
            return
        assert expected_legal, (state, call)
        assert isinstance(result, HttpRequest) is call.sends_request, call
        if call.sends_request:
            self.sent = before
        outcome = OUTCOME_OF.get(type(result))
        if outcome is None or result is NEED_DATA:
            assert session.state is TRANSITIONS[(state, call)]
        else:
            assert (state, call) in TRANSITIONS
            assert session.state is TRANSITIONS[(state, outcome)], (state, call, result)

    def check_rejected(self, state: ChatState) -> None:
        """The server refused the request in flight in ``state``."""
        target = TRANSITIONS[(state, I.REQUEST_REJECTED)]
        if target is BEFORE_COMMAND:
            assert self.sent is not None
            assert public_attributes(self.session) == self.sent, state
        else:
            assert self.session.state is target


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.name)
@pytest.mark.parametrize("name", sorted(SITUATIONS))
def test_every_situation_and_call(name: str, call: SessionInput, dialect: Dialect) -> None:
    Walk(name, dialect).step(call)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("response", [FORBIDDEN, INTERNAL_SERVER_ERROR, BUSY], ids=str)
@pytest.mark.parametrize("name", sorted(n for n in SENT_FROM if not n.startswith("STREAM")))
def test_every_request_in_flight_refused(
    name: str, response: HttpResponse, dialect: Dialect
) -> None:
    walk = Walk(name, dialect)
    session = walk.session
    state = session.state
    if state is ChatState.OPENING:
        session.receive_stream_start(response.status, response.headers)
        session.receive_data(response.body)
        session.receive_eof()
        state = ChatState.STREAM_ENDED  # the status is judged at the end of the body
        with pytest.raises(APIError):
            session.next_event()
    else:
        with pytest.raises(APIError):
            session.receive_response(response)
    walk.check_rejected(state)


def test_illegal_pairs_are_exactly_the_missing_keys() -> None:
    # A sanity check of the exhaustive test: it sees both kinds of pairs.
    legal_seen = illegal_seen = 0
    for name in SITUATIONS:
        for call in CALLS:
            session = reach(name, Dialect.WEB)
            if legal(session, call):
                legal_seen += 1
            else:
                illegal_seen += 1
    assert legal_seen > 40
    assert illegal_seen > 150


def _arg(call: SessionInput) -> st.SearchStrategy[Any]:
    if call is I.RECEIVE_RESPONSE:
        return st.sampled_from(RESPONSES)
    if call is I.RECEIVE_DATA:
        return st.sampled_from(FRAMES)
    if call is I.RECEIVE_STREAM_START:
        return st.sampled_from(STARTS)
    return st.none()


steps = st.lists(
    st.sampled_from(CALLS).flatmap(lambda call: st.tuples(st.just(call), _arg(call))),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(
    start=st.sampled_from(sorted(SITUATIONS)),
    dialect=st.sampled_from(DIALECTS),
    walk=steps,
)
def test_random_walks_follow_the_table(
    start: str, dialect: Dialect, walk: list[tuple[SessionInput, Any]]
) -> None:
    checked = Walk(start, dialect)
    for call, arg in walk:
        checked.step(call, arg)


# --- 2. random server input yields only events or OAProtoError ---

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

_FIELDS = [
    "id",
    "parent_id",
    "content",
    "chat_id",
    "created_at",
    "role",
    "state",
    "score",
    "reports",
    "work_parameters",
]


@st.composite
def mutated_models(draw: st.DrawFn) -> object:
    """A valid chat or message object with one field replaced or removed."""
    base: dict[str, Any] = draw(
        st.sampled_from(
            [
                chat_list_read(),
                message_read(),
                prompter_read(),
                message_read(content=None, state="pending"),
            ]
        )
    )
    key = draw(st.sampled_from([*_FIELDS, "modified_at", "title"]))
    if draw(st.booleans()):
        base.pop(key, None)
    else:
        base[key] = draw(json_values | st.sampled_from(["complete", "assistant", "prompter"]))
    return base


bodies = (
    st.binary(max_size=64)
    | json_values.map(lambda v: json.dumps(v).encode())
    | mutated_models().map(lambda v: json.dumps(v).encode())
)
responses = st.builds(
    lambda status, body, json_type: HttpResponse(
        status=status,
        headers=(("content-type", "application/json"),) if json_type else (),
        body=body,
    ),
    st.integers(0, 999) | st.sampled_from([200, 204, 400, 403, 404, 422, 500, 503]),
    bodies,
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["CREATING", "POSTING", "REQUESTING", "FETCHING", "DELETING"]),
    dialect=st.sampled_from(DIALECTS),
    response=responses,
)
def test_random_responses_give_events_or_typed_errors(
    name: str, dialect: Dialect, response: HttpResponse
) -> None:
    walk = Walk(name, dialect)
    session = walk.session
    state = session.state
    try:
        event = session.receive_response(response)
    except LocalProtocolError:
        raise  # every call here is legal: a local error would be a bug
    except APIError:
        walk.check_rejected(state)
        return
    except OAProtoError:
        assert session.state is ChatState.ERROR
        return
    assert session.state is TRANSITIONS[(state, OUTCOME_OF[type(event)])]


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """An SSE frame whose JSON is plausible: known event types, fields of any type."""
    event_type = draw(
        st.sampled_from(["pending", "token", "plugin_intermediate", "message", "error"])
        | st.text(max_size=6)
        | json_values
    )
    data: dict[str, Any] = {"event_type": event_type}
    for key in draw(
        st.lists(
            st.sampled_from(
                [
                    "queue_position",
                    "queue_size",
                    "text",
                    "error",
                    "current_plugin_thought",
                    "current_plugin_action_taken",
                    "current_plugin_action_input",
                    "current_plugin_action_response",
                ]
            ),
            max_size=4,
        )
    ):
        data[key] = draw(json_values)
    if draw(st.booleans()):
        data["message"] = draw(mutated_models() | json_values)
    return (
        b"data: "
        + json.dumps(data).encode()
        + draw(st.sampled_from([b"\r\n\r\n", b"\n\n", b"\r\n"]))
    )


stream_bodies = st.lists(
    frames() | st.sampled_from([*FRAMES, HAPPY_STREAM]) | st.binary(max_size=40), max_size=8
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(
    dialect=st.sampled_from(DIALECTS),
    status=st.sampled_from([200, 200, 200, 204, 400, 500]) | st.integers(0, 999),
    headers=st.sampled_from([(), INFERENCE_SSE_HEADERS, (("content-type", "text/html"),)]),
    body=stream_bodies,
    cuts=st.lists(st.integers(1, 50), max_size=10),
)
def test_random_streams_give_events_or_typed_errors(
    dialect: Dialect,
    status: int,
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    cuts: list[int],
) -> None:
    walk = Walk("OPENING", dialect)
    session = walk.session
    session.receive_stream_start(status, headers)
    pieces: list[bytes] = []
    rest = body
    for cut in cuts:
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    feeds: list[Callable[[], None]] = [lambda p=p: session.receive_data(p) for p in pieces]  # type: ignore[misc]
    feeds.append(session.receive_eof)
    try:
        for feed in feeds:
            if not session.is_streaming:
                break
            feed()
            while session.is_streaming:
                if session.next_event() is NEED_DATA:
                    break
    except LocalProtocolError:
        raise  # every call here is legal: a local error would be a bug
    except APIError:
        walk.check_rejected(ChatState.STREAM_ENDED)  # error statuses are judged at EOF
        return
    except OAProtoError:
        assert session.state is ChatState.ERROR
        return
    # Ended by a terminal event (EOF alone always ends in one or an error).
    assert session.state in (ChatState.REPLIED, ChatState.PROMPTED, ChatState.QUEUED)
