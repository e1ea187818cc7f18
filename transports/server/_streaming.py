"""The event stream writer: pending, tokens, pings, terminal events, and stream faults.

It follows OA's ``message_events`` generator under sse-starlette:

- it waits ``pending_interval`` for the next item of the message's queue; a
  timeout before the first item gives a ``pending`` event, so an idle worker
  means no ``pending`` at all;
- a stream that showed ``pending`` gets one more just before its first item,
  whose numbers then read (0, n): the real worker takes a moment between
  dequeuing and its first token, which the 1-s poll always caught;
- after ``message`` or ``error`` the response ends (zero-length chunk);
- ``: ping - <utc now>`` comments every ``ping_interval``, whatever else is sent;
- each event, and each ping, is one ``write``, so one HTTP chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

from aiohttp import web

from oaproto import Dialect
from oaproto.sse import comment, encode_sse

from ._event_items import WORKER_ABORT_ERROR, EventItem, error_item, pending_data
from ._faults import (
    INVALID_JSON_FRAME,
    MALFORMED_SSE_FRAME,
    UNKNOWN_EVENT_FRAME,
    Fault,
    FaultKind,
)
from ._queueing import MessageChannel
from ._replies import BareStreamResponse
from ._server_state import ServerState
from ._store import MessageState, StoredMessage, utcnow

__all__ = ["INFERENCE_SSE_HEADERS", "StreamPlan", "open_stream", "write_events"]

#: sse-starlette's headers, in the order the real server sends them.
INFERENCE_SSE_HEADERS = (
    ("cache-control", "no-cache"),
    ("connection", "keep-alive"),
    ("x-accel-buffering", "no"),
    ("content-type", "text/event-stream; charset=utf-8"),
)

_FRAMES = {
    FaultKind.MALFORMED_SSE: MALFORMED_SSE_FRAME,
    FaultKind.INVALID_JSON: INVALID_JSON_FRAME,
    FaultKind.UNKNOWN_EVENT: UNKNOWN_EVENT_FRAME,
}


@dataclass(slots=True)
class StreamPlan:
    """The stream faults of one events request, indexed by token count."""

    close_after: int | None = None
    close_mode: str = "clean"
    stalls: dict[int, float] = field(default_factory=dict)
    frames: dict[int, list[bytes]] = field(default_factory=dict)
    error_after: int | None = None
    duplicates: set[int] = field(default_factory=set)
    swaps: set[int] = field(default_factory=set)
    never_end: bool = False

    @classmethod
    def from_faults(cls, faults: list[Fault]) -> StreamPlan:
        plan = cls()
        for fault in faults:
            kind = fault.kind
            if kind is FaultKind.CLOSE_AFTER_TOKENS:
                plan.close_after = int(fault.value)
                plan.close_mode = fault.close
            elif kind is FaultKind.STALL:
                plan.stalls[fault.after] = plan.stalls.get(fault.after, 0.0) + fault.value
            elif kind in _FRAMES:
                plan.frames.setdefault(fault.after, []).append(_FRAMES[kind])
            elif kind is FaultKind.ERROR_AFTER_TOKENS:
                plan.error_after = int(fault.value)
            elif kind is FaultKind.DUPLICATE:
                plan.duplicates.add(int(fault.value))
            elif kind is FaultKind.OUT_OF_ORDER:
                plan.swaps.add(int(fault.value))
            elif kind is FaultKind.NEVER_END:
                plan.never_end = True
        return plan


async def open_stream(
    request: web.Request, *, dialect: Dialect, extra_headers: tuple[tuple[str, str], ...] = ()
) -> web.StreamResponse:
    """Send the status line and headers of an event stream.

    Inference: sse-starlette's headers. Web: Next.js pipes the upstream body
    into a response on which it set no header at all, so only what the
    HTTP layer adds (date, server, chunked encoding) goes out.
    """
    if dialect is Dialect.INFERENCE:
        response = web.StreamResponse(status=200)
        for name, value in INFERENCE_SSE_HEADERS:
            response.headers[name] = value
    else:
        response = BareStreamResponse(status=200)
    for name, value in extra_headers:
        response.headers[name] = value
    # HTTP/1.1: one chunk per event, as the real server. HTTP/1.0 has no
    # chunked encoding, so the body runs to the connection's close, as uvicorn does.
    if request.version >= (1, 1):
        response.enable_chunked_encoding()
    await response.prepare(request)
    return response


class _ClientGoneError(Exception):
    """The client closed the connection."""


class _Writer:
    def __init__(
        self,
        request: web.Request,
        response: web.StreamResponse,
        state: ServerState,
        message: StoredMessage,
        channel: MessageChannel,
        plan: StreamPlan,
    ) -> None:
        self.request = request
        self.response = response
        self.state = state
        self.message = message
        self.channel = channel
        self.plan = plan
        self.stalled = False
        self.gone = False
        self.tokens = 0
        self.held: EventItem | None = None
        self.end = "clean"

    async def write(self, data: bytes) -> None:
        transport = self.request.transport
        if self.gone or transport is None or transport.is_closing():
            self.gone = True
            raise _ClientGoneError
        try:
            await self.response.write(data)  # one write: one HTTP chunk
        except ConnectionError as exc:
            self.gone = True
            raise _ClientGoneError from exc

    async def pings(self) -> None:
        interval = self.state.config.ping_interval
        while not await self.state.sleep_or_close(interval):
            if self.stalled:
                continue
            try:
                await self.write(comment(f"ping - {utcnow()}"))
            except _ClientGoneError:
                return

    async def pending(self) -> None:
        position, size = self.state.work_queue.numbers(self.message.id)
        await self.write(encode_sse(pending_data(position, size)))

    async def after_tokens(self) -> bool:
        """Apply the faults due at the current token count; ``True`` ends the stream."""
        count = self.tokens
        for frame in self.plan.frames.pop(count, ()):
            await self.write(frame)
        stall = self.plan.stalls.pop(count, 0.0)
        if stall:
            self.stalled = True
            try:
                await self.state.sleep_or_close(stall)
            finally:
                self.stalled = False
        if self.plan.error_after is not None and count >= self.plan.error_after:
            await self.worker_error()
            return True
        if self.plan.close_after is not None and count >= self.plan.close_after:
            self.end = self.plan.close_mode
            return True
        return False

    async def worker_error(self) -> None:
        # The stream's own copy of a worker abort: the message fails for
        # every reader and this one receives the error event.
        message = self.message
        message.state = MessageState.ABORTED_BY_WORKER
        message.error = WORKER_ABORT_ERROR
        message.content = None
        await self.write(encode_sse(error_item(WORKER_ABORT_ERROR, message.to_read()).data))

    async def token(self, item: EventItem) -> bool:
        """Write one token (with duplicate/out-of-order faults); ``True`` ends the stream."""
        index = self.tokens + 1
        if index in self.plan.swaps and self.held is None:
            self.held = item  # written after the next token
            return False
        for _ in range(2 if index in self.plan.duplicates else 1):
            await self.write(encode_sse(item.data))
        self.tokens += 1
        if await self.after_tokens():
            return True
        if self.held is not None:
            held, self.held = self.held, None
            await self.write(encode_sse(held.data))
            self.tokens += 1
            return await self.after_tokens()
        return False

    async def run(self) -> None:
        interval = self.state.config.pending_interval
        closing = self.state.closing
        if await self.after_tokens():
            return
        if self.plan.never_end:
            while not await self.state.sleep_or_close(interval):
                await self.pending()
            return
        started = False
        pendings = 0
        while not closing.is_set():
            item = await self.channel.get(interval, closing)
            if item is None:
                if not started and not closing.is_set():
                    await self.pending()
                    pendings += 1
                continue
            if not started:
                started = True
                if pendings:
                    await self.pending()
            if item.event_type == "token":
                if await self.token(item):
                    return
                continue
            if self.held is not None:
                held, self.held = self.held, None
                await self.write(encode_sse(held.data))
            await self.write(encode_sse(item.data))
            if item.terminal:
                return


async def write_events(
    request: web.Request,
    response: web.StreamResponse,
    state: ServerState,
    message: StoredMessage,
    faults: list[Fault],
) -> None:
    """Stream ``message``'s events on a prepared response, then end it."""
    channel = state.channels.setdefault(
        message.id, MessageChannel(state.config.message_queue_expire)
    )
    writer = _Writer(request, response, state, message, channel, StreamPlan.from_faults(faults))
    pings = asyncio.create_task(writer.pings())
    try:
        await writer.run()
    except _ClientGoneError:
        writer.end = "gone"
    finally:
        pings.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pings
    await _finish(request, response, writer.end)


async def _finish(request: web.Request, response: web.StreamResponse, end: str) -> None:
    transport = request.transport
    if end == "clean" and transport is not None and not transport.is_closing():
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return
    if transport is None:
        return
    if end == "reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        # "abrupt": flush what was written, then close without the final chunk.
        transport.close()
