"""A transport on ``h11`` over ``anyio`` sockets: ``H11Transport``, for asyncio and trio.

One connection per request, sent with ``Connection: close``: no pool to keep
consistent under cancellation, and nothing left half-read after an aborted
stream. ``https://`` URLs use anyio's TLS with the default (verifying) context.
Through an HTTP proxy, ``http://`` requests are sent in absolute form and
``https://`` ones through a ``CONNECT`` tunnel, with TLS inside it.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from urllib.parse import urlsplit

import anyio
import anyio.abc
import h11
from anyio.streams.tls import TLSStream

from oaproto import HttpRequest, HttpResponse, TransportError, TransportTimeoutError

from ._protocols import AsyncStreamResponse
from ._proxy import ProxyRules, ProxyServer
from ._util import ExceptionMap, MappedAsyncChunks, map_exceptions

__all__ = ["H11Transport"]

_ERRORS: ExceptionMap = {
    TimeoutError: TransportTimeoutError,
    OSError: TransportError,  # refused, reset, DNS, TLS (ssl.SSLError)
    anyio.BrokenResourceError: TransportError,
    h11.ProtocolError: TransportError,
}
_READ_SIZE = 65536


class _Exchange:
    """One request/response on its own connection: h11 state plus the socket."""

    def __init__(self, stream: anyio.abc.ByteStream, timeout: float) -> None:
        self.connection = h11.Connection(h11.CLIENT)
        self.stream = stream
        self.timeout = timeout

    async def start(self, request: h11.Request, body: bytes) -> h11.Response:
        data = self.connection.send(request) or b""
        if body:
            data += self.connection.send(h11.Data(data=body)) or b""
        data += self.connection.send(h11.EndOfMessage()) or b""
        with anyio.fail_after(self.timeout):
            await self.stream.send(data)
        while not isinstance(response := await self.next_event(), h11.Response):
            if not isinstance(response, h11.InformationalResponse):
                raise TransportError(f"unexpected HTTP event {type(response).__name__}")
        return response

    async def next_event(self) -> object:  # an h11 event or sentinel (untypable, h11#154)
        # httpcore's _receive_event: pull events, reading only when h11 needs data.
        while (event := self.connection.next_event()) is h11.NEED_DATA:
            await self._receive()
        return event

    async def _receive(self) -> None:
        try:
            with anyio.fail_after(self.timeout):
                data = await self.stream.receive(_READ_SIZE)
        except anyio.EndOfStream:
            data = b""  # h11's EOF convention
        self.connection.receive_data(data)

    async def body(self) -> AsyncGenerator[bytes, None]:
        # Everything received so far goes out as one piece, not one HTTP chunk
        # (one event) at a time: the reader's per-piece work is then per read.
        parts: list[bytes] = []
        while True:
            event = self.connection.next_event()
            if type(event) is h11.Data:
                parts.append(event.data)
                continue
            if parts:
                yield b"".join(parts)
                parts.clear()
            if event is not h11.NEED_DATA:
                break
            await self._receive()
        if not isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            raise TransportError(f"unexpected HTTP event {type(event).__name__}")


class H11Transport:
    """Send requests with h11 over anyio sockets (asyncio or trio).

    Args:
        timeout: seconds allowed for connecting (through a proxy: until the
            tunnel and TLS are up), each write and each read.
        ssl_context: the TLS context for ``https://`` URLs (default: verifying).
        proxy: an ``http://`` proxy URL for every request (may carry
            ``user:password@``, sent as ``Proxy-Authorization``; it is never shown).
        trust_env: without ``proxy``, take the proxy from ``HTTP_PROXY``,
            ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``, by the same rules as
            every oaproto adapter (see ``docs/proxies.md``).

    Raises:
        LocalProtocolError: the proxy URL (given or from the environment) is unusable.
    """

    def __init__(
        self,
        *,
        timeout: float = 60.0,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._proxies = ProxyRules.configure(proxy, trust_env=trust_env)

    def __repr__(self) -> str:
        return f"H11Transport(timeout={self._timeout}, proxy={bool(self._proxies)})"

    async def _connect(
        self, host: str, port: int, tls: bool, proxy: ProxyServer | None
    ) -> anyio.abc.ByteStream:
        if proxy is None:
            # HTTP framing detects truncation: closing need not wait for TLS close_notify.
            if tls:
                return await anyio.connect_tcp(
                    host,
                    port,
                    tls=True,
                    ssl_context=self._ssl_context,
                    tls_standard_compatible=False,
                )
            return await anyio.connect_tcp(host, port)
        stream = await anyio.connect_tcp(proxy.host, proxy.port)
        if not tls:
            return stream  # the request itself goes to the proxy, in absolute form
        try:
            await self._open_tunnel(stream, host, port, proxy)
            return await TLSStream.wrap(
                stream, hostname=host, ssl_context=self._ssl_context, standard_compatible=False
            )
        except BaseException:
            await anyio.aclose_forcefully(stream)
            raise

    async def _open_tunnel(
        self, stream: anyio.abc.ByteStream, host: str, port: int, proxy: ProxyServer
    ) -> None:
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        headers = [("host", authority)]
        if proxy.authorization is not None:
            headers.append(("proxy-authorization", proxy.authorization))
        request = h11.Request(method="CONNECT", target=authority, headers=headers)
        response = await _Exchange(stream, self._timeout).start(request, b"")
        if not 200 <= response.status_code < 300:
            reason = response.reason.decode("latin-1")
            raise TransportError(
                f"the proxy refused the tunnel to {authority}: {response.status_code} {reason}"
            )

    @asynccontextmanager
    async def _exchange(
        self, request: HttpRequest
    ) -> AsyncIterator[tuple[h11.Response, _Exchange]]:
        url = urlsplit(request.url)
        tls = url.scheme == "https"
        host, port = url.hostname or "", url.port or (443 if tls else 80)
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        headers = [("host", url.netloc), *request.headers, ("connection", "close")]
        if request.body:
            headers.append(("content-length", str(len(request.body))))
        proxy = self._proxies.for_url(request.url)
        if proxy is not None and not tls:
            target = f"http://{url.netloc}{target}"  # absolute form, for the proxy
            if proxy.authorization is not None:
                headers.append(("proxy-authorization", proxy.authorization))
        with map_exceptions(_ERRORS), anyio.fail_after(self._timeout):
            stream = await self._connect(host, port, tls, proxy)
        try:
            exchange = _Exchange(stream, self._timeout)
            with map_exceptions(_ERRORS):
                response = await exchange.start(
                    h11.Request(method=request.method, target=target, headers=headers), request.body
                )
            yield response, exchange  # outside map_exceptions: the caller's errors stay theirs
        finally:
            await stream.aclose()

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` on a new connection and read the whole response."""
        async with self._exchange(request) as (response, exchange):
            with map_exceptions(_ERRORS):
                body = b"".join([chunk async for chunk in exchange.body()])
        return HttpResponse(status=response.status_code, headers=_headers(response), body=body)

    @asynccontextmanager
    async def open_stream(self, request: HttpRequest) -> AsyncIterator[AsyncStreamResponse]:
        """Send ``request`` on a new connection, closed when the context is left."""
        async with (
            self._exchange(request) as (response, exchange),
            aclosing(MappedAsyncChunks(exchange.body(), _ERRORS)) as chunks,
        ):
            yield AsyncStreamResponse(response.status_code, _headers(response), chunks)

    async def close(self) -> None:
        """Nothing to release: every connection closes with its request."""


def _headers(response: h11.Response) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers
    )
