"""Random JSON bodies, nesting and odd numbers at every route of both dialects.

Whatever arrives, the answer is a client error with valid JSON or one of the documented
bodies (the real API's own 500s included), never a crash; the server keeps serving, logs
nothing at ERROR, and a refused request stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oaproto.transports.server import ThreadedServer
from tests.helpers.raw_http import RawResponse, conversation, request, wait_message_state

INFERENCE_ROUTES = [
    ("GET", "/chats"),
    ("POST", "/chats"),
    ("GET", "/chats/{chat}"),
    ("PUT", "/chats/{chat}"),
    ("DELETE", "/chats/{other}"),
    ("POST", "/chats/{chat}/prompter_message"),
    ("POST", "/chats/{chat}/assistant_message"),
    ("GET", "/chats/{chat}/messages/{message}"),
    ("POST", "/chats/{chat}/messages/{message}/votes"),
    ("POST", "/chats/{chat}/messages/{message}/message_evals"),
    ("POST", "/chats/{chat}/messages/{message}/reports"),
    ("GET", "/configs/model_configs"),
    ("GET", "/configs/builtin_plugins"),
    ("POST", "/configs/plugin_config"),
    ("GET", "/auth/check"),
    ("GET", "/auth/login/debug"),
    ("GET", "/auth/callback/debug"),
    ("POST", "/auth/trusted"),
    ("PATCH", "/chats/{chat}"),
]
WEB_PATHS = [
    "/api/chat",
    "/api/chat/prompter_message",
    "/api/chat/assistant_message",
    "/api/chat/message",
    "/api/chat/vote",
    "/api/chat/message_eval",
    "/api/chat/models",
    "/api/chat/plugins",
    "/api/chat/plugin_config",
]
WEB_ROUTES = [
    *[(method, "/api/chat") for method in ("GET", "POST", "PUT", "DELETE")],
    *[(method, path) for path in WEB_PATHS[1:] for method in ("GET", "POST")],
]
FIELDS = [
    "chat_id",
    "message_id",
    "content",
    "parent_id",
    "title",
    "hidden",
    "model_config_name",
    "sampling_parameters",
    "top_p",
    "top_k",
    "max_new_tokens",
    "system_prompt",
    "plugins",
    "used_plugin",
    "score",
    "report_type",
    "reason",
    "inferior_message_ids",
    "plugin",
    "url",
]
HUGE = "1" + "0" * 400  # an integer beyond a double's range
#: Values the validation has to survive.
ODD_VALUES = [
    HUGE,
    "-" + HUGE,
    '"\\ud800"',
    '"a\\udfffb"',
    '"inf"',
    '"nan"',
    '"_lorem"',
    '"spam"',
    "-1",
    "1.0",
    '"@chat"',
    '"@message"',
    '"@first"',
]
#: Text that the JSON parsing itself refuses (or, on the web, turns into null).
PARSE_POISON = ["1e309", "-1e999", "NaN", "Infinity", "-" + "9" * 5000]
SAMPLING = ["top_k", "top_p", "typical_p", "temperature", "repetition_penalty", "max_new_tokens"]

odd = st.sampled_from(ODD_VALUES)
scalars = st.one_of(
    odd,
    st.sampled_from(["null", "true", "false"]),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.text(max_size=20).map(json.dumps),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)).map(json.dumps)


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    arrays = st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
    objects = st.lists(st.tuples(keys, children), max_size=5).map(
        lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
    )
    return arrays | objects


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(key)}:{value}" for key, value in pairs) + "}"


json_texts = st.recursive(scalars, _containers, max_leaves=12)
# Bodies shaped like the routes' own, so that values reach the fields they test.
numbers = st.sampled_from([HUGE, '"inf"', '"-Infinity"', "1e308", "-0.0"]) | scalars
sampling_texts = st.lists(
    st.tuples(st.sampled_from(SAMPLING), numbers), min_size=1, max_size=3
).map(_object)
field_values = st.one_of(numbers, json_texts)
#: The fields each route reads (the web routes' own first, then what they pass on).
ROUTE_FIELDS = {
    "/chats/{chat}": ["title", "hidden", "allow_data_use", "active_thread_tail_message_id"],
    "prompter_message": ["parent_id", "content"],
    "assistant_message": ["parent_id", "model_config_name", "sampling_parameters", "system_prompt"],
    "votes": ["score"],
    "vote": ["chat_id", "message_id", "score"],
    "message_evals": ["inferior_message_ids"],
    "message_eval": ["chat_id", "message_id", "inferior_message_ids"],
    "reports": ["report_type", "reason"],
    "plugin_config": ["url", "enabled", "plugin", "plugin_config"],
    "/api/chat": ["chat_id", "title", "hidden"],
}


def shaped(path: str) -> st.SearchStrategy[str]:
    """Objects over the route's fields, one of them always an odd value."""
    fields = _fields(path) or FIELDS
    keys = st.sampled_from(fields)
    values = {
        "sampling_parameters": sampling_texts | field_values,
        "parent_id": st.just('"@first"'),
    }
    pairs = st.one_of([st.tuples(st.just(f), values.get(f, field_values) | odd) for f in fields])
    return st.tuples(st.tuples(keys, odd), st.lists(pairs, max_size=len(fields))).map(
        lambda drawn: _object([drawn[0], *drawn[1]])
    )


