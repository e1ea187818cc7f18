"""Complete (non-streamed) HTTP answers, built the way each real server builds them.

Inference server (FastAPI/Starlette): JSON without charset,
``{"detail": ...}`` errors, empty 500s from route catch-alls, and Starlette's
plain-text ``Internal Server Error``. Web API (Next.js): JSON with
charset, empty bodies, and text bodies sent *without* a content type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._json import inference_json, js_json

__all__ = [
    "BareResponse",
    "BareStreamResponse",
    "Reply",
    "EarlyReplyError",
    "inf_detail",
    "inf_empty",
    "inf_json",
    "inf_text500",
    "to_response",
    "SOMETHING_WENT_WRONG",
    "web_body_too_large",
    "web_empty",
    "web_internal_error",
    "web_json",
    "web_text",
]


class BareResponse(web.Response):
    """A response sent without any content type (aiohttp would add one)."""

    oaproto_no_content_type = True


class BareStreamResponse(web.StreamResponse):
    """A streamed response sent without any content type."""

    oaproto_no_content_type = True


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete answer: status, body, content type (``None``: send none)."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None


class EarlyReplyError(Exception):
    """Raised inside handlers to answer with ``reply`` at once."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"HTTP {reply.status}")
        self.reply = reply


# -- inference server ---------------------------------------------------------


def inf_json(obj: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A FastAPI JSON response (a lone surrogate fails as it does there: plain 500)."""
    try:
        body = inference_json(obj)
    except UnicodeEncodeError:
        return inf_text500()
    return Reply(status, body, "application/json", headers)


def inf_detail(status: int, detail: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """An ``HTTPException``/422 body: ``{"detail": ...}``."""
    return inf_json({"detail": detail}, status, headers)


def inf_empty(status: int) -> Reply:
    """``fastapi.Response(status_code=...)``: no body, no content type."""
    return Reply(status)


def inf_text500() -> Reply:
    """Starlette's ``ServerErrorMiddleware`` answer to an uncaught exception."""
    return Reply(500, b"Internal Server Error", "text/plain; charset=utf-8")


# -- web API ---------------------------------------------------------------------


def web_json(obj: Any, status: int = 200) -> Reply:
    """``res.status(s).json(obj)``: ``JSON.stringify`` with the JSON content type."""
    return Reply(status, js_json(obj), "application/json; charset=utf-8")


def web_empty(status: int) -> Reply:
    """``res.status(s).end()``."""
    return Reply(status)


def web_text(status: int, text: str, *, reason: str | None = None) -> Reply:
    """``res.send(text)`` or Next's ``sendError``: a text body with no content type."""
    # "replace": a text may quote a header, which aiohttp decoded with surrogateescape.
    return Reply(status, text.encode("utf-8", "replace"), None, reason=reason)


def web_body_too_large() -> Reply:
    """Next.js' body parser over its limit: 413 with its text as body and reason."""
    return web_text(413, "Body exceeded 1mb limit", reason="Body exceeded 1mb limit")


def web_internal_error() -> Reply:
    """Next.js ``sendError(res, 500, "Internal Server Error")``: no content type."""
    return web_text(500, "Internal Server Error")


#: The ``message`` of a web message route whose upstream error has no detail.
SOMETHING_WENT_WRONG = "Something went wrong"


def to_response(reply: Reply) -> web.Response:
    """The aiohttp response for ``reply``."""
    bare = reply.content_type is None and bool(reply.body)
    kind = BareResponse if bare else web.Response
    response = kind(status=reply.status, body=reply.body, reason=reply.reason)
    for name, value in reply.headers:
        response.headers[name] = value
    if reply.content_type is not None:
        response.headers["content-type"] = reply.content_type
    return response
