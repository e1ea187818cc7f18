"""An asyncio transport on ``aiohttp``: ``AiohttpTransport``.

The command line's default: the ``cli`` extra installs nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager

import aiohttp

from oaproto import HttpRequest, HttpResponse, TransportError, TransportTimeoutError
from oaproto._http import Headers

from ._protocols import AsyncStreamResponse
from ._proxy import ProxyRules, ProxyServer
from ._util import ExceptionMap, MappedAsyncChunks, map_exceptions

__all__ = ["AiohttpTransport"]

_ERRORS: ExceptionMap = {
    TimeoutError: TransportTimeoutError,  # aiohttp's own timeouts subclass it
    aiohttp.ClientError: TransportError,
}


class AiohttpTransport:
    """Send requests with an ``aiohttp.ClientSession`` (asyncio only).

    Args:
        session: a session to use (not closed by :meth:`close`); by default the
            transport creates one on first use, inside the running loop, with
            a cookie jar that stores nothing (the core sends the credential)
            and no limit on the number of connections.
        timeout: seconds allowed for connecting and for each read.
        proxy: an ``http://`` proxy URL for every request (may carry
            ``user:password@``; it is never shown).
        trust_env: without ``proxy``, take the proxy from ``HTTP_PROXY``,
            ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``, by the same rules as
            every oaproto adapter (see ``docs/proxies.md``). A ``session`` you
            pass may add its own ``trust_env`` behaviour where these rules pick no proxy.

    Raises:
        LocalProtocolError: the proxy URL (given or from the environment) is unusable.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        timeout: float = 60.0,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        self._session = session
        self._owned = session is None
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self._proxies = ProxyRules.configure(proxy, trust_env=trust_env)

    def __repr__(self) -> str:
        return f"AiohttpTransport(timeout={self._timeout.sock_read}, proxy={bool(self._proxies)})"

    async def _request(self, request: HttpRequest) -> aiohttp.ClientResponse:
        if self._session is None:
            # No cap on connections (aiohttp's default is 100): every chat
            # holds one for its whole reply, so with more chats than the cap
            # the rest, their cleanup included, would queue for minutes.
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(), connector=aiohttp.TCPConnector(limit=0)
            )
        server = self._proxies.for_url(request.url)
        headers, proxy_headers = _with_proxy_credentials(request, server)
        return await self._session.request(
            request.method,
            request.url,
            headers=headers,
            data=request.body or None,
            timeout=self._timeout,
            proxy=None if server is None else server.url,
            proxy_headers=proxy_headers,
            allow_redirects=False,
        )

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        with map_exceptions(_ERRORS):
            response = await self._request(request)
            try:
                body = await response.read()
            finally:
                response.release()
        return HttpResponse(
            status=response.status, headers=tuple(response.headers.items()), body=body
        )

    @asynccontextmanager
    async def open_stream(self, request: HttpRequest) -> AsyncIterator[AsyncStreamResponse]:
        """Send ``request``; the body is read by ``content.iter_any()`` (content-decoded)."""
        with map_exceptions(_ERRORS):
            response = await self._request(request)
        try:
            async with aclosing(MappedAsyncChunks(response.content.iter_any(), _ERRORS)) as chunks:
                headers = tuple(response.headers.items())
                yield AsyncStreamResponse(response.status, headers, chunks)
        finally:
            # Returns the connection to the pool only when the body was read to
            # the end; an abandoned stream's connection is closed.
            response.release()

    async def close(self) -> None:
        """Close the owned session."""
        if self._owned and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AiohttpTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _with_proxy_credentials(
    request: HttpRequest, server: ProxyServer | None
) -> tuple[Headers, dict[str, str] | None]:
    """The request's headers and the ``CONNECT`` request's extra headers.

    The credentials travel as a header, never in the proxy URL, so no aiohttp
    message can show them: on the tunnel's ``CONNECT`` for https, on the
    request itself for http (aiohttp sends ``proxy_headers`` only on ``CONNECT``).
    """
    if server is None or server.authorization is None:
        return request.headers, None
    if request.url.startswith("https://"):
        return request.headers, {"Proxy-Authorization": server.authorization}
    return (*request.headers, ("proxy-authorization", server.authorization)), None