deep = st.builds(
    lambda depth, pair, inner: pair[0] * depth + inner + pair[1] * depth,
    st.integers(min_value=300, max_value=3000),
    st.sampled_from([("[", "]"), ('{"a":', "}")]),
    st.sampled_from(["1", '"x"', "[]"]),
)
poisoned = st.recursive(st.sampled_from(PARSE_POISON) | scalars, _containers, max_leaves=6)


def bodies(path: str) -> st.SearchStrategy[bytes]:
    """Request bodies for ``path``: mostly shaped like its own, then anything."""
    route_shaped = shaped(path).map(str.encode)
    return st.one_of(
        route_shaped,
        route_shaped,
        route_shaped,
        poisoned.map(lambda text: ('{"content": "x", "title": ' + text + "}").encode()),
        json_texts.map(str.encode),
        deep.map(str.encode),
        deep.map(lambda text: ('{"chat_id": "@chat", "title": ' + text + "}").encode()),
        st.binary(max_size=40),
        st.just(b""),
    )


content_types = st.sampled_from(
    [
        "application/json",
        "application/json",
        "text/plain",
        None,
        "application/x-www-form-urlencoded",
    ]
)
queries = st.lists(
    st.tuples(
        st.sampled_from(["chat_id", "message_id", "username", "code", "limit", "after", "before"]),
        st.one_of(
            st.sampled_from(["@chat", "@message", "1e309", "-1", "\ud800"]), st.text(max_size=8)
        ),
    ),
    max_size=3,
)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[ThreadedServer, dict[str, str], _Errors]]:
    errors = _Errors()
    watched = [logging.getLogger("oaproto.server"), logging.getLogger("asyncio")]
    for logger in watched:
        logger.addHandler(errors)
    server = ThreadedServer(
        warn_open_mode=False,
        token_delay=0,
        pending_interval=0.2,
        rate_limit=None,
        allow_debug_auth=True,
        body_timeout=5,
    )
    server.start()
    try:
        port = server.port
        chat_id, first, reply = conversation(port)
        wait_message_state(port, chat_id, reply["id"], "complete")
        other, _, _ = conversation(port)
        ids = {"@chat": chat_id, "@message": reply["id"], "@first": first["id"], "@other": other}
        yield server, ids, errors
    finally:
        server.stop()
        for logger in watched:
            logger.removeHandler(errors)


def _stored(server: ThreadedServer) -> list[Any]:
    """What a request could have stored: chats, titles, prompter texts, votes, reports."""
    return [
        (
            chat["id"],
            chat["title"],
            chat["hidden"],
            chat["allow_data_use"],
            [
                (
                    m["id"],
                    m["role"],
                    m["content"] if m["role"] == "prompter" else None,
                    m["score"],
                    m["reports"],
                )
                for m in chat["messages"]
            ],
        )
        for chat in server.chats()
    ]


