"""Transports for oaproto: every place where bytes move.

Client adapters (aiohttp, httpx, requests, h11 over anyio), the reference
server (``oaproto.transports.server``) and the command line (``oaproto``).
Each adapter only moves bytes; all protocol logic lives in ``oaproto``.

The drivers run a chat over any adapter and delete it when done::

    from oaproto.transports import ChatClient, RequestsTransport

    with RequestsTransport() as transport, ChatClient(transport, config) as chat:
        print(chat.ask("Hello"))

Adapters and drivers are imported on first use, so importing this package
imports none of asyncio, aiohttp, httpx, requests, h11, anyio or trio. See ``docs/transports.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._protocols import AsyncStreamResponse, AsyncTransport, StreamResponse, SyncTransport
from ._util import CLEANUP_TIMEOUT, IDLE_TIMEOUT, REPLY_TIMEOUT

if TYPE_CHECKING:
    from ._async import AsyncChatClient, AsyncReplyStream
    from ._sync import ChatClient, ReplyStream
    from .aiohttp import AiohttpTransport
    from .h11_anyio import H11Transport
    from .httpx import AsyncHttpxTransport, HttpxTransport
    from .requests import RequestsTransport

__all__ = [
    "CLEANUP_TIMEOUT",
    "IDLE_TIMEOUT",
    "REPLY_TIMEOUT",
    "AiohttpTransport",
    "AsyncChatClient",
    "AsyncHttpxTransport",
    "AsyncReplyStream",
    "AsyncStreamResponse",
    "AsyncTransport",
    "ChatClient",
    "H11Transport",
    "HttpxTransport",
    "ReplyStream",
    "RequestsTransport",
    "StreamResponse",
    "SyncTransport",
]

# Name -> its module, imported on first use: each adapter module imports its
# library, and the drivers import asyncio, which the pytest plugin (loaded in
# every test run) should not pay for.
_LAZY = {
    "AsyncChatClient": "_async",
    "AsyncReplyStream": "_async",
    "ChatClient": "_sync",
    "ReplyStream": "_sync",
    "AiohttpTransport": "aiohttp",
    "AsyncHttpxTransport": "httpx",
    "H11Transport": "h11_anyio",
    "HttpxTransport": "httpx",
    "RequestsTransport": "requests",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
