"""The drivers against scripted in-memory transports: paths a live server rarely takes.

A scripted transport answers each request from a table keyed by the last path
segment, so the tests need no network and decide exactly what the driver
sees: an empty stream of an already finished reply, a fetch that
finds the reply unfinished, a stream that cannot even be opened, a DELETE
that never returns.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import pytest

from oaproto import (
    ClientConfig,
    Dialect,
    HttpRequest,
    HttpResponse,
    IncompleteReplyError,
    LocalProtocolError,
    ReplyCompleted,
    TransportError,
    TransportTimeoutError,
)
from oaproto.transports import AsyncChatClient, AsyncStreamResponse, ChatClient, StreamResponse

CONFIG = ClientConfig(base_url="http://oa.test", dialect=Dialect.INFERENCE, token="t")
NOW = "2023-08-28T12:00:00.123456"


def message(role: str, state: str, content: str | None, message_id: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "parent_id": None if role == "prompter" else "p1",
        "content": content,
        "chat_id": "c1",
        "created_at": NOW,
        "role": role,
        "state": state,
    }


def ok(value: object) -> HttpResponse:
    body = json.dumps(value).encode()
    return HttpResponse(status=200, headers=(("content-type", "application/json"),), body=body)


SCRIPT: dict[str, Callable[[], HttpResponse]] = {
    "chats": lambda: ok({"id": "c1", "created_at": NOW, "modified_at": NOW}),
    "prompter_message": lambda: ok(message("prompter", "manual", "Hi", "p1")),
    "assistant_message": lambda: ok(message("assistant", "pending", None, "a1")),
    "a1": lambda: ok(message("assistant", "complete", "Fetched text", "a1")),
    "c1": lambda: HttpResponse(status=200),  # DELETE /chats/c1
}


class Scripted:
    """A blocking transport answering from :data:`SCRIPT`; the event stream is a 204."""

    def __init__(self, **overrides: Callable[[], HttpResponse]) -> None:
        self.script = {**SCRIPT, **overrides}
        self.sent: list[str] = []
        self.stream_error: Exception | None = None
        self.open_streams = 0

    def _answer(self, request: HttpRequest) -> HttpResponse:
        key = request.url.rsplit("/", 1)[1]
        self.sent.append(f"{request.method} {key}")
        return self.script[key]()

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        return self._answer(request)

    @contextmanager
    def open_stream(self, request: HttpRequest) -> Iterator[StreamResponse]:
        self.sent.append(f"{request.method} events")
        if self.stream_error is not None:
            raise self.stream_error
        # The message finished before the stream was requested: 204, no body.
        self.open_streams += 1
        try:
            yield StreamResponse(204, (), iter(()))
        finally:
            self.open_streams -= 1

    def close(self) -> None:
        pass


class AsyncScripted(Scripted):
    """The asynchronous :class:`Scripted`; a DELETE may be made to hang forever."""

    def __init__(self, *, hang_on_delete: bool = False) -> None:
        super().__init__()
        self.hang_on_delete = hang_on_delete

    async def send(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        response = self._answer(request)
        if request.method == "DELETE" and self.hang_on_delete:
            await anyio.sleep(math.inf)
        return response

    @asynccontextmanager
    async def open_stream(self, request: HttpRequest) -> AsyncIterator[AsyncStreamResponse]:  # type: ignore[override]
        self.sent.append(f"{request.method} events")

        async def nothing() -> AsyncIterator[bytes]:
            empty: tuple[bytes, ...] = ()
            for chunk in empty:
                yield chunk

        yield AsyncStreamResponse(204, (), nothing())

    async def close(self) -> None:  # type: ignore[override]
        pass


def test_an_empty_stream_of_a_finished_reply_is_resolved_by_fetching_it() -> None:
    transport = Scripted()
    with ChatClient(transport, CONFIG) as chat, chat.reply("Hi") as events:
        received = list(events)
    assert len(received) == 1
    assert isinstance(received[0], ReplyCompleted)
    assert received[0].text == "Fetched text"
    assert transport.sent == [
        "POST chats",
        "POST prompter_message",
        "POST assistant_message",
        "GET events",
        "GET a1",
        "DELETE c1",
    ]


def test_a_fetched_reply_that_is_still_pending_is_incomplete() -> None:
    transport = Scripted(a1=lambda: ok(message("assistant", "in_progress", None, "a1")))
    with pytest.raises(IncompleteReplyError, match="in_progress"):
        ask(transport)
    assert transport.sent[-1] == "DELETE c1"


def ask(transport: Any) -> str:
    with ChatClient(transport, CONFIG) as chat:
        text: str = chat.ask("Hi")
    return text


def test_a_stream_that_cannot_be_opened_is_abandoned_and_the_chat_deleted() -> None:
    transport = Scripted()
    transport.stream_error = TransportError("refused")
    with ChatClient(transport, CONFIG) as chat:
        with pytest.raises(TransportError):
            chat.ask("Hi")
        assert chat.session.state.name == "QUEUED"  # abandoned, so retry or fetch stay legal
    assert transport.sent[-1] == "DELETE c1"


def test_a_stream_must_be_entered_before_it_is_iterated() -> None:
    with ChatClient(Scripted(), CONFIG) as chat:
        with pytest.raises(LocalProtocolError, match="with block"):
            next(iter(chat.reply("Hi")))
        assert chat.session.chat_id is None  # nothing was sent


def test_one_stream_at_a_time() -> None:
    transport = Scripted(a1=lambda: ok(message("assistant", "in_progress", None, "a1")))
    with ChatClient(transport, CONFIG) as chat, chat.reply("Hi"):
        second = chat.retry()
        with pytest.raises(LocalProtocolError, match="still open"):
            second.__enter__()


def test_leaving_an_old_stream_does_not_close_a_newer_one() -> None:
    transport = Scripted()
    with ChatClient(transport, CONFIG) as chat:
        first = chat.reply("Hi")
        first.__enter__()
        assert first.text() == "Fetched text"  # complete: its connection is closed
        second = chat.retry()
        second.__enter__()
        assert transport.open_streams == 1
        first.__exit__(None, None, None)  # late, out of order
        assert transport.open_streams == 1  # the second stream is untouched
        second.__exit__(None, None, None)
        assert transport.open_streams == 0


def test_a_chat_that_was_never_created_sends_nothing_on_exit() -> None:
    transport = Scripted()
    with ChatClient(transport, CONFIG):
        pass
    assert transport.sent == []


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_async_fetch_path_and_hanging_delete_is_bounded(anyio_backend: str) -> None:
    transport = AsyncScripted(hang_on_delete=True)
    client = AsyncChatClient(transport, CONFIG, cleanup_timeout=0.1)
    # Two tries (the core's retry), each given half of cleanup_timeout.
    with pytest.raises(TransportTimeoutError, match=r"gave up after 0\.05 s"):
        async with client as chat:
            assert await chat.ask("Hi") == "Fetched text"
    assert client.session.needs_cleanup
    assert transport.sent[-2:] == ["DELETE c1", "DELETE c1"]