#: The 500s the real API answers on purpose (route catch-alls, Next's and Starlette's pages).
DOCUMENTED_500 = {b"", b"Internal Server Error", b'{"message":"Something went wrong"}'}


def _check_answer(response: RawResponse) -> None:
    assert response.status < 500 or response.body in DOCUMENTED_500, (
        response.status,
        response.body[:300],
    )
    assert response.header("connection") != "close" or response.status < 500
    content_type = response.header("content-type") or ""
    if "json" in content_type:

        def refuse(name: str) -> Any:
            raise AssertionError(f"answer holds {name}")

        json.loads(response.body, parse_constant=refuse)  # RFC 8259: no NaN, no Infinity


def _fill(text: str, ids: dict[str, str]) -> str:
    for placeholder, value in ids.items():
        text = text.replace(placeholder, value)
    return text


@pytest.mark.parametrize("route", INFERENCE_ROUTES + WEB_ROUTES, ids=" ".join)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    data=st.data(),
    content_type=content_types,
    query=queries,
)
def test_random_bodies_at_every_route_get_client_errors_and_store_nothing(
    fuzzed: tuple[ThreadedServer, dict[str, str], _Errors],
    route: tuple[str, str],
    data: st.DataObject,
    content_type: str | None,
    query: list[tuple[str, str]],
) -> None:
    method, template = route
    ids = fuzzed[1]
    body = data.draw(bodies(template), label="body")
    if query:
        template += "?" + "&".join(
            f"{name}={quote(_fill(value, ids), safe='', errors='surrogatepass')}"
            for name, value in query
        )
    headers = [("content-type", content_type)] if content_type else []
    _send_and_check(fuzzed, method, template, body, headers)


def _send_and_check(
    fuzzed: tuple[ThreadedServer, dict[str, str], _Errors],
    method: str,
    template: str,
    body: bytes,
    headers: list[tuple[str, str]],
) -> None:
    server, ids, errors = fuzzed
    path = template.format(chat=ids["@chat"], message=ids["@message"], other=ids["@other"])
    body = _fill(body.decode("utf-8", "surrogateescape"), ids).encode("utf-8", "surrogateescape")
    before = _stored(server)
    response = request(server.port, method, path, body=body, headers=headers)
    _check_answer(response)
    if response.status >= 400:
        assert _stored(server) == before, (method, path, response.status, body[:200])
    assert request(server.port, "GET", "/chats").status == 200  # still serving
    assert errors.records == [], [r.getMessage() for r in errors.records]


def _fields(template: str) -> list[str] | None:
    name = template if template in ROUTE_FIELDS else template.rsplit("/", 1)[-1]
    fields = ROUTE_FIELDS.get(name)
    if fields is not None and template.startswith("/api/") and "chat_id" not in fields:
        fields = ["chat_id", *fields]
    return fields


BODY_ROUTES = [
    (method, path)
    for method, path in INFERENCE_ROUTES + WEB_ROUTES
    if method in ("POST", "PUT") and _fields(path) is not None
]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=" ".join)
def test_every_odd_value_in_every_field_of_every_body_route(
    fuzzed: tuple[ThreadedServer, dict[str, str], _Errors], route: tuple[str, str]
) -> None:
    # The random test above draws few of these combinations; this one tries each.
    method, template = route
    fields = _fields(template)
    assert fields is not None
    base = {"chat_id": '"@chat"', "parent_id": '"@first"', "model_config_name": '"_lorem"'}
    cases = [(field, value) for field in fields for value in ODD_VALUES]
    cases += [(fields[0], value) for value in PARSE_POISON]  # refused before any field is read
    if "sampling_parameters" in fields:
        odd_numbers = [HUGE, '"inf"', '"-Infinity"', '"nan"', "1e309"]
        cases += [("sampling_parameters", _object([("top_p", v)])) for v in odd_numbers]
    for field, value in cases:
        body = _object(list({**base, field: value}.items()))
        _send_and_check(fuzzed, method, template, body.encode(), JSON_HEADERS)


JSON_HEADERS = [("content-type", "application/json")]
