"""A blocking transport on ``requests``: ``RequestsTransport``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from http.cookiejar import DefaultCookiePolicy

import requests
import urllib3.exceptions

from oaproto import HttpRequest, HttpResponse, TransportError, TransportTimeoutError

from ._protocols import StreamResponse
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
        proxy: a proxy URL for http and https (may carry ``user:password@``;
            it is never shown). ``requests`` also honours ``HTTPS_PROXY``.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout: float = 60.0,
        proxy: str | None = None,
    ) -> None:
        self._owned = session is None
        if session is None:
            session = requests.Session()
            session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._session = session
        self._timeout = timeout
        self._proxies = {"http": proxy, "https": proxy} if proxy else None

    def __repr__(self) -> str:
        return f"RequestsTransport(timeout={self._timeout}, proxy={bool(self._proxies)})"

    def _request(self, request: HttpRequest, timeout: float, stream: bool) -> requests.Response:
        return self._session.request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.body or None,
            timeout=(timeout, timeout),
            proxies=self._proxies,
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
        """Close the owned session."""
        if self._owned:
            self._session.close()

    def __enter__(self) -> RequestsTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
