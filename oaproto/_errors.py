"""The exception hierarchy shared by the core and every transport.

Nothing here subclasses a transport library's exception: callers catch
``OAProtoError`` (or a subclass) whatever transport moved the bytes.
Messages never contain credentials: request headers are not stored on errors.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BusyError",
    "IncompleteReplyError",
    "LocalProtocolError",
    "NotFoundError",
    "OAProtoError",
    "ProtocolError",
    "RemoteProtocolError",
    "ReplyError",
    "SSELimitError",
    "TransportError",
    "TransportTimeoutError",
    "ValidationError",
]

# How much of an error body is kept in ``str(error)``; the full body stays on ``.body``.
_BODY_PREVIEW = 200


class OAProtoError(Exception):
    """Base class of every error raised by oaproto."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments that ``args`` does not hold, so
        # the default pickling (``cls(*args)``) would fail; errors must survive
        # multiprocessing and test runners that ship them between processes.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[OAProtoError], args: tuple[Any, ...], state: dict[str, Any]) -> OAProtoError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ProtocolError(OAProtoError):
    """The protocol was violated, by the caller (local) or by the server (remote)."""


class LocalProtocolError(ProtocolError):
    """The caller used the API wrongly (e.g. an illegal call in the current state).

    The object that raised it is left exactly as it was before the call.
    """


class RemoteProtocolError(ProtocolError):
    """The server sent something the protocol does not allow (malformed body, bad SSE)."""


class SSELimitError(RemoteProtocolError):
    """An SSE line or event grew beyond a configured limit.

    Attributes:
        limit_name: ``"max_line_size"`` or ``"max_event_size"``.
        limit: the configured limit in bytes (line) or characters (event data).
        events: the :class:`~oaproto.sse.ServerSentEvent` values that the failing
            ``SSEDecoder.feed()`` call dispatched before the offending line, in
            order (empty by default). The events returned by the successful
            ``feed()`` calls followed by these are, for every chunking of the
            same bytes, exactly the events a decoder without limits dispatches
            before the offending line: a limit error loses nothing. Typed
            ``tuple[Any, ...]`` because ``_sse`` imports this module.
    """

    def __init__(self, limit_name: str, limit: int, *, events: tuple[Any, ...] = ()) -> None:
        super().__init__(f"SSE {limit_name} of {limit} exceeded")
        self.limit_name = limit_name
        self.limit = limit
        self.events = events


class IncompleteReplyError(RemoteProtocolError):
    """The event stream ended without a final ``message`` or ``error`` event.

    Attributes:
        partial_text: the token text received before the stream ended.
        message_id: the assistant message that was being streamed, if known.
    """

    def __init__(self, reason: str, *, partial_text: str, message_id: str | None) -> None:
        super().__init__(f"{reason} ({len(partial_text)} characters of partial text kept)")
        self.partial_text = partial_text
        self.message_id = message_id


class ReplyError(OAProtoError):
    """The server ended generation with an ``error`` event (worker abort, timeout, ...).

    Attributes:
        error: the server's error text, e.g. ``"Timeout"``.
        state: the message state the server reported (``"aborted_by_worker"``,
            ``"timeout"``), or ``None`` when the event carried no message.
        partial_text: the token text received before the error.
        message_id: the failed assistant message, if known.
    """

    def __init__(
        self, error: str, *, state: str | None, partial_text: str, message_id: str | None
    ) -> None:
        super().__init__(f"reply failed: {error} (state={state})")
        self.error = error
        self.state = state
        self.partial_text = partial_text
        self.message_id = message_id


class APIError(OAProtoError):
    """The server answered a request with an error status.

    Attributes:
        status: the HTTP status code.
        body: the raw response body.
        detail: the parsed error: the web API's ``message`` or the inference
            server's ``detail`` (a string, or a list of validation errors),
            the plain-text body, or ``None`` for an empty body.
        method, url: what was requested (the URL carries no credentials).
    """

    def __init__(
        self,
        status: int,
        *,
        body: bytes,
        detail: Any = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.body = body
        self.detail = detail
        self.method = method
        self.url = url
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" for {self.method} {self.url}" if self.method else ""
        if self.detail is None:
            shown = "empty body" if not self.body else repr(self.body[:_BODY_PREVIEW])
        else:
            shown = repr(self.detail)
            if len(shown) > _BODY_PREVIEW:
                shown = shown[:_BODY_PREVIEW] + "..."
        return f"HTTP {self.status}{where}: {shown}"


class AuthenticationError(APIError):
    """401/403: missing, invalid or expired credentials (or a banned account)."""


class NotFoundError(APIError):
    """404: the chat or message does not exist, or chat is disabled on the server."""


class ValidationError(APIError):
    """400/413/422: the server rejected the request's content."""


class BusyError(APIError):
    """503/429: the server is overloaded or rate-limited the caller; retry later."""


class TransportError(OAProtoError):
    """A transport failed to move bytes (connection refused, reset, TLS, ...).

    Transports raise this ``from`` the library's own exception.
    """


class TransportTimeoutError(TransportError):
    """A transport gave up waiting (connect, read or idle timeout)."""
