"""The web API dialect: ``/api/chat/...`` as the Next.js routes serve it.

Each route is a transcription of OA ``website/src/pages/api/chat/*.ts``
: Next.js parses the body, ``withoutRole`` answers 403 without
a session, ``isSSRChatEnabled`` 404 when chat is off, then the route calls the
inference server through axios and turns the outcome into its own answer. The
inference server here is this server's own inference operations, called with
exactly the path, query and JSON body axios would send, so both dialects
share one store and every error travels the same path it did in production.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from aiohttp import web

from oaproto import Dialect

from ._faults import Fault
from ._inference import InferenceRequest
from ._inference_routes import match_route, no_route
from ._json import UNDEFINED, js_double, js_json, too_deep
from ._replies import (
    SOMETHING_WENT_WRONG,
    EarlyReplyError,
    Reply,
    to_response,
    web_empty,
    web_internal_error,
    web_json,
    web_text,
)
from ._server_state import ServerState
from ._store import StoredMessage
from ._streaming import open_stream, write_events

__all__ = ["WEB_ROUTES", "handle", "web_step"]


class _UncaughtError(Exception):
    """An exception nothing in the route catches: Next.js answers a plain 500."""


# -- JavaScript semantics the routes rely on ---------------------------------------


def _js_string(value: Any) -> str:
    """``String(value)``, as a template literal formats an id into a path."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        if math.isinf(js_double(value)):
            return "Infinity" if value > 0 else "-Infinity"
        return js_json(value).decode()
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else _js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _destructure(body: Any, *names: str) -> tuple[list[Any], dict[str, Any]]:
    """``const {a, b, ...rest} = body``: the named values and the rest.

    Raises:
        _UncaughtError: ``body`` is ``null`` (a TypeError in JavaScript).
    """
    if body is None:
        raise _UncaughtError("cannot destructure null")
    # A string or an array spreads into array-index keys ("0", "1", ...).
    # None of the names asked for is an index, and the inference models the
    # rest is sent to ignore unknown keys, so those keys are left out: the
    # outcome is the same, at no cost for a 1 MiB string.
    props: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    values = [props.pop(name, UNDEFINED) for name in names]
    return values, props


def _truthy(value: Any) -> bool:
    if value is UNDEFINED or value is None:
        return False
    if isinstance(value, float) and value != value:  # NaN
        return False
    return bool(value) or isinstance(value, list | dict)


def _query_value(request: web.Request, name: str) -> Any:
    """``req.query[name]``: a string, an array for repeated keys, or undefined."""
    values = request.query.getall(name, [])
    if not values:
        return UNDEFINED
    return values[0] if len(values) == 1 else list(values)


# -- the inference server, as axios sees it --------------------------------------------


@dataclass(slots=True)
class _Upstream:
    """An axios outcome: ``ok`` and the parsed data, or the error response."""

    status: int
    data: Any
    stream: StoredMessage | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _axios_data(body: bytes) -> Any:
    # axios' default transformResponse: JSON.parse a non-empty text, else keep it.
    text = body.decode("utf-8", "replace")
    if not text:
        return ""
    try:
        return json.loads(text)
    except ValueError:
        return text


async def _upstream(
    state: ServerState,
    user_id: str,
    method: str,
    path: str,
    *,
    query: list[tuple[str, str]] | None = None,
    data: Any = UNDEFINED,
    faults: list[Fault] | None = None,
) -> _Upstream:
    """Call an inference operation the way ``OasstInferenceClient.request`` does."""
    if any(ch.isspace() or ord(ch) < 0x20 for ch in path):
        raise _UncaughtError("Request path contains unescaped characters")  # Node's own check
    call = InferenceRequest(
        state=state,
        user_id=user_id,
        query=query or [],
        # JSON.stringify(undefined) sends no body at all.
        body=b"" if data is UNDEFINED else js_json(data),
        content_type="application/json",
        faults=faults or [],
    )
    _, handler, params, path_known = match_route(method, unquote(path))
    result = no_route(path_known) if handler is None else await handler(call, *params)
    if isinstance(result, StoredMessage):
        return _Upstream(200, "", stream=result)
    return _Upstream(result.status, _axios_data(result.body))


def _message_error(outcome: _Upstream) -> Reply:
    """The catch block of prompter/assistant_message: ``{message: detail}``."""
    data = outcome.data
    if data is None:
        raise _UncaughtError("cannot read properties of null")  # data.detail on null
    detail = data.get("detail") if isinstance(data, dict) else None
    return web_json(
        {"message": detail if detail is not None else SOMETHING_WENT_WRONG}, outcome.status
    )


