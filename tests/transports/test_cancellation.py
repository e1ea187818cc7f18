"""Cancellation of the asynchronous driver, on a native task, against the reference server.

A cancelled reply must still delete its chat: under an anyio cancel scope
(level-triggered, on asyncio and trio), under asyncio's ``wait_for`` and
``Task.cancel()`` (edge-triggered), and when a second cancellation arrives
while the cleanup itself is running. Cleanup is bounded: a DELETE that
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
from tests.helpers.transport_harness import TOKEN, assert_deleted, make_transport

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

    @property
    def chat_id(self) -> str | None:
        return self.client.session.chat_id


async def wait_for_step(server: ThreadedServer, step: str) -> None:
    # The server records a request when it arrives, before answering it.
    with anyio.fail_after(10):
        # Polling: the server runs in another thread and offers no event to wait on.
        while not any(request.step == step for request in server.requests):  # noqa: ASYNC110
            await anyio.sleep(0.01)


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
    server.faults.add("slow-headers=1", step="delete_chat")
    chat = Chat(adapter, server, cleanup_timeout=0.2)
    try:
        with pytest.raises(ValueError, match="user code") as raised:
            await chat.ask_then_fail()
    finally:
        await chat.transport.close()
    notes = getattr(raised.value, "__notes__", [])
    assert any("TransportTimeoutError" in note for note in notes), notes
    assert chat.client.session.needs_cleanup


async def test_cleanup_timeout_on_a_clean_exit_is_raised(
    adapter: str, server: ThreadedServer
) -> None:
    server.faults.add("slow-headers=1", step="delete_chat")
    chat = Chat(adapter, server, cleanup_timeout=0.2)
    try:
        with pytest.raises(TransportTimeoutError):
            async with chat.client as client:
                await client.ask("Hello")
    finally:
        await chat.transport.close()
    assert chat.client.session.needs_cleanup
