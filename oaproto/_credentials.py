"""The web dialect's credential: the next-auth session cookie, both ways.

Sending: a session token longer than next-auth's chunk size travels as
``<name>.0``, ``<name>.1``, ... cookies. Reading: people hold their session as
a cookie dict (gpt4free, browser_cookie3), a ``Cookie:`` header copied from the
browser's developer tools, or a Netscape ``cookies.txt`` exported by a browser
extension, curl or yt-dlp; each reduces to the same ``(name, token)`` pair here.
Values are secrets: no error message of this module shows one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from urllib.parse import unquote

from ._errors import LocalProtocolError

__all__ = [
    "COOKIE_CHUNK_SIZE",
    "DEV_COOKIE_NAME",
    "SECURE_COOKIE_NAME",
    "encode_session_cookie",
    "find_session_cookie",
    "load_cookie_file",
    "parse_cookie_header",
]

#: The production next-auth cookie, used when the site is served over https.
SECURE_COOKIE_NAME = "__Secure-next-auth.session-token"
#: The cookie next-auth uses when served over plain http (local development).
DEV_COOKIE_NAME = "next-auth.session-token"
#: next-auth splits a session token longer than this into ``<name>.0``, ``<name>.1``, ...
COOKIE_CHUNK_SIZE = 3933

# The tab-separated fields of a Netscape cookies.txt line.
_NETSCAPE_FIELDS = 7
# curl and Firefox exporters mark HttpOnly cookies by prefixing the domain.
_HTTP_ONLY_PREFIX = "#HttpOnly_"


def encode_session_cookie(name: str, token: str) -> str:
    """The ``Cookie`` header value carrying ``token``, chunked as next-auth expects."""
    if len(token) <= COOKIE_CHUNK_SIZE:
        return f"{name}={token}"
    pieces = (token[i : i + COOKIE_CHUNK_SIZE] for i in range(0, len(token), COOKIE_CHUNK_SIZE))
    return "; ".join(f"{name}.{index}={piece}" for index, piece in enumerate(pieces))


def find_session_cookie(cookies: Mapping[str, str]) -> tuple[str, str] | None:
    """The session cookie's name and token among ``cookies``, or ``None``.

    The secure (https) name is looked for before the plain-http one. Chunks
    ``<name>.0``, ``<name>.1``, ... are joined in index order and must start at 0
    with no gap; a whole ``<name>`` cookie is used when there are no chunks.

    Raises:
        LocalProtocolError: the chunks are incomplete (a gap, or no ``.0``).
    """
    for name in (SECURE_COOKIE_NAME, DEV_COOKIE_NAME):
        chunks: dict[int, str] = {}
        for key, value in cookies.items():
            prefix, dot, index = key.rpartition(".")
            if dot and prefix == name and index.isascii() and index.isdigit():
                chunks[int(index)] = value
        if chunks:
            if sorted(chunks) != list(range(len(chunks))):
                found = ", ".join(f".{index}" for index in sorted(chunks))
                raise LocalProtocolError(
                    f"the {name} cookie is chunked but chunks are missing (found {found})"
                )
            return name, "".join(chunks[index] for index in range(len(chunks)))
        if cookies.get(name):
            return name, cookies[name]
    return None


def parse_cookie_header(header: str) -> dict[str, str]:
    """The cookies of a ``Cookie:`` header value, name to value.

    A leading ``Cookie:`` is allowed, so a line copied from a browser's request
    headers works as it is. Percent-escapes and surrounding double quotes are
    removed from values; the first of repeated names wins, as in browsers.
    """
    text = header.strip()
    if text[:7].lower() == "cookie:":
        text = text[7:]
    cookies: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, unquote(value))
    return cookies


def load_cookie_file(
    path: str | os.PathLike[str], *, domain: str | None = None, now: float | None = None
) -> dict[str, str]:
    """The cookies of a Netscape ``cookies.txt`` file, or of a file holding a ``Cookie:`` line.

    Args:
        path: the file.
        domain: keep only cookies that would be sent to this host
            (e.g. ``"open-assistant.io"``); all cookies when ``None``.
        now: the time (seconds since the epoch) before which a cookie must
            not have expired; the current time when ``None``. Session cookies
            (expiry 0) never expire.

    Raises:
        LocalProtocolError: the file cannot be read or is in neither format
            (the message names the line, never a value).
    """
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LocalProtocolError(f"cannot read cookie file {os.fspath(path)!r}: {reason}") from None
    lines = [line.rstrip("\r\n") for line in text.splitlines()]
    content = [line for line in lines if line.strip() and not _is_comment(line)]
    if len(content) == 1 and "\t" not in content[0]:
        return parse_cookie_header(content[0])
    moment = time.time() if now is None else now
    cookies: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or _is_comment(line):
            continue
        fields = line.split("\t")
        if len(fields) != _NETSCAPE_FIELDS:
            raise LocalProtocolError(
                f"{os.fspath(path)!r} line {number}: not a Netscape cookies.txt line"
                f" ({len(fields)} tab-separated fields, expected {_NETSCAPE_FIELDS})"
            )
        host, _, _, _, expires, name, value = fields
        host = host.removeprefix(_HTTP_ONLY_PREFIX)
        if domain is not None and not _domain_matches(domain, host):
            continue
        try:
            expiry = int(expires or "0")
        except ValueError:
            raise LocalProtocolError(
                f"{os.fspath(path)!r} line {number}: the expiry is not a whole number"
            ) from None
        if expiry and expiry < moment:
            continue
        cookies.setdefault(name, value)
    return cookies


def _is_comment(line: str) -> bool:
    return line.startswith("#") and not line.startswith(_HTTP_ONLY_PREFIX)


def _domain_matches(host: str, cookie_domain: str) -> bool:
    # RFC 6265 domain matching; a leading dot is the old "and subdomains" mark.
    host = host.lower().rstrip(".")
    cookie_domain = cookie_domain.lower().lstrip(".").rstrip(".")
    return host == cookie_domain or host.endswith("." + cookie_domain)