def _data(outcome: _Upstream) -> Any:
    """The data of a successful call; axios throws on any other, uncaught by the route."""
    if not outcome.ok:
        raise _UncaughtError(f"upstream answered {outcome.status}")
    return outcome.data


def _json_or_400(data: Any) -> Reply:
    """``data ? res.json(data) : res.status(400).end()``."""
    return web_json(data) if _truthy(data) else web_empty(400)


# -- routes ------------------------------------------------------------------------------


async def _index(
    request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
) -> Reply:
    """``/api/chat``: list, read, create, update, delete."""
    method = request.method
    data: Any = UNDEFINED
    if method == "GET":
        chat_id = _query_value(request, "chat_id")
        if _truthy(chat_id):
            outcome = await _upstream(state, user_id, "GET", f"/chats/{_js_string(chat_id)}")
            # get_chat returns null on 404 and swallows every other error.
            data = outcome.data if outcome.ok else UNDEFINED
        else:
            params = [("limit", "20")]  # PAGE_SIZE; a client's limit is ignored
            for name in ("before", "after", "include_hidden"):
                value = _query_value(request, name)
                if _truthy(value):
                    params.append((name, _js_string(value)))
            data = _data(await _upstream(state, user_id, "GET", "/chats", query=params))
    elif method == "POST":
        data = _data(await _upstream(state, user_id, "POST", "/chats", data=""))
    elif method == "DELETE":
        chat_id = _query_value(request, "chat_id")
        _data(await _upstream(state, user_id, "DELETE", f"/chats/{_js_string(chat_id)}"))
        return web_empty(200)
    elif method == "PUT":
        (chat_id,), rest = _destructure(body, "chat_id")
        _data(await _upstream(state, user_id, "PUT", f"/chats/{_js_string(chat_id)}", data=rest))
        return web_empty(200)
    if _truthy(data):
        return web_json(data)
    return web_empty(404)


def _message_route(kind: str) -> _Route:
    async def route(
        request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
    ) -> Reply:
        # The whole handler runs inside the route's try: a non-axios
        # error (null body, a chat id that makes Node reject the path) is
        # caught there and answered with an empty 500, not Next's text 500.
        try:
            (chat_id,), rest = _destructure(body, "chat_id")
            outcome = await _upstream(
                state,
                user_id,
                "POST",
                f"/chats/{_js_string(chat_id)}/{kind}",
                data=rest,
                faults=faults,
            )
        except _UncaughtError:
            return web_empty(500)
        if outcome.ok:
            return web_json(outcome.data)
        return _message_error(outcome)

    return route


async def _message(
    request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
) -> Reply:
    chat_id = _js_string(_query_value(request, "chat_id"))
    message_id = _js_string(_query_value(request, "message_id"))
    path = f"/chats/{chat_id}/messages/{message_id}"
    return _json_or_400(_data(await _upstream(state, user_id, "GET", path)))


async def _vote(
    request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
) -> Reply:
    (chat_id, message_id, score), _ = _destructure(body, "chat_id", "message_id", "score")
    # [-1, 0, 1].includes(score): SameValueZero, so 1.0 counts and "1" or true do not.
    if isinstance(score, bool) or not isinstance(score, int | float) or score not in (-1, 0, 1):
        return web_text(400, "Invalid score")
    path = f"/chats/{_js_string(chat_id)}/messages/{_js_string(message_id)}/votes"
    return web_json(_data(await _upstream(state, user_id, "POST", path, data={"score": score})))


async def _message_eval(
    request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
) -> Reply:
    (chat_id, message_id, inferior), _ = _destructure(
        body, "chat_id", "message_id", "inferior_message_ids"
    )
    path = f"/chats/{_js_string(chat_id)}/messages/{_js_string(message_id)}/message_evals"
    data = {"inferior_message_ids": inferior}
    return web_json(_data(await _upstream(state, user_id, "POST", path, data=data)))


async def _models(
    request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
) -> Reply:
    return web_json(_data(await _upstream(state, user_id, "GET", "/configs/model_configs")))


async def _plugins(
    request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
) -> Reply:
    return _json_or_400(_data(await _upstream(state, user_id, "GET", "/configs/builtin_plugins")))


