"""The inference-server dialect, route by route, against the real server's bytes."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from oaproto.models import MODEL_CONFIGS
from oaproto.transports.server import ThreadedServer
from tests.helpers.raw_http import (
    conversation,
    events_path,
    expect_head,
    json_head,
    new_chat,
    prompter,
    request,
    wait_message_state,
)

TEXT_500 = b"Internal Server Error"
TEXT_500_HEAD = [("content-length", "21"), ("content-type", "text/plain; charset=utf-8")]
EMPTY_HEAD = [("content-length", "0")]

MESSAGE_KEYS = [
    "id",
    "parent_id",
    "content",
    "chat_id",
    "created_at",
    "role",
    "state",
    "score",
    "reports",
    "work_parameters",
    "safe_content",
    "safety_level",
    "safety_label",
    "safety_rots",
    "used_plugin",
]
CHAT_LIST_KEYS = [
    "id",
    "created_at",
    "modified_at",
    "title",
    "hidden",
    "allow_data_use",
    "active_thread_tail_message_id",
]


def compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def expect_json(response: Any, status: int, obj: Any) -> None:
    body = compact(obj)
    expect_head(response, status, json_head(body))
    assert response.body == body


def expect_detail(response: Any, status: int, detail: Any) -> None:
    expect_json(response, status, {"detail": detail})


def expect_empty(response: Any, status: int) -> None:
    expect_head(response, status, EMPTY_HEAD)
    assert response.body == b""


def expect_text_500(response: Any) -> None:
    expect_head(response, 500, TEXT_500_HEAD)
    assert response.body == TEXT_500


def missing(*loc: str | int) -> dict[str, Any]:
    return {"loc": list(loc), "msg": "field required", "type": "value_error.missing"}


# -- chats ---------------------------------------------------------------------------


def test_create_chat_is_a_chat_list_read(oa_server: ThreadedServer) -> None:
    response = request(oa_server.port, "POST", "/chats", json_body={})
    data = response.json()
    assert list(data) == CHAT_LIST_KEYS
    assert data["title"] is None
    assert data["hidden"] is False
    assert data["allow_data_use"] is True
    assert data["active_thread_tail_message_id"] is None
    assert data["created_at"] == data["modified_at"]
    assert "T" in data["created_at"]
    assert not data["created_at"].endswith("Z")
    expect_json(response, 200, data)
    assert len(data["id"]) == 36
    assert data["id"][14] == "7"


@pytest.mark.parametrize("body", [b"{}", b'""', b"[]"])
def test_create_chat_accepts_what_pydantic_coerces_to_an_empty_model(
    oa_server: ThreadedServer, body: bytes
) -> None:
    response = request(
        oa_server.port, "POST", "/chats", body=body, headers=[("content-type", "application/json")]
    )
    assert response.status == 200


def test_create_chat_without_body_is_422(oa_server: ThreadedServer) -> None:
    expect_detail(request(oa_server.port, "POST", "/chats"), 422, [missing("body")])
    response = request(
        oa_server.port, "POST", "/chats", body=b"5", headers=[("content-type", "application/json")]
    )
    expect_detail(
        response,
        422,
        [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}],
    )


def test_invalid_json_body_is_a_jsondecode_422(oa_server: ThreadedServer) -> None:
    response = request(
        oa_server.port, "POST", "/chats", body=b"{x", headers=[("content-type", "application/json")]
    )
    detail = {
        "loc": ["body", 1],
        "msg": "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        "type": "value_error.jsondecode",
        "ctx": {
            "msg": "Expecting property name enclosed in double quotes",
            "doc": "{x",
            "pos": 1,
            "lineno": 1,
            "colno": 2,
        },
    }
    expect_detail(response, 422, [detail])


def test_list_chats_newest_first_with_cursors(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    empty = request(port, "GET", "/chats")
    expect_json(empty, 200, {"chats": [], "next": None, "prev": None})
    ids = [new_chat(port) for _ in range(5)]
    page = request(port, "GET", "/chats", params=[("limit", "2")]).json()
    assert [c["id"] for c in page["chats"]] == ids[::-1][:2]
    assert page["prev"] is None
    assert page["next"] == base64.b64encode(ids[3].encode()).decode()
    second = request(port, "GET", "/chats", params=[("limit", "2"), ("after", page["next"])])
    data = second.json()
    assert [c["id"] for c in data["chats"]] == [ids[2], ids[1]]
    assert data["prev"] == base64.b64encode(ids[2].encode()).decode()
    back = request(port, "GET", "/chats", params=[("limit", "2"), ("before", data["prev"])])
    assert [c["id"] for c in back.json()["chats"]] == [ids[4], ids[3]]
    assert all(list(c) == CHAT_LIST_KEYS for c in data["chats"])


def test_list_chats_validation_and_errors(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    expect_detail(
        request(port, "GET", "/chats", params=[("limit", "0")]),
        422,
        [
            {
                "loc": ["query", "limit"],
                "msg": "ensure this value is greater than 0",
                "type": "value_error.number.not_gt",
                "ctx": {"limit_value": 0},
            }
        ],
    )
    expect_detail(
        request(port, "GET", "/chats", params=[("limit", "101")]),
        422,
        [
            {
                "loc": ["query", "limit"],
                "msg": "ensure this value is less than or equal to 100",
                "type": "value_error.number.not_le",
                "ctx": {"limit_value": 100},
            }
        ],
    )
    expect_detail(
        request(port, "GET", "/chats", params=[("include_hidden", "maybe"), ("limit", "x")]),
        422,
        [
            {
                "loc": ["query", "include_hidden"],
                "msg": "value could not be parsed to a boolean",
                "type": "type_error.bool",
            },
            {
                "loc": ["query", "limit"],
                "msg": "value is not a valid integer",
                "type": "type_error.integer",
            },
        ],
    )
    cursor = base64.b64encode(b"x").decode()
    expect_detail(
        request(port, "GET", "/chats", params=[("after", cursor), ("before", cursor)]),
        400,
        "Cannot specify both after and before.",
    )
    expect_text_500(request(port, "GET", "/chats", params=[("after", "a")]))


def test_hidden_chats_are_listed_only_on_request(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    put = request(port, "PUT", f"/chats/{chat_id}", json_body={"hidden": True})
    expect_json(put, 200, None)
    assert request(port, "GET", "/chats").json()["chats"] == []
    shown = request(port, "GET", "/chats", params=[("include_hidden", "true")]).json()
    assert shown["chats"][0]["hidden"] is True


def test_get_chat_and_unknown_or_foreign_chat(oa_server_factory: Any) -> None:
    server = oa_server_factory(tokens={"tok-a": "alice", "tok-b": "bob"})
    alice = [("authorization", "Bearer tok-a")]
    bob = [("authorization", "Bearer tok-b")]
    chat_id, _first, _ = conversation(server.port, headers=alice)
    response = request(server.port, "GET", f"/chats/{chat_id}", headers=alice)
    data = response.json()
    assert list(data) == [*CHAT_LIST_KEYS, "messages"]
    assert data["title"] == "Hello there"
    assert [m["role"] for m in data["messages"]] == ["prompter", "assistant"]
    assert all(list(m) == MESSAGE_KEYS for m in data["messages"])
    expect_json(response, 200, data)
    expect_detail(
        request(server.port, "GET", f"/chats/{chat_id}", headers=bob), 404, "Chat not found"
    )
    expect_detail(request(server.port, "GET", "/chats/nope", headers=alice), 404, "Chat not found")


def test_delete_chat_then_404(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, _ = conversation(port)
    expect_empty(request(port, "DELETE", f"/chats/{chat_id}"), 200)
    expect_detail(request(port, "DELETE", f"/chats/{chat_id}"), 404, "Chat not found")
    expect_text_500(request(port, "GET", f"/chats/{chat_id}/messages/{first['id']}"))
    assert oa_server.deleted_chat_ids == [chat_id]
    assert oa_server.chats() == []


def test_update_chat(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    expect_json(request(port, "PUT", f"/chats/{chat_id}", json_body={"title": "T"}), 200, None)
    assert request(port, "GET", f"/chats/{chat_id}").json()["title"] == "T"
    expect_detail(
        request(port, "PUT", f"/chats/{chat_id}", json_body={"title": "x" * 101}),
        422,
        [
            {
                "loc": ["body", "title"],
                "msg": "ensure this value has at most 100 characters",
                "type": "value_error.any_str.max_length",
                "ctx": {"limit_value": 100},
            }
        ],
    )
    # Unknown chat: the 404 is swallowed by the route's catch-all.
    expect_empty(request(port, "PUT", "/chats/unknown", json_body={"title": "T"}), 500)


def test_hide_all_is_unreachable(oa_server: ThreadedServer) -> None:
    # Declared after /{chat_id}, so it is that route with chat_id "hide_all".
    port = oa_server.port
    expect_detail(request(port, "PUT", "/chats/hide_all"), 422, [missing("body")])
    expect_empty(request(port, "PUT", "/chats/hide_all", json_body={}), 500)


# -- prompter messages ------------------------------------------------------------------


def test_prompter_message_is_manual_and_titles_the_chat(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    response = request(
        port,
        "POST",
        f"/chats/{chat_id}/prompter_message",
        json_body={"parent_id": None, "content": "héllo ✓"},
    )
    data = response.json()
    assert list(data) == MESSAGE_KEYS
    assert data["role"] == "prompter"
    assert data["state"] == "manual"
    assert data["work_parameters"] is None
    assert data["content"] == "héllo ✓"
    assert "héllo ✓".encode() in response.body  # raw UTF-8, no \u escapes
    expect_json(response, 200, data)
    chat = request(port, "GET", f"/chats/{chat_id}").json()
    assert chat["title"] == "héllo ✓"
    assert chat["modified_at"] == data["created_at"]


@pytest.mark.oa_server(message_max_length=5, chat_max_messages=3, token_delay=0)
def test_prompter_message_tree_rules(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    path = "/chats/{}/prompter_message"
    chat_id = new_chat(port)

    def post(body: dict[str, Any], chat: str = chat_id) -> Any:
        return request(port, "POST", path.format(chat), json_body=body)

    expect_detail(post({"content": "too long"}), 413, "Message content exceeds max length")
    # The length check comes before the chat lookup.
    expect_detail(post({"content": "too long"}, "nope"), 413, "Message content exceeds max length")
    expect_empty(post({"content": "hi"}, "nope"), 500)  # unknown chat: .one() fails
    expect_detail(post({"parent_id": None}), 422, [missing("body", "content")])
    first = post({"content": "hi"}).json()
    expect_detail(post({"content": "hi"}), 400, "Trying to add first message to non-empty chat")
    expect_detail(post({"content": "hi", "parent_id": "x"}), 400, "Parent message not found")
    expect_detail(
        post({"content": "hi", "parent_id": first["id"]}),
        400,
        "Parent message is not an assistant message",
    )
    reply = request(
        port,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        json_body={"parent_id": first["id"], "model_config_name": "_lorem"},
        headers=[("x-oaproto-fault", "never-end")],
    ).json()
    expect_detail(
        post({"content": "hi", "parent_id": reply["id"]}), 400, "Parent message is not complete"
    )
    done = request(
        port,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        json_body={"parent_id": first["id"], "model_config_name": "_lorem"},
    ).json()
    wait_message_state(port, chat_id, done["id"], "complete")
    expect_detail(
        post({"content": "hi", "parent_id": done["id"]}),
        413,
        "Maximum number of messages reached for this chat",
    )


# -- assistant messages --------------------------------------------------------------------


def test_assistant_message_is_pending_with_work_parameters(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    response = request(
        port,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        json_body={
            "parent_id": first["id"],
            "model_config_name": "OA_SFT_Llama_30B_6",
            "sampling_parameters": {"top_k": "50", "temperature": 1, "stream": True},
            "system_prompt": "Be brief",
        },
    )
    data = response.json()
    assert list(data) == MESSAGE_KEYS
    assert data["role"] == "assistant"
    assert data["state"] == "pending"
    assert data["content"] is None
    params = data["work_parameters"]
    assert list(params) == [
        "model_config",
        "sampling_parameters",
        "do_sample",
        "seed",
        "system_prompt",
        "user_profile",
        "user_response_instructions",
        "plugins",
        "plugin_max_depth",
    ]
    assert params["model_config"] == {
        "model_id": "OpenAssistant/oasst-sft-6-llama-30b",
        "max_input_length": 1024,
        "max_total_length": 1792,
        "quantized": False,
    }
    # pydantic coercion: "50" -> 50, 1 -> 1.0; stray keys dropped.
    assert params["sampling_parameters"] == {
        "top_k": 50,
        "top_p": None,
        "typical_p": None,
        "temperature": 1.0,
        "repetition_penalty": None,
        "max_new_tokens": 1024,
    }
    assert b'"temperature":1.0' in response.body
    assert 0 <= params["seed"] <= 2**64 - 2
    assert params["system_prompt"] == "Be brief"
    assert params["plugin_max_depth"] == 4
    expect_json(response, 200, data)


def test_assistant_message_validation(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    path = f"/chats/{chat_id}/assistant_message"
    expect_detail(
        request(port, "POST", path, json_body={}),
        422,
        [missing("body", "parent_id"), missing("body", "model_config_name")],
    )
    expect_detail(
        request(
            port,
            "POST",
            path,
            json_body={
                "parent_id": first["id"],
                "model_config_name": "_lorem",
                "sampling_parameters": {"max_new_tokens": None},
            },
        ),
        422,
        [
            {
                "loc": ["body", "sampling_parameters", "max_new_tokens"],
                "msg": "none is not an allowed value",
                "type": "type_error.none.not_allowed",
            }
        ],
    )
    expect_detail(
        request(
            port, "POST", path, json_body={"parent_id": first["id"], "model_config_name": "gpt-4"}
        ),
        422,
        "Model gpt-4 not found",
    )


@pytest.mark.oa_server(allowed_model_config_names="_lorem,OA_SFT_Llama_30B_6")
def test_model_not_in_allowed_models(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    response = request(
        port,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        json_body={"parent_id": first["id"], "model_config_name": "distilgpt2"},
    )
    expect_detail(
        response, 422, "Model distilgpt2 not in allowed models: _lorem,OA_SFT_Llama_30B_6"
    )
    names = [m["name"] for m in request(port, "GET", "/configs/model_configs").json()]
    assert names == ["_lorem", "OA_SFT_Llama_30B_6"]


def test_assistant_message_parent_errors(oa_server_factory: Any) -> None:
    server = oa_server_factory(tokens={"tok-a": "alice", "tok-b": "bob"}, token_delay=0)
    alice = [("authorization", "Bearer tok-a")]
    bob = [("authorization", "Bearer tok-b")]
    chat_id, first, reply = conversation(server.port, headers=alice)
    path = f"/chats/{chat_id}/assistant_message"

    def post(parent: str, headers: list[tuple[str, str]]) -> Any:
        body = {"parent_id": parent, "model_config_name": "_lorem"}
        return request(server.port, "POST", path, json_body=body, headers=headers)

    expect_detail(post(first["id"], bob), 400, "Message not found")
    expect_empty(post("unknown", alice), 500)  # .one() raises, the route catches it
    expect_empty(post(reply["id"], alice), 500)  # the parent must be a prompter message


@pytest.mark.oa_server(work_queue_max_size=1, workers=1)
def test_queue_full_is_503_and_the_message_stays_pending(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    conversation(port, fault="never-end")  # holds the queue's only slot for ever
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    response = request(
        port,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        json_body={"parent_id": first["id"], "model_config_name": "_lorem"},
    )
    expect_detail(response, 503, "The server is currently busy. Please try again later.")
    chat = request(port, "GET", f"/chats/{chat_id}").json()
    assert [m["state"] for m in chat["messages"]] == ["manual", "pending"]


@pytest.mark.oa_server(rate_limit=(3, 600.0), token_delay=0)
def test_rate_limit_counts_before_validation_then_plain_500(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    path = f"/chats/{chat_id}/assistant_message"
    good = {"parent_id": first["id"], "model_config_name": "_lorem"}
    assert request(port, "POST", path, json_body={}).status == 422  # counts
    assert request(port, "POST", path, json_body={"x": 1}).status == 422  # counts
    assert request(port, "POST", path, json_body=good).status == 200
    expect_text_500(request(port, "POST", path, json_body=good))
    expect_text_500(request(port, "POST", path, json_body={}))


def test_new_assistant_message_cancels_the_users_other_pending_ones(
    oa_server: ThreadedServer,
) -> None:
    port = oa_server.port
    chat_a, _, held = conversation(port, fault="never-end")
    chat_b = new_chat(port)
    first_b = prompter(port, chat_b)
    # A draft on the same parent does not cancel its sibling.
    sibling = request(
        port,
        "POST",
        f"/chats/{chat_a}/assistant_message",
        json_body={"parent_id": held["parent_id"], "model_config_name": "_lorem"},
        headers=[("x-oaproto-fault", "never-end")],
    ).json()
    message = request(port, "GET", f"/chats/{chat_a}/messages/{held['id']}").json()
    assert message["state"] == "pending"
    request(
        port,
        "POST",
        f"/chats/{chat_b}/assistant_message",
        json_body={"parent_id": first_b["id"], "model_config_name": "_lorem"},
    )
    for message_id in (held["id"], sibling["id"]):
        state = request(port, "GET", f"/chats/{chat_a}/messages/{message_id}").json()["state"]
        assert state == "cancelled"


def test_assistant_message_ignores_the_url_chat_id(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id = new_chat(port)
    first = prompter(port, chat_id)
    reply = request(
        port,
        "POST",
        "/chats/some-other-chat/assistant_message",
        json_body={"parent_id": first["id"], "model_config_name": "_lorem"},
    ).json()
    assert reply["chat_id"] == chat_id


# -- messages, events, votes, evals, reports -------------------------------------------------


def test_get_message_and_unknown_message(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, _ = conversation(port)
    response = request(port, "GET", f"/chats/{chat_id}/messages/{first['id']}")
    expect_json(response, 200, response.json())
    expect_text_500(request(port, "GET", f"/chats/{chat_id}/messages/unknown"))
    expect_text_500(request(port, "GET", f"/chats/other/messages/{first['id']}"))


def test_events_error_cases(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, _ = conversation(port)
    expect_detail(
        request(port, "GET", events_path(chat_id, first["id"])),
        400,
        "Only assistant messages can be streamed.",
    )
    expect_text_500(request(port, "GET", events_path(chat_id, "unknown")))


@pytest.mark.oa_server(token_delay=0)
def test_events_of_a_finished_message_is_a_bare_204(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, _, reply = conversation(port, model="_echo", content="one")
    time.sleep(0.05)
    response = request(port, "GET", events_path(chat_id, reply["id"]))
    expect_head(response, 204, [])
    assert response.body == b""
    assert response.raw.endswith(b"\r\n\r\n")
    assert b"content-length" not in response.raw


@pytest.mark.oa_server(token_delay=0)
def test_votes_message_evals_and_reports(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    chat_id, first, reply = conversation(port, model="_echo", content="one")
    base = f"/chats/{chat_id}/messages"
    expect_empty(request(port, "POST", f"{base}/{reply['id']}/votes", json_body={"score": 1}), 200)
    # chat_id is ignored by the vote route.
    expect_empty(
        request(port, "POST", f"/chats/x/messages/{reply['id']}/votes", json_body={"score": -1}),
        200,
    )
    assert request(port, "GET", f"{base}/{reply['id']}").json()["score"] == -1
    for bad in ({"score": 2}, {"score": -2}):
        expect_empty(request(port, "POST", f"{base}/{reply['id']}/votes", json_body=bad), 500)
    expect_empty(request(port, "POST", f"{base}/{first['id']}/votes", json_body={"score": 1}), 500)
    expect_detail(
        request(port, "POST", f"{base}/{reply['id']}/votes", json_body={}),
        422,
        [missing("body", "score")],
    )
    expect_empty(
        request(
            port,
            "POST",
            f"{base}/{reply['id']}/message_evals",
            json_body={"inferior_message_ids": []},
        ),
        200,
    )
    expect_empty(
        request(
            port, "POST", f"{base}/unknown/message_evals", json_body={"inferior_message_ids": []}
        ),
        500,
    )
    expect_empty(
        request(
            port,
            "POST",
            f"{base}/{reply['id']}/reports",
            json_body={"report_type": "spam", "reason": "r"},
        ),
        200,
    )
    reports = request(port, "GET", f"{base}/{reply['id']}").json()["reports"]
    assert [(r["report_type"], r["reason"]) for r in reports] == [("spam", "r")]
    assert list(reports[0]) == ["id", "report_type", "reason"]
    expect_detail(
        request(
            port,
            "POST",
            f"{base}/{reply['id']}/reports",
            json_body={"report_type": "rude", "reason": "r"},
        ),
        422,
        [
            {
                "loc": ["body", "report_type"],
                "msg": "value is not a valid enumeration member; "
                "permitted: 'spam', 'offensive', 'feedback'",
                "type": "type_error.enum",
                "ctx": {"enum_values": ["spam", "offensive", "feedback"]},
            }
        ],
    )


# -- configs, plugins, routing --------------------------------------------------------------


def test_model_configs(oa_server: ThreadedServer) -> None:
    response = request(oa_server.port, "GET", "/configs/model_configs")
    data = response.json()
    assert [m["name"] for m in data] == [*MODEL_CONFIGS, "_echo"]
    first = data[0]
    assert list(first) == ["name", "description", "parameter_configs"]
    assert [p["name"] for p in first["parameter_configs"]] == [
        "k50",
        "k50-Creative",
        "k50-Precise",
        "k50-Original",
        "k50-Plugins",
        "nucleus9",
        "typical2",
        "typical3",
    ]
    assert first["parameter_configs"][4] == {
        "name": "k50-Plugins",
        "description": "Top-k sampling with k=50 and temperature=0.35",
        "sampling_parameters": {
            "top_k": 50,
            "top_p": None,
            "typical_p": None,
            "temperature": 0.35,
            "repetition_penalty": 1.1111111111111112,
            "max_new_tokens": 1024,
        },
    }
    expect_json(response, 200, data)


@pytest.mark.oa_server(tokens=["secret"])
def test_configs_need_no_auth_and_plugins(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    assert request(port, "GET", "/configs/model_configs").status == 200
    plugins = request(port, "GET", "/configs/builtin_plugins").json()
    assert plugins[0]["trusted"] is True
    assert plugins[0]["url"].startswith(oa_server.url)
    entry = request(
        port, "POST", "/configs/plugin_config", json_body={"url": plugins[0]["url"]}
    ).json()
    assert entry["plugin_config"] == plugins[0]["plugin_config"]
    assert entry["trusted"] is False
    expect_detail(
        request(port, "POST", "/configs/plugin_config", json_body={"url": "http://x/y.json"}),
        404,
        "Plugin not found",
    )
    config = request(port, "GET", plugins[0]["url"][len(oa_server.url) :])
    assert config.json() == plugins[0]["plugin_config"]


def test_unknown_paths_and_methods(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    expect_detail(request(port, "GET", "/nothing"), 404, "Not Found")
    expect_detail(request(port, "PATCH", "/chats"), 405, "Method Not Allowed")


def test_cors(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    preflight = request(
        port,
        "OPTIONS",
        "/chats",
        headers=[
            ("origin", "https://example.org"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization"),
        ],
    )
    assert preflight.status == 200
    assert preflight.body == b"OK"
    assert preflight.header("access-control-allow-origin") == "https://example.org"
    assert preflight.header("access-control-allow-credentials") == "true"
    assert preflight.header("access-control-allow-headers") == "authorization"
    simple = request(port, "GET", "/chats", headers=[("origin", "https://example.org")])
    assert simple.header("access-control-allow-origin") == "*"
    assert simple.header("access-control-allow-credentials") == "true"


def test_nan_and_infinity_constants_are_jsondecode_422s(oa_server: ThreadedServer) -> None:
    # Python's json accepts them; echoing them back would be invalid JSON.
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        response = request(
            oa_server.port,
            "POST",
            "/chats",
            body=b'{"x": ' + constant + b"}",
            headers=[("content-type", "application/json")],
        )
        assert response.status == 422
        (detail,) = json.loads(response.body)["detail"]
        assert detail["type"] == "value_error.jsondecode"
        assert constant.decode().lstrip("-") in detail["msg"]
