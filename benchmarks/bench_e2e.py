"""End-to-end benchmark: oaproto's drivers against each library's raw bytes and usual SSE client.

Run ``python benchmarks/bench_e2e.py`` (about 2 minutes; ``--quick`` for a smaller run).

Throughput: a minimal server in its own process sends the real wire format of
the inference API's ``/events`` stream: ``--tokens`` token events, each
``data: {"event_type": "token", "text": "word "}\\r\\n\\r\\n`` in its own HTTP
chunk, then the final ``message`` event and the zero chunk. It also answers
the other lifecycle requests with fixed JSON, so ``ChatClient`` and
``AsyncChatClient`` run their whole lifecycle against it. Per library, three
kinds of client read that stream:

* ``raw``: the library's own body iterator; bytes are counted, nothing parsed;
* the usual SSE pairing (httpx-sse, sseclient-py, requests-sse,
  aiohttp-sse-client2, the gpt4free-style line loop), with ``json.loads`` per event;
* ``oaproto``: ``ChatClient``/``AsyncChatClient`` over the library's adapter,
  iterating the reply's events.

Only the stream phase is timed (from an open response to its last event), as
client CPU time (``time.process_time``; the server is another process).
Every setup runs once per round, interleaved, and the table gives medians.

Concurrency (``--concurrency``): N chats at once on one event loop, each
asking for a 200-token reply from ``oaproto serve`` (one user per chat,
echo backend), in a fresh client process per run: chats completed, errors,
client CPU per chat, and the peak RSS growth per chat.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

NOW = "2023-08-28T12:00:00.123456"
TOKEN_FRAME = b'data: {"event_type": "token", "text": "word "}\r\n\r\n'
TOKEN = "bench-token"  # the minimal source accepts anything


# --- the minimal wire-exact source (its own process) -----------------------------


def _message(role: str, state: str, content: str | None, message_id: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "parent_id": None if role == "prompter" else "p1",
        "content": content,
        "chat_id": "c1",
        "created_at": NOW,
        "role": role,
        "state": state,
    }


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def final_frame(tokens: int) -> bytes:
    """The ``message`` event that ends a reply of ``tokens`` token events."""
    final = {
        "event_type": "message",
        "message": _message("assistant", "complete", "word " * tokens, "a1"),
    }
    return b"data: " + json.dumps(final).encode() + b"\r\n\r\n"


#: The JSON answers to the lifecycle's other requests, by the path's last segment.
LIFECYCLE_ANSWERS = {
    "chats": {"id": "c1", "created_at": NOW, "modified_at": NOW},
    "prompter_message": _message("prompter", "manual", "Hi", "p1"),
    "assistant_message": _message("assistant", "pending", None, "a1"),
}


def _stream_body(tokens: int) -> bytes:
    return _chunk(TOKEN_FRAME) * tokens + _chunk(final_frame(tokens)) + b"0\r\n\r\n"


def _json_answer(value: object) -> bytes:
    body = json.dumps(value).encode()
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    return head % len(body) + body


async def _serve_source(tokens: int) -> None:
    stream = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
        b"transfer-encoding: chunked\r\n\r\n" + _stream_body(tokens)
    )
    answers = {key: _json_answer(value) for key, value in LIFECYCLE_ANSWERS.items()}
    answers["delete"] = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
    answers["events"] = stream

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                path = target.split("?", 1)[0]
                key = "delete" if method == "DELETE" else path.rsplit("/", 1)[-1]
                writer.write(answers.get(key, stream))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def _subprocess_url(args: list[str], env: dict[str, str] | None = None) -> Any:
    """Start ``args``, which prints its URL on a line of its own; yield the URL."""
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "http://" in line:
                yield "http" + line.split("http", 1)[1].strip()
                break
        else:
            raise RuntimeError(f"{args[0]} did not print its URL")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the clients: each returns the CPU seconds of its stream phase ---------------


@dataclass
class Target:
    url: str  # the source's base URL
    tokens: int

    @property
    def events_url(self) -> str:
        return self.url + "/chats/c1/messages/a1/events"


def _check(tokens: int, expected: int, what: str) -> None:
    if tokens != expected:
        raise RuntimeError(f"{what}: {tokens} token events, expected {expected}")


def _config(target: Target) -> Any:
    from oaproto import ClientConfig, Dialect

    return ClientConfig(base_url=target.url, dialect=Dialect.INFERENCE, token=TOKEN)


def _count_oaproto(event: object, counter: list[int]) -> None:
    from oaproto import Token

    if isinstance(event, Token):
        counter[0] += 1


def _oaproto_sync(make_transport: Callable[[], Any]) -> Callable[[Target], float]:
    def run(target: Target) -> float:
        from oaproto import ReplyCompleted, Token
        from oaproto.transports import ChatClient

        with make_transport() as transport, ChatClient(transport, _config(target)) as chat:
            with chat.reply("Hi") as events:
                start = time.process_time()
                count = 0
                for event in events:
                    if type(event) is Token:
                        count += 1
                elapsed = time.process_time() - start
            assert isinstance(events.outcome, ReplyCompleted)
        _check(count, target.tokens, "oaproto")
        return elapsed

    return run


def _oaproto_async(make_transport: Callable[[], Any]) -> Callable[[Target], Awaitable[float]]:
    async def run(target: Target) -> float:
        from oaproto import ReplyCompleted, Token
        from oaproto.transports import AsyncChatClient

        transport = make_transport()
        try:
            async with AsyncChatClient(transport, _config(target)) as chat:
                async with chat.reply("Hi") as events:
                    start = time.process_time()
                    count = 0
                    async for event in events:
                        if type(event) is Token:
                            count += 1
                    elapsed = time.process_time() - start
                assert isinstance(events.outcome, ReplyCompleted)
        finally:
            await transport.close()
        _check(count, target.tokens, "oaproto")
        return elapsed

    return run


def _json_events(datas: Any, target: Target, what: str) -> None:
    """Decode each event's data with json.loads, as the peers' users do, up to the final event."""
    count = 0
    for data in datas:
        frame = json.loads(data)
        if frame["event_type"] == "token":
            count += 1
        elif frame["event_type"] == "message":
            break
    _check(count, target.tokens, what)


# requests


def requests_raw(target: Target) -> float:
    import requests

    with requests.Session() as session, session.get(target.events_url, stream=True) as response:
        start = time.process_time()
        size = sum(len(chunk) for chunk in response.iter_content(chunk_size=None))
        elapsed = time.process_time() - start
    assert size > len(TOKEN_FRAME) * target.tokens
    return elapsed


def requests_sseclient(target: Target) -> float:
    import requests
    import sseclient

    with requests.Session() as session, session.get(target.events_url, stream=True) as response:
        start = time.process_time()
        # The Response itself, as sseclient-py's README passes it (iterated in 128-byte pieces).
        client = sseclient.SSEClient(response)  # type: ignore[arg-type]
        _json_events((e.data for e in client.events()), target, "sseclient")
        return time.process_time() - start


def requests_sse(target: Target) -> float:
    import requests
    from requests_sse import EventSource

    with requests.Session() as session, EventSource(target.events_url, session=session) as source:
        start = time.process_time()
        _json_events((e.data for e in source), target, "requests-sse")
        return time.process_time() - start


def requests_oaproto(target: Target) -> float:
    from oaproto.transports.requests import RequestsTransport

    return _oaproto_sync(RequestsTransport)(target)


# httpx


def httpx_raw(target: Target) -> float:
    import httpx

    with httpx.Client() as client, client.stream("GET", target.events_url) as response:
        start = time.process_time()
        size = sum(len(chunk) for chunk in response.iter_bytes())
        elapsed = time.process_time() - start
    assert size > len(TOKEN_FRAME) * target.tokens
    return elapsed


def httpx_sse_sync(target: Target) -> float:
    import httpx
    import httpx_sse

    with httpx.Client() as client, httpx_sse.connect_sse(client, "GET", target.events_url) as es:
        start = time.process_time()
        _json_events((e.data for e in es.iter_sse()), target, "httpx-sse")
        return time.process_time() - start


def httpx_oaproto(target: Target) -> float:
    from oaproto.transports.httpx import HttpxTransport

    return _oaproto_sync(HttpxTransport)(target)


async def httpx_async_raw(target: Target) -> float:
    import httpx

    async with httpx.AsyncClient() as client, client.stream("GET", target.events_url) as response:
        start = time.process_time()
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
        elapsed = time.process_time() - start
    assert size > len(TOKEN_FRAME) * target.tokens
    return elapsed


async def httpx_sse_async(target: Target) -> float:
    import httpx
    import httpx_sse

    async with (
        httpx.AsyncClient() as client,
        httpx_sse.aconnect_sse(client, "GET", target.events_url) as source,
    ):
        start = time.process_time()
        count = 0
        async for sse in source.aiter_sse():
            frame = json.loads(sse.data)
            if frame["event_type"] == "token":
                count += 1
        elapsed = time.process_time() - start
    _check(count, target.tokens, "httpx-sse")
    return elapsed


async def httpx_async_oaproto(target: Target) -> float:
    from oaproto.transports.httpx import AsyncHttpxTransport

    return await _oaproto_async(AsyncHttpxTransport)(target)


# aiohttp


async def aiohttp_raw(target: Target) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(target.events_url) as response:
        start = time.process_time()
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
        elapsed = time.process_time() - start
    assert size > len(TOKEN_FRAME) * target.tokens
    return elapsed


async def aiohttp_sse_client2(target: Target) -> float:
    import aiohttp
    from aiohttp_sse_client2 import client as sse_client

    async with (
        aiohttp.ClientSession() as session,
        sse_client.EventSource(target.events_url, session=session) as source,
    ):
        start = time.process_time()
        count = 0
        async for event in source:
            frame = json.loads(event.data)
            if frame["event_type"] == "token":
                count += 1
            elif frame["event_type"] == "message":
                break  # the EventSource would reconnect at the end of the body
        elapsed = time.process_time() - start
    _check(count, target.tokens, "aiohttp-sse-client2")
    return elapsed


async def aiohttp_line_loop(target: Target) -> float:
    """The gpt4free provider's loop: ``async for line in response.content``, decode, json.loads."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(target.events_url) as response:
        start = time.process_time()
        count = 0
        async for raw in response.content:
            line = raw.decode()
            if line.startswith("data: "):
                frame = json.loads(line[6:])
                if frame["event_type"] == "token":
                    count += 1
        elapsed = time.process_time() - start
    _check(count, target.tokens, "line loop")
    return elapsed


