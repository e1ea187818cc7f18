"""Embedding: the async and threaded runners, shutdown, introspection, fixtures, backends."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from oaproto import Dialect
from oaproto.transports.server import (
    GenerationRequest,
    ReferenceServer,
    ServerConfig,
    ThreadedServer,
)
from tests.helpers.raw_http import (
    RawResponse,
    conversation,
    event_json,
    events_path,
    new_chat,
    read_stream,
    request,
    stream,
)


def test_async_server_serves_and_stop_ends_open_streams() -> None:
    async def main() -> None:
        config = ServerConfig(pending_interval=0.05, token_delay=0)
        async with (
            ReferenceServer(config, warn_open_mode=False) as server,
            aiohttp.ClientSession() as client,
        ):
            async with client.post(f"{server.url}/chats", json={}) as response:
                chat_id = (await response.json())["id"]
            async with client.post(
                f"{server.url}/chats/{chat_id}/prompter_message", json={"content": "hi"}
            ) as response:
                parent = (await response.json())["id"]
            async with client.post(
                f"{server.url}/chats/{chat_id}/assistant_message",
                json={"parent_id": parent, "model_config_name": "_lorem"},
                headers={"x-oaproto-fault": "never-end"},
            ) as response:
                message_id = (await response.json())["id"]
            async with client.get(
                f"{server.url}/chats/{chat_id}/messages/{message_id}/events"
            ) as events:
                assert events.headers["content-type"] == "text/event-stream; charset=utf-8"
                first = await events.content.readuntil(b"\r\n\r\n")
                assert first.startswith(b'data: {"event_type": "pending"')
                stopping = asyncio.create_task(server.stop())
                async with asyncio.timeout(10):
                    rest = await events.content.read()  # ends: no hang
                    await stopping
                assert b"message" not in rest

    asyncio.run(main())


def test_a_reference_server_starts_once() -> None:
    async def main() -> None:
        server = ReferenceServer(token_delay=0, warn_open_mode=False)
        with pytest.raises(RuntimeError, match="not running"):
            _ = server.url
        async with server:
            with pytest.raises(RuntimeError, match="already running"):
                await server.start()
        with pytest.raises(RuntimeError, match="cannot be restarted"):
            await server.start()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"tokens": "secret"}, TypeError),  # one string, not a sequence of tokens
        ({"tokens": {"": "user"}}, ValueError),
        ({"tokens": ["a", ""]}, ValueError),
        ({"default_backend": "gpt"}, ValueError),
        ({"workers": 0}, ValueError),
        ({"token_delay": -1}, ValueError),
        ({"ping_interval": 0}, ValueError),
        ({"pending_interval": 0}, ValueError),
        ({"header_timeout": 0}, ValueError),
        ({"body_timeout": -1}, ValueError),
        ({"body_limit": -1}, ValueError),
        ({"max_body_size": -1}, ValueError),
        ({"record_max_requests": 0}, ValueError),
        ({"record_max_body_bytes": -1}, ValueError),
        ({"backlog": 0}, ValueError),
    ],
)
def test_a_bad_server_config_is_refused(fields: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        ServerConfig(**fields)


def listen_queue_length(port: int) -> int:
    """The accept queue length of the socket listening on ``port``, as the kernel reports it."""
    # ss (iproute2) shows a listening socket's backlog as its Send-Q.
    shown = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.split()
    assert shown[0] == "LISTEN", shown
    return int(shown[2])


@pytest.mark.parametrize(("backlog", "expected"), [(None, 2048), (300, 300)])
def test_the_listen_queue_holds_a_thousand_connecting_clients(
    backlog: int | None, expected: int
) -> None:
    # aiohttp's default of 128 overflowed when 1,000 chats connected at once:
    # the kernel dropped connections and clients read resets.
    server = (
        ThreadedServer(warn_open_mode=False)
        if backlog is None
        else ThreadedServer(warn_open_mode=False, backlog=backlog)
    )
    with server:
        assert listen_queue_length(server.port) == expected


def test_threaded_server_stop_ends_open_streams() -> None:
    server = ThreadedServer(pending_interval=0.05, warn_open_mode=False)
    server.start()
    chat_id, _, reply = conversation(server.port, fault="never-end")
    results: list[RawResponse] = []
    opened = threading.Event()

    def reader() -> None:
        with stream(server.port, events_path(chat_id, reply["id"])) as (conn, head):
            chunks = conn.iter_chunks(head, timeout=10)
            next(chunks)
            opened.set()
            for _ in chunks:
                pass
            results.append(head)

    thread = threading.Thread(target=reader)
    thread.start()
    assert opened.wait(10)
    server.stop()
    thread.join(10)
    assert results
    assert results[0].complete
    with pytest.raises(OSError):
        request(server.port, "GET", "/chats", timeout=2)


def test_start_failure_is_raised() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            ThreadedServer(port=port, warn_open_mode=False).start()
        with pytest.raises(OSError), ThreadedServer(port=port, warn_open_mode=False):
            pass  # entering the block starts it: the same failure


def test_threaded_server_starts_on_with_and_stops_on_leaving() -> None:
    server = ThreadedServer(ServerConfig(token_delay=0), warn_open_mode=False, workers=1)
    assert (server.config.token_delay, server.config.workers) == (0, 1)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url  # not started until the block is entered
    with server:
        assert server.url.startswith("http://127.0.0.1:")
        assert request(server.port, "GET", "/configs/model_configs").status == 200
        with pytest.raises(RuntimeError, match="already started"):
            server.start()
    with pytest.raises(OSError):
        request(server.port, "GET", "/chats", timeout=2)


def test_a_started_threaded_server_is_not_started_again_by_with() -> None:
    server = ThreadedServer(token_delay=0, warn_open_mode=False)
    server.start()
    with server:  # already listening: the block uses it and stops it at the end
        assert request(server.port, "GET", "/configs/model_configs").status == 200
    with pytest.raises(OSError):
        request(server.port, "GET", "/chats", timeout=2)


def test_introspection(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    cookie = ("cookie", "__Secure-next-auth.session-token=abc; other=1")
    created = request(port, "POST", "/api/chat", headers=[cookie])
    chat_id = created.json()["id"]
    request(port, "DELETE", "/api/chat", params=[("chat_id", chat_id)], headers=[cookie])
    inference_chat = new_chat(port)
    request(port, "DELETE", "/chats")  # the inference server's path, another method: 405
    request(port, "GET", "/nowhere")  # neither API's path: 404
    records = oa_server.requests
    assert [(r.method, r.path, r.step, r.dialect, r.status) for r in records] == [
        ("POST", "/api/chat", "create_chat", Dialect.WEB, 200),
        ("DELETE", "/api/chat", "delete_chat", Dialect.WEB, 200),
        ("POST", "/chats", "create_chat", Dialect.INFERENCE, 200),
        ("DELETE", "/chats", "other", Dialect.INFERENCE, 405),
        ("GET", "/nowhere", "other", None, 404),
    ]
    assert records[0].host == f"127.0.0.1:{port}"
    assert records[0].cookies == {"__Secure-next-auth.session-token": "abc", "other": "1"}
    assert records[1].query == {"chat_id": [chat_id]}
    assert records[2].json() == {}
    assert records[2].cookies == {}  # e.g.: no cookie went to this request
    assert oa_server.deleted_chat_ids == [chat_id]
    assert [c["id"] for c in oa_server.chats()] == [inference_chat]
    oa_server.clear_requests()
    assert oa_server.requests == []


@pytest.mark.oa_server(token_delay=0.5, seed=7, workers=2)
def test_marker_configures_the_fixture(oa_server: ThreadedServer) -> None:
    assert oa_server.config.token_delay == 0.5
    assert oa_server.config.seed == 7
    assert oa_server.config.workers == 2
    assert oa_server.config.pending_interval == 0.2  # the fixture's test default


def test_factory_starts_independent_servers(oa_server_factory: Any) -> None:
    one = oa_server_factory(tokens=["a"])
    two = oa_server_factory()
    assert one.port != two.port
    assert request(one.port, "POST", "/api/chat").status == 403
    assert request(two.port, "POST", "/api/chat").status == 200


def test_session_server_is_shared(oa_server_session: ThreadedServer) -> None:
    assert request(oa_server_session.port, "GET", "/chats").status == 200


class Shouting:
    """A custom backend: the prompt in capitals, then a failure if asked."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[GenerationRequest] = []

    async def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        self.seen.append(request)
        for word in request.thread[-1].content.upper().split():
            yield word + " "
        if self.fail:
            raise RuntimeError("engine on fire")


def test_custom_backends() -> None:
    loud, broken = Shouting(), Shouting(fail=True)
    with ThreadedServer(
        backends={"shout": loud, "OA_SFT_Llama_30B_6": broken},
        token_delay=0,
        pending_interval=5,
        warn_open_mode=False,
    ) as server:
        names = [m["name"] for m in request(server.port, "GET", "/configs/model_configs").json()]
        assert names[-2:] == ["_echo", "shout"]
        chat_id, _, reply = conversation(
            server.port, model="shout", content="hi there", fault="queue=0.3"
        )
        events = read_stream(server.port, events_path(chat_id, reply["id"]))
        last = event_json(events.chunks[-1])
        assert last["message"]["content"] == "HI THERE "
        assert loud.seen[0].model_config_name == "shout"
        assert loud.seen[0].sampling_parameters["max_new_tokens"] == 1024
        chat_id, _, reply = conversation(
            server.port, model="OA_SFT_Llama_30B_6", content="x", fault="queue=0.3"
        )
        events = read_stream(server.port, events_path(chat_id, reply["id"]))
        error = event_json(events.chunks[-1])
        assert error["error"] == "engine on fire"
        assert error["message"]["state"] == "aborted_by_worker"
