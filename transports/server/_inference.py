"""The inference server dialect: ``/chats/...``, ``/configs/...``, ``/auth/...``.

Each operation follows its FastAPI route in OA ``inference/server``: the
body is JSON-decoded first (a decode error is a 422 before anything
else), then dependencies run (authentication, the rate limiter), then path,
query and body are validated together (one 422 listing every error), then the
route body runs with its own error handling (some routes turn every failure
into an empty 500, some let errors escape as Starlette's plain-text 500).

The web API (``_web.py``) calls the same operations the way the website's
axios client calls the inference server, so both dialects share one store.
HTTP dispatch and the route table are in ``_inference_routes.py``.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import functools
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

from oaproto._sampling import PRESETS

from ._faults import Fault, FaultKind
from ._json import BodyJSONError, BodyParseError, first_lone_surrogate, loads
from ._queueing import MessageChannel, QueueFullError
from ._replies import EarlyReplyError, Reply, inf_detail, inf_empty, inf_json, inf_text500
from ._schemas import (
    ASSISTANT_MESSAGE,
    CHAT_UPDATE,
    CREATE_CHAT,
    MESSAGE_EVAL,
    PLUGIN_ENTRY,
    PROMPTER_MESSAGE,
    REPORT,
    VOTE,
)
from ._server_state import ServerState
from ._store import HTTPError, NoResultError, StoredMessage
from ._validate import BOOL, STR, ErrorList, IntT, Model, Opt, Type, missing_error, validate

__all__ = [
    "BUSY",
    "InferenceRequest",
    "builtin_plugins",
    "op_assistant_message",
    "op_auth",
    "op_builtin_plugins",
    "op_create_chat",
    "op_delete_chat",
    "op_events",
    "op_get_chat",
    "op_get_message",
    "op_list_chats",
    "op_message_eval",
    "op_model_configs",
    "op_plugin_config",
    "op_plugin_file",
    "op_prompter_message",
    "op_report",
    "op_update_chat",
    "op_vote",
]

#: The 503 detail of a full work queue.
BUSY = "The server is currently busy. Please try again later."

# ParameterConfig descriptions of the eight presets (OA routes/configs.py).
_PRESET_DESCRIPTIONS = {
    "k50": "Top-k sampling with k=50",
    "k50-Creative": "Top-k sampling with k=50, higher temperature",
    "k50-Precise": "Top-k sampling with k=50, low temperature",
    "k50-Original": "Top-k sampling with k=50, highest temperature",
    "k50-Plugins": "Top-k sampling with k=50 and temperature=0.35",
    "nucleus9": "Nucleus sampling with p=0.9",
    "typical2": "Typical sampling with p=0.2",
    "typical3": "Typical sampling with p=0.3",
}


@dataclass(slots=True, kw_only=True)
class InferenceRequest:
    """One request to an inference operation.

    From HTTP, ``user_id`` is ``None`` and the credentials are checked. From
    the web API it is the website's user (the ``TrustedClient`` the website
    sends is always valid), and ``body`` is what axios would send.
    """

    state: ServerState
    user_id: str | None = None
    authorization: str | None = None
    trusted_client: str | None = None
    query: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    content_type: str | None = "application/json"
    faults: list[Fault] = field(default_factory=list)

    def param(self, name: str) -> str | None:
        """A query parameter; Starlette keeps the last of repeated values."""
        value = None
        for key, item in self.query:
            if key == name:
                value = item
        return value


class _NoBody:
    pass


_NO_BODY = _NoBody()


def _body(call: InferenceRequest) -> Any:
    """FastAPI's body reading: JSON when the content type allows, else raw bytes."""
    if not call.body:
        return _NO_BODY
    parse = not call.content_type
    if call.content_type:
        header = email.message.Message()
        header["content-type"] = call.content_type
        subtype = header.get_content_subtype()
        parse = header.get_content_maintype() == "application" and (
            subtype == "json" or subtype.endswith("+json")
        )
    if not parse:
        return call.body
    try:
        value = loads(call.body)
    except BodyJSONError as exc:
        error = exc.error
        detail = {
            "loc": ["body", error.pos],
            "msg": str(error),
            "type": "value_error.jsondecode",
            "ctx": {
                "msg": error.msg,
                "doc": error.doc,
                "pos": error.pos,
                "lineno": error.lineno,
                "colno": error.colno,
            },
        }
        raise EarlyReplyError(inf_detail(422, [detail])) from None
    except BodyParseError:
        raise EarlyReplyError(inf_detail(400, "There was an error parsing the body")) from None
    return _NO_BODY if value is None else value