async def aiohttp_oaproto(target: Target) -> float:
    from oaproto.transports.aiohttp import AiohttpTransport

    return await _oaproto_async(AiohttpTransport)(target)


# h11 over anyio (run on asyncio and on trio)


async def h11_raw(target: Target) -> float:
    import anyio
    import h11

    url = urlsplit(target.events_url)
    stream = await anyio.connect_tcp(url.hostname or "", url.port or 80)
    async with stream:
        connection = h11.Connection(h11.CLIENT)
        request = h11.Request(
            method="GET", target=url.path, headers=[("host", url.netloc), ("connection", "close")]
        )
        head = connection.send(request) or b""
        await stream.send(head + (connection.send(h11.EndOfMessage()) or b""))
        started = False
        size = 0
        start = 0.0
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                try:
                    connection.receive_data(await stream.receive(65536))
                except anyio.EndOfStream:
                    connection.receive_data(b"")
            elif isinstance(event, h11.Response) and not started:
                started = True
                start = time.process_time()
            elif isinstance(event, h11.Data):
                size += len(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
        elapsed = time.process_time() - start
    assert size > len(TOKEN_FRAME) * target.tokens
    return elapsed


async def h11_oaproto(target: Target) -> float:
    from oaproto.transports.h11_anyio import H11Transport

    return await _oaproto_async(H11Transport)(target)


@dataclass(frozen=True)
class Setup:
    library: str
    kind: str  # "raw", "pairing" or "oaproto"
    name: str
    run: Callable[[Target], Any]
    loop: str | None = None  # None (blocking), "asyncio" or "trio"


SETUPS = [
    Setup("aiohttp", "raw", "aiohttp raw", aiohttp_raw, "asyncio"),
    Setup("aiohttp", "pairing", "aiohttp-sse-client2", aiohttp_sse_client2, "asyncio"),
    Setup("aiohttp", "pairing", "gpt4free line loop", aiohttp_line_loop, "asyncio"),
    Setup("aiohttp", "oaproto", "oaproto aiohttp", aiohttp_oaproto, "asyncio"),
    Setup("httpx async", "raw", "httpx async raw", httpx_async_raw, "asyncio"),
    Setup("httpx async", "pairing", "httpx-sse async", httpx_sse_async, "asyncio"),
    Setup("httpx async", "oaproto", "oaproto httpx async", httpx_async_oaproto, "asyncio"),
    Setup("httpx sync", "raw", "httpx raw", httpx_raw),
    Setup("httpx sync", "pairing", "httpx-sse", httpx_sse_sync),
    Setup("httpx sync", "oaproto", "oaproto httpx", httpx_oaproto),
    Setup("requests", "raw", "requests raw", requests_raw),
    Setup("requests", "pairing", "sseclient-py", requests_sseclient),
    Setup("requests", "pairing", "requests-sse", requests_sse),
    Setup("requests", "oaproto", "oaproto requests", requests_oaproto),
    Setup("h11 asyncio", "raw", "h11 raw (asyncio)", h11_raw, "asyncio"),
    Setup("h11 asyncio", "oaproto", "oaproto h11 asyncio", h11_oaproto, "asyncio"),
    Setup("h11 trio", "raw", "h11 raw (trio)", h11_raw, "trio"),
    Setup("h11 trio", "oaproto", "oaproto h11 trio", h11_oaproto, "trio"),
]


def _measure(setup: Setup, target: Target) -> float:
    gc.collect()
    if setup.loop is None:
        return float(setup.run(target))
    import anyio

    async def main() -> float:
        return float(await setup.run(target))

    return anyio.run(main, backend=setup.loop)


def throughput(tokens: int, rounds: int, only: set[str] | None) -> str:
    setups = [s for s in SETUPS if only is None or s.library in only]
    times: dict[str, list[float]] = {s.name: [] for s in setups}
    source = [sys.executable, os.path.abspath(__file__), "--source", str(tokens)]
    with _subprocess_url(source) as url:
        target = Target(url, tokens)
        for setup in setups:  # warm-up and correctness check, untimed
            _measure(setup, target)
        for round_number in range(rounds):
            for setup in setups:
                times[setup.name].append(_measure(setup, target))
            print(f"round {round_number + 1}/{rounds} done", file=sys.stderr, flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    lines = [
        f"Throughput: one {tokens:,}-token reply, client CPU of the stream phase, "
        f"median of {rounds} interleaved rounds",
        "",
        "| library | setup | CPU s | us/token above raw | oaproto is faster by |",
        "|---|---|---|---|---|",
    ]
    for library in dict.fromkeys(s.library for s in setups):
        group = [s for s in setups if s.library == library]
        raw = next(medians[s.name] for s in group if s.kind == "raw")
        ours = next(medians[s.name] for s in group if s.kind == "oaproto")
        for setup in group:
            value = medians[setup.name]
            above = "" if setup.kind == "raw" else f"{(value - raw) / tokens * 1e6:.2f}"
            ratio = f"{value / ours:.2f}x" if setup.kind == "pairing" else ""
            name = f"**{setup.name}**" if setup.kind == "oaproto" else setup.name
            lines.append(f"| {library} | {name} | {value:.3f} | {above} | {ratio} |")
    return "\n".join(lines)


# --- concurrency: N chats on one loop against `oaproto serve` ---------------------

CONCURRENCY_LIBRARIES = {
    "aiohttp": "asyncio",
    "httpx async": "asyncio",
    "httpx async (pool of 1000)": "asyncio",
    "httpx async (a client per 100 chats)": "asyncio",
    "h11 asyncio": "asyncio",
    "h11 trio": "trio",
}
CHAT_TOKENS = 200


# Closers of the library objects _make_transports passed to transports, which
# leave closing them to their owner.
_OWNED: list[Callable[[], Awaitable[None]]] = []


def _make_transports(library: str, chats: int) -> list[Any]:
    """The transports for ``chats`` chats; chat i uses ``transports[i % len]``."""
    if library == "aiohttp":
        from oaproto.transports.aiohttp import AiohttpTransport

        return [AiohttpTransport()]
    if library.startswith("h11"):
        from oaproto.transports.h11_anyio import H11Transport

        return [H11Transport()]
    import httpx

    from oaproto.transports.httpx import AsyncHttpxTransport

    if library == "httpx async":
        return [AsyncHttpxTransport()]
    if library == "httpx async (pool of 1000)":
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        clients = [httpx.AsyncClient(limits=limits, timeout=60)]
    else:
        clients = [httpx.AsyncClient(timeout=60) for _ in range(max(1, chats // 100))]
    _OWNED.extend(client.aclose for client in clients)
    return [AsyncHttpxTransport(client) for client in clients]


async def _many_chats(library: str, url: str, chats: int) -> dict[str, Any]:
    import anyio

    from oaproto import ClientConfig, Dialect, ReplyOptions
    from oaproto.transports import AsyncChatClient

    transports = _make_transports(library, chats)
    prompt = " ".join(f"w{i}" for i in range(CHAT_TOKENS))
    errors: Counter[str] = Counter()
    samples: dict[str, str] = {}  # one message per error type, for the log
    completed = 0

    async def one(index: int) -> None:
        nonlocal completed
        config = ClientConfig(base_url=url, dialect=Dialect.INFERENCE, token=f"user-{index}")
        try:
            async with AsyncChatClient(transports[index % len(transports)], config) as chat:
                text = await chat.ask(prompt, ReplyOptions(model_config_name="_echo"))
            if len(text.split()) == CHAT_TOKENS:
                completed += 1
            else:
                errors["wrong text"] += 1
        except Exception as exc:  # noqa: BLE001 - counted, not raised: the table reports them
            errors[type(exc).__name__] += 1
            samples.setdefault(type(exc).__name__, str(exc)[:200])

    rss_before = _resident_kib()
    cpu = time.process_time()
    wall = time.perf_counter()
    try:
        async with anyio.create_task_group() as group:
            for index in range(chats):
                group.start_soon(one, index)
    finally:
        for transport in transports:
            await transport.close()
        for close in _OWNED:
            await close()
    return {
        "completed": completed,
        "errors": dict(errors),
        "samples": samples,
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before,
    }


def _resident_kib() -> int:
    """The resident set now (Linux), else the peak so far, in KiB.

    The peak so far may include a transient peak of the imports, which would
    hide the chats' memory; the run's peak is compared with the size now.
    """
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() // 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _concurrency_client(library: str, url: str, chats: int) -> None:
    import anyio

    # Imports and first-use allocations are neither the chats' memory nor their CPU.
    if library == "aiohttp":
        import oaproto.transports.aiohttp
    elif library.startswith("httpx"):
        import oaproto.transports.httpx
    else:
        import oaproto.transports.h11_anyio
    import oaproto.transports  # noqa: F401

    async def main() -> dict[str, Any]:
        return await _many_chats(library, url, chats)

    result = anyio.run(main, backend=CONCURRENCY_LIBRARIES[library])
    print(json.dumps(result), flush=True)


def concurrency(counts: list[int], libraries: list[str], budget: float) -> str:
    lines = [
        f"Concurrency: N chats of {CHAT_TOKENS} tokens at once on one loop against "
        "`oaproto serve` (echo backend, one user per chat); client process only",
        "",
        "| library | chats | completed | errors | CPU ms/chat | wall s | peak RSS KiB/chat |",
        "|---|---|---|---|---|---|---|",
    ]
    tokens = ",".join(f"user-{i}" for i in range(max(counts)))
    env = {**os.environ, "OAPROTO_SERVER_TOKENS": tokens}
    serve = [
        sys.executable, "-m", "oaproto.transports.cli", "serve", "--port", "0",
        "--workers", str(max(counts) + 10), "--rate-limit", "off", "--backend", "echo",
        "--token-delay", "0.005", "--pending-interval", "1", "--log-level", "ERROR",
    ]  # fmt: skip
    for chats in counts:
        for library in libraries:
            with _subprocess_url(serve, env) as url:
                command = [
                    sys.executable, os.path.abspath(__file__),
                    "--concurrency-client", library, url, str(chats),
                ]  # fmt: skip
                try:
                    done = subprocess.run(
                        command, capture_output=True, text=True, timeout=budget, check=False
                    )
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                except subprocess.TimeoutExpired:
                    note = f"did not finish in {budget:.0f} s"
                    lines.append(f"| {library} | {chats:,} | {note} | | | | |")
                    continue
                except (json.JSONDecodeError, IndexError):
                    note = f"crashed: {done.stderr[-200:]!r}"
                    lines.append(f"| {library} | {chats:,} | {note} | | | | |")
                    continue
            errors = ", ".join(f"{n} {name}" for name, n in result["errors"].items()) or "0"
            lines.append(
                f"| {library} | {chats:,} | {result['completed']:,} | {errors} | "
                f"{result['cpu'] / chats * 1000:.1f} | {result['wall']:.1f} | "
                f"{result['rss_kib'] / chats:.0f} |"
            )
            print(lines[-1], result["samples"] or "", file=sys.stderr, flush=True)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 tokens, 3 rounds, 100 chats")
    parser.add_argument("--tokens", type=int, default=None, help="reply length (default 50,000)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5)")
    parser.add_argument("--only", default="", help="comma-separated libraries, e.g. requests")
    parser.add_argument(
        "--concurrency", default=None, help="chat counts, e.g. 100,500,1000 (default: skip)"
    )
    parser.add_argument("--concurrency-budget", type=float, default=180.0, metavar="SECONDS")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--source", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency-client", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.source is not None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve_source(args.source))
        return 0
    if args.concurrency_client is not None:
        library, url, chats = args.concurrency_client
        _concurrency_client(library, url, int(chats))
        return 0
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    tokens = args.tokens or (10_000 if args.quick else 50_000)
    rounds = args.rounds or (3 if args.quick else 5)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    if not args.no_throughput:
        print(throughput(tokens, rounds, only), flush=True)
    counts_text = args.concurrency or ("100" if args.quick else None)
    if counts_text:
        counts = [int(n) for n in counts_text.split(",")]
        libraries = [name for name in CONCURRENCY_LIBRARIES if only is None or name in only]
        print()
        print(concurrency(counts, libraries, args.concurrency_budget), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
