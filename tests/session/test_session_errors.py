"""Bad responses at every step: typed errors, and cleanup still possible.

An error status undoes the command (``test_session_rejected.py`` covers that
in depth); an unusable answer moves the session to ERROR.

The last section turns each gpt4free provider bug that concerns the
lifecycle into a test of what this library does instead.
"""

from __future__ import annotations

import json

import pytest

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    ChatState,
    Dialect,
    HttpResponse,
    LocalProtocolError,
    OAProtoError,
    RemoteProtocolError,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    ReplyOptions,
    SamplingParameters,
    ValidationError,
)
from tests.helpers.session_fixtures import (
    ABORTED_FRAME,
    ASSISTANT_ID,
    BUSY_TEXT,
    CHAT_ID,
    DIALECTS,
    FORBIDDEN,
    HAPPY_STREAM,
    INTERNAL_SERVER_ERROR,
    PENDING,
    PROMPTER_ID,
    PYDANTIC_ERRORS,
    SITUATIONS,
    TOKEN_FRAMES,
    WEB,
    before_sending,
    chat_list_read,
    drain,
    empty_response,
    error_json,
    json_response,
    message_read,
    pending_read,
    prompter_read,
    public_attributes,
    reach,
    sse_headers,
    stream,
    text_response,
)

S = ChatState


def _fails(session_name: str, dialect: Dialect, response: HttpResponse) -> OAProtoError:
    session = reach(session_name, dialect)
    with pytest.raises(OAProtoError) as info:
        session.receive_response(response)
    if isinstance(info.value, APIError):  # refused: back to before the command
        assert public_attributes(session) == before_sending(session_name, dialect)
    else:
        assert session.state is S.ERROR
    return info.value


# --- create ---


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_403_empty_is_an_authentication_error(dialect: Dialect) -> None:
    session = reach("CREATING", dialect)
    with pytest.raises(AuthenticationError) as info:
        session.receive_response(FORBIDDEN)
    assert info.value.status == 403
    assert (session.state, session.chat_id, session.needs_cleanup) == (S.IDLE, None, False)
    # No chat was created: nothing to delete; creating it is legal again.
    with pytest.raises(LocalProtocolError, match="not legal in state IDLE"):
        session.delete_chat()
    session.create_chat()
    assert session.state is S.CREATING


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("response", "error"),
    [
        (INTERNAL_SERVER_ERROR, APIError),
        (empty_response(404), APIError),
        (text_response(200, b"<html>"), RemoteProtocolError),
        (json_response({"detail": "x"}), RemoteProtocolError),
        (json_response([chat_list_read()]), RemoteProtocolError),
        (empty_response(200), RemoteProtocolError),
    ],
)
def test_create_failures(dialect: Dialect, response: HttpResponse, error: type[Exception]) -> None:
    assert isinstance(_fails("CREATING", dialect, response), error)


# --- post ---


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("status", "detail", "error"),
    [
        (400, "Parent message is not complete", ValidationError),
        (400, "Trying to add first message to non-empty chat", ValidationError),
        (413, "Message content exceeds max length", ValidationError),
        (422, PYDANTIC_ERRORS, ValidationError),
        (500, "Something went wrong", APIError),
    ],
)
def test_post_error_bodies_are_typed(
    dialect: Dialect, status: int, detail: object, error: type[APIError]
) -> None:
    exc = _fails("POSTING", dialect, error_json(dialect, detail, status))
    assert type(exc) is error
    assert isinstance(exc, APIError)
    assert exc.detail == detail


@pytest.mark.parametrize("dialect", DIALECTS)
def test_post_answered_with_an_assistant_message(dialect: Dialect) -> None:
    exc = _fails("POSTING", dialect, json_response(message_read()))
    assert isinstance(exc, RemoteProtocolError)
    assert "role" in str(exc)


# --- request assistant message ---


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("status", "detail", "error"),
    [
        (422, PYDANTIC_ERRORS, ValidationError),
        (422, "Model gpt-3.5-turbo not found", ValidationError),
        (503, BUSY_TEXT, BusyError),
        (400, "Message not found", ValidationError),
        (413, "Maximum number of messages reached for this chat", ValidationError),
        (500, "Something went wrong", APIError),
    ],
)
def test_assistant_message_error_bodies_are_typed(
    dialect: Dialect, status: int, detail: object, error: type[APIError]
) -> None:
    session = reach("REQUESTING", dialect)
    with pytest.raises(error) as info:
        session.receive_response(error_json(dialect, detail, status))
    assert info.value.detail == detail
    assert session.state is S.PROMPTED
    assert session.needs_cleanup
    assert session.assistant_message_id is None
    session.request_assistant_message()  # the retry
    session.delete_chat()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_assistant_message_answered_with_a_prompter_message(dialect: Dialect) -> None:
    exc = _fails("REQUESTING", dialect, json_response(prompter_read()))
    assert isinstance(exc, RemoteProtocolError)


