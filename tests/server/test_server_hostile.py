"""Hostile input at the reference server, over raw sockets: it answers as the real API does
for invalid input (or refuses it), stays valid JSON, stores nothing refused, bounds what a
client can hold, and logs one line per client mistake.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any

import pytest

from oaproto.transports.server import ServerConfig, ThreadedServer
from tests.helpers.raw_http import RawResponse, conversation, new_chat, prompter, request

JSON = [("content-type", "application/json")]
DEEP = 5000  # far past any parser's recursion limit


def strict_json(body: bytes) -> Any:
    """RFC 8259 JSON only: NaN and Infinity are refused."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(body, parse_constant=refuse)


def post(port: int, path: str, body: bytes, method: str = "POST") -> RawResponse:
    return request(port, method, path, body=body, headers=JSON)


def assistant_body(parent_id: str, **fields: str) -> bytes:
    """An assistant_message body; ``fields`` are raw JSON text (json.dumps cannot write 1e309)."""
    extra = "".join(f', "{name}": {text}' for name, text in fields.items())
    return f'{{"parent_id": "{parent_id}", "model_config_name": "_lorem"{extra}}}'.encode()


def still_serving(port: int) -> None:
    assert request(port, "GET", "/chats").status == 200


def exchange(port: int, data: bytes, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send ``data`` on a fresh connection, read until the server closes it.

    Returns what was read and how long the server took to close.
    """
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received, time.monotonic() - started


# -- item 2: nesting and integers beyond a double -----------------------------------------

BODY_ROUTES = [
    ("POST", "/chats"),
    ("PUT", "/chats/{chat}"),
    ("POST", "/chats/{chat}/prompter_message"),
    ("POST", "/chats/{chat}/assistant_message"),
    ("POST", "/chats/{chat}/messages/{message}/votes"),
    ("POST", "/chats/{chat}/messages/{message}/message_evals"),
    ("POST", "/chats/{chat}/messages/{message}/reports"),
    ("POST", "/configs/plugin_config"),
]
WEB_ROUTES = [
    ("POST", "/api/chat"),
    ("PUT", "/api/chat"),
    ("POST", "/api/chat/prompter_message"),
    ("POST", "/api/chat/assistant_message"),
    ("POST", "/api/chat/vote"),
    ("POST", "/api/chat/message_eval"),
    ("POST", "/api/chat/plugin_config"),
]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * DEEP + b"]" * DEEP,
        b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        b'{"content": ' + b"[" * 600 + b"]" * 600 + b"}",  # parses, but deeper than the cap
    ],
    ids=["arrays", "objects", "past-the-cap"],
)
def test_deep_nesting_is_a_400_on_every_body_route(oa_server: ThreadedServer, body: bytes) -> None:
    port = oa_server.port
    chat_id, first, _ = conversation(port)
    before = oa_server.chats()
    for method, path in BODY_ROUTES:
        target = path.format(chat=chat_id, message=first["id"])
        response = post(port, target, body, method)
        assert response.status == 400, (target, response.status, response.body[:200])
        assert response.body == b'{"detail":"There was an error parsing the body"}'
        assert response.header("connection") is None  # no crash closing the connection
    for method, path in WEB_ROUTES:
        response = post(port, path, body, method)
        assert (response.status, response.body) == (400, b"Invalid JSON"), path
    assert oa_server.chats() == before
    still_serving(port)


def test_nesting_within_the_cap_is_served(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    nested = b"[" * 400 + b"]" * 400
    response = post(port, "/chats", b'{"ignored": ' + nested + b"}")
    assert response.status == 200
    response = post(port, "/api/chat/prompter_message", b'{"ignored": ' + nested + b"}")
    assert response.status == 422  # reached the inference route: content is missing


HUGE = "1" + "0" * 400  # an integer beyond a double's range


def test_integers_beyond_a_double_are_the_client_error_they_are(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, reply = conversation(port)
    title = post(port, f"/chats/{chat_id}", f'{{"title": {HUGE}}}'.encode(), "PUT")
    assert title.status == 422  # str(HUGE) is longer than 100 characters
    assert strict_json(title.body)["detail"][0]["loc"] == ["body", "title"]
    for field in ("top_p", "temperature", "typical_p", "repetition_penalty"):
        body = assistant_body(first["id"], sampling_parameters=f'{{"{field}": {HUGE}}}')
        response = post(port, f"/chats/{chat_id}/assistant_message", body)
        assert response.status == 422
        assert strict_json(response.body)["detail"] == [
            {
                "loc": ["body", "sampling_parameters", field],
                "msg": "value is not a valid float",
                "type": "type_error.float",
            }
        ]
    # Web: JavaScript reads the integer as Infinity; JSON.stringify writes it as null.
    web_title = post(
        port, "/api/chat", f'{{"chat_id": "{chat_id}", "title": {HUGE}}}'.encode(), "PUT"
    )
    assert (web_title.status, web_title.body) == (200, b"")
    assert oa_server.chats()[0]["title"] == "Hello there"  # a null title changes nothing
    # As a chat id it is formatted into the path as "Infinity": an unknown chat.
    web_id = post(
        port, "/api/chat/prompter_message", f'{{"chat_id": {HUGE}, "content": "x"}}'.encode()
    )
    assert web_id.status == 500  # the route's catch of the upstream's empty 500
    assert strict_json(web_id.body) == {"message": "Something went wrong"}
    assert (
        request(
            port, "PUT", "/api/chat", body=f'{{"chat_id": -{HUGE}}}'.encode(), headers=JSON
        ).status
        == 500
    )
    assert len(oa_server.chats()[0]["messages"]) == 2  # nothing stored
    assert reply["state"] == "pending"
    still_serving(port)


# -- item 3: every answer is JSON ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "msg"),
    [
        ("top_p", "1e309", "number out of range 1e309"),
        ("temperature", "-1e999", "number out of range -1e999"),
        ("top_p", "NaN", "invalid constant NaN"),
        ("top_p", '"inf"', "ensure this value is a finite number"),
        ("typical_p", '"-Infinity"', "ensure this value is a finite number"),
        ("repetition_penalty", '"nan"', "ensure this value is a finite number"),
    ],
)
def test_non_finite_numbers_are_refused_never_echoed(
    oa_server: ThreadedServer, field: str, value: str, msg: str
) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    sampling = f'{{"{field}": {value}}}'
    body = assistant_body(first["id"], sampling_parameters=sampling)
    response = post(port, f"/chats/{chat_id}/assistant_message", body)
    assert response.status == 422
    assert msg in strict_json(response.body)["detail"][0]["msg"]
    web_body = assistant_body(first["id"], sampling_parameters=sampling, chat_id=f'"{chat_id}"')
    web = post(port, "/api/chat/assistant_message", web_body)
    if value == "NaN":
        assert (web.status, web.body) == (400, b"Invalid JSON")  # JSON.parse refuses NaN
    elif msg.startswith("number out of range"):
        # JSON.parse reads an Infinity, JSON.stringify sends it upstream as null.
        assert web.status == 200
        assert strict_json(web.body)["work_parameters"]["sampling_parameters"][field] is None
    else:
        assert web.status == 422
        assert strict_json(web.body)["message"][0]["msg"] == msg
    assert len(oa_server.chats()[0]["messages"]) == (1 if web.status != 200 else 2)


def test_literal_errors_never_echo_infinity(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, _ = conversation(port)
    plugin = '{"url": "u", "plugin_config": null}'
    used = (
        '{"name": null, "execution_details": {"inner_monologue": [], "final_tool_output": "", '
        '"final_prompt": "", "final_generation_assisted": true, "status": 1e400}}'
    )
    body = assistant_body(first["id"], plugins=f"[{plugin}]", used_plugin=used)
    response = post(port, f"/chats/{chat_id}/assistant_message", body)
    assert response.status == 422
    strict_json(response.body)


# -- item 4: lone surrogates --------------------------------------------------------------


def test_lone_surrogates_are_refused_and_nothing_is_stored(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, reply = conversation(port)
    before = oa_server.chats()
    lone = '"x\\ud800y"'
    attempts = [
        ("PUT", f"/chats/{chat_id}", f'{{"title": {lone}}}', ["body", "title"]),
        (
            "POST",
            f"/chats/{chat_id}/prompter_message",
            f'{{"content": {lone}}}',
            ["body", "content"],
        ),
        (
            "POST",
            f"/chats/{chat_id}/messages/{first['id']}/reports",
            f'{{"report_type": "spam", "reason": {lone}}}',
            ["body", "reason"],
        ),
        (
            "POST",
            f"/chats/{chat_id}/assistant_message",
            assistant_body(first["id"], system_prompt=lone).decode(),
            ["body", "system_prompt"],
        ),
        (
            "POST",
            f"/chats/{chat_id}/messages/{reply['id']}/message_evals",
            f'{{"inferior_message_ids": ["a", {lone}]}}',
            ["body", "inferior_message_ids", 1],
        ),
    ]
    for method, path, body, loc in attempts:
        response = post(port, path, body.encode(), method)
        assert response.status == 422, (path, response.body)
        assert strict_json(response.body)["detail"] == [
            {
                "loc": loc,
                "msg": "string contains a lone surrogate",
                "type": "value_error.str.surrogate",
            }
        ]
    # Surrogates as raw bytes (CESU-8), which Python's JSON decoder lets through too.
    raw = b'{"content": "\xed\xa0\x80"}'
    assert post(port, f"/chats/{chat_id}/prompter_message", raw).status == 422
    # The web API hands them on escaped (JSON.stringify), so the same check answers.
    web = post(
        port,
        "/api/chat/prompter_message",
        f'{{"chat_id": "{chat_id}", "content": {lone}}}'.encode(),
    )
    assert web.status == 422
    assert strict_json(web.body)["message"][0]["type"] == "value_error.str.surrogate"
    # Unknown keys are ignored, surrogates in them too, as pydantic ignores them.
    ignored = f'{{"content": "fine", "parent_id": "{reply["id"]}", "junk": {lone}}}'
    assert post(port, f"/chats/{chat_id}/prompter_message", ignored.encode()).status in (200, 400)
    after = oa_server.chats()
    assert [m["content"] for m in after[0]["messages"]][:2] == [
        m["content"] for m in before[0]["messages"]
    ]
    assert after[0]["title"] == before[0]["title"]
    assert request(port, "GET", f"/chats/{chat_id}").status == 200
    assert request(port, "GET", "/chats").status == 200
    assert request(port, "GET", "/api/chat").status == 200


# -- item 5: the object spread is linear --------------------------------------------------

MIB_STRING = b'"' + b"x" * (1024 * 1024 - 2) + b'"'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/chat/prompter_message"),
        ("POST", "/api/chat/assistant_message"),
        ("PUT", "/api/chat"),
    ],
)
def test_a_one_mib_string_body_answers_as_an_empty_object_would(
    oa_server: ThreadedServer, method: str, path: str
) -> None:
    port = oa_server.port
    # {chat_id, ...rest} = "xxx...": chat_id is undefined and rest has only index
    # keys, which the inference models ignore: the same answer as for "".
    empty = request(port, method, path, body=b'""', headers=JSON, timeout=5)
    big = request(port, method, path, body=MIB_STRING, headers=JSON, timeout=5)  # took ~12 s
    assert (big.status, big.body) == (empty.status, empty.body)
    assert big.status in (422, 500)
    as_text = request(port, method, path, body=MIB_STRING[1:-1], timeout=5)
    assert (as_text.status, as_text.body) == (empty.status, empty.body)
    still_serving(port)


# -- item 6: the request log is bounded ---------------------------------------------------


@pytest.mark.oa_server(record_max_requests=5, record_max_body_bytes=3000)
def test_request_log_keeps_the_newest_within_count_and_bytes(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    for index in range(8):
        request(port, "POST", "/chats", body=json.dumps({"i": index}).encode(), headers=JSON)
    kept = oa_server.requests
    assert [r.json()["i"] for r in kept] == [3, 4, 5, 6, 7]
    for index in range(3):
        body = json.dumps({"i": index, "pad": "p" * 1000}).encode()
        request(port, "POST", "/chats", body=body, headers=JSON)
    kept = oa_server.requests
    assert sum(len(r.body) for r in kept) <= 3000
    assert [r.json()["i"] for r in kept][-2:] == [1, 2]
    big = b'{"pad": "' + b"p" * 5000 + b'"}'
    request(port, "POST", "/chats", body=big, headers=JSON)
    assert [r.body for r in oa_server.requests] == [big]  # the newest is always kept
    oa_server.clear_requests()
    assert oa_server.requests == []


@pytest.mark.oa_server(record_requests=False)
def test_request_log_can_be_off(oa_server: ThreadedServer) -> None:
    conversation(oa_server.port)
    assert oa_server.requests == []


def test_config_checks_limits() -> None:
    cases: list[dict[str, Any]] = [
        {"record_max_requests": 0},
        {"record_max_body_bytes": -1},
        {"header_timeout": 0},
        {"body_timeout": -1},
        {"max_body_size": -1},
    ]
    for bad in cases:
        with pytest.raises(ValueError):
            ServerConfig(**bad)


# -- item 7: read timeouts and an early 413 -----------------------------------------------


@pytest.mark.oa_server(header_timeout=0.5)
def test_half_a_request_head_is_closed_after_the_header_timeout(oa_server: ThreadedServer) -> None:
    received, took = exchange(oa_server.port, b"POST /chats HTTP/1.1\r\nHost: x\r\nContent-Le")
    assert received == b""  # closed without an answer, as an idle keep-alive connection
    assert took < 8  # hang guard: was minutes
    still_serving(oa_server.port)


@pytest.mark.oa_server(body_timeout=0.5)
@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/chats", b'{"detail":"Request Timeout"}'),
        ("/api/chat/prompter_message", b""),
    ],
)
def test_half_a_body_gets_408_and_the_connection_closes(
    oa_server: ThreadedServer, path: str, answer: bytes
) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".encode()
    received, took = exchange(oa_server.port, head + b'{"')
    assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"\r\nconnection: close\r\n" in received
    assert received.endswith(b"\r\n\r\n" + answer)
    assert took < 8  # hang guard
    assert [r.status for r in oa_server.requests] == [408]
    still_serving(oa_server.port)


@pytest.mark.parametrize(
    ("path", "status_line", "answer"),
    [
        ("/chats", b"413 Request Entity Too Large", b'{"detail":"Request Entity Too Large"}'),
        ("/api/chat/prompter_message", b"413 Body exceeded 1mb limit", b"Body exceeded 1mb limit"),
    ],
)
def test_a_declared_length_over_the_limit_gets_413_before_the_body(
    oa_server: ThreadedServer, path: str, status_line: bytes, answer: bytes
) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {100 << 20}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", oa_server.port), timeout=10) as sock:
        sock.sendall(head + b"{}")  # 2 of 100 MiB, and then nothing
        received = b""
        while not received.endswith(answer):
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
    assert received.startswith(b"HTTP/1.1 " + status_line + b"\r\n")
    assert oa_server.requests[-1].status == 413
    assert oa_server.requests[-1].body == b""
    still_serving(oa_server.port)


@pytest.mark.oa_server(max_body_size=1000)
def test_a_chunked_body_over_the_limit_gets_413(oa_server: ThreadedServer) -> None:
    head = b"POST /chats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"200\r\n" + b" " * 0x200 + b"\r\n"
    with socket.create_connection(("127.0.0.1", oa_server.port), timeout=10) as sock:
        sock.sendall(head + chunk * 3)
        received = sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert oa_server.chats() == []


# -- item 8: one log line per client mistake ----------------------------------------------


def test_malformed_requests_and_disconnects_log_one_line_each(
    oa_server_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = oa_server_factory(body_timeout=0.5)
    port = server.port
    caplog.set_level(logging.INFO, logger="oaproto.server")
    exchange(port, b"POST /chats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    exchange(port, b"GET /chats HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n")
    exchange(port, b"GET /chats HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /chats HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(0.1)  # the handler is reading the body
    exchange(port, b"POST /chats HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
    deadline = time.monotonic() + 10
    while len([r for r in caplog.records if r.name.startswith("oaproto.server")]) < 5:
        assert time.monotonic() < deadline, caplog.text
        time.sleep(0.02)
    still_serving(port)
    records = [r for r in caplog.records if r.name.startswith("oaproto.server")]
    assert all(r.levelno == logging.INFO for r in records), caplog.text
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records), caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    text = caplog.text
    assert "Invalid character in chunk size" in text
    assert "Got more than 8190 bytes" in text
    assert "client went away" in text
    assert "body too slow" in text


def test_the_log_line_obeys_the_logger_level(
    oa_server: ThreadedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="oaproto.server")
    exchange(oa_server.port, b"GET /chats HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    still_serving(oa_server.port)
    assert caplog.records == []


def test_a_server_bug_is_logged_with_its_traceback_and_answered_as_the_dialect_does(
    oa_server: ThreadedServer, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    store = oa_server.server.state.store
    oa_server.call(lambda: setattr(store, "get_chats", broken))
    caplog.set_level(logging.ERROR, logger="oaproto.server")
    inference = request(oa_server.port, "GET", "/chats")
    assert (inference.status, inference.body) == (500, b"Internal Server Error")
    assert inference.header("content-type") == "text/plain; charset=utf-8"
    web = request(oa_server.port, "GET", "/api/chat")
    assert (web.status, web.body, web.header("content-type")) == (
        500,
        b"Internal Server Error",
        None,
    )
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all(r.exc_info is not None for r in errors)


# -- item 5 of issue 8: a rate limit that trips says so -----------------------------------


@pytest.mark.oa_server(rate_limit=(1, 600.0))
def test_a_tripped_rate_limit_is_logged_once_per_window(
    oa_server: ThreadedServer, caplog: pytest.LogCaptureFixture
) -> None:
    port = oa_server.port
    caplog.set_level(logging.WARNING, logger="oaproto.server")
    chat_id, first, _ = conversation(port)
    for _ in range(3):
        body = json.dumps({"parent_id": first["id"], "model_config_name": "_lorem"}).encode()
        response = post(port, f"/chats/{chat_id}/assistant_message", body)
        assert (response.status, response.body) == (500, b"Internal Server Error")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "rate limit: user oaproto-user asked for more than 1 assistant messages" in warnings[0]
    assert "--rate-limit off" in warnings[0]


# -- odd bytes in headers and queries -----------------------------------------------------


def test_header_bytes_that_are_not_utf8_do_not_break_answers(oa_server: ThreadedServer) -> None:
    received, _ = exchange(
        oa_server.port,
        b"POST /api/chat HTTP/1.1\r\nHost: x\r\nx-oaproto-fault: \xff\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n",
    )
    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"bad x-oaproto-fault header: unknown fault" in received


@pytest.mark.oa_server(allow_debug_auth=True)
def test_debug_login_location_carries_no_raw_control_characters(oa_server: ThreadedServer) -> None:
    response = request(
        oa_server.port, "GET", "/auth/login/debug", params=[("username", "a\r\nx-evil: 1 é")]
    )
    assert response.status == 302
    assert response.header("x-evil") is None
    location = response.header("location")
    assert location is not None
    assert location.endswith("/auth/callback/debug?code=a%0D%0Ax-evil: 1 %C3%A9&state={}")


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 500 + "]" * 500, False),
        ("[" * 501 + "]" * 501, True),
        ('{"a":' * 501 + "1" + "}" * 501, True),
        ('["' + "[" * 600 + '\\""]', False),  # brackets in a string do not count
        ("[" + "[]," * 100_000 + "[]]", False),
        ('"' + '\\"' * 300_000, False),  # unterminated: would be quadratic if retried
        ('"' + '\\"' * 300_000 + "\\", False),
    ],
)
def test_the_depth_check_reads_the_text_once(text: str, deep: bool) -> None:
    from oaproto.transports.server._json import too_deep

    started = time.monotonic()
    assert too_deep(text) is deep
    assert time.monotonic() - started < 5  # hang guard: a quadratic scan takes hours


def test_bodies_that_are_not_unicode_are_a_400_and_utf16_is_read(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    response = post(port, "/chats", b'{"x": "\xff"}')
    assert (response.status, response.body) == (
        400,
        b'{"detail":"There was an error parsing the body"}',
    )
    chat_id = new_chat(port)
    utf16 = json.dumps({"content": "Grüße"}).encode("utf-16")  # Starlette detects it too
    assert post(port, f"/chats/{chat_id}/prompter_message", utf16).status == 200
    assert oa_server.chats()[0]["messages"][0]["content"] == "Grüße"


@pytest.mark.parametrize("digits", [350, 401, 5000])
def test_web_integers_past_a_double_are_infinity_in_javascript(
    oa_server: ThreadedServer, digits: int
) -> None:
    # JSON.parse makes them Infinity: JSON.stringify sends null (title unchanged),
    # String() formats "Infinity" into a path (an unknown chat: the route's 500).
    port = oa_server.port
    chat_id = new_chat(port)
    number = "9" * digits
    title = post(
        port, "/api/chat", f'{{"chat_id": "{chat_id}", "title": {number}}}'.encode(), "PUT"
    )
    assert (title.status, title.body) == (200, b"")
    assert oa_server.chats()[0]["title"] is None
    as_id = post(port, "/api/chat", f'{{"chat_id": -{number}, "title": "t"}}'.encode(), "PUT")
    assert (as_id.status, as_id.body) == (500, b"Internal Server Error")
    assert oa_server.chats()[0]["title"] is None
