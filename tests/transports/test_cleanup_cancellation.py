"""A cancellation never shortens the cleanup, and is delivered in its own scope (property).

``AsyncChatClient.close()`` over an in-memory transport whose DELETE tries
answer fast (2xx or 503) or hang past their bound, cancelled at a random
moment by ``task.cancel()`` or an expiring ``asyncio.timeout``. Whatever the
moment, the DELETEs sent and the chat's fate are those of an uncancelled run
(the cleanup behaves as under a shield); the task ends cancelled exactly when
the cancellation arrived before the cleanup ended; ``asyncio.timeout`` raises
``TimeoutError`` exactly when it expired; and nothing stray is left for the
caller's next await. anyio cancel scopes (on asyncio and trio) keep their
level-triggered semantics: the scope catches its cancellation, unless the
cleanup's own failure is what leaves it. The reference-server tests in ``test_cancellation.py``
check the same over real connections.

Every run is on virtual time (``tests.helpers.virtual_time``): the moments and
bounds are exact whatever the machine's load, and a hanging try costs no wall time.
"""

from __future__ import annotations

import asyncio
import math
from contextlib import AbstractAsyncContextManager

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto import ChatSession, Dialect, HttpRequest, HttpResponse, OAProtoError
from oaproto.transports import AsyncChatClient, AsyncStreamResponse
from tests.helpers.session_fixtures import CREATED_RESPONSE, config
from tests.helpers.virtual_time import anyio_virtual_time_options, run_on_virtual_time

# What one try of the DELETE does: answer 200 or 503 at once, or never answer.
TRIES = st.lists(st.sampled_from(["ok", "busy", "hang"]), min_size=2, max_size=2)
CLEANUP_TIMEOUT = 0.1  # so each try is bounded at 0.05 s
BUSY = HttpResponse(
    status=503,
    headers=(("content-type", "application/json"),),
    body=b'{"detail":"Service Unavailable"}',
)


class ScriptedDeletes:
    """An asynchronous transport that only deletes, each try as scripted."""

    def __init__(self, tries: list[str]) -> None:
        self._tries = list(tries)
        self.sent = 0

    async def send(self, request: HttpRequest) -> HttpResponse:
        assert request.method == "DELETE"
        self.sent += 1
        behaviour = self._tries.pop(0)
        await anyio.sleep(math.inf if behaviour == "hang" else 0.002)
        return HttpResponse(status=200) if behaviour == "ok" else BUSY

    def open_stream(self, request: HttpRequest) -> AbstractAsyncContextManager[AsyncStreamResponse]:
        raise AssertionError("no stream in these tests")

    async def close(self) -> None:
        pass


def uncancelled_outcome(tries: list[str]) -> tuple[int, bool]:
    """(DELETEs sent, chat deleted) of a run that nobody cancels."""
    if tries[0] == "ok":
        return 1, True
    return ChatSession.DELETE_TRIES, tries[1] == "ok"


def created_chat(tries: list[str]) -> tuple[AsyncChatClient, ScriptedDeletes]:
    transport = ScriptedDeletes(tries)
    client = AsyncChatClient(transport, config(Dialect.INFERENCE), cleanup_timeout=CLEANUP_TIMEOUT)
    client.session.create_chat()
    client.session.receive_response(CREATED_RESPONSE)
    return client, transport


async def no_stray_cancellation() -> None:
    current = asyncio.current_task()
    assert current is not None
    assert current.cancelling() == 0
    await asyncio.sleep(0)  # would raise a stray CancelledError
    await asyncio.sleep(0.001)


async def cancel_task_at(tries: list[str], moment: float) -> None:
    client, transport = created_chat(tries)
    task = asyncio.create_task(client.close())
    await asyncio.sleep(moment)
    in_time = not task.done()
    task.cancel()
    outcome = await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled() is in_time
    if not in_time:
        assert outcome[0] is None or isinstance(outcome[0], OAProtoError)
    sent, deleted = uncancelled_outcome(tries)
    assert (transport.sent, not client.session.needs_cleanup) == (sent, deleted)
    await no_stray_cancellation()


async def expire_timeout_at(tries: list[str], moment: float) -> None:
    client, transport = created_chat(tries)
    raised: BaseException | None = None
    try:
        async with asyncio.timeout(moment) as scope:
            await client.close()
    except (TimeoutError, OAProtoError) as error:
        raised = error
    assert isinstance(raised, TimeoutError) is scope.expired()
    if not scope.expired():
        assert raised is None or isinstance(raised, OAProtoError)
    sent, deleted = uncancelled_outcome(tries)
    assert (transport.sent, not client.session.needs_cleanup) == (sent, deleted)
    await no_stray_cancellation()


@settings(max_examples=25, deadline=None)
@given(tries=TRIES, moment=st.floats(min_value=0.0, max_value=0.12))
def test_task_cancel_at_any_moment_of_the_cleanup(tries: list[str], moment: float) -> None:
    run_on_virtual_time(cancel_task_at(tries, moment))


@settings(max_examples=25, deadline=None)
@given(tries=TRIES, moment=st.floats(min_value=0.0, max_value=0.12))
def test_asyncio_timeout_expiring_at_any_moment_of_the_cleanup(
    tries: list[str], moment: float
) -> None:
    run_on_virtual_time(expire_timeout_at(tries, moment))


async def expire_cancel_scope_at(tries: list[str], moment: float) -> None:
    client, transport = created_chat(tries)
    raised: OAProtoError | None = None
    with anyio.CancelScope(deadline=anyio.current_time() + moment) as scope:
        try:
            await client.close()
            await anyio.sleep(1)  # a checkpoint inside the scope: delivered here at the latest
        except OAProtoError as error:
            raised = error
    sent, deleted = uncancelled_outcome(tries)
    assert (transport.sent, not client.session.needs_cleanup) == (sent, deleted)
    if raised is None:
        assert scope.cancelled_caught
    else:
        assert not deleted  # only a cleanup that failed anyway raises
    await anyio.lowlevel.checkpoint()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=20, deadline=None)
@given(tries=TRIES, moment=st.floats(min_value=0.0, max_value=0.12))
def test_anyio_scope_expiring_at_any_moment_of_the_cleanup(
    backend: str, tries: list[str], moment: float
) -> None:
    anyio.run(
        expire_cancel_scope_at,
        tries,
        moment,
        backend=backend,
        backend_options=anyio_virtual_time_options(backend),
    )


async def cancel_twice_during_cleanup() -> None:
    # Two cancellations while the first (hanging) try is bounded: both are held,
    # and one CancelledError ends the task once the cleanup is over.
    client, transport = created_chat(["hang", "ok"])
    task = asyncio.create_task(client.close())
    await asyncio.sleep(0.001)
    task.cancel()
    await asyncio.sleep(0.01)
    assert not task.done()  # the hanging try alone takes 0.05 s
    task.cancel()
    outcome = await asyncio.gather(task, return_exceptions=True)
    assert isinstance(outcome[0], asyncio.CancelledError)
    assert task.cancelled()
    assert (transport.sent, client.session.needs_cleanup) == (2, False)
    await no_stray_cancellation()


def test_two_cancellations_during_the_cleanup_end_it_once() -> None:
    run_on_virtual_time(cancel_twice_during_cleanup())
