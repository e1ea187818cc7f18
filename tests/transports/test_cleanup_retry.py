"""A failed DELETE is tried once more within ``cleanup_timeout``, on every adapter.

The decision is the core's (``ChatSession.retry_delete``): a transport error or
timeout, or a 408/429/5xx answer, is retried once; a refusal that would only
repeat (401, 403, ...) is not. Both tries share the cleanup budget. When the
client gives up, the error says that the chat may remain, with its id and
never the credential.
"""

from __future__ import annotations

import pytest

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    Dialect,
    TransportTimeoutError,
)
from tests.helpers.transport_harness import TOKEN, Harness, assert_deleted, steps, stored_chat

DIALECTS = [Dialect.INFERENCE, Dialect.WEB]


def leave_block(
    harness: Harness, dialect: Dialect = Dialect.INFERENCE, *, cleanup_timeout: float = 10.0
) -> str:
    """One chat, one question, then leave the block (which deletes the chat); its id."""
    with harness.chat(dialect, cleanup_timeout=cleanup_timeout) as chat:
        chat.ask("Hello")
        chat_id = chat.session.chat_id
    assert isinstance(chat_id, str)
    return chat_id


def fail_in_block(harness: Harness) -> None:
    """One chat, one question, then user code fails inside the block."""
    with harness.chat() as chat:
        chat.ask("Hello")
        raise ValueError("user code")


def may_remain(error: BaseException, chat_id: str) -> bool:
    """The error's notes say that the chat may remain, with its id."""
    notes = "\n".join(getattr(error, "__notes__", []))
    return f"the chat {chat_id} may remain on the server" in notes


def chain(error: BaseException | None) -> list[BaseException]:
    """``error`` and its contexts (the library's errors), outermost first."""
    errors = []
    while error is not None:
        errors.append(error)
        error = error.__context__
    return errors


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.value)
@pytest.mark.parametrize("status", [500, 503])
def test_an_error_status_is_retried_and_the_chat_deleted(
    harness: Harness, dialect: Dialect, status: int
) -> None:
    harness.server.faults.add(f"status={status}", step="delete_chat")
    chat_id = leave_block(harness, dialect)
    assert steps(harness.server).count("delete_chat") == 2
    assert_deleted(harness.server, chat_id)
    assert not harness.session.needs_cleanup


def test_a_timed_out_delete_is_retried_within_the_cleanup_budget(harness: Harness) -> None:
    # Each try gets half of cleanup_timeout: the first gives up after 0.4 s,
    # and the retry still fits in the budget.
    harness.server.faults.add("slow-headers=2", step="delete_chat")
    chat_id = leave_block(harness, cleanup_timeout=0.8)
    assert steps(harness.server).count("delete_chat") == 2
    assert_deleted(harness.server, chat_id)
    assert not harness.session.needs_cleanup


def test_giving_up_after_two_timeouts_says_the_chat_may_remain(harness: Harness) -> None:
    harness.server.faults.add("slow-headers=2", step="delete_chat", times=2)
    with pytest.raises(TransportTimeoutError) as raised:
        leave_block(harness, cleanup_timeout=0.4)
    chat_id = harness.session.chat_id
    assert may_remain(raised.value, chat_id)
    assert "(2 tries)" in raised.value.__notes__[-1]
    assert harness.session.needs_cleanup
    assert stored_chat(harness.server, chat_id) is not None
    assert steps(harness.server).count("delete_chat") == 2


def test_giving_up_after_two_error_statuses_says_the_chat_may_remain(harness: Harness) -> None:
    harness.server.faults.add("status=503", step="delete_chat", times=2)
    with pytest.raises(BusyError) as raised:
        leave_block(harness)
    chat_id = harness.session.chat_id
    assert may_remain(raised.value, chat_id)
    assert harness.session.needs_cleanup
    assert stored_chat(harness.server, chat_id) is not None


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_that_would_repeat_is_not_retried(harness: Harness, status: int) -> None:
    harness.server.faults.add(f"status={status}", step="delete_chat")
    with pytest.raises(AuthenticationError) as raised:
        leave_block(harness)
    assert may_remain(raised.value, harness.session.chat_id)
    assert "(1 try)" in raised.value.__notes__[-1]
    assert steps(harness.server).count("delete_chat") == 1
    assert harness.session.needs_cleanup


def test_the_note_reaches_the_exception_that_ended_the_block(harness: Harness) -> None:
    harness.server.faults.add("status=500", step="delete_chat", times=2)
    with pytest.raises(ValueError, match="user code") as raised:
        fail_in_block(harness)
    notes = raised.value.__notes__
    assert any(note.startswith("oaproto cleanup failed too: APIError") for note in notes)
    assert may_remain(raised.value, harness.session.chat_id)


def test_no_error_or_note_carries_the_credential(harness: Harness) -> None:
    harness.server.faults.add("status=503", step="delete_chat", times=2)
    with pytest.raises(APIError) as raised:
        leave_block(harness)
    for error in chain(raised.value):
        assert TOKEN not in str(error)
        assert TOKEN not in repr(error)
        assert all(TOKEN not in note for note in getattr(error, "__notes__", []))
