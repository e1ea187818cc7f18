"""Whole chat lifecycles through ChatSession, in both dialects, from the reference's bytes."""

from __future__ import annotations

import json

import pytest

from oaproto import (
    APIError,
    AssistantMessageQueued,
    ChatCreated,
    ChatDeleted,
    ChatSession,
    ChatState,
    Dialect,
    LocalProtocolError,
    PrompterMessagePosted,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    ReplyOptions,
    ReplyUnfinished,
    Token,
)
from tests.helpers.session_fixtures import (
    ABORTED_FRAME,
    ASSISTANT_2_ID,
    ASSISTANT_ID,
    ASSISTANT_RETRY_ID,
    CHAT_ID,
    CREATED_RESPONSE,
    DELETED_RESPONSE,
    DIALECTS,
    FETCHED_COMPLETE,
    FINAL_TEXT,
    GONE_RESPONSE,
    HAPPY_STREAM,
    INTERNAL_SERVER_ERROR,
    PENDING,
    PROMPTER_2_ID,
    PROMPTER_ID,
    PROMPTER_RESPONSE,
    QUEUED_RESPONSE,
    SITUATIONS,
    TIMEOUT_FRAME,
    TOKEN_FRAMES,
    already_finished,
    config,
    drain,
    json_response,
    message_frame,
    message_read,
    new_session,
    pending_read,
    prompter_read,
    reach,
    sse_headers,
    state_of,
    stream,
    token,
)

S = ChatState


def _body(request_body: bytes) -> dict[str, object]:
    value = json.loads(request_body)
    assert isinstance(value, dict)
    return value


@pytest.mark.parametrize("dialect", DIALECTS)
def test_one_turn_from_create_to_delete(dialect: Dialect) -> None:
    session = new_session(dialect)
    assert (session.state, session.needs_cleanup) == (S.IDLE, False)

    request = session.create_chat()
    assert request.method == "POST"
    assert state_of(session) is S.CREATING
    created = session.receive_response(CREATED_RESPONSE)
    assert isinstance(created, ChatCreated)
    assert created.chat.id == CHAT_ID == session.chat_id
    assert state_of(session) is S.READY
    assert (session.needs_cleanup, session.parent_id) == (True, None)

    request = session.post_prompter_message("Hi")
    assert _body(request.body)["parent_id"] is None
    assert _body(request.body)["content"] == "Hi"
    posted = session.receive_response(PROMPTER_RESPONSE)
    assert isinstance(posted, PrompterMessagePosted)
    assert session.prompter_message_id == PROMPTER_ID
    assert state_of(session) is S.PROMPTED

    request = session.request_assistant_message()
    body = _body(request.body)
    assert body["parent_id"] == PROMPTER_ID
    assert body["model_config_name"] == "OA_SFT_Llama_30B_6"
    queued = session.receive_response(QUEUED_RESPONSE)
    assert isinstance(queued, AssistantMessageQueued)
    assert session.assistant_message_id == ASSISTANT_ID
    assert state_of(session) is S.QUEUED

    request = session.open_event_stream()
    assert request.stream
    assert ASSISTANT_ID in request.url
    assert state_of(session) is S.OPENING
    events = stream(session, HAPPY_STREAM)
    assert state_of(session) is S.REPLIED
    assert [e.text for e in events if isinstance(e, Token)] == ["Hello", " world", " \u00e9"]
    final = events[-1]
    assert isinstance(final, ReplyCompleted)
    assert final.text == FINAL_TEXT == session.reply_text
    assert final.token_text == "Hello world \u00e9" == session.token_text
    assert final.message.work_parameters is not None
    assert final.message.work_parameters["seed"] == 18446744073709551614
    assert session.parent_id == ASSISTANT_ID

    request = session.delete_chat()
    assert request.method == "DELETE"
    deleted = session.receive_response(DELETED_RESPONSE)
    assert deleted == ChatDeleted(chat_id=CHAT_ID, already_gone=False)
    assert state_of(session) is S.DELETED
    assert not session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
