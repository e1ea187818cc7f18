"""Shared pieces of the transport conformance suite (imported by its tests and conftest).

``Harness`` runs one scenario against every adapter: the blocking drivers
directly, the asynchronous ones through an anyio blocking portal (an event
loop in a helper thread, asyncio or trio), so each scenario is written once,
in blocking style, and exercises the real ``AsyncChatClient`` on a real loop.
Cancellation, which needs a native task, is tested separately.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import anyio.from_thread

from oaproto import ClientConfig, Dialect, ReplyOptions, StreamEvent
from oaproto.transports import (
    CLEANUP_TIMEOUT,
    IDLE_TIMEOUT,
    REPLY_TIMEOUT,
    AsyncChatClient,
    AsyncReplyStream,
    ChatClient,
)
from oaproto.transports.aiohttp import AiohttpTransport
from oaproto.transports.h11_anyio import H11Transport
from oaproto.transports.httpx import AsyncHttpxTransport, HttpxTransport
from oaproto.transports.requests import RequestsTransport
from oaproto.transports.server import ThreadedServer

#: The only credential the test server accepts; it must never leak anywhere.
TOKEN = "tok-5ecret-d0-not-leak-8c1f"
#: The reply options of every harness chat unless a test passes others.
LOREM = ReplyOptions(model_config_name="_lorem")

#: Adapter ids: (driver kind, portal backend or None).
ADAPTERS = ["requests", "httpx", "httpx-async", "aiohttp", "h11-asyncio", "h11-trio"]
ASYNC_ADAPTERS = ADAPTERS[2:]

# Fast, and no rate limit: a test may request many replies. Tokens are just
# slow enough (35+ lorem tokens, >= 175 ms) that the client's stream is open
# before the reply finishes: a finished reply answers the stream with 204 and
# is fetched instead, and faults armed on the stream would never fire.
SERVER_DEFAULTS: dict[str, Any] = {
    "tokens": [TOKEN],
    "token_delay": 0.005,
    "pending_interval": 0.05,
    "rate_limit": None,
    "shutdown_timeout": 0.5,
}


def stored_chat(server: ThreadedServer, chat_id: str) -> dict[str, Any] | None:
    """The chat as the server stores it, or ``None`` once it is gone."""
    return next((chat for chat in server.chats() if chat["id"] == chat_id), None)


def assert_deleted(server: ThreadedServer, chat_id: str | None) -> None:
    """The chat existed, the server saw it deleted, and it is no longer stored."""
    assert chat_id is not None
    assert chat_id in server.deleted_chat_ids
    assert stored_chat(server, chat_id) is None


def steps(server: ThreadedServer) -> list[str]:
    """The steps of every request the server received, in order."""
    return [request.step for request in server.requests]


def make_transport(adapter: str, timeout: float, **options: Any) -> Any:
    """A new transport of kind ``adapter``."""
    kinds: dict[str, Any] = {
        "requests": RequestsTransport,
        "httpx": HttpxTransport,
        "httpx-async": AsyncHttpxTransport,
        "aiohttp": AiohttpTransport,
        "h11-asyncio": H11Transport,
        "h11-trio": H11Transport,
    }
    return kinds[adapter](timeout=timeout, **options)


class PortalStream:
    """A blocking view of an :class:`AsyncReplyStream` (iteration via the portal)."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, events: AsyncReplyStream) -> None:
        self._portal = portal
        self._events = events

    def __iter__(self) -> PortalStream:
        return self

    def __next__(self) -> StreamEvent:
        try:
            event: StreamEvent = self._portal.call(self._events.__anext__)
            return event
        except StopAsyncIteration:
            raise StopIteration from None

    def text(self) -> str:
        text: str = self._portal.call(self._events.text)
        return text

    @property
    def outcome(self) -> Any:
        return self._events.outcome


class PortalChat:
    """A blocking view of an :class:`AsyncChatClient`; same methods as ``ChatClient``."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, chat: AsyncChatClient) -> None:
        self._portal = portal
        self.chat = chat
        self.session = chat.session
        self.api = chat.api

    def ask(self, content: str, options: ReplyOptions | None = None) -> str:
        text: str = self._portal.call(self.chat.ask, content, options)
        return text

    def call(self, call: Any) -> Any:
        return self._portal.call(self.chat.call, call)

    def close(self) -> None:
        self._portal.call(self.chat.close)

    def reply(
        self, content: str, options: ReplyOptions | None = None
    ) -> AbstractContextManager[PortalStream]:
        return self._stream(self.chat.reply(content, options))

    def retry(self, options: ReplyOptions | None = None) -> AbstractContextManager[PortalStream]:
        return self._stream(self.chat.retry(options))

    @contextmanager
    def _stream(self, events: AsyncReplyStream) -> Iterator[PortalStream]:
        with self._portal.wrap_async_context_manager(events) as entered:
            yield PortalStream(self._portal, entered)


class Harness:
    """Opens a chat on one adapter, behind the blocking ``ChatClient`` API."""

    def __init__(self, adapter: str, server: ThreadedServer) -> None:
        self.adapter = adapter
        self.server = server
        #: The session of the last chat opened, for assertions after it ended.
        self.session: Any = None

    def config(
        self, dialect: Dialect = Dialect.INFERENCE, token: str | None = TOKEN
    ) -> ClientConfig:
        return ClientConfig(base_url=self.server.url, dialect=dialect, token=token)

    @contextmanager
    def chat(
        self,
        dialect: Dialect = Dialect.INFERENCE,
        *,
        token: str | None = TOKEN,
        transport_timeout: float = 5.0,
        options: ReplyOptions = LOREM,
        idle_timeout: float | None = IDLE_TIMEOUT,
        reply_timeout: float | None = REPLY_TIMEOUT,
        cleanup_timeout: float = CLEANUP_TIMEOUT,
    ) -> Iterator[Any]:
        """``with harness.chat(...) as chat``: a ``ChatClient`` or a :class:`PortalChat`."""
        config = self.config(dialect, token)
        transport = make_transport(self.adapter, transport_timeout)
        if self.adapter in ("requests", "httpx"):
            with (
                transport,
                ChatClient(
                    transport,
                    config,
                    options,
                    idle_timeout=idle_timeout,
                    reply_timeout=reply_timeout,
                    cleanup_timeout=cleanup_timeout,
                ) as chat,
            ):
                self.session = chat.session
                yield chat
            return
        backend = "trio" if self.adapter.endswith("trio") else "asyncio"
        with anyio.from_thread.start_blocking_portal(backend) as portal:
            try:
                client = AsyncChatClient(
                    transport,
                    config,
                    options,
                    idle_timeout=idle_timeout,
                    reply_timeout=reply_timeout,
                    cleanup_timeout=cleanup_timeout,
                )
                with portal.wrap_async_context_manager(client) as chat:
                    self.session = chat.session
                    yield PortalChat(portal, chat)
            finally:
                portal.call(transport.close)
