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

from ._credentials import (
    DEV_COOKIE_NAME,
    SECURE_COOKIE_NAME,
    encode_session_cookie,
    find_session_cookie,
    parse_cookie_header,
)
from ._errors import LocalProtocolError
from ._http import Headers, HttpRequest

__all__ = [
    "ClientConfig",
    "Dialect",
    "build_request",
    "encode_json",
    "quote_segment",
]

DEFAULT_USER_AGENT = "oaproto/0.1"
DEFAULT_BASE_URL = "https://open-assistant.io"


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

    base_url: str = DEFAULT_BASE_URL
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
        return (("cookie", encode_session_cookie(self.cookie_name, self.token)),)

    @classmethod
    def from_cookies(
        cls,
        cookies: Mapping[str, str] | str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> ClientConfig:
        """A web-dialect config from the cookies a browser holds.

        Args:
            cookies: a name-to-value mapping (as gpt4free and browser_cookie3 give),
                or a ``Cookie:`` header value. Chunked next-auth cookies
                (``<name>.0``, ``<name>.1``, ...) are joined; the secure (https) or
                the plain-http cookie name is kept as found. ``None`` or no
                cookies at all: no credential (a server that wants one answers
                with :class:`~oaproto.AuthenticationError`).
            base_url: see :attr:`base_url`.
            user_agent: see :attr:`user_agent`.

        Raises:
            LocalProtocolError: cookies were given but none is a next-auth session
                cookie (the message names the cookies found, never their values),
                or its chunks are incomplete.
        """
        found = parse_cookie_header(cookies) if isinstance(cookies, str) else dict(cookies or {})
        session = find_session_cookie(found)
        if session is None:
            if found:
                names = ", ".join(sorted(found))
                raise LocalProtocolError(
                    f"no next-auth session cookie ({SECURE_COOKIE_NAME} or {DEV_COOKIE_NAME})"
                    f" among the cookies given: {names}"
                )
            return cls(base_url=base_url, dialect=Dialect.WEB, user_agent=user_agent)
        name, token = session
        return cls(
            base_url=base_url,
            dialect=Dialect.WEB,
            token=token,
            cookie_name=name,
            user_agent=user_agent,
        )


def _is_header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable() and ";" not in value and "," not in value


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
