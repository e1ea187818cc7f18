"""The asynchronous driver reads the body ahead on asyncio: bounded, in order, and stoppable.

A stream task takes the adapter's chunks while the driver works, and each read
of the driver takes all of them at once. These tests script the adapter's
chunk iterator, so they decide when chunks are there, when the body breaks,
and when it hangs; the reference-server tests check the same over sockets.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from oaproto import (
    HttpRequest,
    IncompleteReplyError,
    ReplyCompleted,
    Token,
    TransportError,
    TransportTimeoutError,
)
from oaproto.transports import AsyncChatClient, AsyncStreamResponse
from oaproto.transports._bounded_async import READ_AHEAD_LIMIT
from oaproto.transports._util import MappedAsyncChunks
from tests.transports.test_driver_unit import CONFIG, AsyncScripted, message

SSE = (("content-type", "text/event-stream"),)


def token_chunk(index: int) -> bytes:
    frame = json.dumps({"event_type": "token", "text": f"w{index} "})
    return f"data: {frame}\r\n\r\n".encode()


def final_chunk(tokens: int) -> bytes:
    text = "".join(f"w{index} " for index in range(tokens))
    frame = json.dumps(
        {"event_type": "message", "message": message("assistant", "complete", text, "a1")}
    )
    return f"data: {frame}\r\n\r\n".encode()


class LibraryError(Exception):
    """What a transport library raises when the connection breaks."""


class Body:
    """A scripted body: ``tokens`` token chunks, then the final event, a break, or a hang."""

    def __init__(self, tokens: int, end: str = "final", *, wait_at: int | None = None) -> None:
        self.tokens = tokens
        self.end = end
        self.wait_at = wait_at  # the chunk before which the body makes the reader wait
        self.taken = 0  # bytes handed to the driver's reader so far
        self.closed = False
        self.hanging = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            for index in range(self.tokens):
                if index == self.wait_at:
                    await asyncio.sleep(0)  # the rest arrives with the next socket read
                chunk = token_chunk(index)
                self.taken += len(chunk)
                yield chunk  # already there: no wait, as a buffered socket read
            if self.end == "final":
                yield final_chunk(self.tokens)
            elif self.end == "break":
                raise LibraryError("connection reset by peer")
            else:
                self.hanging.set()
                await asyncio.sleep(3600)
        finally:
            self.closed = True


class Streaming(AsyncScripted):
    """:class:`AsyncScripted` with a real event stream, as our adapters wrap one."""

    def __init__(self, body: Body) -> None:
        super().__init__()
        self.body = body

    @asynccontextmanager
    async def open_stream(self, request: HttpRequest) -> AsyncIterator[AsyncStreamResponse]:  # type: ignore[override]
        self.sent.append(f"{request.method} events")
        chunks = MappedAsyncChunks(self.body.chunks(), {LibraryError: TransportError})
        try:
            yield AsyncStreamResponse(200, SSE, chunks)
        finally:
            await chunks.aclose()


async def first_token_then_pause(body: Body) -> tuple[int, list[str], object]:
    transport = Streaming(body)
    async with AsyncChatClient(transport, CONFIG) as chat, chat.reply("Hi") as events:
        texts: list[str] = []
        async for event in events:
            if isinstance(event, Token):
                texts.append(event.text)
                if len(texts) == 1:
                    await asyncio.sleep(0.05)  # the driver is busy elsewhere: reading goes on
                    taken_while_paused = body.taken
        outcome = events.outcome
    assert transport.sent[-1] == "DELETE c1"
    return taken_while_paused, texts, outcome


def test_reading_ahead_stops_at_its_limit_and_loses_nothing() -> None:
    tokens = 3 * READ_AHEAD_LIMIT // len(token_chunk(0))
    body = Body(tokens)
    taken_while_paused, texts, outcome = asyncio.run(first_token_then_pause(body))
    # Read on while the caller paused: the driver holds what its last read
    # took (the first buffer, being decoded), the reading task at most the
    # limit more (plus the chunk that crossed it), never the whole body.
    chunk = len(token_chunk(0))
    assert READ_AHEAD_LIMIT < taken_while_paused <= 2 * (READ_AHEAD_LIMIT + chunk)
    assert taken_while_paused < body.tokens * chunk
    assert texts == [f"w{index} " for index in range(tokens)]
    assert isinstance(outcome, ReplyCompleted)
    assert body.closed


async def read_until_the_break(body: Body) -> tuple[list[str], BaseException]:
    texts: list[str] = []
    with pytest.raises(IncompleteReplyError) as raised:  # noqa: PT012 - the tokens come first
        async with (
            AsyncChatClient(Streaming(body), CONFIG) as chat,
            chat.reply("Hi") as events,
        ):
            async for event in events:
                if isinstance(event, Token):
                    texts.append(event.text)
                    if len(texts) == 1:
                        await asyncio.sleep(0.05)  # meanwhile the rest and the break arrive
    return texts, raised.value


def test_a_body_that_breaks_delivers_what_came_before_the_break() -> None:
    # The driver's first read takes the first 250 chunks; the other 250 and
    # the break are both there at its next read: the chunks come first.
    body = Body(500, end="break", wait_at=250)
    texts, error = asyncio.run(read_until_the_break(body))
    assert texts == [f"w{index} " for index in range(500)]
    assert isinstance(error, IncompleteReplyError)
    assert error.partial_text == "".join(texts)
    cause = error.__cause__
    assert isinstance(cause, TransportError)  # mapped as the adapter maps it
    assert "LibraryError: connection reset by peer" in str(cause)
    assert isinstance(cause.__cause__, LibraryError)
    assert body.closed


async def leave_a_hanging_stream(body: Body) -> list[str]:
    texts: list[str] = []
    async with AsyncChatClient(Streaming(body), CONFIG) as chat, chat.reply("Hi") as events:
        async for event in events:
            if isinstance(event, Token):
                texts.append(event.text)
            if len(texts) == 3:
                await body.hanging.wait()  # the reading task now waits in the library
                break
    return texts


def test_leaving_the_stream_stops_a_reading_task_that_waits_in_the_library() -> None:
    # The reading task is cancelled and waited for before the adapter closes
    # the library's iterator, which would fail while that task is inside it.
    body = Body(3, end="hang")
    assert asyncio.run(leave_a_hanging_stream(body)) == ["w0 ", "w1 ", "w2 "]
    assert body.closed


async def stall_after(body: Body) -> tuple[list[str], BaseException]:
    texts: list[str] = []
    with pytest.raises(TransportTimeoutError) as raised:  # noqa: PT012 - the tokens come first
        async with (
            AsyncChatClient(Streaming(body), CONFIG, idle_timeout=0.2) as chat,
            chat.reply("Hi") as events,
        ):
            async for event in events:
                if isinstance(event, Token):
                    texts.append(event.text)  # noqa: PERF401 - kept when the stream fails
    return texts, raised.value


def test_the_idle_timeout_ends_a_wait_for_the_reading_task() -> None:
    body = Body(4, end="hang")
    texts, error = asyncio.run(stall_after(body))
    assert texts == ["w0 ", "w1 ", "w2 ", "w3 "]
    assert "idle_timeout=0.2" in str(error)
    assert body.closed
