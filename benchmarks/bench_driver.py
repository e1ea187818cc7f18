"""What the core and the drivers cost per token, without a network: the part oaproto owns.

Run ``python benchmarks/bench_driver.py`` (a few seconds).

An in-memory transport answers the lifecycle requests and streams ``--tokens``
token events, one per chunk, then the final ``message`` event: the same bytes
as ``bench_e2e.py``'s source, without sockets or an HTTP library. Three readers of
that stream are timed, as CPU time per token above iterating the same chunks
bare:

* ``session``: ``ChatSession`` alone, fed chunk by chunk as a driver does;
* ``ChatClient``: the blocking driver;
* ``AsyncChatClient``: the asynchronous driver on asyncio (every chunk is
  there at once, so its read-ahead takes them in few reads).

Medians and minimums of ``--rounds`` runs; the garbage collector is off while
a run is timed. ``bench_e2e.py`` measures the same over real sockets.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from bench_e2e import LIFECYCLE_ANSWERS, TOKEN_FRAME, final_frame

from oaproto import (
    NEED_DATA,
    ChatSession,
    ClientConfig,
    Dialect,
    HttpRequest,
    HttpResponse,
    ReplyCompleted,
    Token,
)
from oaproto.transports import (
    AsyncChatClient,
    AsyncStreamResponse,
    ChatClient,
    StreamResponse,
)

JSON = (("content-type", "application/json"),)
SSE = (("content-type", "text/event-stream"),)
CONFIG = ClientConfig(base_url="http://bench.test", dialect=Dialect.INFERENCE, token="t")


def stream_chunks(tokens: int) -> list[bytes]:
    """The reply's body: one token event per chunk, then the final message."""
    return [TOKEN_FRAME] * tokens + [final_frame(tokens)]


ANSWERS = {
    **{
        key: HttpResponse(status=200, headers=JSON, body=json.dumps(value).encode())
        for key, value in LIFECYCLE_ANSWERS.items()
    },
    "c1": HttpResponse(status=200),  # DELETE /chats/c1
}


class MemoryTransport:
    """Answers from :data:`ANSWERS`; the event stream is ``chunks``."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        return ANSWERS[request.url.rsplit("/", 1)[1]]

    @contextmanager
    def open_stream(self, request: HttpRequest) -> Iterator[StreamResponse]:
        yield StreamResponse(200, SSE, iter(self.chunks))

    def close(self) -> None:
        pass


class AsyncMemoryTransport(MemoryTransport):
    """The asynchronous :class:`MemoryTransport`."""

    async def send(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        return ANSWERS[request.url.rsplit("/", 1)[1]]

    @asynccontextmanager
    async def open_stream(  # type: ignore[override]
        self, request: HttpRequest
    ) -> AsyncIterator[AsyncStreamResponse]:
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                yield chunk

        yield AsyncStreamResponse(200, SSE, chunks())

    async def close(self) -> None:  # type: ignore[override]
        pass


def bare(chunks: list[bytes]) -> float:
    start = time.process_time()
    for _chunk in chunks:
        pass
    return time.process_time() - start


def session(chunks: list[bytes]) -> float:
    chat = ChatSession(CONFIG)
    chat.create_chat()
    chat.receive_response(ANSWERS["chats"])
    chat.post_prompter_message("Hi")
    chat.receive_response(ANSWERS["prompter_message"])
    chat.request_assistant_message()
    chat.receive_response(ANSWERS["assistant_message"])
    chat.open_event_stream()
    chat.receive_stream_start(200, SSE)
    start = time.process_time()
    for chunk in chunks:
        chat.receive_data(chunk)
        while (event := chat.next_event()) is not NEED_DATA:
            if not chat.is_streaming:
                break
    elapsed = time.process_time() - start
    assert isinstance(event, ReplyCompleted)
    return elapsed


def blocking(chunks: list[bytes]) -> float:
    with ChatClient(MemoryTransport(chunks), CONFIG) as chat, chat.reply("Hi") as events:
        start = time.process_time()
        count = sum(1 for event in events if type(event) is Token)
        elapsed = time.process_time() - start
    assert count == len(chunks) - 1
    return elapsed


def asynchronous(chunks: list[bytes]) -> float:
    async def run() -> float:
        transport = AsyncMemoryTransport(chunks)
        async with AsyncChatClient(transport, CONFIG) as chat, chat.reply("Hi") as events:
            start = time.process_time()
            count = 0
            async for event in events:
                if type(event) is Token:
                    count += 1
            elapsed = time.process_time() - start
        assert count == len(chunks) - 1
        return elapsed

    return asyncio.run(run())


READERS: dict[str, Callable[[list[bytes]], float]] = {
    "session": session,
    "ChatClient": blocking,
    "AsyncChatClient": asynchronous,
}


def main(argv: list[str] | None = None) -> int:
    """Print a markdown table of CPU per token above bare iteration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    chunks = stream_chunks(args.tokens)
    times: dict[str, list[float]] = {name: [] for name in ["bare", *READERS]}
    for _ in range(args.rounds):
        for name, reader in [("bare", bare), *READERS.items()]:
            gc.collect()
            gc.disable()
            try:
                times[name].append(reader(chunks))
            finally:
                gc.enable()
    floor = statistics.median(times["bare"])
    print(f"{args.tokens:,} tokens, one per chunk; {args.rounds} rounds, interleaved\n")
    print("| reader | us/token (median) | us/token (min) |")
    print("|---|---|---|")
    for name in READERS:
        median = (statistics.median(times[name]) - floor) / args.tokens * 1e6
        best = (min(times[name]) - floor) / args.tokens * 1e6
        print(f"| {name} | {median:.2f} | {best:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