async def _plugin_config(
    request: web.Request, state: ServerState, user_id: str, body: Any, faults: list[Fault]
) -> Reply:
    (plugin,), _ = _destructure(body, "plugin")
    outcome = await _upstream(state, user_id, "POST", "/configs/plugin_config", data=plugin)
    return _json_or_400(_data(outcome))


_Route = Callable[[web.Request, ServerState, str, Any, list[Fault]], Awaitable[Reply]]

#: path -> (route, checks ENABLE_CHAT); events is handled apart (it streams).
WEB_ROUTES: dict[str, tuple[_Route | None, bool]] = {
    "/api/chat": (_index, True),
    "/api/chat/prompter_message": (_message_route("prompter_message"), True),
    "/api/chat/assistant_message": (_message_route("assistant_message"), True),
    "/api/chat/events": (None, True),
    "/api/chat/message": (_message, True),
    "/api/chat/vote": (_vote, True),
    "/api/chat/message_eval": (_message_eval, True),
    "/api/chat/models": (_models, True),
    "/api/chat/plugins": (_plugins, False),
    "/api/chat/plugin_config": (_plugin_config, False),
}


def web_step(method: str, path: str, query: Any) -> str:
    """The step name of a web request."""
    if path == "/api/chat":
        if method == "GET":
            return "get_chat" if query.get("chat_id") else "list_chats"
        return {"POST": "create_chat", "PUT": "update_chat", "DELETE": "delete_chat"}.get(
            method, "other"
        )
    return path.rsplit("/", 1)[-1]  # the other routes are named as their steps


# -- Next.js request handling --------------------------------------------------------------


def _not_json(name: str) -> Any:
    raise ValueError(f"JSON.parse rejects {name}")


def _js_integer(text: str) -> int | float:
    # JSON.parse makes every number a double; past a few hundred digits that
    # is ±Infinity (and Python would refuse the int conversion past 4300).
    return int(text) if len(text) <= 400 else float(text)


def _parse_body(request: web.Request, raw: bytes) -> Any:
    """Next.js' default body parser; its 413 is answered before the body is read.

    Raises:
        EarlyReplyError: 400 for invalid JSON.
    """
    content_type = request.headers.get("content-type", "text/plain")
    media = content_type.split(";", 1)[0].strip().lower()
    text = raw.decode("utf-8", "replace")
    if media in ("application/json", "application/ld+json"):
        if not text:
            return {}
        invalid = EarlyReplyError(web_text(400, "Invalid JSON", reason="Invalid JSON"))
        if too_deep(text):
            raise invalid  # JSON.parse would follow it; see MAX_JSON_DEPTH
        try:
            return json.loads(text, parse_constant=_not_json, parse_int=_js_integer)
        except (ValueError, RecursionError):
            raise invalid from None
    if media == "application/x-www-form-urlencoded":
        parsed = parse_qs(text, keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}
    return text


async def handle(
    request: web.Request, state: ServerState, faults: list[Fault], raw_body: bytes
) -> web.StreamResponse:
    """Answer one web-dialect HTTP request whose body is ``raw_body``."""
    route, checks_chat = WEB_ROUTES[request.path]
    try:
        body = _parse_body(request, raw_body)
    except EarlyReplyError as replied:
        return to_response(replied.reply)
    user_id = state.auth.web_user(
        request.headers.getall("cookie", []), request.headers.get("authorization")
    )
    if user_id is None:
        return to_response(web_empty(403))  # withoutRole: no (valid) session
    if checks_chat and not state.config.chat_enabled:
        return to_response(web_empty(404))
    try:
        if route is None:
            return await _events(request, state, user_id, faults)
        return to_response(await route(request, state, user_id, body, faults))
    except _UncaughtError:
        return to_response(web_internal_error())


async def _events(
    request: web.Request, state: ServerState, user_id: str, faults: list[Fault]
) -> web.StreamResponse:
    chat_id = _js_string(_query_value(request, "chat_id"))
    message_id = _js_string(_query_value(request, "message_id"))
    outcome = await _upstream(
        state, user_id, "GET", f"/chats/{chat_id}/messages/{message_id}/events"
    )
    _data(outcome)  # axios throws before anything is piped
    if outcome.stream is None:
        # 204 upstream (finished message): 200 and an empty piped body.
        return to_response(web_empty(200))
    response = await open_stream(request, dialect=Dialect.WEB)
    await write_events(request, response, state, outcome.stream, faults)
    return response
