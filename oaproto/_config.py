"""Client configuration: which API dialect to speak, where, and with which credentials.

Also the one place where a request is assembled (URL, auth, JSON body), so every
request of the core carries the same headers and no credential ever reaches a URL.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from ._errors import LocalProtocolError
from ._http import Headers, HttpRequest

__all__ = [
    "COOKIE_CHUNK_SIZE",
    "DEV_COOKIE_NAME",
    "SECURE_COOKIE_NAME",
    "ClientConfig",
    "Dialect",
    "build_request",
    "encode_json",
    "quote_segment",
]

#: The production next-auth cookie (``NEXTAUTH_URL`` is https, reference §6).
SECURE_COOKIE_NAME = "__Secure-next-auth.session-token"
#: The cookie next-auth uses when served over plain http (local development).
DEV_COOKIE_NAME = "next-auth.session-token"
#: next-auth splits a session token longer than this into ``<name>.0``, ``<name>.1``, ...
COOKIE_CHUNK_SIZE = 3933

DEFAULT_USER_AGENT = "oaproto/0.1"


class Dialect(enum.Enum):
    """The two HTTP APIs that serve Open Assistant chats."""

    #: The website's Next.js API (``/api/chat/...``), authenticated by a session cookie.
    WEB = "web"
    #: The self-hosted inference server (``/chats/...``), authenticated by a bearer token.
    INFERENCE = "inference"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    """Where and how to reach the API.

    Attributes:
        base_url: scheme and host, optionally a path prefix, e.g.
            ``"https://open-assistant.io"`` or ``"http://127.0.0.1:8000"``.
        dialect: which API the server speaks.
        token: the credential: the next-auth session token (web) or the bearer
            access token (inference). Never shown by ``repr``.
        cookie_name: the session cookie's name (web dialect only).
        user_agent: the ``User-Agent`` header value.
    """

    base_url: str = "https://open-assistant.io"
    dialect: Dialect = Dialect.WEB
    token: str | None = field(default=None, repr=False)
    cookie_name: str = SECURE_COOKIE_NAME
    user_agent: str = DEFAULT_USER_AGENT

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LocalProtocolError(f"base_url must be an absolute http(s) URL: {self.base_url!r}")
        if parts.username is not None or parts.password is not None:
            # Credentials in a URL leak into logs and error messages.
            raise LocalProtocolError("base_url must not contain credentials; use token=")
        if parts.query or parts.fragment:
            raise LocalProtocolError("base_url must not have a query or fragment")
        if self.token is not None and not _is_header_safe(self.token):
            raise LocalProtocolError("token contains characters that cannot be sent in a header")
        if (
            not _is_header_safe(self.cookie_name)
            or "=" in self.cookie_name
            or " " in self.cookie_name
        ):
            raise LocalProtocolError(
                f"cookie_name is not a valid cookie name: {self.cookie_name!r}"
            )
        if not self.user_agent.isascii() or not self.user_agent.isprintable():
            raise LocalProtocolError("user_agent must be printable ASCII")

    def auth_headers(self) -> Headers:
        """The headers that carry the credential (empty without a token)."""
        if self.token is None:
            return ()
        if self.dialect is Dialect.INFERENCE:
            return (("authorization", f"Bearer {self.token}"),)
        return (("cookie", _session_cookie(self.cookie_name, self.token)),)


def _is_header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable() and ";" not in value and "," not in value


def _session_cookie(name: str, token: str) -> str:
    if len(token) <= COOKIE_CHUNK_SIZE:
        return f"{name}={token}"
    pieces = (token[i : i + COOKIE_CHUNK_SIZE] for i in range(0, len(token), COOKIE_CHUNK_SIZE))
    return "; ".join(f"{name}.{index}={piece}" for index, piece in enumerate(pieces))


def encode_json(value: object) -> bytes:
    """Compact UTF-8 JSON, the encoding both servers send and accept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# A sentinel distinct from None, because ``null`` is a valid JSON body.
_NO_BODY: object = object()


def build_request(
    config: ClientConfig,
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    json_body: object = _NO_BODY,
    stream: bool = False,
) -> HttpRequest:
    """Assemble one request: URL, standard headers, credentials and JSON body.

    Args:
        config: the client configuration.
        method: HTTP method.
        path: the path below ``config.base_url``, starting with ``/``; path
            segments taken from server data must already be quoted (see
            :func:`quote_segment`).
        query: query parameters, in order; ``None`` values are not allowed.
        json_body: a JSON-serialisable body; omitted when not given.
        stream: whether the response is an event stream.
    """
    url = config.base_url.rstrip("/") + path
    if query:
        url += "?" + urlencode(query)
    headers: list[tuple[str, str]] = [
        ("accept", "text/event-stream" if stream else "application/json"),
        ("user-agent", config.user_agent),
    ]
    if stream:
        headers.append(("cache-control", "no-cache"))
    body = b""
    if json_body is not _NO_BODY:
        body = encode_json(json_body)
        headers.append(("content-type", "application/json"))
    headers.extend(config.auth_headers())
    return HttpRequest(method=method, url=url, headers=tuple(headers), body=body, stream=stream)


def quote_segment(value: str) -> str:
    """Quote one path segment (a chat or message id) so it cannot alter the path."""
    return quote(value, safe="")
