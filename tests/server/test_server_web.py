"""The web dialect (/api/chat), route by route, against the real API's bytes."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest

from oaproto.transports.server import ThreadedServer
from tests.helpers.raw_http import RawResponse, expect_head, json_head, read_stream, request

WEB_JSON = "application/json; charset=utf-8"
COOKIE = "__Secure-next-auth.session-token"


def js(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def expect_json(response: RawResponse, status: int, body: bytes) -> None:
    expect_head(response, status, json_head(body, WEB_JSON))
    assert response.body == body


def expect_empty(response: RawResponse, status: int) -> None:
    expect_head(response, status, [("content-length", "0")])
    assert response.body == b""


def expect_text(
    response: RawResponse, status: int, text: bytes, reason: bytes | None = None
) -> None:
    # Next.js sends these texts without any content type.
    expect_head(response, status, [("content-length", str(len(text)))])
    assert response.body == text
    if reason is not None:
        assert response.reason == reason


def expect_internal_error(response: RawResponse) -> None:
    expect_text(response, 500, b"Internal Server Error")


def post(
    port: int, path: str, body: Any, headers: list[tuple[str, str]] | None = None
) -> RawResponse:
    return request(port, "POST", path, json_body=body, headers=headers or [])


def web_chat(port: int) -> str:
    chat_id: str = request(port, "POST", "/api/chat").json()["id"]
    return chat_id


def web_conversation(
    port: int, *, model: str = "_lorem", content: str = "Hello", fault: str = ""
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    chat_id = web_chat(port)
    first = post(
        port,
        "/api/chat/prompter_message",
        {"chat_id": chat_id, "content": content, "parent_id": None},
    ).json()
    headers = [("x-oaproto-fault", fault)] if fault else []
    reply = post(
        port,
        "/api/chat/assistant_message",
        {"chat_id": chat_id, "parent_id": first["id"], "model_config_name": model},
        headers,
    ).json()
    return chat_id, first, reply


def wait_state(port: int, chat_id: str, message_id: str, state: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        response = request(
            port,
            "GET",
            "/api/chat/message",
            params=[("chat_id", chat_id), ("message_id", message_id)],
        )
        data: dict[str, Any] = response.json()
        if data["state"] == state or time.monotonic() > deadline:
            return data
        time.sleep(0.01)


# -- /api/chat -------------------------------------------------------------------------


def test_create_read_update_delete(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    created = request(port, "POST", "/api/chat")  # gpt4free posts no body at all
    data = created.json()
    expect_json(created, 200, js(data))
    chat_id = data["id"]
    read = request(port, "GET", "/api/chat", params=[("chat_id", chat_id)])
    assert read.json()["messages"] == []
    expect_json(read, 200, js(read.json()))
    expect_empty(
        request(port, "PUT", "/api/chat", json_body={"chat_id": chat_id, "title": "T"}), 200
    )
    assert request(port, "GET", "/api/chat", params=[("chat_id", chat_id)]).json()["title"] == "T"
    expect_empty(request(port, "DELETE", "/api/chat", params=[("chat_id", chat_id)]), 200)
    assert oa_server.deleted_chat_ids == [chat_id]
    # Unknown chat: get_chat's 404 becomes a 404 with an empty body...
    expect_empty(request(port, "GET", "/api/chat", params=[("chat_id", chat_id)]), 404)
    # ... while delete and update have no try/catch: Next's plain 500.
    expect_internal_error(request(port, "DELETE", "/api/chat", params=[("chat_id", chat_id)]))
    expect_internal_error(request(port, "PUT", "/api/chat", json_body={"chat_id": chat_id}))
    expect_internal_error(request(port, "DELETE", "/api/chat"))  # chat id "undefined"
    expect_internal_error(
        request(port, "PUT", "/api/chat", json_body={"chat_id": "x", "title": "t" * 101})
    )
    expect_internal_error(
        request(
            port, "PUT", "/api/chat", body=b"null", headers=[("content-type", "application/json")]
        )
    )
    expect_empty(request(port, "PATCH", "/api/chat"), 404)


def test_list_forces_a_page_of_20(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    ids = [web_chat(port) for _ in range(21)]
    page = request(port, "GET", "/api/chat", params=[("limit", "5")])
    data = page.json()
    assert list(data) == ["chats", "next", "prev"]
    assert [c["id"] for c in data["chats"]] == ids[::-1][:20]
    assert data["next"] is not None
    assert data["prev"] is None
    expect_json(page, 200, js(data))
    rest = request(port, "GET", "/api/chat", params=[("after", data["next"])]).json()
    assert [c["id"] for c in rest["chats"]] == [ids[0]]
    upstream = [r for r in oa_server.requests if r.path == "/api/chat" and r.method == "GET"]
    assert upstream[0].query == {"limit": ["5"]}  # what the client sent; the server ignores it
    expect_internal_error(request(port, "GET", "/api/chat", params=[("after", "a")]))
    expect_internal_error(request(port, "GET", "/api/chat", params=[("include_hidden", "maybe")]))


# -- prompter_message / assistant_message -----------------------------------------------------


def test_message_routes_success(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, reply = web_conversation(port, content="héllo")
    assert first["role"] == "prompter"
    assert first["content"] == "héllo"
    assert reply["state"] == "pending"
    assert reply["chat_id"] == chat_id
    response = post(
        port,
        "/api/chat/prompter_message",
        {"chat_id": web_chat(port), "content": "ü", "parent_id": None, "extra": 1},
    )
    assert "ü".encode() in response.body
    expect_json(response, 200, js(response.json()))


@pytest.mark.oa_server(message_max_length=10, token_delay=0)
def test_prompter_message_errors_are_message_json(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = web_chat(port)
    path = "/api/chat/prompter_message"
    expect_json(
        post(port, path, {"chat_id": chat_id, "content": "x" * 11}),
        413,
        b'{"message":"Message content exceeds max length"}',
    )
    expect_json(
        post(port, path, {"chat_id": chat_id}),
        422,
        b'{"message":[{"loc":["body","content"],"msg":"field required",'
        b'"type":"value_error.missing"}]}',
    )
    expect_json(
        post(port, path, {"chat_id": "nope", "content": "x"}),
        500,
        b'{"message":"Something went wrong"}',
    )
    expect_json(post(port, path, {"content": "x"}), 500, b'{"message":"Something went wrong"}')
    first = post(port, path, {"chat_id": chat_id, "content": "x"}).json()
    expect_json(
        post(port, path, {"chat_id": chat_id, "content": "x"}),
        400,
        b'{"message":"Trying to add first message to non-empty chat"}',
    )
    expect_json(
        post(port, path, {"chat_id": chat_id, "content": "x", "parent_id": first["id"]}),
        400,
        b'{"message":"Parent message is not an assistant message"}',
    )
    # Destructuring null throws inside the route's try: the empty 500.
    empty = request(
        port, "POST", path, body=b"null", headers=[("content-type", "application/json")]
    )
    expect_empty(empty, 500)


@pytest.mark.oa_server(rate_limit=(2, 600.0), work_queue_max_size=1, workers=1)
def test_assistant_message_errors_are_message_json(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = web_chat(port)
    first = post(port, "/api/chat/prompter_message", {"chat_id": chat_id, "content": "x"}).json()
    path = "/api/chat/assistant_message"
    base = {"chat_id": chat_id, "parent_id": first["id"]}
    expect_json(
        post(port, path, {**base, "model_config_name": "gpt-3.5-turbo"}),
        422,
        b'{"message":"Model gpt-3.5-turbo not found"}',
    )
    held = post(
        port, path, {**base, "model_config_name": "_lorem"}, [("x-oaproto-fault", "never-end")]
    )
    assert held.status == 200
    # The rate limit is 2: the third request is refused, then the shape is
    # the web's {"message": "Something went wrong"} with status 500.
    expect_json(
        post(port, path, {**base, "model_config_name": "_lorem"}),
        500,
        b'{"message":"Something went wrong"}',
    )


@pytest.mark.oa_server(work_queue_max_size=1, workers=1)
def test_assistant_message_busy_and_validation(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    web_conversation(port, fault="never-end")
    chat_id = web_chat(port)
    first = post(port, "/api/chat/prompter_message", {"chat_id": chat_id, "content": "x"}).json()
    path = "/api/chat/assistant_message"
    expect_json(
        post(
            port,
            path,
            {"chat_id": chat_id, "parent_id": first["id"], "model_config_name": "_lorem"},
        ),
        503,
        b'{"message":"The server is currently busy. Please try again later."}',
    )
    expect_json(
        post(
            port,
            path,
            {
                "chat_id": chat_id,
                "parent_id": first["id"],
                "model_config_name": "_lorem",
                "sampling_parameters": {"max_new_tokens": None},
            },
        ),
        422,
        b'{"message":[{"loc":["body","sampling_parameters","max_new_tokens"],'
        b'"msg":"none is not an allowed value","type":"type_error.none.not_allowed"}]}',
    )
    # A body that is not JSON (no content type) is the empty object upstream.
    expect_json(
        request(port, "POST", path, body=b"x"),
        422,
        b'{"message":[{"loc":["body","parent_id"],"msg":"field required",'
        b'"type":"value_error.missing"},{"loc":["body","model_config_name"],'
        b'"msg":"field required","type":"value_error.missing"}]}',
    )


def test_web_numbers_are_javascript_numbers(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = web_chat(port)
    first = post(port, "/api/chat/prompter_message", {"chat_id": chat_id, "content": "x"}).json()
    body = {
        "chat_id": chat_id,
        "parent_id": first["id"],
        "model_config_name": "_lorem",
        "sampling_parameters": {"temperature": 1, "top_p": 1e-7},
    }
    reply = post(port, "/api/chat/assistant_message", body)
    # pydantic made 1.0; JSON.stringify writes 1; 1e-07 becomes 1e-7.
    assert b'"temperature":1,' in reply.body
    assert b'"top_p":1e-7,' in reply.body
    seed = reply.json()["work_parameters"]["seed"]
    inference = request(port, "GET", f"/chats/{chat_id}/messages/{reply.json()['id']}").json()
    exact = inference["work_parameters"]["seed"]
    # JSON.stringify writes the double nearest to the seed, in its shortest
    # form: 17558945523390823243 arrives as 17558945523390822000.
    assert float(seed) == float(exact)
    # The seed is random: its shortest form can spell it exactly (…900).
    if int(Decimal(repr(float(exact)))) != exact:
        assert seed != exact


# -- events -------------------------------------------------------------------------------------


def test_events_stream_without_content_type(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = web_conversation(port, fault="queue=0.2")
    response = read_stream(
        port, "/api/chat/events", params=[("chat_id", chat_id), ("message_id", reply["id"])]
    )
    expect_head(response, 200, [("transfer-encoding", "chunked")])
    assert response.complete
    events = [json.loads(c[6:]) for c in response.chunks if c.startswith(b"data: ")]
    assert events[-1]["event_type"] == "message"
    tokens = "".join(e["text"] for e in events if e["event_type"] == "token")
    assert tokens == events[-1]["message"]["content"]
    # gpt4free POSTs to events: any method works.
    finished = request(
        port, "POST", "/api/chat/events", params=[("chat_id", chat_id), ("message_id", reply["id"])]
    )
    expect_empty(finished, 200)  # upstream 204 -> 200 with an empty body


def test_events_errors_are_plain_500(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, _ = web_conversation(port)
    expect_internal_error(
        request(
            port,
            "GET",
            "/api/chat/events",
            params=[("chat_id", chat_id), ("message_id", first["id"])],
        )
    )
    expect_internal_error(
        request(port, "GET", "/api/chat/events", params=[("chat_id", chat_id), ("message_id", "x")])
    )
    expect_internal_error(request(port, "GET", "/api/chat/events"))


# -- message, vote, message_eval, models, plugins --------------------------------------------------


@pytest.mark.oa_server(token_delay=0)
def test_message_vote_and_eval(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, reply = web_conversation(port, model="_echo", content="one two")
    done = wait_state(port, chat_id, reply["id"], "complete")
    assert done["content"] == "one two"
    message = request(
        port, "GET", "/api/chat/message", params=[("chat_id", chat_id), ("message_id", reply["id"])]
    )
    expect_json(message, 200, js(message.json()))
    expect_internal_error(
        request(
            port, "GET", "/api/chat/message", params=[("chat_id", chat_id), ("message_id", "x")]
        )
    )
    vote = {"chat_id": chat_id, "message_id": reply["id"]}
    expect_json(post(port, "/api/chat/vote", {**vote, "score": 1}), 200, b'""')
    expect_json(post(port, "/api/chat/vote", {**vote, "score": 1.0}), 200, b'""')
    for bad in (2, "1", True, None):
        expect_text(post(port, "/api/chat/vote", {**vote, "score": bad}), 400, b"Invalid score")
    expect_text(post(port, "/api/chat/vote", vote), 400, b"Invalid score")
    expect_internal_error(
        post(port, "/api/chat/vote", {**vote, "message_id": first["id"], "score": 0})
    )
    evaluation = {"chat_id": chat_id, "message_id": reply["id"], "inferior_message_ids": []}
    expect_json(post(port, "/api/chat/message_eval", evaluation), 200, b'""')
    expect_internal_error(
        post(port, "/api/chat/message_eval", {"chat_id": chat_id, "message_id": reply["id"]})
    )
    expect_internal_error(
        request(
            port,
            "POST",
            "/api/chat/vote",
            body=b"null",
            headers=[("content-type", "application/json")],
        )
    )


def test_models_and_plugins(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    models = request(port, "GET", "/api/chat/models")
    data = models.json()
    assert data[0]["name"] == "_lorem"
    assert b'"repetition_penalty":1.1111111111111112' in models.body
    expect_json(models, 200, js(data))
    plugins = request(port, "GET", "/api/chat/plugins")
    entry = plugins.json()[0]
    assert entry["trusted"] is True
    config = post(port, "/api/chat/plugin_config", {"plugin": {"url": entry["url"]}})
    assert config.json()["plugin_config"] == entry["plugin_config"]
    expect_internal_error(post(port, "/api/chat/plugin_config", {}))  # no plugin: upstream 422
    expect_internal_error(post(port, "/api/chat/plugin_config", {"plugin": {"url": "http://x/y"}}))


@pytest.mark.oa_server(chat_enabled=False)
def test_chat_disabled_is_404_except_plugins(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    for path in ("/api/chat", "/api/chat/events", "/api/chat/models", "/api/chat/vote"):
        expect_empty(request(port, "GET", path), 404)
    assert request(port, "GET", "/api/chat/plugins").status == 200


# -- Next.js body parsing and auth ---------------------------------------------------------------


def test_next_body_parser(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    invalid = request(
        port,
        "POST",
        "/api/chat/prompter_message",
        body=b"{",
        headers=[("content-type", "application/json")],
    )
    expect_text(invalid, 400, b"Invalid JSON", reason=b"Invalid JSON")
    big = request(
        port,
        "POST",
        "/api/chat/prompter_message",
        body=b'"' + b"x" * (1024 * 1024) + b'"',
        headers=[("content-type", "application/json")],
    )
    expect_text(big, 413, b"Body exceeded 1mb limit", reason=b"Body exceeded 1mb limit")


@pytest.mark.oa_server(tokens=["good"])
def test_body_is_parsed_before_auth_then_403_empty(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    invalid = request(
        port, "POST", "/api/chat", body=b"{", headers=[("content-type", "application/json")]
    )
    assert invalid.status == 400
    for method, path in [
        ("POST", "/api/chat"),
        ("GET", "/api/chat"),
        ("POST", "/api/chat/prompter_message"),
        ("POST", "/api/chat/assistant_message"),
        ("GET", "/api/chat/events"),
        ("GET", "/api/chat/message"),
        ("POST", "/api/chat/vote"),
        ("POST", "/api/chat/message_eval"),
        ("GET", "/api/chat/models"),
        ("GET", "/api/chat/plugins"),
        ("POST", "/api/chat/plugin_config"),
    ]:
        expect_empty(request(port, method, path), 403)
        expect_empty(request(port, method, path, headers=[("cookie", f"{COOKIE}=bad")]), 403)
    ok = request(port, "POST", "/api/chat", headers=[("cookie", f"{COOKIE}=good")])
    assert ok.status == 200


@pytest.mark.parametrize(
    "chat_id",
    [None, 123, [1, None, 2], True],
    ids=["missing", "number", "array", "boolean"],
)
def test_a_non_string_chat_id_is_formatted_into_the_path_and_not_found(
    oa_server: ThreadedServer, chat_id: Any
) -> None:
    # The website writes `${chat_id}` into the upstream path: a
    # missing id becomes the segment "undefined"; no such chat exists, and
    # the route answers the catch-all 500.
    body: dict[str, Any] = {"parent_id": None, "content": "hi"}
    if chat_id is not None:
        body["chat_id"] = chat_id
    response = request(oa_server.port, "POST", "/api/chat/prompter_message", json_body=body)
    expect_json(response, 500, b'{"message":"Something went wrong"}')


def test_a_chat_id_node_cannot_put_in_a_path_is_the_routes_empty_500(
    oa_server: ThreadedServer,
) -> None:
    # An object formats as "[object Object]": Node rejects the space in the
    # path with a TypeError, which the route's own catch answers.
    body = {"chat_id": {"a": 1}, "parent_id": None, "content": "hi"}
    response = request(oa_server.port, "POST", "/api/chat/prompter_message", json_body=body)
    expect_empty(response, 500)
