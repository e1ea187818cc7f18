"""Turning complete HTTP responses into JSON values or typed errors.

Every status and error body shape of both APIs maps onto the hierarchy in ``_errors.py``; see
``docs/errors.md`` for the table. Nothing here raises anything but an
:class:`~oaproto.OAProtoError` subclass, and no error carries request headers.
"""

from __future__ import annotations

import json
from typing import Any

from ._config import Dialect
from ._errors import (
    APIError,
    AuthenticationError,
    BusyError,
    NotFoundError,
    RemoteProtocolError,
    ValidationError,
)
from ._http import HttpRequest, HttpResponse

__all__ = ["error_detail", "parse_json", "raise_for_status"]

# How many body bytes a RemoteProtocolError message shows.
_PREVIEW = 120

_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    413: ValidationError,
    422: ValidationError,
    # 429 is what a working rate limiter would send; the OA server's is broken
    # and answers 500 instead, which stays a plain APIError.
    429: BusyError,
    503: BusyError,
}

# The inference server's 400 for a refresh token used as an access token
# is a credential problem, whatever its status says.
_AUTH_DETAILS = frozenset({"Invalid token type"})

# The key that carries the error in a JSON error body, per dialect.
_DETAIL_KEYS = {Dialect.WEB: ("message", "detail"), Dialect.INFERENCE: ("detail", "message")}


def _where(response: HttpResponse, request: HttpRequest | None) -> str:
    target = f" for {request.method} {request.url}" if request is not None else ""
    return f"HTTP {response.status}{target}"


def _preview(body: bytes) -> str:
    shown = repr(body[:_PREVIEW])
    return shown + ("..." if len(body) > _PREVIEW else "")


def _loads(body: bytes) -> Any:
    # ValueError covers invalid UTF-8, invalid JSON and over-long integer
    # literals; RecursionError covers absurdly deep nesting.
    return json.loads(body.decode("utf-8"))


def parse_json(response: HttpResponse, request: HttpRequest | None = None) -> Any:
    """Decode a response body as UTF-8 JSON.

    Large integers stay exact ints (a seed may be up to 2**64-2).

    Args:
        response: the response whose body to decode.
        request: the request it answers, named in the error message.

    Returns:
        The decoded JSON value.

    Raises:
        RemoteProtocolError: the body is empty, not UTF-8 or not JSON; the
            message shows the status and a short body preview, never headers.
    """
    if not response.body:
        raise RemoteProtocolError(f"{_where(response, request)}: expected JSON, got an empty body")
    try:
        return _loads(response.body)
    except (ValueError, RecursionError) as exc:
        raise RemoteProtocolError(
            f"{_where(response, request)}: body is not valid JSON "
            f"({type(exc).__name__}): {_preview(response.body)}"
        ) from None


def error_detail(body: bytes, dialect: Dialect) -> Any:
    """The error an error response carries, whatever its shape.

    Returns:
        ``None`` for an empty body; the value of the dialect's error key
        (web ``{"message": x}``, inference ``{"detail": x}``, the other key as a
        fallback), which is a string or a list of pydantic errors; otherwise
        the body as text (``"Internal Server Error"``, ``"Invalid score"``),
        undecodable bytes replaced.
    """
    if not body:
        return None
    try:
        value = _loads(body)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, dict):
        for key in _DETAIL_KEYS[dialect]:
            if key in value:
                return value[key]
    return body.decode("utf-8", errors="replace")


def _error_class(status: int, detail: Any) -> type[APIError]:
    if isinstance(detail, str) and detail in _AUTH_DETAILS:
        return AuthenticationError
    return _STATUS_ERRORS.get(status, APIError)


def raise_for_status(response: HttpResponse, *, request: HttpRequest, dialect: Dialect) -> None:
    """Raise the typed error for a non-2xx response; return for a 2xx.

    Args:
        response: the complete response.
        request: the request it answers; its method and URL go on the error
            (URLs of this library never hold credentials), its headers never do.
        dialect: which API answered, deciding where the error text lives.

    Raises:
        AuthenticationError: 401, 403 (web: empty body for a missing, expired
            or banned session).
        NotFoundError: 404.
        ValidationError: 400, 413, 422.
        BusyError: 503 (work queue full), 429.
        APIError: any other status of 300 and above, e.g. a 500 (including
            the inference server's broken rate limiter) or a redirect
            that the transport did not follow.
        RemoteProtocolError: a status below 200 or above 599, which is not a
            final HTTP response.
    """
    status = response.status
    if 200 <= status <= 299:
        return
    if not 300 <= status <= 599:
        raise RemoteProtocolError(f"{_where(response, request)}: not a final response status")
    detail = error_detail(response.body, dialect)
    error_class = _error_class(status, detail)
    raise error_class(
        status, body=response.body, detail=detail, method=request.method, url=request.url
    )
