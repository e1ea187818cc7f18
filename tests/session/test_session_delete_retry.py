"""The core's cleanup retry policy: ``ChatSession.retry_delete`` after a failed delete.

One retry per ``delete_chat()``, only after a failure that may pass (a
transport error or timeout, 408, 429, 5xx); on giving up the error says that
the chat may remain, with its id and never a credential.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oaproto import (
    APIError,
    ChatDeleted,
    ChatSession,
    ChatState,
    Dialect,
    HttpRequest,
    LocalProtocolError,
    OAProtoError,
    RemoteProtocolError,
    TransportError,
    TransportTimeoutError,
)
from tests.helpers.session_fixtures import (
    CHAT_ID,
    DELETED_RESPONSE,
    DIALECTS,
    GONE_RESPONSE,
    SECRET,
    SITUATIONS,
    empty_response,
    public_attributes,
    reach,
)

S = ChatState
DELETE_TRIES = ChatSession.DELETE_TRIES
TRANSIENT = [408, 429, 500, 502, 503, 504]
PERMANENT = [302, 400, 401, 403, 409, 413, 422]


def deleting(dialect: Dialect) -> tuple[ChatSession, HttpRequest]:
    """A session with its delete in flight, and that delete's request."""
    session = reach("REPLIED", dialect)
    return session, session.delete_chat()


def refused(session: ChatSession, status: int) -> OAProtoError:
    """What ``receive_response`` raises for an error ``status`` to the delete."""
    with pytest.raises(OAProtoError) as raised:
        session.receive_response(empty_response(status))
    return raised.value


def notes(error: BaseException) -> list[str]:
    return getattr(error, "__notes__", [])


def test_delete_tries_is_the_first_try_and_one_retry() -> None:
    assert ChatSession.DELETE_TRIES == 2


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_transport_failure_is_retried_once_with_the_same_request(dialect: Dialect) -> None:
    session, request = deleting(dialect)
    first = TransportTimeoutError("DELETE: gave up after 5 s")
    retry = session.retry_delete(first)
    assert retry == request
    assert (session.state, session.needs_cleanup) == (S.DELETING, True)
    assert notes(first) == []
    second = TransportError("connection refused")
    assert session.retry_delete(second) is None
    assert (session.state, session.needs_cleanup) == (S.DELETING, True)
    assert notes(second) == [
        f"the chat {CHAT_ID} may remain on the server: deleting it failed (2 tries); "
        "it can be deleted later"
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("status", TRANSIENT)
def test_a_transient_status_is_retried_and_the_retry_can_succeed(
    dialect: Dialect, status: int
) -> None:
    session, request = deleting(dialect)
    error = refused(session, status)
    assert isinstance(error, APIError)
    assert (session.state, session.needs_cleanup) == (S.ERROR, True)
    assert session.retry_delete(error) == request
    assert session.state is S.DELETING
    event = session.receive_response(DELETED_RESPONSE)
    assert event == ChatDeleted(chat_id=CHAT_ID, already_gone=False)
    assert (session.state, session.needs_cleanup) == (S.DELETED, False)
    assert notes(error) == []
    # Deleted: nothing is left to retry.
    with pytest.raises(LocalProtocolError, match="DELETED"):
        session.retry_delete(error)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_retry_answered_404_counts_as_deleted(dialect: Dialect) -> None:
    # The first delete may have gone through with its answer lost.
    session, _ = deleting(dialect)
    assert session.retry_delete(TransportTimeoutError("lost")) is not None
    event = session.receive_response(GONE_RESPONSE)
    assert event == ChatDeleted(chat_id=CHAT_ID, already_gone=True)
    assert not session.needs_cleanup


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("status", PERMANENT)
def test_a_refusal_that_would_repeat_is_not_retried(dialect: Dialect, status: int) -> None:
    session, _ = deleting(dialect)
    error = refused(session, status)
    before = public_attributes(session)
    assert session.retry_delete(error) is None
    assert public_attributes(session) == before
    assert notes(error) == [
        f"the chat {CHAT_ID} may remain on the server: deleting it failed (1 try); "
        "it can be deleted later"
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_unusable_answer_is_not_retried(dialect: Dialect) -> None:
    session, _ = deleting(dialect)
    error = refused(session, 199)  # below 200: not HTTP the API speaks
    assert isinstance(error, RemoteProtocolError)
    assert session.retry_delete(error) is None
    assert "may remain" in notes(error)[0]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_new_delete_starts_a_new_round(dialect: Dialect) -> None:
    # close() called again after giving up: the first try and one retry again.
    session, request = deleting(dialect)
    assert session.retry_delete(TransportError("1")) is not None
    assert session.retry_delete(TransportError("2")) is None
    assert session.delete_chat() == request
    assert session.retry_delete(TransportError("3")) == request
    assert session.retry_delete(TransportError("4")) is None


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "name", [name for name in SITUATIONS if not name.startswith(("DELETING", "ERROR/delete"))]
)
def test_retry_delete_is_illegal_unless_the_last_command_was_a_delete(
    dialect: Dialect, name: str
) -> None:
    session = reach(name, dialect)
    before = public_attributes(session)
    with pytest.raises(LocalProtocolError):
        session.retry_delete(TransportError("x"))
    assert public_attributes(session) == before


@pytest.mark.parametrize("dialect", DIALECTS)
def test_another_command_after_a_failed_delete_ends_its_round(dialect: Dialect) -> None:
    session = reach("ERROR/delete-failed", dialect)
    session.fetch_message()  # legal from ERROR: a command of its own
    with pytest.raises(LocalProtocolError, match="only after delete_chat"):
        session.retry_delete(TransportError("x"))


FAILURES = st.one_of(
    st.sampled_from(TRANSIENT + PERMANENT + [199]).map(lambda status: ("status", status)),
    st.sampled_from([TransportError, TransportTimeoutError]).map(lambda kind: ("raise", kind)),
)


@given(
    dialect=st.sampled_from(DIALECTS),
    failures=st.lists(FAILURES, max_size=4),
    rounds=st.integers(min_value=1, max_value=3),
)
def test_every_round_sends_at_most_delete_tries_and_ends_deleted_or_noted(
    dialect: Dialect, failures: list[tuple[str, object]], rounds: int
) -> None:
    session = reach("REPLIED", dialect)
    queue = list(failures)
    for _ in range(rounds):
        request: HttpRequest | None = session.delete_chat()
        sent = 0
        while request is not None:
            sent += 1
            if not queue:
                session.receive_response(DELETED_RESPONSE)
                break
            kind, value = queue.pop(0)
            if kind == "status":
                assert isinstance(value, int)
                error = refused(session, value)
            else:
                assert isinstance(value, type)
                error = value("injected")
            request = session.retry_delete(error)
            if request is None:
                assert session.needs_cleanup
                (note,) = notes(error)
                assert CHAT_ID in note
                assert SECRET not in note
                assert SECRET not in str(error)
        assert 1 <= sent <= DELETE_TRIES
        if not session.needs_cleanup:
            assert session.state is S.DELETED
            return
    assert session.needs_cleanup
