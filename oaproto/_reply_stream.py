"""Reading the reply's event stream: one response in, typed stream events out.

A :class:`ReplyStreamReader` takes the status, headers and body of one
``/events`` response and turns it into :class:`~oaproto.Token`,
:class:`~oaproto.Pending`, ... and finally ``ReplyCompleted`` or
``ReplyFailed``; an error status becomes the typed ``APIError``, an
unreadable body an ``IncompleteReplyError``. The session owns one reader per
stream and decides what its events mean for the chat's state.
"""

from __future__ import annotations

import re
from collections import deque
from types import MappingProxyType
from typing import Any, Literal

from ._config import Dialect
from ._errors import IncompleteReplyError, RemoteProtocolError, SSELimitError
from ._events import (
    NEED_DATA,
    NeedData,
    Pending,
    PluginIntermediate,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    StreamEvent,
    Token,
    UnknownStreamEvent,
)
from ._http import Headers, HttpRequest, HttpResponse
from ._models import Message
from ._responses import raise_for_status
from ._sse import ServerSentEvent, SSEDecoder

__all__ = [
    "MAX_ERROR_BODY_SIZE",
    "ReplyStreamReader",
    "expect_assistant",
    "reply_completed",
]

#: How much of a rejected stream's body is kept for its error.
MAX_ERROR_BODY_SIZE = 64 * 1024

# A token frame exactly as the servers write it (``json.dumps`` defaults),
# with a text that needs no JSON escape: any character but a quote, a
# backslash or a control character (U+0000-U+001F), which is what a JSON
# string may hold raw. Such a frame is read by slicing; anything else
# (escapes, other fields, other spacing) goes to ``json.loads``.
_match_plain_token = re.compile(
    r'\{"event_type": "token", "text": "([^"\\\x00-\x1f]*)"\}', re.DOTALL
).fullmatch

# The same frame as a whole chunk of the stream, "data: " and CRLF CRLF
# around it: how the servers send each token. Such a chunk is read here
# without the SSE decoder when the decoder says feeding it would change nothing
# but return its one event (bytes >= 0x80 are matched as they come, and must
# then decode as UTF-8).
_match_token_chunk = re.compile(
    rb'data: \{"event_type": "token", "text": "([^"\\\x00-\x1f]*)"\}\r\n\r\n', re.DOTALL
).fullmatch

_new = object.__new__
_set = object.__setattr__


def _token(text: str) -> Token:
    # Token(text=text) at less than half the cost: a frozen dataclass's
    # __init__ sets each field through object.__setattr__ anyway.
    token: Token = _new(Token)
    _set(token, "text", text)
    return token


def expect_assistant(message: Message, message_id: str | None, what: str) -> None:
    """Raise ``RemoteProtocolError`` unless ``message`` is the expected assistant message."""
    if not message.is_assistant:
        raise RemoteProtocolError(
            f"{what}: expected an assistant message, got role {message.role!r}"
        )
    if message_id is not None and message.id != message_id:
        raise RemoteProtocolError(f"{what}: expected message {message_id}, got {message.id}")


def reply_completed(message: Message, token_text: str, what: str) -> ReplyCompleted:
    """The ``ReplyCompleted`` of a complete message, which must have content."""
    if message.content is None:
        raise RemoteProtocolError(f"{what}: a complete message without content")
    return ReplyCompleted(message=message, text=message.content, token_text=token_text)


