"""What a transport must offer the drivers: send a request, or open a byte stream.

A transport moves bytes and nothing else. It does not raise for error
statuses, does not decode SSE, does not parse JSON: the core does all of that.
It returns whatever status the server sent and raises only
:class:`~oaproto.TransportError` (or :class:`~oaproto.TransportTimeoutError`)
when bytes could not be moved, chained ``from`` the library's exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from oaproto import HttpRequest, HttpResponse
from oaproto._http import Headers, redact_headers

__all__ = ["AsyncStreamResponse", "AsyncTransport", "StreamResponse", "SyncTransport"]


@dataclass(frozen=True, slots=True)
class StreamResponse:
    """An open streamed response: status and headers now, the body as it arrives.

    Attributes:
        status: the status code.
        headers: header pairs as received.
        chunks: the body's raw (content-decoded) bytes in arbitrary chunks;
            raises ``TransportError`` if the connection breaks.
        interrupt: optional; called from another thread, it ends a read of
            ``chunks`` that is waiting (e.g. by shutting the socket down), so
            that the read fails or ends at once. With it the blocking driver
            enforces its idle and reply timeouts during a read; without it,
            only the transport's own read timeout bounds a silent stream.
    """

    status: int
    headers: Headers = field(repr=False)
    chunks: Iterator[bytes] = field(repr=False)
    interrupt: Callable[[], None] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"StreamResponse(status={self.status}, headers={redact_headers(self.headers)!r})"


@dataclass(frozen=True, slots=True)
class AsyncStreamResponse:
    """The asynchronous :class:`StreamResponse`: ``chunks`` is an async iterator."""

    status: int
    headers: Headers = field(repr=False)
    chunks: AsyncIterator[bytes] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"AsyncStreamResponse(status={self.status}, headers={redact_headers(self.headers)!r})"
        )


class SyncTransport(Protocol):
    """A blocking transport (``requests``, ``httpx.Client``)."""

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request`` and read the whole response.

        Args:
            request: what to send.
            timeout: overrides the transport's own timeout for this request;
                the drivers use it to bound cleanup.

        Raises:
            TransportError: the bytes could not be moved (``TransportTimeoutError``
                when a timeout expired).
        """
        ...

    def open_stream(self, request: HttpRequest) -> AbstractContextManager[StreamResponse]:
        """Send ``request`` and return its response once the headers arrived.

        Leaving the context closes the response (and its connection, when
        the body was not read to the end).
        """
        ...

    def close(self) -> None:
        """Release connections the transport owns."""
        ...


class AsyncTransport(Protocol):
    """An asynchronous transport (aiohttp, ``httpx.AsyncClient``, h11 over anyio)."""

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and read the whole response; see :meth:`SyncTransport.send`.

        There is no ``timeout`` argument: bound the call with a cancel scope
        (``anyio.fail_after``, ``asyncio.timeout``), as the drivers do.
        """
        ...

    def open_stream(self, request: HttpRequest) -> AbstractAsyncContextManager[AsyncStreamResponse]:
        """Send ``request``; see :meth:`SyncTransport.open_stream`."""
        ...

    async def close(self) -> None:
        """Release connections the transport owns."""
        ...
