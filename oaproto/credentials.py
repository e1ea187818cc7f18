"""The web dialect's session cookie: where people hold it, and how it is sent.

:meth:`ClientConfig.from_cookies <oaproto.ClientConfig.from_cookies>` is the
usual entry point; these are its parts.
"""

from __future__ import annotations

from ._credentials import (
    COOKIE_CHUNK_SIZE,
    DEV_COOKIE_NAME,
    SECURE_COOKIE_NAME,
    encode_session_cookie,
    find_session_cookie,
    load_cookie_file,
    parse_cookie_header,
)

__all__ = [
    "COOKIE_CHUNK_SIZE",
    "DEV_COOKIE_NAME",
    "SECURE_COOKIE_NAME",
    "encode_session_cookie",
    "find_session_cookie",
    "load_cookie_file",
    "parse_cookie_header",
]