# --- fetch ---


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("response", "error"),
    [
        (INTERNAL_SERVER_ERROR, APIError),
        (json_response(message_read(id="someone-else")), RemoteProtocolError),
        (json_response(prompter_read(id=ASSISTANT_ID)), RemoteProtocolError),
        (json_response(message_read(content=None)), RemoteProtocolError),
        (json_response(message_read(state="manual")), RemoteProtocolError),
        (json_response(message_read(state="exploded")), RemoteProtocolError),
        (empty_response(400), ValidationError),
    ],
)
def test_fetch_failures(dialect: Dialect, response: HttpResponse, error: type[Exception]) -> None:
    exc = _fails("FETCHING", dialect, response)
    assert isinstance(exc, error)


# --- delete ---


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("response", "error"),
    [(INTERNAL_SERVER_ERROR, APIError), (FORBIDDEN, AuthenticationError)],
)
def test_delete_failures_keep_needs_cleanup(
    dialect: Dialect, response: HttpResponse, error: type[Exception]
) -> None:
    session = reach("DELETING", dialect)
    with pytest.raises(error):
        session.receive_response(response)
    assert (session.state, session.needs_cleanup) == (S.ERROR, True)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", [name for name in SITUATIONS if name.startswith("ERROR")])
def test_error_leaves_only_cleanup_and_recovery(dialect: Dialect, name: str) -> None:
    session = reach(name, dialect)
    for call in (
        session.create_chat,
        session.request_assistant_message,
        session.open_event_stream,
        session.abandon_stream,
        session.receive_eof,
        session.next_event,
    ):
        with pytest.raises(LocalProtocolError):
            call()
    with pytest.raises(LocalProtocolError):
        session.post_prompter_message("x")
    with pytest.raises(LocalProtocolError):
        session.receive_response(json_response(chat_list_read()))
    assert session.state is S.ERROR


def test_the_session_is_still_usable_after_a_local_error() -> None:
    session = reach("PROMPTED", WEB)
    with pytest.raises(LocalProtocolError):
        session.request_assistant_message({"stream": True})  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        session.receive_response(json_response(pending_read()))
    session.request_assistant_message()
    session.receive_response(json_response(pending_read()))
    assert session.state is S.QUEUED


# --- gpt4free's bugs, each with our behaviour ---


@pytest.mark.parametrize("dialect", DIALECTS)
def test_g4f_1_no_status_checks(dialect: Dialect) -> None:
    # 403 empty: an authentication error, not aiohttp's ContentTypeError.
    assert isinstance(_fails("CREATING", dialect, FORBIDDEN), AuthenticationError)
    # {"message": ...} from prompter_message: the server's reason, not KeyError('id').
    exc = _fails("POSTING", dialect, error_json(dialect, "Parent message not found", 400))
    assert isinstance(exc, ValidationError)
    assert exc.detail == "Parent message not found"
    # 500 text: an APIError with the text, not ContentTypeError.
    exc = _fails("CREATING", dialect, INTERNAL_SERVER_ERROR)
    assert isinstance(exc, APIError)
    assert exc.detail == "Internal Server Error"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_g4f_2_assistant_message_handling(dialect: Dialect) -> None:
    # The route's empty 500: an APIError, not ContentTypeError.
    exc = _fails("REQUESTING", dialect, empty_response(500))
    assert isinstance(exc, APIError)
    assert exc.detail is None
    # A 2xx JSON without "id": a RemoteProtocolError, not an unbound variable.
    no_id = {k: v for k, v in pending_read().items() if k != "id"}
    assert isinstance(_fails("REQUESTING", dialect, json_response(no_id)), RemoteProtocolError)
    assert isinstance(_fails("REQUESTING", dialect, json_response({})), RemoteProtocolError)
    # A 422: a ValidationError whose message is a string and whose detail keeps the list.
    exc = _fails("REQUESTING", dialect, error_json(dialect, PYDANTIC_ERRORS, 422))
    assert isinstance(exc, ValidationError)
    assert exc.detail == PYDANTIC_ERRORS
    assert "field required" in str(exc)


