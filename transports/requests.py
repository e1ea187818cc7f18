"""A blocking transport on ``requests``: ``RequestsTransport``."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import closing, contextmanager
from http.cookiejar import DefaultCookiePolicy

import requests
import requests.adapters
import urllib3.exceptions

from oaproto import HttpRequest, HttpResponse, TransportError, TransportTimeoutError

from ._protocols import StreamResponse
from ._proxy import ProxyRules
from ._util import ExceptionMap, map_chunks, map_exceptions, shut_down

__all__ = ["RequestsTransport"]

_ERRORS: ExceptionMap = {
    requests.Timeout: TransportTimeoutError,
    urllib3.exceptions.TimeoutError: TransportTimeoutError,
    requests.RequestException: TransportError,
    urllib3.exceptions.HTTPError: TransportError,
}


class RequestsTransport:
    """Send requests with a ``requests.Session``.

    Args:
        session: a session to use (not closed by :meth:`close`); by default the
            transport owns one that ignores response cookies, since the
            credential travels in the headers the core builds.
        timeout: seconds allowed for connecting and for each read.
        proxy: an ``http://`` proxy URL for every request (may carry
            ``user:password@``; it is never shown).
        trust_env: without ``proxy``, take the proxy from ``HTTP_PROXY``,
            ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``, by the same rules as
            every oaproto adapter (see ``docs/proxies.md``), not by requests' own.

    Raises:
        LocalProtocolError: the proxy URL (given or from the environment) is unusable.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout: float = 60.0,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        self._owned = session is None
        self._streams: weakref.WeakSet[requests.Response] = weakref.WeakSet()  # still open
        if session is None:
            session = requests.Session()
            session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._session = session
        self._timeout = timeout
        self._proxies = ProxyRules.configure(proxy, trust_env=trust_env)

    def __repr__(self) -> str:
        return f"RequestsTransport(timeout={self._timeout}, proxy={bool(self._proxies)})"

    def _proxy_map(self, url: str) -> dict[str, str]:
        # requests adds proxies from the environment under every key that is
        # missing (and drops None values), so "direct" is "" under all three keys it looks up.
        server = self._proxies.for_url(url)
        chosen = "" if server is None else server.url_with_credentials
        return {"http": chosen, "https": chosen, "all": chosen}

    def _request(self, request: HttpRequest, timeout: float, stream: bool) -> requests.Response:
        return self._session.request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.body or None,
            timeout=(timeout, timeout),
            proxies=self._proxy_map(request.url),
            allow_redirects=False,
            stream=stream,
        )

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        seconds = self._timeout if timeout is None else timeout
        with map_exceptions(_ERRORS), self._request(request, seconds, stream=False) as response:
            return HttpResponse(
                status=response.status_code,
                headers=tuple(response.raw.headers.items()),
                body=response.content,
            )

    @contextmanager
    def open_stream(self, request: HttpRequest) -> Iterator[StreamResponse]:
        """Send ``request`` with ``stream=True``; the body is read by ``iter_content``."""
        with map_exceptions(_ERRORS):
            response = self._request(request, self._timeout, stream=True)
        self._streams.add(response)  # for close(), should its holder never let go
        raw = response.raw
        if raw.chunked and raw.supports_chunked_reads():
            # urllib3's own chunk reader (content-decoded), without the two
            # generator layers iter_content adds per chunk (an event is a chunk).
            body = raw.read_chunked(decode_content=True)
        else:
            # chunk_size=None yields data as it arrives (content-decoded), not lines.
            body = response.iter_content(chunk_size=None)

        def interrupt() -> None:
            connection = raw.connection  # None once the body is done
            shut_down(None if connection is None else connection.sock)

        with response, closing(map_chunks(body, _ERRORS)) as it:
            headers = tuple(raw.headers.items())
            yield StreamResponse(response.status_code, headers, it, interrupt)

    def close(self) -> None:
        """Close the owned session and every connection it opened.

        urllib3 2 no longer closes its pools when the session closes: it
        leaves them to the garbage collector, so a caught exception (or a
        reply stream) that still referenced a pool or a response kept its
        socket open. Open streams and every pool are closed here instead.
        """
        if not self._owned:
            return
        for response in list(self._streams):
            response.close()
        for adapter in self._session.adapters.values():
            if isinstance(adapter, requests.adapters.HTTPAdapter):
                _close_pools(adapter)
        self._session.close()

    def __enter__(self) -> RequestsTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _close_pools(adapter: requests.adapters.HTTPAdapter) -> None:
    # Each pool closes its idle connections now and any in use when returned.
    for manager in (adapter.poolmanager, *adapter.proxy_manager.values()):
        for key in manager.pools.keys():  # noqa: SIM118 - the container refuses iteration
            pool = manager.pools.get(key)
            if pool is not None:
                pool.close()
