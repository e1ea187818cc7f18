"""Request and response value objects: what the core asks for and what it is given."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Headers", "HttpRequest", "HttpResponse", "redact_headers"]

Headers = tuple[tuple[str, str], ...]

# Header values that carry credentials; repr() and logs show them redacted.
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "proxy-authorization", "refresh", "set-cookie"}
)


def redact_headers(headers: Headers) -> Headers:
    """Return ``headers`` with every credential-bearing value replaced by ``"<redacted>"``."""
    return tuple(
        (name, "<redacted>" if name.lower() in SECRET_HEADERS else value) for name, value in headers
    )


def _find_header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """One HTTP request for a transport to send.

    Attributes:
        method: the HTTP method, upper case.
        url: the absolute URL, query string included.
        headers: header pairs in sending order; names are lower case.
        body: the request body (``b""`` for none).
        stream: ``True`` when the response is an event stream to be read
            incrementally and fed to the core as it arrives.
    """

    method: str
    url: str
    headers: Headers = field(default=(), repr=False)
    body: bytes = field(default=b"", repr=False)
    stream: bool = False

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return _find_header(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"HttpRequest(method={self.method!r}, url={self.url!r}, "
            f"headers={redact_headers(self.headers)!r}, body=<{len(self.body)} bytes>, "
            f"stream={self.stream!r})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """One complete (non-streamed) HTTP response, as a transport received it.

    Attributes:
        status: the status code.
        headers: header pairs as received (any case).
        body: the whole body.
    """

    status: int
    headers: Headers = field(default=(), repr=False)
    body: bytes = field(default=b"", repr=False)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return _find_header(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"HttpResponse(status={self.status!r}, headers={redact_headers(self.headers)!r}, "
            f"body=<{len(self.body)} bytes>)"
        )
