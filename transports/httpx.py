"""Transports on ``httpx``: ``HttpxTransport`` (blocking) and ``AsyncHttpxTransport``.

``AsyncHttpxTransport`` runs on asyncio and on trio (httpx uses anyio).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, asynccontextmanager, closing, contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from oaproto import HttpRequest, HttpResponse, TransportError, TransportTimeoutError

from ._protocols import AsyncStreamResponse, StreamResponse
from ._util import ExceptionMap, amap_chunks, map_chunks, map_exceptions, shut_down

__all__ = ["AsyncHttpxTransport", "HttpxTransport"]

_ERRORS: ExceptionMap = {
    httpx.TimeoutException: TransportTimeoutError,
    httpx.HTTPError: TransportError,
    httpx.StreamError: TransportError,
}


def _jar() -> CookieJar:
    # Response cookies are refused: the credential travels in the core's headers.
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _build(
    client: httpx.Client | httpx.AsyncClient, request: HttpRequest, timeout: float | None
) -> httpx.Request:
    return client.build_request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.body,
        timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
    )


def _uncoded(response: httpx.Response) -> bool:
    # Without a content coding the raw bytes are the body, so the stream skips
    # httpx's decoder and re-chunker, a layer per chunk (an event is a chunk).
    coding: str = response.headers.get("content-encoding", "identity")
    return coding.strip().lower() == "identity"


def _response(response: httpx.Response) -> HttpResponse:
    headers = tuple(response.headers.multi_items())
    return HttpResponse(status=response.status_code, headers=headers, body=response.content)


class HttpxTransport:
    """Send requests with an ``httpx.Client``.

    Args:
        client: a client to use (not closed by :meth:`close`); by default the
            transport owns one.
        timeout: seconds allowed for connecting, each read and each write
            (owned client only).
        proxy: a proxy URL for an owned client (never shown); httpx also
            honours ``HTTPS_PROXY``.
    """

    def __init__(
        self, client: httpx.Client | None = None, *, timeout: float = 60.0, proxy: str | None = None
    ) -> None:
        self._owned = client is None
        if client is None:
            client = httpx.Client(timeout=timeout, proxy=proxy, cookies=_jar())
        self._client = client

    def __repr__(self) -> str:
        return f"HttpxTransport(owned_client={self._owned})"

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        with map_exceptions(_ERRORS):
            return _response(self._client.send(_build(self._client, request, timeout)))

    @contextmanager
    def open_stream(self, request: HttpRequest) -> Iterator[StreamResponse]:
        """Send ``request``; the body is read by ``iter_bytes`` (``iter_raw`` if not encoded)."""
        with map_exceptions(_ERRORS):
            response = self._client.send(_build(self._client, request, None), stream=True)
        body = response.iter_raw() if _uncoded(response) else response.iter_bytes()
        network = response.extensions.get("network_stream")
        sock = None if network is None else network.get_extra_info("socket")
        interrupt = None if sock is None else functools.partial(shut_down, sock)
        with closing(response), closing(map_chunks(body, _ERRORS)) as chunks:
            headers = tuple(response.headers.multi_items())
            yield StreamResponse(response.status_code, headers, chunks, interrupt)

    def close(self) -> None:
        """Close the owned client."""
        if self._owned:
            self._client.close()

    def __enter__(self) -> HttpxTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


#: Requests in flight on one owned ``AsyncClient`` before the transport opens
#: another: httpx's pool (httpcore) does work that grows with its connections
#: times its waiting requests on every request (encode/httpcore#1035), so a
#: few pools of 100 cost far less than one of 1,000 (see docs/transports.md).
POOL_SHARE = 100


class _Pools:
    """The transport's clients, each carrying at most :data:`POOL_SHARE` requests."""

    def __init__(
        self, first: httpx.AsyncClient, new_client: Callable[[], httpx.AsyncClient] | None
    ) -> None:
        self.clients = [first]
        self._busy = [0]
        self._new_client = new_client  # None: a caller's client, never split

    def acquire(self) -> int:
        """The index of a client with room for one more request (counted until released)."""
        new_client = self._new_client
        for index, busy in enumerate(self._busy):
            if busy < POOL_SHARE or new_client is None:
                self._busy[index] += 1
                return index
        assert new_client is not None  # a caller's client always has room
        self.clients.append(new_client())
        self._busy.append(1)
        return len(self._busy) - 1

    def release(self, index: int) -> None:
        self._busy[index] -= 1


class AsyncHttpxTransport:
    """Send requests with an ``httpx.AsyncClient``; arguments as for :class:`HttpxTransport`.

    Without ``client``, the transport opens another client (another pool)
    for every :data:`POOL_SHARE` requests in flight, so a thousand chats on
    one transport do not share one pool; a ``client`` you pass is used alone.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float = 60.0,
        proxy: str | None = None,
    ) -> None:
        self._owned = client is None
        new_client: Callable[[], httpx.AsyncClient] | None = None
        if client is None:
            new_client = functools.partial(
                httpx.AsyncClient, timeout=timeout, proxy=proxy, cookies=_jar()
            )
            client = new_client()
        self._client = client
        self._pools = _Pools(client, new_client)

    def __repr__(self) -> str:
        return f"AsyncHttpxTransport(owned_client={self._owned})"

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        index = self._pools.acquire()
        client = self._pools.clients[index]
        try:
            with map_exceptions(_ERRORS):
                return _response(await client.send(_build(client, request, None)))
        finally:
            self._pools.release(index)

    @asynccontextmanager
    async def open_stream(self, request: HttpRequest) -> AsyncIterator[AsyncStreamResponse]:
        """Send ``request``; the body is read by ``aiter_bytes`` (``aiter_raw`` if not encoded)."""
        index = self._pools.acquire()
        client = self._pools.clients[index]
        try:
            with map_exceptions(_ERRORS):
                response = await client.send(_build(client, request, None), stream=True)
            body = response.aiter_raw() if _uncoded(response) else response.aiter_bytes()
            try:
                async with aclosing(amap_chunks(body, _ERRORS)) as chunks:
                    headers = tuple(response.headers.multi_items())
                    yield AsyncStreamResponse(response.status_code, headers, chunks)
            finally:
                await response.aclose()
        finally:
            self._pools.release(index)

    async def close(self) -> None:
        """Close the owned clients."""
        if self._owned:
            for client in self._pools.clients:
                await client.aclose()

    async def __aenter__(self) -> AsyncHttpxTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