class ReplyStreamReader:
    """Decodes one event-stream response into stream events.

    ``feed``/``feed_eof`` only buffer (as h11's ``receive_data`` does); the
    work happens in ``next_event``, so the events never depend on how the
    body was chunked.
    """

    def __init__(
        self,
        *,
        request: HttpRequest,
        dialect: Dialect,
        message_id: str,
        max_line_size: int,
        max_event_size: int,
    ) -> None:
        self._request = request
        self._dialect = dialect
        self._message_id = message_id
        self._decoder = SSEDecoder(max_line_size=max_line_size, max_event_size=max_event_size)
        self._status = 0
        self._undecoded = False  # not an event stream: the body is kept and judged at EOF
        self._body = bytearray()  # that body, at most MAX_ERROR_BODY_SIZE
        self._pending: list[bytes] = []  # fed, not yet decoded
        self._events: deque[ServerSentEvent] = deque()  # decoded, not yet returned
        # A limit error of the decoder, raised once the events before it are returned.
        self._limit_error: SSELimitError | None = None
        self._headers: Headers = ()
        self._saw_bytes = False
        self._eof = False
        self._closed = False
        self.tokens: list[str] = []

    @property
    def token_text(self) -> str:
        return "".join(self.tokens)

    def start(self, status: int, headers: Headers) -> None:
        self._status = status
        self._headers = headers
        if not 200 <= status <= 299 or status == 204:
            # An error status, or the 204 of a finished message: the
            # body (if any) is kept and judged at EOF, once it is readable.
            self._undecoded = True
        elif self._dialect is Dialect.INFERENCE:
            # The inference server always sends this type; the website
            # sets none, so its stream is accepted whatever it says.
            content_type = HttpResponse(status=status, headers=headers).header("content-type")
            media_type = (content_type or "").split(";")[0].strip().lower()
            self._undecoded = media_type != "text/event-stream"

    def feed(self, data: bytes) -> None:
        # The session's table refuses data after the end of the body.
        if not data:
            return
        self._saw_bytes = True
        if self._undecoded:
            room = MAX_ERROR_BODY_SIZE - len(self._body)
            self._body += data[:room]
        else:
            # Kept, not copied: a bytes object cannot change; anything else is copied.
            self._pending.append(data if type(data) is bytes else bytes(data))

    def feed_eof(self) -> None:
        self._eof = True

    def next_event(self) -> StreamEvent | Literal[NeedData.NEED_DATA]:
        pending = self._pending
        if not (self._events or self._eof or self._limit_error):
            if not pending:
                return NEED_DATA  # the common answer between two chunks, without the loop
            if len(pending) == 1:
                # The common chunk, one token event as the servers send it,
                # read without the decoder when that changes nothing. (An
                # undecoded body is never pending.)
                chunk = pending[0]
                whole = _match_token_chunk(chunk)
                if whole is not None and self._decoder._would_pass_whole_event(len(chunk)):
                    try:
                        text: str = whole[1].decode()
                    except UnicodeDecodeError:
                        pass  # the decoder replaces what is invalid
                    else:
                        pending.clear()
                        self.tokens.append(text)
                        return _token(text)
        if self._undecoded:
            return self._next_undecoded()
        try:
            return self._next_decoded()
        except IncompleteReplyError:
            raise
        except RemoteProtocolError as exc:
            # Bad JSON, a bad frame, an oversized line: the reply cannot be
            # read further; keep what was streamed on the error.
            raise IncompleteReplyError(
                f"unreadable event stream: {exc}",
                partial_text=self.token_text,
                message_id=self._message_id,
            ) from exc

    def _next_undecoded(self) -> ReplyAlreadyFinished:
        # Judged at the end only: before it, next_event() answers NEED_DATA
        # (such a body is kept in _body, never pending).
        assert self._eof
        response = HttpResponse(status=self._status, headers=self._headers, body=bytes(self._body))
        raise_for_status(response, request=self._request, dialect=self._dialect)
        if not self._saw_bytes:
            return ReplyAlreadyFinished(message_id=self._message_id)
        kind = "a 204 with a body" if self._status == 204 else "not text/event-stream"
        raise RemoteProtocolError(
            f"HTTP {self._status} for {self._request.method} {self._request.url}: "
            f"{kind}: {bytes(self._body[:120])!r}"
        )

    def _next_decoded(self) -> StreamEvent | Literal[NeedData.NEED_DATA]:
        while True:
            if self._events:
                event = self._convert(self._events.popleft())
                if event is not None:
                    return event
            elif self._limit_error is not None:
                raise self._limit_error
            elif self._pending:
                # Whole chunks: a limit error carries the events its chunk
                # completed before the offending line, so they are returned
                # first and the events never depend on the chunking.
                pending = self._pending
                chunk = pending[0] if len(pending) == 1 else b"".join(pending)
                pending.clear()
                try:
                    self._events.extend(self._decoder.feed(chunk))
                except SSELimitError as exc:
                    self._events.extend(exc.events)
                    self._limit_error = exc
            elif not self._eof:
                return NEED_DATA
            elif not self._closed:
                self._closed = True
                self._events.extend(self._decoder.close())
            elif not self._saw_bytes:
                # Web: the 200-empty of an already finished message.
                return ReplyAlreadyFinished(message_id=self._message_id)
            else:
                raise IncompleteReplyError(
                    "the event stream ended without a message or error event",
                    partial_text=self.token_text,
                    message_id=self._message_id,
                )

    def _convert(self, sse: ServerSentEvent) -> StreamEvent | None:
        field, data = sse[0], sse[1]  # by index: the properties cost more per event
        if field == "ping":
            # sse-starlette <= 1.3.3 keep-alive: "event: ping" with a timestamp
            # as data. The newer comment form never reaches us.
            return None
        plain = _match_plain_token(data)
        if plain is not None:
            text: str = plain[1]
            self.tokens.append(text)
            return _token(text)
        try:
            frame = sse.json()
        except (ValueError, RecursionError):
            raise RemoteProtocolError(f"event data is not JSON: {sse.data[:120]!r}") from None
        if not isinstance(frame, dict):
            raise RemoteProtocolError(f"event data is not a JSON object: {sse.data[:120]!r}")
        event_type = frame.get("event_type")
        if not isinstance(event_type, str):
            raise RemoteProtocolError(f"event without a string event_type: {sse.data[:120]!r}")
        return self._typed(event_type, frame)

    def _typed(self, event_type: str, frame: dict[str, Any]) -> StreamEvent:
        # Field names and shapes: the event table of docs/protocol.md.
        if event_type == "token":
            text = _field(frame, "text", str)
            self.tokens.append(text)
            return Token(text=text)
        if event_type == "pending":
            return Pending(
                queue_position=_field(frame, "queue_position", int),
                queue_size=_field(frame, "queue_size", int),
            )
        if event_type == "plugin_intermediate":
            return PluginIntermediate(
                current_plugin_thought=_field(frame, "current_plugin_thought", str),
                current_plugin_action_taken=_field(frame, "current_plugin_action_taken", str),
                current_plugin_action_input=_field(frame, "current_plugin_action_input", str),
                current_plugin_action_response=_field(frame, "current_plugin_action_response", str),
            )
        if event_type == "message":
            message = Message.from_json(frame.get("message"))
            expect_assistant(message, self._message_id, "message event")
            if not message.is_complete:
                raise RemoteProtocolError(
                    f"message event with state {message.state!r}, not complete"
                )
            return reply_completed(message, self.token_text, "message event")
        if event_type == "error":
            error = _field(frame, "error", str)
            raw_message = frame.get("message")
            failed = None if raw_message is None else Message.from_json(raw_message)
            if failed is not None:
                expect_assistant(failed, self._message_id, "error event")
            return ReplyFailed(error=error, message=failed, partial_text=self.token_text)
        return UnknownStreamEvent(event_type=event_type, data=MappingProxyType(frame))


def _field(frame: dict[str, Any], key: str, kind: type[str] | type[int]) -> Any:
    value = frame.get(key)
    # bool is an int subclass; a boolean queue position is a malformed frame.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise RemoteProtocolError(
            f"{frame.get('event_type')} event: {key} is not a {kind.__name__}"
        )
    return value
