"""Every fault mode, and the bytes it puts on the wire; the three ways to select faults."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest

from oaproto import Dialect
from oaproto.transports.server import (
    INVALID_JSON_FRAME,
    MALFORMED_SSE_FRAME,
    UNKNOWN_EVENT_FRAME,
    Fault,
    FaultKind,
    FaultRule,
    FaultSpecError,
    ThreadedServer,
)
from tests.helpers.raw_http import (
    Connection,
    RawResponse,
    conversation,
    event_json,
    events_path,
    expect_head,
    json_head,
    new_chat,
    prompter,
    read_stream,
    request,
    stream,
    wait_message_state,
)

STREAMING = {"pending_interval": 5.0, "token_delay": 0.002}
TOKEN = b'data: {"event_type": "token", "text": '


def faulty_stream(server: ThreadedServer, spec: str, *, model: str = "_lorem") -> RawResponse:
    chat_id, _, reply = conversation(server.port, model=model, fault="queue=0.3")
    return read_stream(
        server.port, events_path(chat_id, reply["id"]), headers=[("x-oaproto-fault", spec)]
    )


def kinds(response: RawResponse) -> list[str]:
    return [event_json(c)["event_type"] for c in response.chunks if c.startswith(b"data: ")]


# -- HTTP status faults ------------------------------------------------------------------


def fault_request(
    server: ThreadedServer, method: str, path: str, spec: str, **kw: Any
) -> RawResponse:
    headers = [("x-oaproto-fault", spec), *kw.pop("headers", [])]
    return request(server.port, method, path, headers=headers, **kw)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, None),
        (503, b'{"detail":"The server is currently busy. Please try again later."}'),
        (413, b'{"detail":"Maximum number of messages reached for this chat"}'),
        (429, b'{"detail":"Too Many Requests. Retry After 60 seconds."}'),
    ],
)
def test_status_at_inference_assistant_message(
    oa_server: ThreadedServer, status: int, body: bytes | None
) -> None:
    chat_id = new_chat(oa_server.port)
    first = prompter(oa_server.port, chat_id)
    response = fault_request(
        oa_server,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        f"status={status}",
        json_body={"parent_id": first["id"], "model_config_name": "_lorem"},
    )
    if body is None:
        expect_head(
            response, 500, [("content-length", "21"), ("content-type", "text/plain; charset=utf-8")]
        )
        assert response.body == b"Internal Server Error"
    else:
        extra = [("retry-after", "60")] if status == 429 else []
        expect_head(response, status, [*extra, *json_head(body)])
        assert response.body == body
    # Nothing was created: the fault answered instead of the route.
    assert [
        m["role"] for m in request(oa_server.port, "GET", f"/chats/{chat_id}").json()["messages"]
    ] == ["prompter"]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b'{"message":"Something went wrong"}'),
        (503, b'{"message":"The server is currently busy. Please try again later."}'),
        (413, b'{"message":"Maximum number of messages reached for this chat"}'),
        (429, b'{"message":"Too Many Requests. Retry After 60 seconds."}'),
    ],
)
def test_status_at_web_assistant_message(
    oa_server: ThreadedServer, status: int, body: bytes
) -> None:
    response = fault_request(
        oa_server, "POST", "/api/chat/assistant_message", f"status={status}", json_body={}
    )
    expect_head(response, status, json_head(body, "application/json; charset=utf-8"))
    assert response.body == body


def test_status_elsewhere(oa_server: ThreadedServer) -> None:
    web_500 = fault_request(oa_server, "GET", "/api/chat/events", "status=500")
    expect_head(web_500, 500, [("content-length", "21")])
    assert web_500.body == b"Internal Server Error"
    web_503 = fault_request(oa_server, "POST", "/api/chat", "status=503")
    expect_head(web_503, 503, [("content-length", "19")])
    assert web_503.body == b"Service Unavailable"
    web_404 = fault_request(oa_server, "POST", "/api/chat", "status=404")
    expect_head(web_404, 404, [("content-length", "0")])
    inference = fault_request(oa_server, "POST", "/chats", "status=503", json_body={})
    assert inference.status == 503
    assert inference.body == b'{"detail":"Service Unavailable"}'
    prompt = fault_request(
        oa_server, "POST", "/chats/x/prompter_message", "status=413", json_body={}
    )
    assert prompt.body == b'{"detail":"Message content exceeds max length"}'
    # A spec naming another step does not apply to this request.
    assert (
        fault_request(oa_server, "POST", "/chats", "status=503@events", json_body={}).status == 200
    )


def test_slow_headers_sends_nothing_first(oa_server: ThreadedServer) -> None:
    connection = Connection(oa_server.port)
    try:
        connection.send(
            "POST", "/chats", json_body={}, headers=[("x-oaproto-fault", "slow-headers=0.4")]
        )
        connection.sock.settimeout(0.1)
        with pytest.raises(socket.timeout):
            connection.sock.recv(1)  # not even the status line yet
        response = connection.read_response(timeout=5)
    finally:
        connection.close()
    assert response.status == 200


# -- stream faults ----------------------------------------------------------------------


@pytest.mark.oa_server(**STREAMING)
def test_close_after_tokens_clean(oa_server: ThreadedServer) -> None:
    response = faulty_stream(oa_server, "close-after-tokens=3")
    assert kinds(response) == ["token"] * 3
    assert response.complete  # terminating chunk, but no message/error event
    assert response.raw.endswith(b"\r\n\r\n\r\n0\r\n\r\n")


@pytest.mark.oa_server(**STREAMING)
@pytest.mark.parametrize("how", ["abrupt", "reset"])
def test_close_after_tokens_abrupt_or_reset(oa_server: ThreadedServer, how: str) -> None:
    response = faulty_stream(oa_server, f"close-after-tokens=3;{how}")
    assert not response.complete
    assert kinds(response) == ["token"] * 3
    assert not response.raw.endswith(b"0\r\n\r\n")


@pytest.mark.oa_server(**STREAMING, ping_interval=0.02)
def test_stall_sends_no_bytes_not_even_pings(oa_server: ThreadedServer) -> None:
    chat_id, _, reply = conversation(oa_server.port, fault="queue=0.3")
    path = events_path(chat_id, reply["id"])
    with stream(oa_server.port, path, headers=[("x-oaproto-fault", "stall=0.5;after=2")]) as (
        conn,
        head,
    ):
        tokens = 0
        for chunk in conn.iter_chunks(head, timeout=5):
            tokens += chunk.startswith(TOKEN)  # pings may come first, while queued
            if tokens == 2:
                break
        conn.sock.settimeout(0.2)
        with pytest.raises(socket.timeout):
            conn.sock.recv(1)  # the stall: silence, pings included
        rest = list(conn.iter_chunks(head, timeout=5))
    assert head.complete
    assert event_json([c for c in rest if c.startswith(b"data")][-1])["event_type"] == "message"


@pytest.mark.oa_server(**STREAMING)
def test_injected_frames(oa_server: ThreadedServer) -> None:
    malformed = faulty_stream(oa_server, "malformed-sse;after=1")
    assert malformed.chunks[1] == MALFORMED_SSE_FRAME
    assert malformed.chunks[1] == b'data {"event_type": "token", "text": "malformed"}\r\n\r\n'
    assert malformed.chunks[0].startswith(TOKEN)
    assert malformed.complete
    invalid = faulty_stream(oa_server, "invalid-json")
    assert (
        invalid.chunks[0] == INVALID_JSON_FRAME == b'data: {"event_type": "token", "text": \r\n\r\n'
    )
    unknown = faulty_stream(oa_server, "unknown-event;after=2")
    assert unknown.chunks[2] == UNKNOWN_EVENT_FRAME
    assert (
        unknown.chunks[2]
        == b'data: {"event_type": "oaproto_unknown", "detail": "injected"}\r\n\r\n'
    )
    # Several at once, separated by commas.
    both = faulty_stream(oa_server, "invalid-json;after=1, unknown-event;after=1")
    assert both.chunks[1:3] == [INVALID_JSON_FRAME, UNKNOWN_EVENT_FRAME]


@pytest.mark.oa_server(**STREAMING)
def test_duplicate_and_out_of_order(oa_server: ThreadedServer) -> None:
    duplicated = faulty_stream(oa_server, "duplicate=2")
    assert duplicated.chunks[1] == duplicated.chunks[2]
    content = event_json(duplicated.chunks[-1])["message"]["content"]
    texts = [event_json(c)["text"] for c in duplicated.chunks[:-1]]
    assert "".join(texts) != content
    del texts[1]
    assert "".join(texts) == content
    swapped = faulty_stream(oa_server, "out-of-order=2")
    texts = [event_json(c)["text"] for c in swapped.chunks[:-1]]
    content = event_json(swapped.chunks[-1])["message"]["content"]
    texts[1], texts[2] = texts[2], texts[1]
    assert "".join(texts) == content


def expect_worker_abort(
    server: ThreadedServer, response: RawResponse, chat_id: str, message_id: str
) -> None:
    assert kinds(response) == ["token", "token", "error"]
    error = event_json(response.chunks[-1])
    assert response.chunks[-1].startswith(
        b'data: {"event_type": "error", "error": "Aborted due to worker error.", "message": {"id": '
    )
    assert error["message"]["state"] == "aborted_by_worker"
    assert error["message"]["content"] is None
    assert response.complete
    message = request(server.port, "GET", f"/chats/{chat_id}/messages/{message_id}").json()
    assert message["state"] == "aborted_by_worker"
    # aborted_by_worker counts as finished: a new reader gets 204.
    assert request(server.port, "GET", events_path(chat_id, message_id)).status == 204


@pytest.mark.oa_server(**STREAMING)
def test_error_after_tokens_on_the_stream(oa_server: ThreadedServer) -> None:
    chat_id, _, reply = conversation(oa_server.port, fault="queue=0.3")
    response = read_stream(
        oa_server.port,
        events_path(chat_id, reply["id"]),
        headers=[("x-oaproto-fault", "error-after-tokens=2")],
    )
    expect_worker_abort(oa_server, response, chat_id, reply["id"])


@pytest.mark.oa_server(**STREAMING)
def test_error_after_tokens_in_the_worker(oa_server: ThreadedServer) -> None:
    chat_id, _, reply = conversation(oa_server.port, fault="queue=0.3, error-after-tokens=2")
    response = read_stream(oa_server.port, events_path(chat_id, reply["id"]))
    expect_worker_abort(oa_server, response, chat_id, reply["id"])


@pytest.mark.oa_server(**STREAMING)
def test_timeout_fault(oa_server: ThreadedServer) -> None:
    chat_id, _, reply = conversation(oa_server.port, fault="queue=0.3, timeout")
    response = read_stream(oa_server.port, events_path(chat_id, reply["id"]))
    assert kinds(response) == ["error"]
    error = event_json(response.chunks[0])
    assert error["error"] == "Timeout"
    assert error["message"]["state"] == "timeout"


@pytest.mark.oa_server(pending_interval=0.03, token_delay=0.002)
def test_queue_fault_gives_pending(oa_server: ThreadedServer) -> None:
    response = faulty_stream(oa_server, "")
    assert kinds(response)[0] == "pending"
    assert kinds(response)[-1] == "message"


@pytest.mark.oa_server(pending_interval=0.03, token_delay=0.002)
@pytest.mark.parametrize("where", ["events", "assistant_message"])
def test_never_end(oa_server: ThreadedServer, where: str) -> None:
    port = oa_server.port
    on_message = where == "assistant_message"
    chat_id, _, reply = conversation(port, fault="never-end" if on_message else "queue=0.3")
    headers = [] if on_message else [("x-oaproto-fault", "never-end")]
    with (
        stream(port, events_path(chat_id, reply["id"]), headers=headers) as (conn, head),
        pytest.raises(TimeoutError),
    ):
        for _ in conn.iter_chunks(head, timeout=0.4):
            pass
    assert not head.complete
    assert set(kinds(head)) == {"pending"}
    assert len(head.chunks) >= 3
    assert re.fullmatch(
        rb'data: \{"event_type": "pending", "queue_position": \d, "queue_size": \d\}\r\n\r\n',
        head.chunks[0],
    )
    # On the stream, the message itself completes meanwhile; in the worker it never starts.
    if on_message:
        path = f"/chats/{chat_id}/messages/{reply['id']}"
        assert request(port, "GET", path).json()["state"] == "pending"
    else:
        wait_message_state(port, chat_id, reply["id"], "complete")


# -- selecting faults -----------------------------------------------------------------------


@pytest.mark.oa_server(faults=["status=503@assistant_message*1", "status=500@web:create_chat"])
def test_faults_from_the_configuration(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)  # inference create_chat: not matched (web only)
    first = prompter(port, chat_id)
    body = {"parent_id": first["id"], "model_config_name": "_lorem"}
    path = f"/chats/{chat_id}/assistant_message"
    assert request(port, "POST", path, json_body=body).status == 503
    assert request(port, "POST", path, json_body=body).status == 200  # *1: used up
    for _ in range(2):
        assert request(port, "POST", "/api/chat").status == 500  # no count: every time


# times=None: the marker's rule object is shared by every run of the test.
@pytest.mark.oa_server(faults=[FaultRule(Fault.status(502), "create_chat", Dialect.INFERENCE)])
def test_fault_rules_with_a_dialect_in_the_marker(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    assert request(port, "POST", "/api/chat").status == 200  # web: not matched
    for _ in range(2):
        assert request(port, "POST", "/chats", json_body={}).status == 502


def test_faults_from_the_python_api(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    rule = oa_server.faults.add("status=429", step="create_chat", dialect=Dialect.INFERENCE)
    assert request(port, "POST", "/api/chat").status == 200
    assert request(port, "POST", "/chats", json_body={}).status == 429
    assert request(port, "POST", "/chats", json_body={}).status == 200
    assert rule not in oa_server.faults.rules
    forever = oa_server.faults.add(Fault.status(500), times=None)
    assert request(port, "GET", "/chats").status == 500
    assert request(port, "GET", "/api/chat/models").status == 500
    oa_server.faults.remove(forever)
    assert request(port, "GET", "/chats").status == 200
    recorded = [r for r in oa_server.requests if r.status == 500]
    assert [r.faults for r in recorded] == [("status=500",), ("status=500",)]


def test_a_dialect_is_a_dialect_value_in_code(oa_server: ThreadedServer) -> None:
    with pytest.raises(TypeError, match=r"oaproto\.Dialect"):
        oa_server.faults.add("status=500", dialect="web")  # type: ignore[arg-type]
    assert oa_server.faults.rules == []


def test_a_path_of_neither_api_only_meets_rules_for_both_dialects(
    oa_server: ThreadedServer,
) -> None:
    port = oa_server.port
    oa_server.faults.add("status=503", step="other", dialect=Dialect.INFERENCE, times=None)
    assert request(port, "GET", "/nowhere").status == 404  # neither API's path
    assert request(port, "PUT", "/chats").status == 503  # the inference server's path
    oa_server.faults.add("status=502", step="other", times=None)
    assert request(port, "GET", "/nowhere").status == 502
    assert [r.dialect for r in oa_server.requests] == [None, Dialect.INFERENCE, None]


def test_bad_fault_header_is_a_400(oa_server: ThreadedServer) -> None:
    response = request(oa_server.port, "GET", "/chats", headers=[("x-oaproto-fault", "explode")])
    assert response.status == 400
    assert response.body.startswith(b"bad x-oaproto-fault header: unknown fault 'explode'")


def test_fault_spec_syntax() -> None:
    assert Fault.parse("stall=2.5;after=3") == Fault(FaultKind.STALL, 2.5, after=3)
    assert Fault.parse("close-after-tokens=4;reset") == Fault.close_after_tokens(4, close="reset")
    assert Fault.parse("duplicate") == Fault.duplicate(1)
    for fault in (
        Fault.status(503),
        Fault.stall(1.5, after=2),
        Fault.close_after_tokens(0, close="abrupt"),
        Fault.error_after_tokens(0),
        Fault.never_end(),
        Fault.queue(2),
        Fault.malformed_sse(after=1),
    ):
        assert Fault.parse(fault.to_spec()) == fault
    rule = FaultRule.parse("status=503@web:assistant_message*2")
    assert (rule.step, rule.dialect, rule.times) == ("assistant_message", Dialect.WEB, 2)
    assert FaultRule.parse("status=503@ Inference :events").dialect is Dialect.INFERENCE
    assert FaultRule.parse("stall=1").step == "events"
    assert FaultRule.parse("queue=1").step == "assistant_message"
    assert FaultRule.parse("status=500").step is None
    for bad in ("nope", "status", "status=abc", "stall=1;sideways", "status=99", "stall=-1"):
        with pytest.raises(FaultSpecError):
            Fault.parse(bad)
    for bad_rule in (
        "stall=1@create_chat",
        "status=500@nowhere",
        "status=500@mobile:events",
        "status=500*0",
    ):
        with pytest.raises(FaultSpecError):
            FaultRule.parse(bad_rule)


@pytest.mark.parametrize(
    ("fault", "spec"),
    [
        (Fault.slow_headers(0.5), "slow-headers=0.5"),
        (Fault.invalid_json(after=2), "invalid-json;after=2"),
        (Fault.unknown_event(), "unknown-event"),
        (Fault.timeout(), "timeout"),
        (Fault.out_of_order(3), "out-of-order=3"),
    ],
)
def test_fault_constructors_write_their_spec(fault: Fault, spec: str) -> None:
    assert fault.to_spec() == spec
    assert Fault.parse(spec) == fault


def test_a_fault_closes_only_in_the_known_ways() -> None:
    with pytest.raises(FaultSpecError, match="close must be clean, abrupt or reset"):
        Fault(FaultKind.CLOSE_AFTER_TOKENS, 1, close="slam")


def test_fault_json_frames_are_what_the_docs_say() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(INVALID_JSON_FRAME[6:])
    assert json.loads(UNKNOWN_EVENT_FRAME[6:])["event_type"] == "oaproto_unknown"
    assert not MALFORMED_SSE_FRAME.startswith(b"data:")
