"""The event stream on the wire: framing, pending, pings, tokens, endings."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import pytest

from oaproto.transports.server import ThreadedServer
from tests.helpers.raw_http import (
    RawResponse,
    assistant,
    conversation,
    data_chunks,
    event_json,
    events_path,
    new_chat,
    prompter,
    read_stream,
    request,
    stream,
    wait_message_state,
)

SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"date: .*\r\n"
    b"server: .*\r\n"
    b"cache-control: no-cache\r\n"
    b"connection: keep-alive\r\n"
    b"x-accel-buffering: no\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
PING = re.compile(rb": ping - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\r\n\r\n")


def events_of(response: RawResponse) -> list[dict[str, Any]]:
    return [event_json(chunk) for chunk in data_chunks(response.chunks)]


def pending_numbers(events: list[dict[str, Any]]) -> list[tuple[int, int]]:
    numbers: list[tuple[int, int]] = []
    for event in events:
        if event["event_type"] == "pending":
            pair = (event["queue_position"], event["queue_size"])
            if not numbers or numbers[-1] != pair:
                numbers.append(pair)
    return numbers


@pytest.mark.oa_server(pending_interval=5.0, token_delay=0.001)
def test_framing_one_chunk_per_event_and_no_pending_when_idle(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, fault="queue=0.3")
    response = read_stream(port, events_path(chat_id, reply["id"]))
    assert re.fullmatch(SSE_HEAD, response.head), response.head
    assert response.complete
    # Every chunk is exactly one event; the stream ends right after the message.
    for chunk in response.chunks:
        assert re.fullmatch(rb"data: \{[^\r\n]*\}\r\n\r\n", chunk), chunk
    body = response.raw[len(response.head) :]
    sizes = re.findall(rb"(?:^|\r\n)([0-9a-fA-F]+)\r\n", body)
    assert all(size == size.lower() for size in sizes)
    assert body.endswith(b"\r\n0\r\n\r\n")
    events = events_of(response)
    assert events[0]["event_type"] == "token"  # the worker was idle: no pending at all
    assert [e["event_type"] for e in events[:-1]] == ["token"] * (len(events) - 1)
    assert events[-1]["event_type"] == "message"


@pytest.mark.oa_server(pending_interval=5.0, token_delay=0.001)
def test_lorem_tokens_join_to_the_final_content(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, fault="queue=0.3")
    events = events_of(read_stream(port, events_path(chat_id, reply["id"])))
    tokens = [e["text"] for e in events if e["event_type"] == "token"]
    message = events[-1]["message"]
    assert 35 <= len(tokens) <= 60
    assert all(t.endswith(" ") and " " not in t[:-1] for t in tokens[:-1])
    assert not tokens[-1].endswith(" ")
    assert "".join(tokens) == message["content"]
    assert message["state"] == "complete"
    assert message["id"] == reply["id"]
    assert list(message) == list(reply)
    chat = request(port, "GET", f"/chats/{chat_id}").json()
    assert chat["messages"][1]["content"] == message["content"]


@pytest.mark.oa_server(pending_interval=5.0, token_delay=0.001)
def test_llama_content_is_the_stripped_tokens(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, model="OA_SFT_Llama_30B_6", fault="queue=0.3")
    events = events_of(read_stream(port, events_path(chat_id, reply["id"])))
    joined = "".join(e["text"] for e in events if e["event_type"] == "token")
    content = events[-1]["message"]["content"]
    assert joined != content
    assert joined.strip() == content


@pytest.mark.oa_server(pending_interval=5.0, token_delay=0.001)
def test_event_bytes_use_pydantic_separators_and_ascii_escapes(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(
        port, model="_echo", content="héllo wörld ✓", fault="queue=0.3"
    )
    response = read_stream(port, events_path(chat_id, reply["id"]))
    chunks = data_chunks(response.chunks)
    assert chunks[:3] == [
        b'data: {"event_type": "token", "text": "h\\u00e9llo "}\r\n\r\n',
        b'data: {"event_type": "token", "text": "w\\u00f6rld "}\r\n\r\n',
        b'data: {"event_type": "token", "text": "\\u2713"}\r\n\r\n',
    ]
    final = chunks[3]
    message = event_json(final)["message"]
    expected = json.dumps({"event_type": "message", "message": message}).encode()
    assert final == b"data: " + expected + b"\r\n\r\n"
    assert final.startswith(b'data: {"event_type": "message", "message": {"id": "')
    assert b'"content": "h\\u00e9llo w\\u00f6rld \\u2713", "chat_id": ' in final


@pytest.mark.oa_server(pending_interval=0.05, token_delay=0.001)
def test_queued_message_pending_then_zero_zero_before_first_token(
    oa_server: ThreadedServer,
) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, fault="queue=0.3")
    response = read_stream(port, events_path(chat_id, reply["id"]))
    events = events_of(response)
    assert response.chunks[0] == (
        b'data: {"event_type": "pending", "queue_position": 1, "queue_size": 1}\r\n\r\n'
    )
    first_token = next(i for i, e in enumerate(events) if e["event_type"] == "token")
    assert events[first_token - 1] == {
        "event_type": "pending",
        "queue_position": 0,
        "queue_size": 0,
    }
    assert pending_numbers(events) == [(1, 1), (0, 0)]
    assert all(e["event_type"] != "pending" for e in events[first_token:])


@pytest.mark.oa_server(
    pending_interval=0.03, token_delay=0.005, workers=1, tokens={"a": "A", "b": "B", "c": "C"}
)
def test_queue_positions_count_down_as_workers_free(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    # Three users: one user's new message would cancel their previous pending one.
    users = [[("authorization", f"Bearer {token}")] for token in "abc"]
    replies = [conversation(port, fault="queue=0.3", headers=user) for user in users]
    chat_id, _, last = replies[-1]
    events = events_of(read_stream(port, events_path(chat_id, last["id"]), headers=users[-1]))
    # The reference's observed sequence: (3,3) -> (2,2) -> (1,1) -> (0,0).
    assert pending_numbers(events) == [(3, 3), (2, 2), (1, 1), (0, 0)]
    assert events[-1]["event_type"] == "message"


@pytest.mark.oa_server(ping_interval=0.05, pending_interval=10.0, token_delay=0.001)
def test_pings_are_comments_on_an_interval(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, fault="queue=0.4")
    response = read_stream(port, events_path(chat_id, reply["id"]))
    pings = [c for c in response.chunks if c.startswith(b":")]
    assert len(pings) >= 3
    assert all(PING.fullmatch(p) for p in pings)
    assert response.complete


@pytest.mark.oa_server(pending_interval=5.0, token_delay=0.01)
def test_two_readers_split_the_tokens_and_one_never_ends(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, fault="queue=0.3")
    path = events_path(chat_id, reply["id"])
    results: list[RawResponse] = []

    def reader() -> None:
        with stream(port, path, timeout=3) as (conn, head):
            try:
                for _ in conn.iter_chunks(head, timeout=1.0):
                    pass
            except TimeoutError:
                pass
            results.append(head)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 2
    ended = [r for r in results if r.complete]
    hanging = [r for r in results if not r.complete]
    assert len(ended) == 1
    assert len(hanging) == 1
    all_events = [events_of(r) for r in results]
    tokens = [[e["text"] for e in evs if e["event_type"] == "token"] for evs in all_events]
    assert all(tokens)  # both got some
    final = next(e for evs in all_events for e in evs if e["event_type"] == "message")
    assert len(tokens[0]) + len(tokens[1]) == len(final["message"]["content"].split())
    assert all(e["event_type"] != "message" for e in events_of(hanging[0]))


@pytest.mark.oa_server(pending_interval=5.0, token_delay=0.02)
def test_late_reader_gets_the_buffered_events(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port)
    time.sleep(0.15)  # a few tokens are buffered by now
    events = events_of(read_stream(port, events_path(chat_id, reply["id"])))
    tokens = "".join(e["text"] for e in events if e["event_type"] == "token")
    assert tokens == events[-1]["message"]["content"]


@pytest.mark.oa_server(pending_interval=0.03)
def test_cancelled_message_pends_for_ever(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, held = conversation(port, fault="queue=0.3")
    other = new_chat(port)
    assistant(port, other, prompter(port, other)["id"])  # cancels the held one
    with (
        stream(port, events_path(chat_id, held["id"])) as (conn, head),
        pytest.raises(TimeoutError),
    ):
        for _ in conn.iter_chunks(head, timeout=0.5):
            pass
    assert not head.complete
    assert {e["event_type"] for e in events_of(head)} == {"pending"}
    message = request(port, "GET", f"/chats/{chat_id}/messages/{held['id']}").json()
    assert message["state"] == "cancelled"


@pytest.mark.oa_server(pending_interval=0.05, assistant_message_timeout=0.1)
def test_message_dequeued_too_late_ends_with_timeout(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, fault="queue=0.3")
    response = read_stream(port, events_path(chat_id, reply["id"]))
    events = events_of(response)
    assert response.complete
    assert pending_numbers(events)[0] == (1, 1)
    error = events[-1]
    assert list(error) == ["event_type", "error", "message"]
    assert error["error"] == "Timeout"
    assert error["message"]["state"] == "timeout"
    assert error["message"]["content"] is None
    assert data_chunks(response.chunks)[-1].startswith(
        b'data: {"event_type": "error", "error": "Timeout", "message": {"id": '
    )


@pytest.mark.oa_server(
    pending_interval=0.03, assistant_message_timeout=0.01, message_queue_expire=0.05
)
def test_timeout_error_expires_then_pending_for_ever(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, fault="queue=0.05")
    wait_message_state(port, chat_id, reply["id"], "timeout")
    time.sleep(0.1)  # past message_queue_expire: the queued error is gone
    with (
        stream(port, events_path(chat_id, reply["id"])) as (conn, head),
        pytest.raises(TimeoutError),
    ):
        for _ in conn.iter_chunks(head, timeout=0.3):
            pass
    assert {e["event_type"] for e in events_of(head)} == {"pending"}


@pytest.mark.oa_server(pending_interval=5.0, token_delay=0.001)
def test_enabled_plugin_gives_plugin_intermediate_and_an_empty_token(
    oa_server: ThreadedServer,
) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    reply = assistant(
        port,
        chat_id,
        first["id"],
        plugins=[{"url": "http://plugin.example/ai-plugin.json"}],
        headers=[("x-oaproto-fault", "queue=0.3")],
    )
    assert reply["work_parameters"]["plugins"] == [
        {
            "url": "http://plugin.example/ai-plugin.json",
            "enabled": True,
            "plugin_config": None,
            "trusted": False,
        }
    ]
    events = events_of(read_stream(port, events_path(chat_id, reply["id"])))
    assert list(events[0]) == [
        "event_type",
        "current_plugin_thought",
        "current_plugin_action_taken",
        "current_plugin_action_input",
        "current_plugin_action_response",
        "message",
    ]
    assert events[0]["event_type"] == "plugin_intermediate"
    assert events[0]["message"] is None
    assert events[1] == {"event_type": "token", "text": ""}


def test_http_1_0_stream_runs_to_connection_close(oa_server: ThreadedServer) -> None:
    import socket

    chat_id, _, reply = conversation(oa_server.port)
    head = f"GET {events_path(chat_id, reply['id'])} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", oa_server.port), timeout=10) as sock:
        sock.sendall(head.encode())
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
    status_and_headers, _, body = bytes(received).partition(b"\r\n\r\n")
    assert status_and_headers.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"transfer-encoding" not in status_and_headers.lower()
    frames = [frame for frame in body.split(b"\r\n\r\n") if frame.startswith(b"data: ")]
    assert json.loads(frames[-1][len(b"data: ") :])["event_type"] == "message"
