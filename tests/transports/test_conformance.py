"""One conformance suite for every adapter, against the reference server over loopback.

Each scenario runs on requests, httpx, httpx async, aiohttp, and h11 over
anyio on asyncio and on trio (see ``conftest.Harness``), in the inference
dialect unless both dialects matter. Whatever ends a chat, the server must
have seen it deleted.
"""

from __future__ import annotations

from typing import Any

import pytest

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    Dialect,
    IncompleteReplyError,
    LocalProtocolError,
    NotFoundError,
    Pending,
    ReplyCompleted,
    ReplyError,
    ReplyFailed,
    ReplyOptions,
    Token,
    TransportError,
    TransportTimeoutError,
    ValidationError,
)
from oaproto.transports.server import ECHO_MODEL_NAME
from tests.helpers.transport_harness import Harness, assert_deleted, steps, stored_chat

DIALECTS = [Dialect.INFERENCE, Dialect.WEB]


# --- the happy path ----------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.value)
def test_full_lifecycle_streams_what_the_server_generated(
    harness: Harness, dialect: Dialect
) -> None:
    with harness.chat(dialect) as chat:
        with chat.reply("Hello there") as events:
            received = list(events)
        chat_id = chat.session.chat_id
        assert chat_id is not None
        stored = stored_chat(harness.server, chat_id)
        assert stored is not None
    outcome = received[-1]
    assert isinstance(outcome, ReplyCompleted)
    tokens = "".join(event.text for event in received if isinstance(event, Token))
    assistant = [m for m in stored["messages"] if m["role"] == "assistant"]
    assert len(assistant) == 1
    # The lorem worker's tokens join to its final text.
    assert tokens == outcome.token_text == assistant[0]["content"] == outcome.text
    assert outcome.message.id == assistant[0]["id"]
    assert all(not isinstance(event, ReplyCompleted) for event in received[:-1])
    assert_deleted(harness.server, chat_id)
    assert steps(harness.server) == [
        "create_chat",
        "prompter_message",
        "assistant_message",
        "events",
        "delete_chat",
    ]


def test_multi_turn_continues_the_same_chat(harness: Harness) -> None:
    with harness.chat(options=ReplyOptions(model_config_name=ECHO_MODEL_NAME)) as chat:
        assert chat.ask("one two three") == "one two three"
        first_reply = chat.session.parent_id
        assert chat.ask("four five") == "four five"
        chat_id = chat.session.chat_id
        assert chat_id is not None
        stored = stored_chat(harness.server, chat_id)
        assert stored is not None
    prompters = [m for m in stored["messages"] if m["role"] == "prompter"]
    assert [m["content"] for m in prompters] == ["one two three", "four five"]
    assert prompters[1]["parent_id"] == first_reply
    assert_deleted(harness.server, chat_id)
    assert steps(harness.server).count("create_chat") == 1


def test_call_runs_the_rest_of_the_api(harness: Harness) -> None:
    with harness.chat() as chat:
        configs = chat.call(chat.api.list_model_configs())
        assert any(config.name == "_lorem" for config in configs)
        chat.ask("Hello")
        chat_id = chat.session.chat_id
        assert chat_id is not None
        fetched = chat.call(chat.api.get_chat(chat_id))
        assert [m.role for m in fetched.messages] == ["prompter", "assistant"]
        assert chat.call(chat.api.vote(chat_id, chat.session.parent_id, 1)) is None
        with pytest.raises(NotFoundError):
            chat.call(chat.api.get_chat("no-such-chat"))
    assert_deleted(harness.server, chat_id)


# --- API errors are typed ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "step", "error"),
    [
        (503, "assistant_message", BusyError),
        (403, "prompter_message", AuthenticationError),
        (422, "assistant_message", ValidationError),
        (500, "events", APIError),
    ],
)
def test_error_statuses_raise_typed_errors_and_the_chat_is_deleted(
    harness: Harness, status: int, step: str, error: type[APIError]
) -> None:
    harness.server.faults.add(f"status={status}", step=step)
    with pytest.raises(error) as raised:
        ask(harness, "Hello")
    assert raised.value.status == status
    assert_deleted(harness.server, harness.session.chat_id)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.value)
def test_a_wrong_credential_is_an_authentication_error(harness: Harness, dialect: Dialect) -> None:
    with pytest.raises(AuthenticationError):
        ask(harness, "Hello", dialect, token="wrong-token")
    assert harness.session.chat_id is None
    assert harness.server.chats() == []


# --- every way a reply can end badly deletes the chat ---------------------------


def ask(harness: Harness, content: str, *args: Any, **options: Any) -> str:
    """One chat, one question."""
    with harness.chat(*args, **options) as chat:
        text: str = chat.ask(content)
    return text


def stream(
    harness: Harness, *, until: Any = None, raising: Any = None, **options: Any
) -> list[Any]:
    """One chat, one streamed reply; stop at the first event of type ``until``."""
    received: list[Any] = []
    with harness.chat(**options) as chat, chat.reply("Hello") as events:
        for event in events:
            received.append(event)
            if until is not None and isinstance(event, until):
                if raising is not None:
                    raise raising("user code failed")
                break
    return received