def test_request_paths_per_dialect(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    request = session.open_event_stream()
    if dialect is Dialect.WEB:
        assert request.url.startswith("https://oa.test/api/chat/events?chat_id=")
    else:
        assert request.url == f"https://oa.test/chats/{CHAT_ID}/messages/{ASSISTANT_ID}/events"
    assert request.header("accept") == "text/event-stream"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_multi_turn_threads_parent_ids(dialect: Dialect) -> None:
    session = reach("REPLIED", dialect)
    request = session.post_prompter_message("And then?")
    # The second prompter message answers the complete assistant message.
    assert _body(request.body)["parent_id"] == ASSISTANT_ID
    # The new turn's ids are not known yet.
    # (compared as a tuple so that type checkers do not narrow the attributes)
    assert (session.prompter_message_id, session.assistant_message_id) == (None, None)
    assert (session.reply_text, session.token_text) == (None, "")
    session.receive_response(json_response(prompter_read(id=PROMPTER_2_ID, parent_id=ASSISTANT_ID)))
    assert session.prompter_message_id == PROMPTER_2_ID
    assert session.parent_id == ASSISTANT_ID

    request = session.request_assistant_message()
    assert _body(request.body)["parent_id"] == PROMPTER_2_ID
    session.receive_response(
        json_response(pending_read(id=ASSISTANT_2_ID, parent_id=PROMPTER_2_ID))
    )
    session.open_event_stream()
    events = stream(
        session,
        token("Second")
        + message_frame(id=ASSISTANT_2_ID, parent_id=PROMPTER_2_ID, content="Second"),
    )
    assert isinstance(events[-1], ReplyCompleted)
    assert session.parent_id == ASSISTANT_2_ID
    assert session.reply_text == "Second"

    request = session.post_prompter_message("Third")
    assert _body(request.body)["parent_id"] == ASSISTANT_2_ID


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("frame", "error", "state"),
    [
        (ABORTED_FRAME, "Aborted due to worker error.", "aborted_by_worker"),
        (TIMEOUT_FRAME, "Timeout", "timeout"),
    ],
)
def test_retry_after_an_error_event_uses_the_same_prompter_parent(
    dialect: Dialect, frame: bytes, error: str, state: str
) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    events = stream(session, PENDING + token("Hel") + frame)
    failed = events[-1]
    assert isinstance(failed, ReplyFailed)
    assert (failed.error, failed.state, failed.partial_text) == (error, state, "Hel")
    assert state_of(session) is S.PROMPTED
    assert session.reply_text is None
    assert session.token_text == "Hel"
    # A failed reply cannot be a parent, so the parent stays where it was.
    assert session.parent_id is None

    exc = failed.to_exception()
    assert (exc.error, exc.state, exc.partial_text, exc.message_id) == (
        error,
        state,
        "Hel",
        ASSISTANT_ID,
    )

    request = session.request_assistant_message()
    assert _body(request.body)["parent_id"] == PROMPTER_ID
    assert session.assistant_message_id is None
    session.receive_response(json_response(pending_read(id=ASSISTANT_RETRY_ID)))
    session.open_event_stream()
    events = stream(session, TOKEN_FRAMES + message_frame(id=ASSISTANT_RETRY_ID))
    assert isinstance(events[-1], ReplyCompleted)
    assert session.parent_id == ASSISTANT_RETRY_ID


