"""Who is asking: next-auth cookies (web), bearer and ``TrustedClient`` (inference).

Tokens are opaque strings here, not JWEs: the server accepts the configured
tokens and the access tokens its own debug login issued. What a client can
observe is kept: which headers count, in which order they are tried, and the
exact failure answers.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Mapping
from urllib.parse import unquote

from oaproto.credentials import DEV_COOKIE_NAME, SECURE_COOKIE_NAME

from ._replies import EarlyReplyError, inf_detail, inf_text500
from ._server_config import DEFAULT_USER_ID, ServerConfig
from ._store import new_id

__all__ = ["Auth", "parse_cookies", "session_token"]


def parse_cookies(header_values: list[str]) -> dict[str, str]:
    """Cookie pairs from ``Cookie`` headers; the first value of a name wins."""
    cookies: dict[str, str] = {}
    for header in header_values:
        for part in header.split(";"):
            name, sep, value = part.partition("=")
            name = name.strip()
            if not sep or not name:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies.setdefault(name, unquote(value))
    return cookies


def session_token(cookies: Mapping[str, str]) -> str | None:
    """The session token from either next-auth cookie name, reassembling chunks.

    next-auth splits a large token into ``<name>.0``, ``<name>.1``, ...; the
    chunks are joined in index order. The secure name (https, production) is
    tried before the plain-http one; both are the names the client core sends.
    """
    for name in (SECURE_COOKIE_NAME, DEV_COOKIE_NAME):
        chunks = {}
        for key, value in cookies.items():
            prefix, dot, index = key.rpartition(".")
            if dot and prefix == name and index.isdigit():
                chunks[int(index)] = value
        if chunks:
            return "".join(chunks[i] for i in sorted(chunks))
        if name in cookies:
            return cookies[name]
    return None


class Auth:
    """Maps credentials to user ids and issues debug-login tokens."""

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = dict(config.users_by_token)
        self._access: dict[str, tuple[str, float]] = {}
        self._refresh: set[str] = set()
        #: debug-login username -> its own user id (as the real server's
        #: ``debug`` provider account gets a user row of its own).
        self._debug_users: dict[str, str] = {}

    @property
    def open_mode(self) -> bool:
        """No tokens configured: every request is the default user."""
        return self._config.open_mode

    def add_token(self, token: str, user_id: str) -> None:
        """Accept one more token at run time (it does not end open mode)."""
        with self._lock:
            self._tokens[token] = user_id

    def _lookup(self, token: str) -> str | None:
        with self._lock:
            return self._tokens.get(token)

    # -- web API (next-auth getToken + withoutRole) ---------------------------

    def web_user(self, cookie_headers: list[str], authorization: str | None) -> str | None:
        """The user of a web request, or ``None`` (the route then answers 403 empty)."""
        token = session_token(parse_cookies(cookie_headers))
        if token is None and authorization is not None:
            # next-auth falls back to "Authorization: Bearer <token>" only
            # when no session cookie is present at all.
            scheme, _, rest = authorization.partition(" ")
            if scheme == "Bearer":
                token = unquote(rest.split(" ")[0]) if rest else "undefined"
        if self.open_mode:
            return DEFAULT_USER_ID
        if token is None:
            return None
        return self._lookup(token)

    # -- inference server (auth.get_current_user_id) ---------------------------

    def inference_user(self, authorization: str | None, trusted_client: str | None) -> str:
        """The user of an inference request.

        Raises:
            EarlyReplyError: 401/403/400 ``{"detail": ...}`` as the real server answers, or a
                plain 500 for an undecodable ``TrustedClient`` header.
        """
        if trusted_client is not None:
            user_id, api_key = _decode_trusted_client(trusted_client)
            if self.open_mode:
                return DEFAULT_USER_ID
            if api_key not in self._config.trusted_client_keys:
                raise EarlyReplyError(inf_detail(401, "Unauthorized client"))
            return user_id
        if self.open_mode:
            return DEFAULT_USER_ID
        if authorization is None or not authorization.startswith("Bearer "):
            raise EarlyReplyError(inf_detail(403, "Not authenticated"))
        token = authorization[len("Bearer ") :]
        if not token:
            raise EarlyReplyError(inf_detail(403, "Not authenticated"))
        known = self._lookup(token)
        if known is not None:
            return known
        with self._lock:
            issued = self._access.get(token)
            is_refresh = token in self._refresh
        if issued is not None:
            issued_user, expires = issued
            if time.time() >= expires:
                raise EarlyReplyError(inf_detail(401, "Token expired"))
            return issued_user
        if is_refresh:
            raise EarlyReplyError(inf_detail(400, "Invalid token type"))
        raise EarlyReplyError(inf_detail(401, "Invalid token"))

    def issue_debug_tokens(self, username: str) -> tuple[str, str]:
        """A new (access, refresh) token pair for the debug user ``username``.

        The user id is random, made at the username's first login and kept
        for later logins; a username is never mapped to a configured user,
        so debug login cannot act as anyone who has a real credential.
        """
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            user_id = self._debug_users.setdefault(username, new_id())
            self._access[access] = (user_id, time.time() + self._config.access_token_ttl)
            self._refresh.add(refresh)
        return access, refresh


def _decode_trusted_client(value: str) -> tuple[str, str]:
    # TrustedClientToken: base64 of a JSON object with five string fields.
    # Anything else fails pydantic validation inside a dependency, which
    # nothing catches: Starlette's plain 500.
    try:
        info = json.loads(base64.b64decode(value))
    except (binascii.Error, ValueError):
        raise EarlyReplyError(inf_text500()) from None
    fields = ("api_key", "client", "user_id", "provider_account_id", "username")
    if not isinstance(info, dict) or any(not isinstance(info.get(f), str) for f in fields):
        raise EarlyReplyError(inf_text500())
    return str(info["user_id"]), str(info["api_key"])