def test_error_event_mid_stream(harness: Harness) -> None:
    harness.server.faults.add("error-after-tokens=3")
    with harness.chat() as chat:
        with chat.reply("Hello") as events:
            received = list(events)
        failed = received[-1]
        assert isinstance(failed, ReplyFailed)
        tokens = [event.text for event in received if isinstance(event, Token)]
        assert len(tokens) == 3
        assert failed.partial_text == "".join(tokens)
        # The failed reply can be retried on the same prompter message.
        with chat.retry() as events:
            assert events.text()
    assert_deleted(harness.server, chat.session.chat_id)


def test_ask_raises_reply_error_with_partial_text(harness: Harness) -> None:
    harness.server.faults.add("error-after-tokens=2")
    with pytest.raises(ReplyError) as raised:
        ask(harness, "Hello")
    assert raised.value.state == "aborted_by_worker"
    assert raised.value.partial_text.count(" ") == 2  # two lorem tokens, "word "
    assert_deleted(harness.server, harness.session.chat_id)


@pytest.mark.parametrize("close", ["clean", "abrupt"])
def test_stream_closed_early_by_the_server(harness: Harness, close: str) -> None:
    harness.server.faults.add(f"close-after-tokens=3;{close}")
    with pytest.raises(IncompleteReplyError) as raised:
        ask(harness, "Hello")
    assert raised.value.partial_text.count(" ") == 3
    assert raised.value.partial_text == harness.session.token_text
    if close == "abrupt":
        # The broken connection is the cause, not a separate error.
        assert isinstance(raised.value.__cause__, TransportError)
    assert_deleted(harness.server, harness.session.chat_id)


def test_consumer_break_mid_stream(harness: Harness) -> None:
    with harness.chat() as chat:
        with chat.reply("Hello") as events:
            for event in events:
                if isinstance(event, Token):
                    break
        # Leaving the stream early abandoned it; the chat itself stays until the end.
        assert chat.session.state.name == "QUEUED"
        with pytest.raises(LocalProtocolError):
            chat.ask("the reply is unfinished, so this is illegal")
        chat_id = chat.session.chat_id
        assert stored_chat(harness.server, chat_id) is not None
    assert_deleted(harness.server, chat_id)


@pytest.mark.parametrize("exception", [ValueError, KeyboardInterrupt])
def test_exception_raised_by_user_code_inside_the_block(
    harness: Harness, exception: type[BaseException]
) -> None:
    with pytest.raises(exception, match="user code failed"):
        stream(harness, until=Token, raising=exception)
    assert_deleted(harness.server, harness.session.chat_id)


def test_stall_times_out_on_the_transport_read(harness: Harness) -> None:
    harness.server.faults.add("stall=1;after=2")
    with pytest.raises(TransportTimeoutError):
        ask(harness, "Hello", transport_timeout=0.3)
    assert_deleted(harness.server, harness.session.chat_id)


def test_a_stream_of_pending_events_only_hits_the_idle_timeout(harness: Harness) -> None:
    harness.server.faults.add("never-end", step="assistant_message")
    with pytest.raises(TransportTimeoutError) as raised:
        stream(harness, idle_timeout=0.4)
    assert "idle_timeout" in str(raised.value)
    assert_deleted(harness.server, harness.session.chat_id)


def test_pending_events_are_passed_through(harness: Harness) -> None:
    harness.server.faults.add("queue=0.3")
    received = stream(harness)
    assert any(isinstance(event, Pending) for event in received)
    assert isinstance(received[-1], ReplyCompleted)


def test_reply_timeout_bounds_the_whole_reply(harness: Harness) -> None:
    harness.server.faults.add("never-end", step="assistant_message")
    with pytest.raises(TransportTimeoutError) as raised:
        ask(harness, "Hello", reply_timeout=0.3)
    assert "reply_timeout" in str(raised.value)
    assert_deleted(harness.server, harness.session.chat_id)


# --- cleanup failures never mask the original error ------------------------------


def test_failed_delete_is_noted_on_the_original_exception(harness: Harness) -> None:
    harness.server.faults.add("status=500", step="delete_chat", times=2)
    with pytest.raises(ValueError, match="user code") as raised:
        stream(harness, until=ReplyCompleted, raising=ValueError)
    notes = getattr(raised.value, "__notes__", [])
    assert any("cleanup failed" in note and "500" in note for note in notes)
    assert harness.session.needs_cleanup  # not marked deleted: the server said no
    assert stored_chat(harness.server, harness.session.chat_id) is not None


def test_cleanup_can_be_retried_after_a_failed_delete(harness: Harness) -> None:
    harness.server.faults.add("status=500", step="delete_chat", times=2)
    with harness.chat() as chat:
        chat.ask("Hello")
        with pytest.raises(APIError):
            chat.close()
        assert chat.session.needs_cleanup
        chat.close()  # the fault fired twice: once per try of the first close()
        assert not chat.session.needs_cleanup
    assert_deleted(harness.server, chat.session.chat_id)
    assert steps(harness.server).count("delete_chat") == 3


def test_failed_delete_on_a_clean_exit_is_raised(harness: Harness) -> None:
    harness.server.faults.add("status=503", step="delete_chat", times=2)
    with pytest.raises(BusyError):
        ask(harness, "Hello")
    assert harness.session.needs_cleanup