def _body_values(model: Model, body: Any) -> dict[str, Any]:
    """``body`` validated against ``model``; any error is the route's 422."""
    errors: ErrorList = []
    result: Any = None
    if body is _NO_BODY:
        errors.append(missing_error(("body",)))
    else:
        result = validate(model, body, ("body",), errors)
    where = first_lone_surrogate(result, ("body",)) if not errors else None
    if where is not None:
        # The real server would fail storing or answering such a string (a
        # 500, with the chat then unreadable); refusing it stores nothing.
        errors.append(_lone_surrogate_error(where))
    _raise_422(errors)
    return result if isinstance(result, dict) else {}


def _lone_surrogate_error(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {
        "loc": list(loc),
        "msg": "string contains a lone surrogate",
        "type": "value_error.str.surrogate",
    }


def _raise_422(errors: ErrorList) -> None:
    if errors:
        raise EarlyReplyError(inf_detail(422, errors))


def _user(call: InferenceRequest) -> str:
    if call.user_id is not None:
        return call.user_id
    return call.state.auth.inference_user(call.authorization, call.trusted_client)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _replying(operation: Callable[_P, Awaitable[_R]]) -> Callable[_P, Awaitable[_R | Reply]]:
    """Answer a :class:`EarlyReplyError` raised anywhere in ``operation`` with its reply."""

    @functools.wraps(operation)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> _R | Reply:
        try:
            return await operation(*args, **kwargs)
        except EarlyReplyError as exc:
            return exc.reply

    return run


def _query(call: InferenceRequest, name: str, type_: Type, default: Any, errors: ErrorList) -> Any:
    raw = call.param(name)
    if raw is None:
        return default
    return validate(type_, raw, ("query", name), errors)


def _required_query(call: InferenceRequest, name: str, errors: ErrorList) -> Any:
    if call.param(name) is None:
        errors.append(missing_error(("query", name)))
        return None
    return _query(call, name, STR, None, errors)


# -- chats -----------------------------------------------------------------------


@_replying
async def op_list_chats(call: InferenceRequest) -> Reply:
    """``GET /chats``."""
    user_id = _user(call)
    errors: ErrorList = []
    include_hidden = _query(call, "include_hidden", BOOL, False, errors)
    limit = _query(call, "limit", Opt(IntT(gt=0, le=100)), 10, errors)
    after = _query(call, "after", STR, None, errors)
    before = _query(call, "before", STR, None, errors)
    _raise_422(errors)
    try:
        after_id = base64.b64decode(after.encode()).decode() if after is not None else None
        before_id = base64.b64decode(before.encode()).decode() if before is not None else None
    except (binascii.Error, UnicodeError):
        return inf_text500()  # the route decodes cursors unguarded
    try:
        chats = call.state.store.get_chats(
            user_id,
            include_hidden=include_hidden,
            limit=limit + 1,
            before=before_id,
            after=after_id,
        )
    except HTTPError as exc:
        return inf_detail(exc.status, exc.detail)
    # Cursor logic copied from OA routes/chats.py list_chats.
    num_rows = len(chats)
    chats = chats if num_rows <= limit else chats[:-1]
    chats = chats if before is None else chats[::-1]

    def cursor(chat_id: str) -> str:
        return base64.b64encode(chat_id.encode()).decode()

    prev = nxt = None
    if num_rows > 0:
        if (num_rows > limit and before) or after:
            prev = cursor(chats[0].id)
        if num_rows > limit or before:
            nxt = cursor(chats[-1].id)
    else:
        prev = after or None
        nxt = before or None
    return inf_json({"chats": [c.to_list_read() for c in chats], "next": nxt, "prev": prev})


@_replying
async def op_create_chat(call: InferenceRequest) -> Reply:
    """``POST /chats``."""
    body = _body(call)
    user_id = _user(call)
    _body_values(CREATE_CHAT, body)
    return inf_json(call.state.store.create_chat(user_id).to_list_read())


@_replying
async def op_get_chat(call: InferenceRequest, chat_id: str) -> Reply:
    """``GET /chats/{chat_id}``."""
    user_id = _user(call)
    try:
        return inf_json(call.state.store.get_chat(user_id, chat_id).to_read())
    except HTTPError as exc:
        return inf_detail(exc.status, exc.detail)


@_replying
async def op_delete_chat(call: InferenceRequest, chat_id: str) -> Reply:
    """``DELETE /chats/{chat_id}``: 200 with an empty body, 404 when unknown."""
    user_id = _user(call)
    store = call.state.store
    try:
        chat = store.get_chat(user_id, chat_id)
        message_ids = list(chat.messages)
        store.delete_chat(user_id, chat_id)
    except HTTPError as exc:
        return inf_detail(exc.status, exc.detail)
    for message_id in message_ids:
        call.state.channels.pop(message_id, None)
    return inf_empty(200)


@_replying
async def op_update_chat(call: InferenceRequest, chat_id: str) -> Reply:
    """``PUT /chats/{chat_id}``: JSON ``null``; any failure is an empty 500."""
    body = _body(call)
    user_id = _user(call)
    values = _body_values(CHAT_UPDATE, body)
    try:
        call.state.store.update_chat(user_id, chat_id, **values)
    except Exception:  # noqa: BLE001 - the route's catch-all swallows even the 404
        return inf_empty(500)
    return inf_json(None)


# -- messages ----------------------------------------------------------------------


@_replying
async def op_prompter_message(call: InferenceRequest, chat_id: str) -> Reply:
    """``POST /chats/{chat_id}/prompter_message``."""
    body = _body(call)
    user_id = _user(call)
    values = _body_values(PROMPTER_MESSAGE, body)
    config = call.state.config
    try:
        message = call.state.store.add_prompter_message(
            user_id,
            chat_id,
            parent_id=values["parent_id"],
            content=values["content"],
            message_max_length=config.message_max_length,
            chat_max_messages=config.chat_max_messages,
        )
    except HTTPError as exc:
        return inf_detail(exc.status, exc.detail)
    except NoResultError:
        return inf_empty(500)
    return inf_json(message.to_read())


def _model_config_error(state: ServerState, name: str) -> str | None:
    allowed = state.config.allowed_model_config_names
    if allowed != "*" and name not in allowed.split(","):
        return f"Model {name} not in allowed models: {allowed}"
    if name not in state.model_configs:
        return f"Model {name} not found"
    return None


def _work_parameters(state: ServerState, values: dict[str, Any]) -> dict[str, Any]:
    config = state.model_configs[values["model_config_name"]]
    return {
        "model_config": {
            "model_id": config.model_id,
            "max_input_length": config.max_input_length,
            "max_total_length": config.max_total_length,
            "quantized": config.quantized,
        },
        "sampling_parameters": values["sampling_parameters"],
        "do_sample": True,
        "seed": state.rng.randint(0, 0xFFFF_FFFF_FFFF_FFFF - 1),
        "system_prompt": values["system_prompt"],
        "user_profile": values["user_profile"],
        "user_response_instructions": values["user_response_instructions"],
        "plugins": values["plugins"],
        "plugin_max_depth": 4,
    }


@_replying
async def op_assistant_message(call: InferenceRequest, chat_id: str) -> Reply:
    """``POST /chats/{chat_id}/assistant_message`` (the URL's chat id is unused)."""
    state = call.state
    body = _body(call)
    user_id = _user(call)
    # The rate limiter counts before validation; over the limit its
    # broken 429 callback ends as Starlette's plain 500.
    if state.rate_limited(user_id):
        return inf_text500()
    values = _body_values(ASSISTANT_MESSAGE, body)
    problem = _model_config_error(state, values["model_config_name"])
    if problem is not None:
        return inf_detail(422, problem)
    config = state.model_configs[values["model_config_name"]]
    try:
        message = state.store.initiate_assistant_message(
            user_id,
            parent_id=values["parent_id"],
            work_parameters=_work_parameters(state, values),
            worker_compat_hash=config.compat_hash,
            model_config_name=config.name,
            chat_max_messages=state.config.chat_max_messages,
        )
    except HTTPError as exc:
        return inf_detail(exc.status, exc.detail)
    except NoResultError:
        return inf_empty(500)
    state.channels[message.id] = MessageChannel(state.config.message_queue_expire)
    generation = tuple(f for f in call.faults if f.kind is not FaultKind.STATUS)
    hold = 0.0
    for fault in generation:
        if fault.kind is FaultKind.QUEUE:
            hold = max(hold, fault.value)
        elif fault.kind is FaultKind.NEVER_END:
            hold = math.inf
    if generation:
        state.generation_faults[message.id] = generation
    try:
        state.work_queue.enqueue(message.id, hold=hold)
    except QueueFullError:
        # The message was already committed: it stays pending for ever.
        state.generation_faults.pop(message.id, None)
        return inf_detail(503, BUSY)
    return inf_json(message.to_read())


@_replying
async def op_get_message(call: InferenceRequest, chat_id: str, message_id: str) -> Reply:
    """``GET /chats/{chat_id}/messages/{message_id}``: unknown ids are a plain 500."""
    user_id = _user(call)
    try:
        message = call.state.store.get_message(user_id, chat_id, message_id)
    except NoResultError:
        return inf_text500()
    return inf_json(message.to_read())


@_replying
async def op_events(call: InferenceRequest, chat_id: str, message_id: str) -> Reply | StoredMessage:
    """``GET .../events``: an error reply, a 204, or the message to stream."""
    user_id = _user(call)
    try:
        message = call.state.store.get_message(user_id, chat_id, message_id)
    except NoResultError:
        return inf_text500()
    # The role check comes before the finished check.
    if message.role != "assistant":
        return inf_detail(400, "Only assistant messages can be streamed.")
    if message.has_finished:
        return Reply(204)  # FastAPI 0.88 drops the body of a 204 HTTPException
    return message


async def _feedback(
    call: InferenceRequest, model: Model, record: Callable[[str, dict[str, Any]], object]
) -> Reply:
    """The vote, message_eval and report routes: validate, ``record``, empty 200.

    Their catch-all turns any failure of ``record`` into an empty 500, even
    the store's 400 "Invalid score".
    """
    body = _body(call)
    user_id = _user(call)
    values = _body_values(model, body)
    try:
        record(user_id, values)
    except Exception:  # noqa: BLE001 - the routes' catch-all
        return inf_empty(500)
    return inf_empty(200)


@_replying
async def op_vote(call: InferenceRequest, chat_id: str, message_id: str) -> Reply:
    """``POST .../votes``: the chat id is ignored."""
    store = call.state.store
    return await _feedback(
        call, VOTE, lambda user_id, values: store.update_score(user_id, message_id, values["score"])
    )


@_replying
async def op_message_eval(call: InferenceRequest, chat_id: str, message_id: str) -> Reply:
    """``POST .../message_evals``."""
    store = call.state.store
    return await _feedback(
        call,
        MESSAGE_EVAL,
        lambda user_id, values: store.add_message_eval(
            user_id, message_id, values["inferior_message_ids"]
        ),
    )


@_replying
async def op_report(call: InferenceRequest, chat_id: str, message_id: str) -> Reply:
    """``POST .../reports``."""
    store = call.state.store
    return await _feedback(
        call,
        REPORT,
        lambda user_id, values: store.add_report(
            user_id, message_id, report_type=values["report_type"], reason=values["reason"]
        ),
    )


# -- configs -------------------------------------------------------------------------


async def op_model_configs(call: InferenceRequest) -> Reply:
    """``GET /configs/model_configs`` (no auth): every served name, eight presets each."""
    allowed = call.state.config.allowed_model_config_names
    presets = [
        {
            "name": name,
            "description": _PRESET_DESCRIPTIONS.get(name, ""),
            "sampling_parameters": params.to_json(),
        }
        for name, params in PRESETS.items()
    ]
    return inf_json(
        [
            {"name": name, "description": "", "parameter_configs": presets}
            for name in call.state.model_configs
            if allowed == "*" or name in allowed.split(",")
        ]
    )


_PLUGIN_NAME = "lorem_facts"


def _plugin_config(base_url: str) -> dict[str, Any]:
    # A stand-in for OA's built-in plugins: this server has only one, of its own.
    return {
        "schema_version": "v1",
        "name_for_model": "Lorem Facts",
        "name_for_human": "Lorem Facts",
        "description_for_human": "Looks up a made-up fact (oaproto reference server).",
        "description_for_model": "Returns a made-up fact about the topic it is given.",
        "api": {
            "type": "openapi",
            "url": "openapi.json",
            "has_user_authentication": False,
            "is_user_authenticated": False,
        },
        "auth": {"type": "none"},
        "logo_url": None,
        "contact_email": None,
        "legal_info_url": None,
        "endpoints": None,
    }


def builtin_plugins(state: ServerState) -> list[dict[str, Any]]:
    """The built-in plugin entries, with ``trusted: true``."""
    url = f"{state.base_url}/plugins/{_PLUGIN_NAME}/ai-plugin.json"
    return [
        {
            "url": url,
            "enabled": True,
            "plugin_config": _plugin_config(state.base_url),
            "trusted": True,
        }
    ]


async def op_builtin_plugins(call: InferenceRequest) -> Reply:
    """``GET /configs/builtin_plugins`` (no auth)."""
    return inf_json(builtin_plugins(call.state))


@_replying
async def op_plugin_config(call: InferenceRequest) -> Reply:
    """``POST /configs/plugin_config``: only this server's own plugin can be fetched."""
    values = _body_values(PLUGIN_ENTRY, _body(call))
    known = {entry["url"]: entry for entry in builtin_plugins(call.state)}
    if values["url"] not in known:
        return inf_detail(404, "Plugin not found")
    return inf_json(
        {
            "url": values["url"],
            "enabled": values["enabled"],
            "plugin_config": known[values["url"]]["plugin_config"],
            "trusted": False,
        }
    )


async def op_plugin_file(call: InferenceRequest, name: str) -> Reply:
    """``GET /plugins/{name}/ai-plugin.json``: where the built-in plugin's URL points."""
    if name != _PLUGIN_NAME:
        return inf_detail(404, "Not Found")
    return inf_json(_plugin_config(call.state.base_url))


# -- auth ------------------------------------------------------------------------------


_NOT_HEADER_SAFE = re.compile(r"[^\x20-\x7e]")


def _header_safe(text: str) -> str:
    # The real route puts the query into the header as it is; a control or
    # non-ASCII character there makes the real server fail. Percent-encoding
    # them keeps every value the real one could send, and the rest valid.
    return _NOT_HEADER_SAFE.sub(lambda m: quote(m.group(), safe="", errors="surrogatepass"), text)


@_replying
async def _auth_route(call: InferenceRequest, name: str) -> Reply:
    state = call.state
    if name == "check":
        return inf_json(_user(call))
    if name == "providers":
        return inf_json(["debug"] if state.config.allow_debug_auth else [])
    if name == "refresh":
        # Never succeeds on the real server either.
        return inf_detail(401, "Invalid token")
    errors: ErrorList = []
    if name == "login":
        username = _required_query(call, "username", errors)
        state_param = _query(call, "state", STR, "{}", errors)
        _raise_422(errors)
        location = f"{state.base_url}/auth/callback/debug?code={username}&state={state_param}"
        return inf_detail(302, "Found", (("location", _header_safe(location)),))
    if name == "callback":
        code = _required_query(call, "code", errors)
        _raise_422(errors)
        if not state.config.allow_debug_auth:
            return inf_detail(403, "Debug auth is not allowed")
        if not code:
            return inf_detail(400, "Username is required")
        access, refresh = state.auth.issue_debug_tokens(code)
        return inf_json(
            {
                "access_token": {"access_token": access, "token_type": "bearer"},
                "refresh_token": {"access_token": refresh, "token_type": "refresh"},
            }
        )
    # trusted
    if call.trusted_client is None:
        return inf_detail(401, "Missing token")
    user_id = state.auth.inference_user(None, call.trusted_client)
    return inf_json(
        {
            "id": user_id,
            "provider": "website",
            "provider_account_id": user_id,
            "display_name": user_id,
            "deleted": False,
        }
    )


def op_auth(name: str) -> Callable[[InferenceRequest], Awaitable[Reply]]:
    """The operation of ``/auth/{name}...``: check, providers, refresh, login, callback, trusted."""
    return functools.partial(_auth_route, name=name)
