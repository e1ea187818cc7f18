"""The replies of an injected ``status`` fault, in each dialect.

Each is what the real server sends with that status at that step: the real
body where one exists, else the framework's default.
"""

from __future__ import annotations

from http import HTTPStatus

from ._inference import BUSY
from ._replies import (
    SOMETHING_WENT_WRONG,
    Reply,
    inf_detail,
    inf_text500,
    web_empty,
    web_internal_error,
    web_json,
    web_text,
)

__all__ = ["inference_status_reply", "web_status_reply"]

_MESSAGE_STEPS = ("prompter_message", "assistant_message")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _inference_detail(step: str, status: int) -> str:
    """The ``detail`` of the inference server's JSON error body."""
    if status == 503 and step == "assistant_message":
        return BUSY
    if status == 413 and step == "prompter_message":
        return "Message content exceeds max length"
    if status == 413 and step == "assistant_message":
        return "Maximum number of messages reached for this chat"
    if status == 429:
        # What fastapi-limiter meant to send (the deployed callback was broken).
        return "Too Many Requests. Retry After 60 seconds."
    return _reason(status)  # FastAPI's default detail


def inference_status_reply(step: str, status: int) -> Reply:
    """The inference server's answer: a plain 500, a bare 204, else ``{"detail": ...}``."""
    if status == 500:
        return inf_text500()
    if status == 204:
        return Reply(204)
    headers = (("retry-after", "60"),) if status == 429 else ()
    return inf_detail(status, _inference_detail(step, status), headers)


def web_status_reply(step: str, status: int) -> Reply:
    """The website's answer.

    prompter/assistant_message wrap the inference detail as ``{"message": ...}``
    (the ``{"message": ...}`` shape); elsewhere 500 is Next's plain text, 400/403/404 are empty,
    and other codes carry their reason phrase as text without a content type.
    """
    if step in _MESSAGE_STEPS:
        # A plain 500 or a 204 upstream has no detail to pass on.
        detail = SOMETHING_WENT_WRONG if status in (204, 500) else _inference_detail(step, status)
        return web_json({"message": detail}, status)
    if status == 500:
        return web_internal_error()
    if status in (204, 400, 403, 404):
        return web_empty(status)
    return web_text(status, _reason(status))