_NO_CHAT = {"IDLE", "CREATING", "ERROR/create-failed", "DELETED"}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", [n for n in SITUATIONS if n not in _NO_CHAT])
def test_g4f_3_the_chat_can_be_deleted_after_anything(dialect: Dialect, name: str) -> None:
    # gpt4free deleted only on the happy path; here DELETE is legal from every
    # situation that knows the chat, failures and early stops included.
    session = reach(name, dialect)
    assert session.chat_id == CHAT_ID
    session.delete_chat()
    assert session.state is S.DELETING


@pytest.mark.parametrize("dialect", DIALECTS)
def test_g4f_4_the_events_response_is_validated(dialect: Dialect) -> None:
    # A non-SSE error body raises instead of "succeeding" with empty output.
    session = reach("OPENING", dialect)
    with pytest.raises(APIError):
        stream(session, b"Internal Server Error", status=500, headers=())
    # The 200-empty (web) of a finished message asks for a fetch, not "".
    session = reach("OPENING", dialect)
    assert isinstance(stream(session, b"", headers=())[0], ReplyAlreadyFinished)
    # error events are reported.
    session = reach("OPENING", dialect)
    assert isinstance(stream(session, PENDING + TOKEN_FRAMES + ABORTED_FRAME)[-1], ReplyFailed)
    # The message event ends the reply without waiting for the connection to close.
    session = reach("OPENING", dialect)
    session.receive_stream_start(200, sse_headers(dialect))
    session.receive_data(PENDING + TOKEN_FRAMES + HAPPY_STREAM[HAPPY_STREAM.rfind(b"data: ") :])
    completed = drain(session)[-1]
    assert isinstance(completed, ReplyCompleted)
    assert session.state is S.REPLIED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_g4f_5_stray_keywords_are_refused_not_sent(dialect: Dialect) -> None:
    session = reach("PROMPTED", dialect)
    for bad in ({"stream": True}, {"auth": "x"}, {"max_new_tokens": None}):
        with pytest.raises(LocalProtocolError):
            session.request_assistant_message(bad)  # type: ignore[arg-type]
        with pytest.raises((TypeError, LocalProtocolError)):
            ReplyOptions(sampling=SamplingParameters(**bad))
        assert session.state is S.PROMPTED
        assert session.prompter_message_id == PROMPTER_ID


@pytest.mark.parametrize("dialect", DIALECTS)
def test_g4f_6_unknown_model_leaves_a_deletable_chat(dialect: Dialect) -> None:
    session = reach("PROMPTED", dialect)
    body = json.loads(
        session.request_assistant_message(ReplyOptions(model_config_name="gpt-3.5-turbo")).body
    )
    assert body["model_config_name"] == "gpt-3.5-turbo"
    with pytest.raises(ValidationError, match=r"gpt-3\.5-turbo"):
        session.receive_response(error_json(dialect, "Model gpt-3.5-turbo not found", 422))
    assert session.needs_cleanup
    session.delete_chat()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_g4f_10_a_cancelled_reply_is_reported_when_fetched(dialect: Dialect) -> None:
    # A concurrent request cancelled our pending message; its stream would show
    # only pending events. An abandon + fetch reports the cancellation.
    session = reach("STREAMING", dialect)
    session.abandon_stream()
    session.fetch_message()
    failed = session.receive_response(json_response(message_read(content=None, state="cancelled")))
    assert isinstance(failed, ReplyFailed)
    assert failed.state == "cancelled"
    assert session.state is S.PROMPTED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_g4f_11_rate_limit_is_a_typed_error(dialect: Dialect) -> None:
    # The broken 429 arrives as a 500.
    response = (
        error_json(dialect, "Something went wrong", 500)
        if dialect is WEB
        else text_response(500, b"Internal Server Error")
    )
    exc = _fails("REQUESTING", dialect, response)
    assert type(exc) is APIError
    assert exc.status == 500


def test_reference_ids_are_consistent() -> None:
    # Guards the fixtures: the prompter message answers nothing, the reply answers it.
    assert prompter_read()["parent_id"] is None
    assert message_read()["parent_id"] == PROMPTER_ID
    assert chat_list_read()["id"] == CHAT_ID
