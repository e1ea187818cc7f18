"""The transports' public API for the tests, importable by both pytest and mypy.

At run time the package is ``oaproto.transports`` (setuptools maps
``transports/`` there); mypy cannot follow that mapping and sees the source
tree's ``transports`` instead. Both names are the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transports import (
        AsyncChatClient,
        AsyncReplyStream,
        AsyncStreamResponse,
        ChatClient,
        ReplyStream,
        StreamResponse,
    )
    from transports._util import map_exceptions, scrub
    from transports.aiohttp import AiohttpTransport
    from transports.h11_anyio import H11Transport
    from transports.httpx import AsyncHttpxTransport, HttpxTransport
    from transports.requests import RequestsTransport
    from transports.server import ECHO_MODEL_NAME, ThreadedServer, run_in_thread
else:
    from oaproto.transports import (
        AsyncChatClient,
        AsyncReplyStream,
        AsyncStreamResponse,
        ChatClient,
        ReplyStream,
        StreamResponse,
    )
    from oaproto.transports._util import map_exceptions, scrub
    from oaproto.transports.aiohttp import AiohttpTransport
    from oaproto.transports.h11_anyio import H11Transport
    from oaproto.transports.httpx import AsyncHttpxTransport, HttpxTransport
    from oaproto.transports.requests import RequestsTransport
    from oaproto.transports.server import ECHO_MODEL_NAME, ThreadedServer, run_in_thread

__all__ = [
    "ECHO_MODEL_NAME",
    "AiohttpTransport",
    "AsyncChatClient",
    "AsyncHttpxTransport",
    "AsyncReplyStream",
    "AsyncStreamResponse",
    "ChatClient",
    "H11Transport",
    "HttpxTransport",
    "ReplyStream",
    "RequestsTransport",
    "StreamResponse",
    "ThreadedServer",
    "map_exceptions",
    "run_in_thread",
    "scrub",
]
