"""The inference server's route table and its HTTP entry point.

Routes are matched as Starlette matches them: in declaration
order, one path segment per parameter, ``HEAD`` served by ``GET`` routes, and
405 for a known path under another method. The web API (``_web.py``) looks its
upstream calls up here too.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from oaproto import Dialect

from ._cors import cors_headers, cors_preflight, is_preflight, with_cors
from ._faults import Fault
from ._inference import (
    InferenceRequest,
    op_assistant_message,
    op_auth,
    op_builtin_plugins,
    op_create_chat,
    op_delete_chat,
    op_events,
    op_get_chat,
    op_get_message,
    op_list_chats,
    op_message_eval,
    op_model_configs,
    op_plugin_config,
    op_plugin_file,
    op_prompter_message,
    op_report,
    op_update_chat,
    op_vote,
)
from ._replies import Reply, inf_detail, to_response
from ._server_state import ServerState
from ._store import StoredMessage
from ._streaming import open_stream, write_events

__all__ = ["Handler", "handle", "match_route", "no_route"]

#: A route's operation: the call, then the path parameters in order.
Handler = Callable[..., Awaitable[Reply | StoredMessage]]

_MESSAGE = "/chats/{chat_id}/messages/{message_id}"

#: (method, path, step, operation), in Starlette's matching order.
_ROUTE_TABLE: list[tuple[str, str, str, Handler]] = [
    ("GET", "/chats", "list_chats", op_list_chats),
    ("POST", "/chats", "create_chat", op_create_chat),
    ("GET", "/chats/{chat_id}", "get_chat", op_get_chat),
    ("DELETE", "/chats/{chat_id}", "delete_chat", op_delete_chat),
    ("PUT", "/chats/{chat_id}", "update_chat", op_update_chat),
    ("POST", "/chats/{chat_id}/prompter_message", "prompter_message", op_prompter_message),
    ("POST", "/chats/{chat_id}/assistant_message", "assistant_message", op_assistant_message),
    ("GET", _MESSAGE, "message", op_get_message),
    ("GET", f"{_MESSAGE}/events", "events", op_events),
    ("POST", f"{_MESSAGE}/votes", "vote", op_vote),
    ("POST", f"{_MESSAGE}/message_evals", "message_eval", op_message_eval),
    ("POST", f"{_MESSAGE}/reports", "report", op_report),
    ("GET", "/configs/model_configs", "models", op_model_configs),
    ("GET", "/configs/builtin_plugins", "plugins", op_builtin_plugins),
    ("POST", "/configs/plugin_config", "plugin_config", op_plugin_config),
    ("GET", "/plugins/{name}/ai-plugin.json", "plugins", op_plugin_file),
    ("GET", "/auth/check", "auth", op_auth("check")),
    ("GET", "/auth/providers", "auth", op_auth("providers")),
    ("GET", "/auth/refresh", "auth", op_auth("refresh")),
    ("GET", "/auth/login/debug", "auth", op_auth("login")),
    ("GET", "/auth/callback/debug", "auth", op_auth("callback")),
    ("POST", "/auth/trusted", "auth", op_auth("trusted")),
]

# Starlette path parameters match one segment each.
_ROUTES = [
    (method, re.compile("^" + re.sub(r"\{\w+\}", "([^/]+)", path) + "$"), step, handler)
    for method, path, step, handler in _ROUTE_TABLE
]


def match_route(method: str, path: str) -> tuple[str, Handler | None, tuple[str, ...], bool]:
    """``(step, handler, path params, path_known)`` for an inference request.

    ``handler`` is ``None`` when nothing matches; ``path_known`` then says
    whether the path exists under another method (405) or not at all (404).
    """
    path_known = False
    for route_method, pattern, step, handler in _ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        if route_method == method or (route_method == "GET" and method == "HEAD"):
            return step, handler, match.groups(), True
        path_known = True
    return "other", None, (), path_known


def no_route(path_known: bool) -> Reply:
    """Starlette's answer when no route matches: 405 for a known path, else 404."""
    return inf_detail(405, "Method Not Allowed") if path_known else inf_detail(404, "Not Found")


async def handle(
    request: web.Request, state: ServerState, faults: list[Fault], body: bytes
) -> web.StreamResponse:
    """Answer one inference-dialect HTTP request whose body is ``body``."""
    if is_preflight(request):
        return cors_preflight(request)
    _step, handler, params, path_known = match_route(request.method, request.path)
    if handler is None:
        return with_cors(request, to_response(no_route(path_known)))
    call = InferenceRequest(
        state=state,
        authorization=request.headers.get("authorization"),
        trusted_client=request.headers.get("trustedclient"),
        query=list(request.query.items()),
        body=body,
        content_type=request.headers.get("content-type"),
        faults=faults,
    )
    result = await handler(call, *params)
    if isinstance(result, Reply):
        return with_cors(request, to_response(result))
    response = await open_stream(
        request, dialect=Dialect.INFERENCE, extra_headers=cors_headers(request)
    )
    await write_events(request, response, state, result, faults)
    return response
