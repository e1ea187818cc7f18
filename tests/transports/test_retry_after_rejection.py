"""A refused request leaves the chat usable: the caller retries on the same chat.

End to end on every adapter against the reference server: one error status
is injected at one step, the typed ``APIError`` reaches the caller, the
session is back where the refused command was called, and asking again (or
``retry()``) succeeds in the same chat, which is deleted at the end.
"""

from __future__ import annotations

import pytest

from oaproto import APIError, BusyError, ChatState, Dialect, ValidationError
from tests.helpers.transport_harness import Harness, assert_deleted, steps, stored_chat

DIALECTS = [Dialect.INFERENCE, Dialect.WEB]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.value)
def test_busy_assistant_message_then_retry(harness: Harness, dialect: Dialect) -> None:
    harness.server.faults.add("status=503", step="assistant_message")
    with harness.chat(dialect) as chat:
        with pytest.raises(BusyError, match="currently busy") as raised:
            chat.ask("Hello")
        assert raised.value.status == 503
        assert chat.session.state is ChatState.PROMPTED
        with chat.retry() as events:
            text = events.text()
        chat_id = chat.session.chat_id
        stored = stored_chat(harness.server, chat_id)
        assert stored is not None
    assistant = [m for m in stored["messages"] if m["role"] == "assistant"]
    assert [m["content"] for m in assistant] == [text]  # the 503 created nothing
    assert_deleted(harness.server, chat_id)
    assert steps(harness.server) == [
        "create_chat",
        "prompter_message",
        "assistant_message",
        "assistant_message",
        "events",
        "delete_chat",
    ]


@pytest.mark.parametrize(
    ("status", "step", "error", "again"),
    [
        (413, "prompter_message", ValidationError, "ask"),
        (503, "create_chat", BusyError, "ask"),
        (500, "events", APIError, "retry"),
    ],
)
def test_other_refusals_leave_the_chat_usable(
    harness: Harness, status: int, step: str, error: type[APIError], again: str
) -> None:
    harness.server.faults.add(f"status={status}", step=step)
    with harness.chat() as chat:
        with pytest.raises(error) as raised:
            chat.ask("Hello")
        assert raised.value.status == status
        if again == "ask":
            assert chat.ask("Hello")
        else:
            # The stream was refused; its assistant message exists (QUEUED).
            assert chat.session.state is ChatState.QUEUED
            with chat.retry() as events:
                assert events.text()
        assert chat.session.state is ChatState.REPLIED
        chat_id = chat.session.chat_id
    assert_deleted(harness.server, chat_id)
    # The refused request, sent again; everything else once, in one chat.
    expected = ["create_chat", "prompter_message", "assistant_message", "events"]
    expected.insert(expected.index(step), step)
    if again == "retry":
        expected.insert(expected.index("events") + 1, "assistant_message")
    assert steps(harness.server) == [*expected, "delete_chat"]
