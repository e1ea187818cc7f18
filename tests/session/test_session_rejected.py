"""A rejected request (an error status) is undone; the session stays usable.

The server answered and refused the request, so nothing happened to the
chat: the session goes back to the state the command was called in, with the
ids it had then, the typed ``APIError`` propagates, and the same request can
be sent again. Only a refused delete goes to ``ERROR``, where delete stays
legal. Bodies are the reference server's (docs/server.md, "Bodies of
status=CODE"; reference §1.3, §1.4, §3.2).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    ChatDeleted,
    ChatSession,
    ChatState,
    Dialect,
    HttpRequest,
    HttpResponse,
    NotFoundError,
    RemoteProtocolError,
    ReplyCompleted,
    ValidationError,
)
from tests.helpers.session_fixtures import (
    BUSY_TEXT,
    CREATED_RESPONSE,
    DIALECTS,
    FETCHED_COMPLETE,
    GONE_RESPONSE,
    HAPPY_STREAM,
    INFERENCE,
    PROMPTER_RESPONSE,
    PYDANTIC_ERRORS,
    QUEUED_RESPONSE,
    SENT_FROM,
    SITUATIONS,
    WEB,
    before_sending,
    empty_response,
    error_json,
    json_response,
    public_attributes,
    reach,
    state_of,
    stream,
    text_response,
)

S = ChatState

STATUSES = [403, 404, 413, 422, 429, 500, 503]
ERRORS: dict[int, type[APIError]] = {
    403: AuthenticationError,
    404: NotFoundError,
    413: ValidationError,
    422: ValidationError,
    429: BusyError,
    500: APIError,
    503: BusyError,
}
REASONS = {
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
# The route each in-flight state waits on.
STEPS = {
    S.CREATING: "create_chat",
    S.POSTING: "prompter_message",
    S.REQUESTING: "assistant_message",
    S.OPENING: "events",
    S.FETCHING: "message",
    S.DELETING: "delete_chat",
}
# The inference server's ``detail`` per (step, status); ``None`` as step: any other step.
INFERENCE_DETAILS: dict[tuple[str | None, int], object] = {
    (None, 403): "Not authenticated",
    ("create_chat", 404): "User not found",
    (None, 404): "Chat not found",
    ("prompter_message", 413): "Message content exceeds max length",
    ("assistant_message", 413): "Maximum number of messages reached for this chat",
    ("prompter_message", 422): PYDANTIC_ERRORS,
    ("assistant_message", 422): "Model gpt-3.5-turbo not found",
    (None, 429): "Too Many Requests. Retry After 60 seconds.",
    ("assistant_message", 503): BUSY_TEXT,
}


def rejection(step: str, status: int, dialect: Dialect) -> tuple[HttpResponse, object]:
    """The reference server's error answer at ``step``, and the detail it carries."""
    if dialect is INFERENCE:
        if status == 500:  # Starlette's ServerErrorMiddleware (§3.2)
            return text_response(500, b"Internal Server Error"), "Internal Server Error"
        detail = INFERENCE_DETAILS.get((step, status), INFERENCE_DETAILS.get((None, status)))
        detail = REASONS[status] if detail is None else detail
        return error_json(INFERENCE, detail, status), detail
    if step in ("prompter_message", "assistant_message"):  # {"message": upstream detail} (§1.3)
        detail = "Something went wrong" if status == 500 else rejection(step, status, INFERENCE)[1]
        return error_json(WEB, detail, status), detail
    if status in (403, 404):
        return empty_response(status), None
    text = "Internal Server Error" if status == 500 else REASONS[status]
    # Next.js' text bodies carry no content type.
    return HttpResponse(status=status, headers=(), body=text.encode()), text


def resend(session: ChatSession, state: ChatState) -> HttpRequest:
    """The command that sent the request in flight in ``state``."""
    commands: dict[ChatState, Callable[[], HttpRequest]] = {
        S.CREATING: session.create_chat,
        S.POSTING: lambda: session.post_prompter_message("Hi"),
        S.REQUESTING: session.request_assistant_message,
        S.OPENING: session.open_event_stream,
        S.FETCHING: session.fetch_message,
        S.DELETING: session.delete_chat,
    }
    return commands[state]()


def answer(session: ChatSession, state: ChatState, response: HttpResponse) -> object:
    """Give ``response`` to the request in flight in ``state``, as a driver would."""
    if state is S.OPENING:
        return stream(session, response.body, status=response.status, headers=response.headers)
    return session.receive_response(response)


def succeed(session: ChatSession, state: ChatState) -> ChatState:
    """Answer the request in flight in ``state`` with success; the state reached."""
    if state is S.OPENING:
        assert isinstance(stream(session, HAPPY_STREAM)[-1], ReplyCompleted)
    else:
        success = {
            S.CREATING: CREATED_RESPONSE,
            S.POSTING: PROMPTER_RESPONSE,
            S.REQUESTING: QUEUED_RESPONSE,
            S.FETCHING: FETCHED_COMPLETE,
        }
        session.receive_response(success[state])
    return state_of(session)


