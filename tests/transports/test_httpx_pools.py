"""AsyncHttpxTransport spreads concurrent requests over pools of POOL_SHARE.

httpx's pool costs grow with connections times waiting requests, so the
transport's own clients each carry a bounded share; a caller's client is
used alone, whatever the load.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import httpx
import pytest

from oaproto import ClientConfig, Dialect, ReplyOptions
from oaproto.transports import AsyncChatClient
from oaproto.transports import httpx as httpx_transport
from oaproto.transports.httpx import AsyncHttpxTransport
from oaproto.transports.server import ThreadedServer
from tests.helpers.transport_harness import SERVER_DEFAULTS

pytestmark = pytest.mark.anyio


USERS = [f"user-{index}" for index in range(5)]  # the server runs one reply per user at a time


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server(oa_server_factory: Callable[..., ThreadedServer]) -> ThreadedServer:
    return oa_server_factory(**{**SERVER_DEFAULTS, "tokens": USERS})


async def _chats(server: ThreadedServer, transport: AsyncHttpxTransport, count: int) -> list[str]:
    texts: list[str] = []

    async def one(index: int) -> None:
        config = ClientConfig(base_url=server.url, dialect=Dialect.INFERENCE, token=USERS[index])
        async with AsyncChatClient(
            transport, config, ReplyOptions(model_config_name="_echo")
        ) as chat:
            texts.append(await chat.ask(f"chat {index}"))

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(one, index)
    return texts


async def test_concurrent_chats_beyond_the_share_open_more_pools(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httpx_transport, "POOL_SHARE", 2)
    transport = AsyncHttpxTransport(timeout=10)
    texts = await _chats(server, transport, 5)
    clients = list(transport._pools.clients)
    await transport.close()
    assert sorted(texts) == [f"chat {index}" for index in range(5)]
    assert 2 <= len(clients) <= 3  # 5 streams at once need 3 pools of 2; fewer if not all overlap
    assert all(client.is_closed for client in clients)


async def test_a_callers_client_is_never_split(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httpx_transport, "POOL_SHARE", 1)
    async with httpx.AsyncClient(timeout=10) as client:
        transport = AsyncHttpxTransport(client)
        texts = await _chats(server, transport, 3)
        assert transport._pools.clients == [client]
        await transport.close()
        assert not client.is_closed  # the caller's to close
    assert len(texts) == 3
