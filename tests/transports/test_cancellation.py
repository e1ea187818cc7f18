"""Cancellation of the asynchronous driver, on a native task, against the reference server.

A cancelled reply must still delete its chat: under an anyio cancel scope
(level-triggered, on asyncio and trio), under asyncio's ``wait_for`` and
``Task.cancel()`` (edge-triggered), and when a second cancellation arrives
while the cleanup itself is running. A cancellation that arrives while the
chat is being deleted is held back until the cleanup is over and then
delivered inside the scope that asked for it, as a shield would: the task
ends cancelled, ``asyncio.timeout`` raises ``TimeoutError``, and nothing
stray reaches the caller's next await. Cleanup is bounded: a DELETE that
hangs gives up after ``cleanup_timeout``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

from oaproto import ClientConfig, Dialect, ReplyOptions, TransportTimeoutError
from oaproto.transports import AsyncChatClient
from oaproto.transports.server import ThreadedServer
from tests.helpers.transport_harness import TOKEN, assert_deleted, make_transport, steps

pytestmark = pytest.mark.anyio

CASES = [
    ("httpx-async", "asyncio"),
    ("aiohttp", "asyncio"),
    ("h11-asyncio", "asyncio"),
    ("h11-trio", "trio"),
]


# asyncio.wait_for and Task.cancel() exist only on asyncio.
ASYNCIO_CASES = [case for case in CASES if case[1] == "asyncio"]
only_asyncio = pytest.mark.parametrize(
    "case", ASYNCIO_CASES, ids=[adapter for adapter, _ in ASYNCIO_CASES]
)


@pytest.fixture(params=CASES, ids=[adapter for adapter, _ in CASES])
def case(request: pytest.FixtureRequest) -> tuple[str, str]:
    adapter, backend = request.param
    return adapter, backend


@pytest.fixture
def anyio_backend(case: tuple[str, str]) -> str:
    return case[1]


@pytest.fixture
def adapter(case: tuple[str, str]) -> str:
    return case[0]


class Chat:
    """One chat whose reply streams until it is cancelled."""

    def __init__(self, adapter: str, server: ThreadedServer, **options: Any) -> None:
        self.transport = make_transport(adapter, 5.0)
        config = ClientConfig(base_url=server.url, dialect=Dialect.INFERENCE, token=TOKEN)
        self.client = AsyncChatClient(
            self.transport, config, ReplyOptions(model_config_name="_lorem"), **options
        )

    async def stream_forever(self) -> None:
        async with self.client as chat, chat.reply("Hello") as events:
            async for _ in events:
                pass

    async def ask_then_fail(self) -> None:
        async with self.client as chat:
            await chat.ask("Hello")
            raise ValueError("user code")

    async def ask(self) -> None:
        async with self.client as chat:
            await chat.ask("Hello")

    async def ask_under_timeout_expiring_in_cleanup(self, delay: float) -> None:
        """Ask under ``asyncio.timeout``, which expires ``delay`` s after leaving the block."""
        async with asyncio.timeout(None) as scope, self.client as chat:
            await chat.ask("Hello")
            # Expires while the DELETE of leaving the block is in flight.
            scope.reschedule(asyncio.get_running_loop().time() + delay)

    @property
    def chat_id(self) -> str | None:
        return self.client.session.chat_id


async def wait_for_step(server: ThreadedServer, step: str) -> None:
    # The server records a request when it arrives, before answering it.
    with anyio.fail_after(10):
        # Polling: the server runs in another thread and offers no event to wait on.
        while not any(request.step == step for request in server.requests):  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def cancel_during_delete(
    chat: Chat, server: ThreadedServer, after: float
) -> asyncio.CancelledError:
    """Run ``chat.ask()`` as a task and cancel it ``after`` s into its DELETE.

    Returns what awaiting the task raised, once the task ended cancelled.
    """
    task = asyncio.ensure_future(chat.ask())
    await wait_for_step(server, "delete_chat")
    await asyncio.sleep(after)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as raised:
        await task
    assert task.cancelled()
    return raised.value


async def test_cancel_scope_mid_stream_deletes_the_chat(
    adapter: str, server: ThreadedServer
) -> None:
    server.faults.add("never-end", step="assistant_message")
    chat = Chat(adapter, server)
    try:
        with anyio.move_on_after(0.3) as scope:
            await chat.stream_forever()
        assert scope.cancelled_caught
    finally:
        await chat.transport.close()
    assert_deleted(server, chat.chat_id)
    assert not chat.client.session.needs_cleanup


async def test_cancel_scope_stays_cancelled_during_a_slow_delete(
    adapter: str, server: ThreadedServer
) -> None:
    # The scope is still cancelled while cleanup runs: the bounded shield
    # must carry the slow DELETE through.
    server.faults.add("never-end", step="assistant_message")
    server.faults.add("slow-headers=0.3", step="delete_chat")
    chat = Chat(adapter, server)
    try:
        with anyio.move_on_after(0.3) as scope:
            await chat.stream_forever()
        assert scope.cancelled_caught
    finally:
        await chat.transport.close()
    assert_deleted(server, chat.chat_id)


@only_asyncio
async def test_wait_for_cancels_natively_and_the_chat_is_deleted(
    adapter: str, server: ThreadedServer
) -> None:
    server.faults.add("never-end", step="assistant_message")
    chat = Chat(adapter, server)
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(chat.stream_forever(), 0.3)
    finally:
        await chat.transport.close()
    assert_deleted(server, chat.chat_id)


@only_asyncio
async def test_a_second_cancel_during_cleanup_is_held_back(
    adapter: str, server: ThreadedServer
) -> None:
    server.faults.add("never-end", step="assistant_message")
    server.faults.add("slow-headers=0.3", step="delete_chat")
    chat = Chat(adapter, server)
    try:
        task = asyncio.ensure_future(chat.stream_forever())
        await wait_for_step(server, "events")
        task.cancel()
        await wait_for_step(server, "delete_chat")
        task.cancel()  # while the DELETE is in flight
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await chat.transport.close()
    assert_deleted(server, chat.chat_id)


async def test_cleanup_is_bounded_and_noted(adapter: str, server: ThreadedServer) -> None:
    # Both tries of the DELETE hang: each gives up after half of cleanup_timeout.
    server.faults.add("slow-headers=1", step="delete_chat", times=2)
    chat = Chat(adapter, server, cleanup_timeout=0.2)
    try:
        with pytest.raises(ValueError, match="user code") as raised:
            await chat.ask_then_fail()
    finally:
        await chat.transport.close()
    notes = getattr(raised.value, "__notes__", [])
    assert any("TransportTimeoutError" in note for note in notes), notes
    assert any(f"chat {chat.chat_id} may remain" in note for note in notes), notes
    assert chat.client.session.needs_cleanup
    assert steps(server).count("delete_chat") == 2


async def test_cleanup_timeout_on_a_clean_exit_is_raised(
    adapter: str, server: ThreadedServer
) -> None:
    server.faults.add("slow-headers=1", step="delete_chat", times=2)
    chat = Chat(adapter, server, cleanup_timeout=0.2)
    try:
        with pytest.raises(TransportTimeoutError, match=r"gave up after 0\.1 s") as raised:
            await chat.ask()
    finally:
        await chat.transport.close()
    assert f"the chat {chat.chat_id} may remain" in "".join(raised.value.__notes__)
    assert chat.client.session.needs_cleanup


# --- a cancellation that arrives while the chat is being deleted ---


@only_asyncio
async def test_task_cancel_during_a_slow_delete_ends_the_task_cancelled(
    adapter: str, server: ThreadedServer
) -> None:
    server.faults.add("slow-headers=0.6", step="delete_chat")
    chat = Chat(adapter, server)
    try:
        await cancel_during_delete(chat, server, after=0.3)
    finally:
        await chat.transport.close()
    assert_deleted(server, chat.chat_id)  # the cleanup ran to its end first
    assert not chat.client.session.needs_cleanup


@only_asyncio
async def test_task_cancel_during_a_delete_that_gives_up_ends_the_task_cancelled(
    adapter: str, server: ThreadedServer
) -> None:
    # Both tries hang past their 0.4 s: the bounded cleanup gives up, and the
    # task still ends cancelled, the cleanup's error (and note) in the chain.
    server.faults.add("slow-headers=2", step="delete_chat", times=2)
    chat = Chat(adapter, server, cleanup_timeout=0.8)
    try:
        cancelled = await cancel_during_delete(chat, server, after=0.2)
    finally:
        await chat.transport.close()
    chain: list[BaseException] = []
    error: BaseException | None = cancelled
    while error is not None:
        chain.append(error)
        error = error.__context__
    cleanup = [error for error in chain if isinstance(error, TransportTimeoutError)]
    assert len(cleanup) == 1
    assert f"the chat {chat.chat_id} may remain" in "".join(cleanup[0].__notes__)
    assert chat.client.session.needs_cleanup
    assert steps(server).count("delete_chat") == 2


@only_asyncio
async def test_asyncio_timeout_during_a_slow_delete_raises_timeout_error(
    adapter: str, server: ThreadedServer
) -> None:
    server.faults.add("slow-headers=0.6", step="delete_chat")
    chat = Chat(adapter, server)
    current = asyncio.current_task()
    assert current is not None
    try:
        with pytest.raises(TimeoutError) as raised:  # not TransportTimeoutError
            await chat.ask_under_timeout_expiring_in_cleanup(0.3)
        assert not isinstance(raised.value, TransportTimeoutError)
        # Nothing stray: the caller's next, unrelated awaits run normally.
        assert current.cancelling() == 0
        await asyncio.sleep(0.05)
        await asyncio.sleep(0)
    finally:
        await chat.transport.close()
    assert_deleted(server, chat.chat_id)


@only_asyncio
async def test_asyncio_timeout_when_the_delete_also_gives_up(
    adapter: str, server: ThreadedServer
) -> None:
    # The timeout wins over the cleanup's own timeout, which stays visible as
    # its context, with the note that the chat may remain.
    server.faults.add("slow-headers=2", step="delete_chat", times=2)
    chat = Chat(adapter, server, cleanup_timeout=0.6)
    current = asyncio.current_task()
    assert current is not None
    try:
        with pytest.raises(TimeoutError) as raised:
            await chat.ask_under_timeout_expiring_in_cleanup(0.1)
        cancelled = raised.value.__cause__
        assert isinstance(cancelled, asyncio.CancelledError)
        cleanup = cancelled.__context__
        assert isinstance(cleanup, TransportTimeoutError)
        assert f"the chat {chat.chat_id} may remain" in "".join(cleanup.__notes__)
        assert current.cancelling() == 0
        await asyncio.sleep(0.05)
    finally:
        await chat.transport.close()
    assert chat.client.session.needs_cleanup
    assert steps(server).count("delete_chat") == 2


@only_asyncio
async def test_a_cancellation_during_a_failing_delete_waits_for_the_retry(
    adapter: str, server: ThreadedServer
) -> None:
    # As under a shield, the whole cleanup runs (the retry included) before
    # the held-back cancellation is delivered.
    server.faults.add("slow-headers=0.5", step="delete_chat")
    server.faults.add("status=503", step="delete_chat")
    chat = Chat(adapter, server)
    try:
        await cancel_during_delete(chat, server, after=0.2)
    finally:
        await chat.transport.close()
    assert steps(server).count("delete_chat") == 2
    assert_deleted(server, chat.chat_id)


async def test_cancel_scope_expiring_during_a_slow_delete(
    adapter: str, server: ThreadedServer
) -> None:
    # trio and anyio scopes on every backend: the shield carries the DELETE
    # through, the scope catches its own cancellation, nothing leaks out.
    server.faults.add("slow-headers=0.6", step="delete_chat")
    chat = Chat(adapter, server)
    try:
        with anyio.fail_after(10):  # a hang guard, far above the 0.6 s DELETE
            with anyio.CancelScope() as scope:
                async with chat.client as client:
                    await client.ask("Hello")
                    scope.deadline = anyio.current_time() + 0.3
                # Level-triggered: delivered at the scope's next checkpoint.
                await anyio.sleep(10)
            assert scope.cancelled_caught
            await anyio.sleep(0.05)
    finally:
        await chat.transport.close()
    assert_deleted(server, chat.chat_id)
    assert not chat.client.session.needs_cleanup