SUCCESS_STATE = {
    S.CREATING: S.READY,
    S.POSTING: S.PROMPTED,
    S.REQUESTING: S.QUEUED,
    S.OPENING: S.REPLIED,
    S.FETCHING: S.REPLIED,
}
UNDONE = [name for name in SENT_FROM if not name.startswith(("STREAM", "DELETING"))]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("name", UNDONE)
def test_a_rejected_request_is_undone_and_can_be_sent_again(
    name: str, status: int, dialect: Dialect
) -> None:
    session = reach(name, dialect)
    state = session.state
    before = before_sending(name, dialect)
    first = resend(reach(SENT_FROM[name], dialect), state)
    response, detail = rejection(STEPS[state], status, dialect)

    with pytest.raises(APIError) as info:
        answer(session, state, response)

    assert type(info.value) is ERRORS[status]
    assert (info.value.status, info.value.detail) == (status, detail)
    assert public_attributes(session) == before
    # Nothing happened on the server, so the same request is legal again, and succeeds.
    assert resend(session, state) == first
    assert succeed(session, state) is SUCCESS_STATE[state]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("name", "previous"),
    [
        ("CREATING", S.IDLE),
        ("POSTING", S.READY),
        ("POSTING/next-turn", S.REPLIED),
        ("REQUESTING", S.PROMPTED),
        ("REQUESTING/retry", S.PROMPTED),
        ("REQUESTING/another-draft", S.QUEUED),
        ("REQUESTING/regenerate", S.REPLIED),
        ("OPENING", S.QUEUED),
        ("OPENING/reopened", S.QUEUED),
        ("FETCHING", S.QUEUED),
        ("FETCHING/after-broken-stream", S.ERROR),
    ],
)
def test_each_rejection_returns_to_where_its_command_was_called(
    name: str, previous: ChatState, dialect: Dialect
) -> None:
    session = reach(name, dialect)
    response, _ = rejection(STEPS[session.state], 503, dialect)
    with pytest.raises(APIError):
        answer(session, session.state, response)
    assert state_of(session) is previous


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_reset_ids_and_texts_come_back(dialect: Dialect) -> None:
    # Requesting a regenerate reset the last reply; a rejection restores it.
    session = reach("REQUESTING/regenerate", dialect)
    assert (session.assistant_message_id, session.reply_text) == (None, None)
    assert session.token_text == ""
    response, _ = rejection("assistant_message", 429, dialect)
    with pytest.raises(BusyError):
        session.receive_response(response)
    replied = reach("REPLIED", dialect)
    assert session.assistant_message_id == replied.assistant_message_id is not None
    assert session.reply_text == replied.reply_text is not None
    assert session.token_text == replied.token_text != ""
    # A re-opened stream had cleared the abandoned stream's partial text.
    session = reach("OPENING/reopened", dialect)
    assert session.token_text == ""
    with pytest.raises(APIError):
        stream(session, b"Internal Server Error", status=500, headers=())
    assert session.token_text == "Hel"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_busy_then_retry_reaches_queued(dialect: Dialect) -> None:
    session = reach("REQUESTING", dialect)
    with pytest.raises(BusyError, match="currently busy"):
        session.receive_response(error_json(dialect, BUSY_TEXT, 503))
    assert state_of(session) is S.PROMPTED
    session.request_assistant_message()
    session.receive_response(QUEUED_RESPONSE)
    assert state_of(session) is S.QUEUED
    assert session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("status", [s for s in STATUSES if s != 404])
def test_a_rejected_delete_goes_to_error_and_can_be_sent_again(
    dialect: Dialect, status: int
) -> None:
    # 404 means deleted. A delete may have dropped a stream or a request in
    # flight, so it is not undone: ERROR, from where it can be re-sent.
    session = reach("DELETING", dialect)
    response, detail = rejection("delete_chat", status, dialect)
    with pytest.raises(APIError) as info:
        session.receive_response(response)
    assert type(info.value) is ERRORS[status]
    assert info.value.detail == detail
    assert (state_of(session), session.needs_cleanup) == (S.ERROR, True)
    session.delete_chat()
    assert isinstance(session.receive_response(GONE_RESPONSE), ChatDeleted)
    assert not session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("name", "response"),
    [
        ("CREATING", text_response(200, b"<html>")),
        ("POSTING", json_response({"detail": "no id"})),
        ("REQUESTING", text_response(204, b"")),
        ("FETCHING", json_response(["not", "a", "message"])),
        ("CREATING", text_response(101, b"")),
    ],
)
def test_an_unusable_answer_still_goes_to_error(
    name: str, response: HttpResponse, dialect: Dialect
) -> None:
    session = reach(name, dialect)
    with pytest.raises(RemoteProtocolError):
        session.receive_response(response)
    assert state_of(session) is S.ERROR


def test_sent_from_names_every_situation_with_a_request_in_flight() -> None:
    in_flight = {"CREATING", "POSTING", "REQUESTING", "OPENING", "STREAMING", "STREAM_ENDED"}
    in_flight.add("FETCHING")
    in_flight.add("DELETING")
    assert {n for n in SITUATIONS if n.split("/")[0] in in_flight} == set(SENT_FROM)