@pytest.mark.parametrize("dialect", DIALECTS)
def test_error_event_without_a_message(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    events = stream(
        session, b'data: {"event_type": "error", "error": "boom", "message": null}\r\n\r\n'
    )
    failed = events[-1]
    assert failed == ReplyFailed(error="boom", message=None, partial_text="")
    assert failed.state is None
    assert failed.to_exception().message_id is None
    assert state_of(session) is S.PROMPTED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_regenerate_after_a_complete_reply(dialect: Dialect) -> None:
    session = reach("REPLIED", dialect)
    request = session.request_assistant_message(session.options)
    # Regenerating (a UI retry) is a new assistant message on the same prompter parent.
    assert (_body(request.body)["parent_id"], session.reply_text) == (PROMPTER_ID, None)
    session.receive_response(json_response(pending_read(id=ASSISTANT_RETRY_ID)))
    session.open_event_stream()
    stream(session, message_frame(id=ASSISTANT_RETRY_ID, content="Other"))
    assert session.reply_text == "Other"
    assert session.token_text == ""
    assert session.parent_id == ASSISTANT_RETRY_ID


@pytest.mark.parametrize("dialect", DIALECTS)
def test_resume_ready_posts_under_the_given_parent(dialect: Dialect) -> None:
    session = ChatSession.resume(config(dialect), chat_id=CHAT_ID, parent_id=ASSISTANT_ID)
    assert state_of(session) is S.READY
    assert not session.needs_cleanup
    with pytest.raises(LocalProtocolError):
        session.request_assistant_message()
    request = session.post_prompter_message("More")
    assert _body(request.body)["parent_id"] == ASSISTANT_ID


@pytest.mark.parametrize("dialect", DIALECTS)
def test_resume_empty_chat_posts_the_first_message(dialect: Dialect) -> None:
    session = ChatSession.resume(config(dialect), chat_id=CHAT_ID)
    assert state_of(session) is S.READY
    assert _body(session.post_prompter_message("First").body)["parent_id"] is None


@pytest.mark.parametrize("dialect", DIALECTS)
def test_resume_prompted_retries_the_reply(dialect: Dialect) -> None:
    session = ChatSession.resume(config(dialect), chat_id=CHAT_ID, prompter_message_id=PROMPTER_ID)
    assert state_of(session) is S.PROMPTED
    with pytest.raises(LocalProtocolError):
        session.post_prompter_message("no")
    assert _body(session.request_assistant_message().body)["parent_id"] == PROMPTER_ID


@pytest.mark.parametrize("dialect", DIALECTS)
def test_resume_replied_allows_post_and_regenerate(dialect: Dialect) -> None:
    session = ChatSession.resume(
        config(dialect),
        chat_id=CHAT_ID,
        parent_id=ASSISTANT_ID,
        prompter_message_id=PROMPTER_ID,
        options=ReplyOptions(model_config_name="_lorem"),
    )
    assert state_of(session) is S.REPLIED
    body = _body(session.request_assistant_message().body)
    assert (body["parent_id"], body["model_config_name"]) == (PROMPTER_ID, "_lorem")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"chat_id": ""},
        {"chat_id": 3},
        {"chat_id": CHAT_ID, "parent_id": ""},
        {"chat_id": CHAT_ID, "prompter_message_id": 7},
        {"chat_id": CHAT_ID, "unknown_option": 1},
        {"chat_id": CHAT_ID, "sampling": {"top_k": 1}},
    ],
)
def test_resume_rejects_bad_ids_and_options(kwargs: dict[str, object]) -> None:
    with pytest.raises((LocalProtocolError, TypeError)):
        ChatSession.resume(config(Dialect.WEB), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_abandon_mid_stream_then_delete(dialect: Dialect) -> None:
    session = reach("STREAMING", dialect)
    session.abandon_stream()
    assert state_of(session) is S.QUEUED
    assert session.token_text == "Hel"
    with pytest.raises(LocalProtocolError):
        session.next_event()
    session.delete_chat()
    assert session.receive_response(DELETED_RESPONSE) == ChatDeleted(
        chat_id=CHAT_ID, already_gone=False
    )
    assert not session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
def test_abandon_before_the_stream_started(dialect: Dialect) -> None:
    session = reach("OPENING", dialect)
    session.abandon_stream()
    assert state_of(session) is S.QUEUED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_abandon_then_fetch_recovers_the_authoritative_text(dialect: Dialect) -> None:
    session = reach("QUEUED/abandoned", dialect)
    request = session.fetch_message()
    assert request.method == "GET"
    assert ASSISTANT_ID in request.url
    completed = session.receive_response(FETCHED_COMPLETE)
    assert isinstance(completed, ReplyCompleted)
    assert completed.text == FINAL_TEXT
    # The tokens streamed before abandoning are kept alongside.
    assert completed.token_text == "Hel"
    assert state_of(session) is S.REPLIED
    assert session.parent_id == ASSISTANT_ID


@pytest.mark.parametrize("dialect", DIALECTS)
def test_reopen_the_stream_after_abandoning(dialect: Dialect) -> None:
    session = reach("QUEUED/abandoned", dialect)
    session.open_event_stream()
    assert session.token_text == ""
    events = stream(session, token("lo") + message_frame())
    assert isinstance(events[-1], ReplyCompleted)
    assert events[-1].token_text == "lo"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_already_finished_stream_then_fetch(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    status, headers = already_finished(dialect)
    events = stream(session, b"", status=status, headers=headers)
    assert events == [ReplyAlreadyFinished(message_id=ASSISTANT_ID)]
    assert state_of(session) is S.QUEUED
    assert session.reply_text is None

    session.fetch_message()
    completed = session.receive_response(FETCHED_COMPLETE)
    assert isinstance(completed, ReplyCompleted)
    assert (completed.text, completed.token_text) == (FINAL_TEXT, "")
    assert session.reply_text == FINAL_TEXT


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("state", ["aborted_by_worker", "timeout", "cancelled"])
def test_fetched_failed_message_is_a_reply_failure(dialect: Dialect, state: str) -> None:
    session = reach("QUEUED/already-finished", dialect)
    session.fetch_message()
    failed = session.receive_response(json_response(message_read(content=None, state=state)))
    assert isinstance(failed, ReplyFailed)
    assert (failed.error, failed.state) == (state, state)
    assert state_of(session) is S.PROMPTED


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("state", ["pending", "in_progress"])
def test_fetched_unfinished_message_goes_back_to_queued(dialect: Dialect, state: str) -> None:
    session = reach("QUEUED", dialect)
    session.fetch_message()
    event = session.receive_response(json_response(message_read(content=None, state=state)))
    assert isinstance(event, ReplyUnfinished)
    assert event.message.state == state
    assert state_of(session) is S.QUEUED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fetch_from_error_after_a_broken_stream(dialect: Dialect) -> None:
    session = reach("ERROR/stream-broken", dialect)
    assert session.token_text == "Hel"
    session.fetch_message()
    completed = session.receive_response(FETCHED_COMPLETE)
    assert isinstance(completed, ReplyCompleted)
    assert completed.token_text == "Hel"
    assert state_of(session) is S.REPLIED


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "name", [name for name in SITUATIONS if not name.startswith(("IDLE", "CREATING", "DELETED"))]
)
def test_delete_is_legal_wherever_the_chat_id_is_known(dialect: Dialect, name: str) -> None:
    session = reach(name, dialect)
    if session.chat_id is None:
        with pytest.raises(LocalProtocolError):
            session.delete_chat()
        return
    request = session.delete_chat()
    assert request.method == "DELETE"
    assert state_of(session) is S.DELETING
    assert session.needs_cleanup is (name != "READY/resumed")
    event = session.receive_response(GONE_RESPONSE if "delete" in name else DELETED_RESPONSE)
    assert isinstance(event, ChatDeleted)
    assert state_of(session) is S.DELETED
    assert not session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
def test_failed_delete_keeps_cleanup_pending_and_can_be_retried(dialect: Dialect) -> None:
    session = reach("REPLIED", dialect)
    session.delete_chat()
    with pytest.raises(APIError) as info:
        session.receive_response(INTERNAL_SERVER_ERROR)
    assert info.value.status == 500
    assert state_of(session) is S.ERROR
    assert session.needs_cleanup
    session.delete_chat()
    assert session.receive_response(GONE_RESPONSE) == ChatDeleted(
        chat_id=CHAT_ID, already_gone=True
    )
    assert not session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
def test_delete_can_be_resent_while_in_flight(dialect: Dialect) -> None:
    session = reach("DELETING", dialect)
    first = session.delete_chat()
    again = session.delete_chat()
    assert first == again
    assert state_of(session) is S.DELETING
    session.receive_response(DELETED_RESPONSE)
    assert state_of(session) is S.DELETED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_delete_mid_stream_drops_the_stream(dialect: Dialect) -> None:
    session = reach("STREAMING", dialect)
    session.delete_chat()
    assert session.token_text == "Hel"
    with pytest.raises(LocalProtocolError):
        session.receive_data(b"data: x\r\n\r\n")
    session.receive_response(DELETED_RESPONSE)
    assert state_of(session) is S.DELETED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_deleted_is_terminal(dialect: Dialect) -> None:
    session = reach("DELETED", dialect)
    for call in (
        session.create_chat,
        session.delete_chat,
        session.fetch_message,
        session.request_assistant_message,
        session.open_event_stream,
    ):
        with pytest.raises(LocalProtocolError):
            call()
    with pytest.raises(LocalProtocolError):
        session.post_prompter_message("x")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_data_after_the_terminal_event_is_refused(dialect: Dialect) -> None:
    session = reach("QUEUED", dialect)
    session.open_event_stream()
    session.receive_stream_start(200, sse_headers(dialect))
    session.receive_data(message_frame() + token("late"))
    events = drain(session)
    assert isinstance(events[-1], ReplyCompleted)
    assert state_of(session) is S.REPLIED
    with pytest.raises(LocalProtocolError):
        session.receive_data(b"more")
    with pytest.raises(LocalProtocolError):
        session.receive_eof()
