"""ChatAPI: the exact request of every operation in both dialects, its parser and its checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from oaproto import (
    PRESETS,
    APIError,
    AuthenticationError,
    BusyError,
    Dialect,
    HttpRequest,
    LocalProtocolError,
    NotFoundError,
    RemoteProtocolError,
    SamplingParameters,
    ValidationError,
)
from oaproto.api import Call, ChatAPI
from oaproto.models import Chat, ChatPage, ChatSummary, Message, PluginEntry, TokenPair
from tests.helpers.api_fixtures import (
    ASSISTANT_ID,
    BASE_URL,
    CHAT_ID,
    CHAT_LIST_READ,
    CHAT_PAGE,
    CHAT_READ,
    EMPTY,
    INFERENCE_422,
    INTERNAL_SERVER_ERROR,
    MODEL_CONFIGS_JSON,
    PENDING_MESSAGE,
    PLUGINS_JSON,
    PROMPTER_ID,
    PROMPTER_MESSAGE,
    SECRET,
    TOKEN_PAIR_JSON,
    WEB_BUSY,
    config,
    response,
)

WEB = Dialect.WEB
INF = Dialect.INFERENCE
K50 = PRESETS["k50"]
K50_JSON = (
    '{"top_k":50,"top_p":0.95,"typical_p":null,"temperature":0.75,'
    '"repetition_penalty":1.2,"max_new_tokens":1024}'
)
PLUGIN = PluginEntry(url="https://plugins.example/ai-plugin.json")
PLUGIN_JSON = '{"url":"https://plugins.example/ai-plugin.json","enabled":true,"plugin_config":null,"trusted":false}'


def web() -> ChatAPI:
    return ChatAPI(config(WEB))


def inference() -> ChatAPI:
    return ChatAPI(config(INF))


def api(dialect: Dialect) -> ChatAPI:
    return ChatAPI(config(dialect))


def _assistant(a: ChatAPI) -> Call[Message]:
    return a.request_assistant_message(
        CHAT_ID, PROMPTER_ID, model_config_name="OA_SFT_Llama_30B_6", sampling=K50
    )


C, P, A = CHAT_ID, PROMPTER_ID, ASSISTANT_ID

# (dialect, build, method, path and query, JSON body text or None for no body)
REQUESTS: list[tuple[Dialect, Callable[[ChatAPI], Call[Any]], str, str, str | None]] = [
    (WEB, lambda a: a.create_chat(), "POST", "/api/chat", None),
    (INF, lambda a: a.create_chat(), "POST", "/chats", "{}"),
    (
        WEB,
        lambda a: a.post_prompter_message(C, "Hi \u00e9", None),
        "POST",
        "/api/chat/prompter_message",
        f'{{"chat_id":"{C}","parent_id":null,"content":"Hi \u00e9"}}',
    ),
    (
        INF,
        lambda a: a.post_prompter_message(C, "Next", A),
        "POST",
        f"/chats/{C}/prompter_message",
        f'{{"parent_id":"{A}","content":"Next"}}',
    ),
    (
        WEB,
        _assistant,
        "POST",
        "/api/chat/assistant_message",
        f'{{"chat_id":"{C}","parent_id":"{P}","model_config_name":"OA_SFT_Llama_30B_6",'
        f'"sampling_parameters":{K50_JSON},"plugins":[]}}',
    ),
    (
        INF,
        _assistant,
        "POST",
        f"/chats/{C}/assistant_message",
        f'{{"parent_id":"{P}","model_config_name":"OA_SFT_Llama_30B_6",'
        f'"sampling_parameters":{K50_JSON},"plugins":[]}}',
    ),
    (
        WEB,
        lambda a: a.get_message(C, A),
        "GET",
        f"/api/chat/message?chat_id={C}&message_id={A}",
        None,
    ),
    (INF, lambda a: a.get_message(C, A), "GET", f"/chats/{C}/messages/{A}", None),
    (WEB, lambda a: a.delete_chat(C), "DELETE", f"/api/chat?chat_id={C}", None),
    (INF, lambda a: a.delete_chat(C), "DELETE", f"/chats/{C}", None),
    (WEB, lambda a: a.list_chats(), "GET", "/api/chat", None),
    (INF, lambda a: a.list_chats(), "GET", "/chats", None),
    (
        WEB,
        lambda a: a.list_chats(after="Y3Vy", include_hidden=True, limit=50),
        "GET",
        "/api/chat?after=Y3Vy&include_hidden=true",
        None,
    ),
    (
        INF,
        lambda a: a.list_chats(before="Y3Vy+/=", include_hidden=True, limit=50),
        "GET",
        "/chats?before=Y3Vy%2B%2F%3D&include_hidden=true&limit=50",
        None,
    ),
    (WEB, lambda a: a.get_chat(C), "GET", f"/api/chat?chat_id={C}", None),
    (INF, lambda a: a.get_chat(C), "GET", f"/chats/{C}", None),
    (
        WEB,
        lambda a: a.update_chat(C, title="T", hidden=False),
        "PUT",
        "/api/chat",
        f'{{"chat_id":"{C}","title":"T","hidden":false}}',
    ),
    (
        INF,
        lambda a: a.update_chat(C, allow_data_use=False, active_thread_tail_message_id=A),
        "PUT",
        f"/chats/{C}",
        f'{{"allow_data_use":false,"active_thread_tail_message_id":"{A}"}}',
    ),
    (
        WEB,
        lambda a: a.vote(C, A, -1),
        "POST",
        "/api/chat/vote",
        f'{{"chat_id":"{C}","message_id":"{A}","score":-1}}',
    ),
    (INF, lambda a: a.vote(C, A, 1), "POST", f"/chats/{C}/messages/{A}/votes", '{"score":1}'),
    (
        WEB,
        lambda a: a.message_eval(C, A, ["x", "y"]),
        "POST",
        "/api/chat/message_eval",
        f'{{"chat_id":"{C}","message_id":"{A}","inferior_message_ids":["x","y"]}}',
    ),
    (
        INF,
        lambda a: a.message_eval(C, A, ("x",)),
        "POST",
        f"/chats/{C}/messages/{A}/message_evals",
        '{"inferior_message_ids":["x"]}',
    ),
    (
        INF,
        lambda a: a.report(C, A, "spam", "ads"),
        "POST",
        f"/chats/{C}/messages/{A}/reports",
        '{"report_type":"spam","reason":"ads"}',
    ),
    (WEB, lambda a: a.list_model_configs(), "GET", "/api/chat/models", None),
    (INF, lambda a: a.list_model_configs(), "GET", "/configs/model_configs", None),
    (WEB, lambda a: a.list_plugins(), "GET", "/api/chat/plugins", None),
    (INF, lambda a: a.list_plugins(), "GET", "/configs/builtin_plugins", None),
    (
        WEB,
        lambda a: a.plugin_config(PLUGIN),
        "POST",
        "/api/chat/plugin_config",
        f'{{"plugin":{PLUGIN_JSON}}}',
    ),
    (INF, lambda a: a.plugin_config(PLUGIN), "POST", "/configs/plugin_config", PLUGIN_JSON),
    (INF, lambda a: a.debug_login("alice"), "GET", "/auth/callback/debug?code=alice", None),
    (INF, lambda a: a.check_auth(), "GET", "/auth/check", None),
]


@pytest.mark.parametrize(("dialect", "build", "method", "target", "body"), REQUESTS)
def test_request_of_every_operation(
    dialect: Dialect,
    build: Callable[[ChatAPI], Call[Any]],
    method: str,
    target: str,
    body: str | None,
) -> None:
    request = build(api(dialect)).request
    assert request.method == method
    assert request.url == BASE_URL + target
    assert request.stream is False
    assert request.header("accept") == "application/json"
    if body is None:
        assert request.body == b""
        assert request.header("content-type") is None
    else:
        assert request.body == body.encode("utf-8")
        assert request.header("content-type") == "application/json"
    if dialect is WEB:
        assert request.header("cookie") == f"__Secure-next-auth.session-token={SECRET}"
        assert request.header("authorization") is None
    else:
        assert request.header("authorization") == f"Bearer {SECRET}"
        assert request.header("cookie") is None
    assert SECRET not in repr(request)
    assert SECRET not in request.url


def test_stream_events_requests() -> None:
    request = web().stream_events(C, A)
    assert request.method == "GET"
    assert request.url == f"{BASE_URL}/api/chat/events?chat_id={C}&message_id={A}"
    assert request.stream is True
    assert request.header("accept") == "text/event-stream"
    assert request.body == b""
    request = inference().stream_events(C, A)
    assert request.url == f"{BASE_URL}/chats/{C}/messages/{A}/events"
    assert request.stream is True
    assert request.header("authorization") == f"Bearer {SECRET}"


def test_ids_are_quoted_so_they_cannot_change_the_path() -> None:
    request = inference().stream_events("../admin", "a b?c#d")
    assert request.url == f"{BASE_URL}/chats/..%2Fadmin/messages/a%20b%3Fc%23d/events"
    assert inference().delete_chat("x/y").request.url == f"{BASE_URL}/chats/x%2Fy"
    assert web().get_chat("a&b=c").request.url == f"{BASE_URL}/api/chat?chat_id=a%26b%3Dc"


def test_assistant_message_optional_fields_and_plugins() -> None:
    call = inference().request_assistant_message(
        C,
        P,
        model_config_name="m",
        sampling=SamplingParameters(max_new_tokens=5),
        plugins=[PLUGIN],
        system_prompt="Be brief",
        user_profile="",
        user_response_instructions=None,
    )
    body = json.loads(call.request.body)
    assert list(body) == [
        "parent_id",
        "model_config_name",
        "sampling_parameters",
        "plugins",
        "system_prompt",
        "user_profile",
    ]
    assert body["plugins"] == [json.loads(PLUGIN_JSON)]
    assert body["system_prompt"] == "Be brief"
    assert body["user_profile"] == ""
    assert body["sampling_parameters"]["max_new_tokens"] == 5
    assert body["sampling_parameters"]["top_k"] is None


def test_web_list_chats_never_sends_a_limit() -> None:
    assert "limit" not in web().list_chats(limit=100).request.url
    assert inference().list_chats(limit=1).request.url.endswith("/chats?limit=1")


# --- parsing ---

PARSES: list[tuple[Callable[[ChatAPI], Call[Any]], bytes, Callable[[Any], bool]]] = [
    (lambda a: a.create_chat(), CHAT_LIST_READ, lambda r: type(r) is ChatSummary and r.id == C),
    (
        lambda a: a.post_prompter_message(C, "Hi", None),
        PROMPTER_MESSAGE,
        lambda r: isinstance(r, Message) and r.id == P and r.is_prompter,
    ),
    (
        _assistant,
        PENDING_MESSAGE,
        lambda r: isinstance(r, Message) and r.state == "pending" and r.content is None,
    ),
    (lambda a: a.get_message(C, P), PROMPTER_MESSAGE, lambda r: r.id == P),
    (lambda a: a.list_chats(), CHAT_PAGE, lambda r: isinstance(r, ChatPage) and r.chats[0].id == C),
    (lambda a: a.get_chat(C), CHAT_READ, lambda r: isinstance(r, Chat) and len(r.messages) == 2),
    (lambda a: a.update_chat(C, hidden=True), b"null", lambda r: r is None),
    (lambda a: a.update_chat(C, hidden=True), EMPTY, lambda r: r is None),
    (lambda a: a.vote(C, A, 0), b'""', lambda r: r is None),
    (lambda a: a.message_eval(C, A, []), EMPTY, lambda r: r is None),
    (
        lambda a: a.list_model_configs(),
        MODEL_CONFIGS_JSON,
        lambda r: (
            [m.name for m in r] == ["OA_SFT_Llama_30B_6"] and len(r[0].parameter_configs) == 8
        ),
    ),
    (
        lambda a: a.list_plugins(),
        PLUGINS_JSON,
        lambda r: r == (PluginEntry(url=PLUGIN.url, trusted=True),),
    ),
    (
        lambda a: a.plugin_config(PLUGIN),
        b'{"url":"u","plugin_config":{"name_for_human":"X"}}',
        lambda r: isinstance(r, PluginEntry) and r.plugin_config == {"name_for_human": "X"},
    ),
]


@pytest.mark.parametrize("dialect", [WEB, INF])
@pytest.mark.parametrize(("build", "body", "check"), PARSES)
def test_parse_success(
    dialect: Dialect,
    build: Callable[[ChatAPI], Call[Any]],
    body: bytes,
    check: Callable[[Any], bool],
) -> None:
    call = build(api(dialect))
    assert check(call.parse(response(200, body)))


def test_inference_only_parsers() -> None:
    pair = inference().debug_login("alice").parse(response(200, TOKEN_PAIR_JSON))
    assert isinstance(pair, TokenPair)
    assert pair.access_token == f"acc-{SECRET}"
    assert inference().check_auth().parse(response(200, b'"user-1"')) == "user-1"
    with pytest.raises(RemoteProtocolError, match="expected a JSON string, got int"):
        inference().check_auth().parse(response(200, b"17"))


@pytest.mark.parametrize("build", [lambda a: a.list_model_configs(), lambda a: a.list_plugins()])
def test_list_calls_reject_non_arrays(build: Callable[[ChatAPI], Call[Any]]) -> None:
    call = build(inference())
    with pytest.raises(RemoteProtocolError, match=r"expected a JSON array, got dict"):
        call.parse(response(200, b"{}"))


def test_model_calls_reject_malformed_success_bodies() -> None:
    call = web().create_chat()
    with pytest.raises(RemoteProtocolError, match="not valid JSON"):
        call.parse(response(200, INTERNAL_SERVER_ERROR))
    with pytest.raises(RemoteProtocolError, match=r"ChatSummary\.id"):
        call.parse(response(200, b'{"message":"Something went wrong"}'))


def test_parsers_raise_typed_errors_before_reading_the_body() -> None:
    with pytest.raises(AuthenticationError):
        web().create_chat().parse(response(403))
    with pytest.raises(BusyError):
        _assistant(web()).parse(response(503, WEB_BUSY))
    with pytest.raises(ValidationError) as info:
        _assistant(inference()).parse(response(422, INFERENCE_422))
    assert info.value.url == f"{BASE_URL}/chats/{C}/assistant_message"
    with pytest.raises(NotFoundError):
        web().get_chat(C).parse(response(404))
    with pytest.raises(APIError):
        inference().vote(C, A, 1).parse(response(500))
    with pytest.raises(ValidationError):
        web().vote(C, A, 1).parse(response(400, b"Invalid score"))


@pytest.mark.parametrize("dialect", [WEB, INF])
def test_delete_chat_reports_deleted_or_already_gone(dialect: Dialect) -> None:
    call = api(dialect).delete_chat(C)
    assert call.parse(response(200)) is True
    assert call.parse(response(404, b'{"detail":"Chat not found"}')) is False
    with pytest.raises(APIError) as info:
        call.parse(response(500, INTERNAL_SERVER_ERROR))
    assert info.value.status == 500
    with pytest.raises(AuthenticationError):
        call.parse(response(403))


def test_api_exposes_its_config_and_hides_the_token() -> None:
    a = inference()
    assert a.dialect is INF
    assert a.config.token == SECRET
    assert repr(a) == f"ChatAPI(base_url='{BASE_URL}', dialect='inference')"
    assert SECRET not in repr(a)


def test_call_is_frozen() -> None:
    call = web().create_chat()
    with pytest.raises(AttributeError):
        call.request = HttpRequest(method="GET", url=BASE_URL)  # type: ignore[misc]


# --- local validation ---

INVALID: list[tuple[Dialect, Callable[[ChatAPI], object], str]] = [
    (WEB, lambda a: a.post_prompter_message("", "hi", None), "chat_id must be a non-empty string"),
    (INF, lambda a: a.post_prompter_message(C, "hi", ""), "parent_id must be a non-empty string"),
    (WEB, lambda a: a.post_prompter_message(C, None, None), "content must be a string"),  # type: ignore[arg-type]
    (
        INF,
        lambda a: a.request_assistant_message(
            C,
            P,
            model_config_name="m",
            sampling={"top_k": 50},  # type: ignore[arg-type]
        ),
        "sampling must be a SamplingParameters, not dict",
    ),
    (
        WEB,
        lambda a: a.request_assistant_message(C, P, model_config_name="", sampling=K50),
        "model_config_name must be a non-empty string",
    ),
    (
        WEB,
        lambda a: a.request_assistant_message(C, None, model_config_name="m", sampling=K50),  # type: ignore[arg-type]
        "parent_id must be a non-empty string",
    ),
    (
        INF,
        lambda a: a.request_assistant_message(
            C,
            P,
            model_config_name="m",
            sampling=K50,
            plugins="https://x",  # type: ignore[arg-type]
        ),
        "plugins must be a sequence of PluginEntry",
    ),
    (
        INF,
        lambda a: a.request_assistant_message(
            C,
            P,
            model_config_name="m",
            sampling=K50,
            plugins=[{"url": "x"}],  # type: ignore[list-item]
        ),
        "plugins must hold PluginEntry values",
    ),
    (
        WEB,
        lambda a: a.request_assistant_message(
            C,
            P,
            model_config_name="m",
            sampling=K50,
            system_prompt=3,  # type: ignore[arg-type]
        ),
        "system_prompt must be a string",
    ),
    (WEB, lambda a: a.stream_events(C, ""), "message_id must be a non-empty string"),
    (INF, lambda a: a.get_message(1, A), "chat_id must be a non-empty string"),  # type: ignore[arg-type]
    (INF, lambda a: a.delete_chat(""), "chat_id must be a non-empty string"),
    (INF, lambda a: a.get_chat(""), "chat_id must be a non-empty string"),
    (WEB, lambda a: a.list_chats(before="a", after="b"), "at most one of before= and after="),
    (INF, lambda a: a.list_chats(before=""), "before must be a non-empty string"),
    (INF, lambda a: a.list_chats(include_hidden="yes"), "include_hidden must be a bool"),  # type: ignore[arg-type]
    (INF, lambda a: a.list_chats(limit=0), r"limit must be an int in 1\.\.100, got 0"),
    (INF, lambda a: a.list_chats(limit=101), "limit must be an int in 1..100"),
    (WEB, lambda a: a.list_chats(limit=True), "limit must be an int in 1..100"),
    (WEB, lambda a: a.list_chats(limit=2.0), "limit must be an int in 1..100"),  # type: ignore[arg-type]
    (WEB, lambda a: a.update_chat(C), "at least one field"),
    (INF, lambda a: a.update_chat(C, title="x" * 101), "at most 100 characters, got 101"),
    (INF, lambda a: a.update_chat(C, title=5), "title must be a string"),  # type: ignore[arg-type]
    (WEB, lambda a: a.update_chat(C, hidden=1), "hidden must be a bool or None"),  # type: ignore[arg-type]
    (
        INF,
        lambda a: a.update_chat(C, active_thread_tail_message_id=""),
        "active_thread_tail_message_id must be a non-empty string",
    ),
    (WEB, lambda a: a.vote(C, A, 2), "score must be -1, 0 or 1, got 2"),
    (INF, lambda a: a.vote(C, A, True), "score must be -1, 0 or 1, got True"),
    (INF, lambda a: a.vote(C, A, 1.0), "score must be -1, 0 or 1"),  # type: ignore[arg-type]
    (WEB, lambda a: a.vote(C, "", 1), "message_id must be a non-empty string"),
    (WEB, lambda a: a.message_eval(C, A, "abc"), "inferior_message_ids must be a sequence of ids"),
    (INF, lambda a: a.message_eval(C, A, [""]), r"inferior_message_ids\[0\] must be a non-empty"),
    (WEB, lambda a: a.report(C, A, "spam", "x"), "report is not available on the web API"),
    (
        INF,
        lambda a: a.report(C, A, "rude", "x"),
        "report_type must be one of feedback, offensive, spam",
    ),
    (INF, lambda a: a.report(C, A, "spam", None), "reason must be a string"),  # type: ignore[arg-type]
    (INF, lambda a: a.plugin_config({"url": "x"}), "plugin must be a PluginEntry, not dict"),  # type: ignore[arg-type]
    (WEB, lambda a: a.debug_login("alice"), "debug_login is not available on the web API"),
    (INF, lambda a: a.debug_login(""), "username must be a non-empty string"),
    (WEB, lambda a: a.check_auth(), "check_auth is not available on the web API"),
]


@pytest.mark.parametrize(("dialect", "build", "message"), INVALID)
def test_invalid_arguments_are_local_errors(
    dialect: Dialect, build: Callable[[ChatAPI], object], message: str
) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        build(api(dialect))


def test_vote_accepts_every_valid_score() -> None:
    for score in (-1, 0, 1):
        assert json.loads(inference().vote(C, A, score).request.body) == {"score": score}
