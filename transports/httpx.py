"""Transports on ``httpx``: ``HttpxTransport`` (blocking) and ``AsyncHttpxTransport``.

``AsyncHttpxTransport`` runs on asyncio and on trio (httpx uses anyio).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, asynccontextmanager, closing, contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Generic, TypeVar

import httpx

from oaproto import (
    HttpRequest,
    HttpResponse,
    LocalProtocolError,
    TransportError,
    TransportTimeoutError,
)

from ._protocols import AsyncStreamResponse, StreamResponse
from ._proxy import ProxyRules, ProxyServer
from ._util import ExceptionMap, MappedAsyncChunks, map_chunks, map_exceptions, shut_down

__all__ = ["AsyncHttpxTransport", "HttpxTransport"]

Pool = TypeVar("Pool", httpx.HTTPTransport, httpx.AsyncHTTPTransport)

_ERRORS: ExceptionMap = {
    httpx.TimeoutException: TransportTimeoutError,
    httpx.HTTPError: TransportError,
    httpx.StreamError: TransportError,
}


def _jar() -> CookieJar:
    # Response cookies are refused: the credential travels in the core's headers.
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class _ProxyRoutes(Generic[Pool]):
    """One connection pool per proxy the rules pick (``None``: direct), made on first use.

    httpx's own proxy choice is per client and reads the environment its own
    way; routing each request here applies the rules every adapter shares.
    """

    def __init__(self, rules: ProxyRules, make_pool: Callable[[httpx.Proxy | None], Pool]) -> None:
        self._rules = rules
        self._make_pool: Callable[[httpx.Proxy | None], Pool] = make_pool
        self.pools: dict[ProxyServer | None, Pool] = {}

    def pool_for(self, url: httpx.URL) -> Pool:
        server = self._rules.for_url(str(url))
        pool = self.pools.get(server)
        if pool is None:
            proxy = None
            if server is not None:
                # Credentials apart from the URL: httpx masks them in its repr.
                auth = None if server.username is None else (server.username, server.password or "")
                proxy = httpx.Proxy(server.url, auth=auth)
            pool = self.pools[server] = self._make_pool(proxy)
        return pool


class _Router(httpx.BaseTransport):
    def __init__(self, rules: ProxyRules, trust_env: bool) -> None:
        # trust_env stays for what else httpx reads there (SSL_CERT_FILE, SSL_CERT_DIR).
        self._routes = _ProxyRoutes(
            rules, lambda proxy: httpx.HTTPTransport(proxy=proxy, trust_env=trust_env)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._routes.pool_for(request.url).handle_request(request)

    def close(self) -> None:
        for pool in self._routes.pools.values():
            pool.close()


class _AsyncRouter(httpx.AsyncBaseTransport):
    def __init__(self, rules: ProxyRules, trust_env: bool) -> None:
        self._routes = _ProxyRoutes(
            rules, lambda proxy: httpx.AsyncHTTPTransport(proxy=proxy, trust_env=trust_env)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._routes.pool_for(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._routes.pools.values():
            await pool.aclose()


def _check_owned(client: object, proxy: str | None) -> None:
    if client is not None and proxy is not None:
        raise LocalProtocolError(
            "proxy= applies to the client the transport creates; configure the proxy of "
            "the client you pass instead"
        )


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
        proxy: an ``http://`` proxy URL for every request of an owned client
            (may carry ``user:password@``; it is never shown).
        trust_env: for an owned client without ``proxy``, take the proxy from
            ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` by the
            same rules as every oaproto adapter (see ``docs/proxies.md``), not by
            httpx's own; httpx still reads ``SSL_CERT_FILE``/``SSL_CERT_DIR``.

    Raises:
        LocalProtocolError: the proxy URL is unusable, or ``proxy`` was given with ``client``.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout: float = 60.0,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        _check_owned(client, proxy)
        self._owned = client is None
        self._proxied: bool | None = None  # unknown for a client passed in
        if client is None:
            rules = ProxyRules.configure(proxy, trust_env=trust_env)
            self._proxied = bool(rules)
            router = _Router(rules, trust_env)
            client = httpx.Client(
                timeout=timeout, transport=router, trust_env=trust_env, cookies=_jar()
            )
        self._client = client

    def __repr__(self) -> str:
        return f"HttpxTransport(owned_client={self._owned}, proxy={self._proxied})"

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
        trust_env: bool = True,
    ) -> None:
        _check_owned(client, proxy)
        self._owned = client is None
        self._proxied: bool | None = None  # unknown for a client passed in
        new_client: Callable[[], httpx.AsyncClient] | None = None
        if client is None:
            rules = ProxyRules.configure(proxy, trust_env=trust_env)
            self._proxied = bool(rules)

            def new_client() -> httpx.AsyncClient:
                # Each pool its own router: the routers hold the connection pools.
                return httpx.AsyncClient(
                    timeout=timeout,
                    transport=_AsyncRouter(rules, trust_env),
                    trust_env=trust_env,
                    cookies=_jar(),
                )

            client = new_client()
        self._client = client
        self._pools = _Pools(client, new_client)

    def __repr__(self) -> str:
        return f"AsyncHttpxTransport(owned_client={self._owned}, proxy={self._proxied})"

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
                async with aclosing(MappedAsyncChunks(body, _ERRORS)) as chunks:
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
