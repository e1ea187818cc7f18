"""Every chat API operation, in both dialects, as a request plus its parser.

A :class:`Call` pairs the :class:`HttpRequest` to send with the function that
turns the response into a typed result, so any driver runs any operation the
same way::

    call = api.create_chat()
    chat = call.parse(transport.send(call.request))

:class:`ChatAPI` hides where the dialects differ: the chat id
travels in the query or body on the web API and in the path on the inference
server, routes are named differently, and so are error bodies. Arguments are
checked before anything is built, so a bad argument raises
:class:`LocalProtocolError` instead of a server error later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from ._config import _NO_BODY, ClientConfig, Dialect, build_request, quote_segment
from ._errors import LocalProtocolError, NotFoundError, RemoteProtocolError
from ._http import HttpRequest, HttpResponse
from ._models import (
    Chat,
    ChatPage,
    ChatSummary,
    Message,
    ModelConfigInfo,
    PluginEntry,
    TokenPair,
)
from ._responses import parse_json, raise_for_status
from ._sampling import SamplingParameters

__all__ = ["MAX_LIST_LIMIT", "MAX_TITLE_LENGTH", "REPORT_TYPES", "VOTE_SCORES", "Call", "ChatAPI"]

T = TypeVar("T")

#: The inference server rejects a longer title with a 422.
MAX_TITLE_LENGTH = 100
#: The inference server's ``limit`` range for listing chats.
MAX_LIST_LIMIT = 100
#: The only scores the vote routes accept.
VOTE_SCORES = frozenset({-1, 0, 1})
#: The inference server's report types.
REPORT_TYPES = frozenset({"spam", "offensive", "feedback"})


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API operation: the request to send and how to read its response.

    Attributes:
        request: the request for a transport to send.
        parse: maps the complete response to the result, raising the typed
            error of :func:`raise_for_status` for an error status and
            :class:`RemoteProtocolError` for a malformed body.
    """

    request: HttpRequest
    parse: Callable[[HttpResponse], T]


# --- response parsers (module level, bound with functools.partial) ---


def _parse_model(
    from_json: Callable[[object], T], dialect: Dialect, request: HttpRequest, response: HttpResponse
) -> T:
    raise_for_status(response, request=request, dialect=dialect)
    return from_json(parse_json(response, request))


def _parse_list(
    from_json: Callable[[object], T],
    dialect: Dialect,
    request: HttpRequest,
    response: HttpResponse,
) -> tuple[T, ...]:
    raise_for_status(response, request=request, dialect=dialect)
    value = parse_json(response, request)
    if not isinstance(value, list):
        raise RemoteProtocolError(
            f"{request.method} {request.url}: expected a JSON array, got {type(value).__name__}"
        )
    return tuple(from_json(item) for item in value)


def _parse_nothing(dialect: Dialect, request: HttpRequest, response: HttpResponse) -> None:
    # The body of these routes carries nothing: empty, JSON null, or the web
    # API's re-serialised empty string ``""``. It is not inspected.
    raise_for_status(response, request=request, dialect=dialect)


def _parse_deleted(dialect: Dialect, request: HttpRequest, response: HttpResponse) -> bool:
    try:
        raise_for_status(response, request=request, dialect=dialect)
    except NotFoundError:
        return False
    return True


def _json_string(value: object) -> str:
    if not isinstance(value, str):
        raise RemoteProtocolError(f"expected a JSON string, got {type(value).__name__}")
    return value


# --- argument checks ---


def _require_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise LocalProtocolError(f"{name} must be a non-empty string, got {value!r:.60}")
    return value


def _require_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise LocalProtocolError(f"{name} must be a string, not {type(value).__name__}")
    return value


def _optional_str(name: str, value: object) -> str | None:
    return None if value is None else _require_str(name, value)


def _optional_id(name: str, value: object) -> str | None:
    return None if value is None else _require_id(name, value)


def _optional_bool(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise LocalProtocolError(f"{name} must be a bool or None, not {type(value).__name__}")
    return value


def _id_list(name: str, values: object) -> list[str]:
    # A bare string is a Sequence too; sending it would split it into characters.
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise LocalProtocolError(f"{name} must be a sequence of ids, not {type(values).__name__}")
    return [_require_id(f"{name}[{index}]", value) for index, value in enumerate(values)]


def _plugin_list(plugins: object) -> list[dict[str, Any]]:
    if not isinstance(plugins, Sequence) or isinstance(plugins, str | bytes):
        raise LocalProtocolError(f"plugins must be a sequence of PluginEntry, not {plugins!r:.60}")
    for plugin in plugins:
        if not isinstance(plugin, PluginEntry):
            raise LocalProtocolError(f"plugins must hold PluginEntry values, not {plugin!r:.60}")
    return [plugin.to_json() for plugin in plugins]


class ChatAPI:
    """Builds the :class:`Call` for every chat operation of one configured API.

    Args:
        config: base URL, dialect and credential; every request goes through
            :func:`build_request` so they all carry the same headers.
    """

    def __init__(self, config: ClientConfig) -> None:
        self._config = config

    @property
    def config(self) -> ClientConfig:
        """The configuration requests are built from."""
        return self._config

    @property
    def dialect(self) -> Dialect:
        """Which API the configuration targets."""
        return self._config.dialect

    def __repr__(self) -> str:
        return f"ChatAPI(base_url={self._config.base_url!r}, dialect={self.dialect.value!r})"

    # --- helpers ---

    @property
    def _web(self) -> bool:
        return self._config.dialect is Dialect.WEB

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        json_body: object = _NO_BODY,
        stream: bool = False,
    ) -> HttpRequest:
        return build_request(
            self._config, method, path, query=query, json_body=json_body, stream=stream
        )

    def _model_call(self, request: HttpRequest, from_json: Callable[[object], T]) -> Call[T]:
        return Call(request, partial(_parse_model, from_json, self.dialect, request))

    def _list_call(
        self, request: HttpRequest, from_json: Callable[[object], T]
    ) -> Call[tuple[T, ...]]:
        return Call(request, partial(_parse_list, from_json, self.dialect, request))

    def _empty_call(self, request: HttpRequest) -> Call[None]:
        return Call(request, partial(_parse_nothing, self.dialect, request))

    def _inference_only(self, operation: str, reason: str) -> None:
        if self._web:
            raise LocalProtocolError(f"{operation} is not available on the web API: {reason}")

    @staticmethod
    def _message_path(chat_id: str, message_id: str, suffix: str = "") -> str:
        return f"/chats/{quote_segment(chat_id)}/messages/{quote_segment(message_id)}{suffix}"

    # --- chat lifecycle ---

    def create_chat(self) -> Call[ChatSummary]:
        """Create an empty chat.

        Web: ``POST /api/chat`` without a body. Inference: ``POST /chats``
        with ``{}`` (the server needs a body it can read as an empty model).

        Returns:
            A call giving the new chat's :class:`ChatSummary`.
        """
        if self._web:
            return self._model_call(self._request("POST", "/api/chat"), ChatSummary.from_json)
        request = self._request("POST", "/chats", json_body={})
        return self._model_call(request, ChatSummary.from_json)

    def post_prompter_message(
        self, chat_id: str, content: str, parent_id: str | None
    ) -> Call[Message]:
        """Add a user message to a chat.

        Args:
            chat_id: the chat.
            content: the message text.
            parent_id: ``None`` for the first message; otherwise a *complete
                assistant* message of this chat, or the server answers 400.

        Returns:
            A call giving the stored prompter :class:`Message` (state ``manual``).

        Raises:
            LocalProtocolError: an argument has the wrong type or is empty.
        """
        chat_id = _require_id("chat_id", chat_id)
        body: dict[str, Any] = {
            "parent_id": _optional_id("parent_id", parent_id),
            "content": _require_str("content", content),
        }
        return self._model_call(
            self._post_to_chat("prompter_message", chat_id, body), Message.from_json
        )

    def _post_to_chat(self, route: str, chat_id: str, body: dict[str, Any]) -> HttpRequest:
        # The web API takes the chat id in the body, the inference
        # server in the path; the rest of the body is the same.
        if self._web:
            return self._request(
                "POST", f"/api/chat/{route}", json_body={"chat_id": chat_id, **body}
            )
        path = f"/chats/{quote_segment(chat_id)}/{route}"
        return self._request("POST", path, json_body=body)

    def request_assistant_message(
        self,
        chat_id: str,
        parent_id: str,
        *,
        model_config_name: str,
        sampling: SamplingParameters,
        plugins: Sequence[PluginEntry] = (),
        system_prompt: str | None = None,
        user_profile: str | None = None,
        user_response_instructions: str | None = None,
    ) -> Call[Message]:
        """Ask for a model answer to a prompter message.

        Optional text fields are left out of the body when ``None``;
        ``plugins`` is always sent, as a list (``[]`` by default, as the
        website sends it). The server also cancels this user's other pending
        assistant messages on different parents.

        Args:
            chat_id: the chat (the server files the answer under the parent's chat).
            parent_id: the prompter message to answer.
            model_config_name: e.g. ``"OA_SFT_Llama_30B_6"``.
            sampling: the sampling parameters.
            plugins: plugins the model may use.
            system_prompt: custom instructions: the system prompt.
            user_profile: custom instructions: what the model should know about the user.
            user_response_instructions: custom instructions: how the model should answer.

        Returns:
            A call giving the queued assistant :class:`Message` (state ``pending``).

        Raises:
            LocalProtocolError: an argument has the wrong type or is empty.
        """
        chat_id = _require_id("chat_id", chat_id)
        if not isinstance(sampling, SamplingParameters):
            raise LocalProtocolError(
                f"sampling must be a SamplingParameters, not {type(sampling).__name__}"
            )
        body: dict[str, Any] = {
            "parent_id": _require_id("parent_id", parent_id),
            "model_config_name": _require_id("model_config_name", model_config_name),
            "sampling_parameters": sampling.to_json(),
            "plugins": _plugin_list(plugins),
        }
        optional = {
            "system_prompt": system_prompt,
            "user_profile": user_profile,
            "user_response_instructions": user_response_instructions,
        }
        body.update(
            {key: value for key, value in optional.items() if _optional_str(key, value) is not None}
        )
        return self._model_call(
            self._post_to_chat("assistant_message", chat_id, body), Message.from_json
        )

    def stream_events(self, chat_id: str, message_id: str) -> HttpRequest:
        """The request that opens an assistant message's event stream.

        There is no :class:`Call`: the response is a stream for the session
        to decode. A finished message answers 204 (inference) or 200 with an
        empty body (web).

        Raises:
            LocalProtocolError: an id is not a non-empty string.
        """
        chat_id = _require_id("chat_id", chat_id)
        message_id = _require_id("message_id", message_id)
        if self._web:
            query = {"chat_id": chat_id, "message_id": message_id}
            return self._request("GET", "/api/chat/events", query=query, stream=True)
        return self._request("GET", self._message_path(chat_id, message_id, "/events"), stream=True)

    def get_message(self, chat_id: str, message_id: str) -> Call[Message]:
        """Fetch one message (e.g. the final answer after a 204 from the stream).

        An unknown id gives a 500 on both dialects, i.e. an
        :class:`APIError`, not :class:`NotFoundError`.

        Raises:
            LocalProtocolError: an id is not a non-empty string.
        """
        chat_id = _require_id("chat_id", chat_id)
        message_id = _require_id("message_id", message_id)
        if self._web:
            query = {"chat_id": chat_id, "message_id": message_id}
            request = self._request("GET", "/api/chat/message", query=query)
        else:
            request = self._request("GET", self._message_path(chat_id, message_id))
        return self._model_call(request, Message.from_json)

    def delete_chat(self, chat_id: str) -> Call[bool]:
        """Delete a chat with its messages.

        A 404 counts as success ("already gone") and gives ``False``, so a
        retried delete is safe. Note the web API reports an unknown chat as
        a 500, which raises :class:`APIError`; its 404 means chat is
        disabled on the site, which also leaves nothing to delete.

        Returns:
            A call giving ``True`` when deleted now, ``False`` when it was gone.

        Raises:
            LocalProtocolError: ``chat_id`` is not a non-empty string.
        """
        chat_id = _require_id("chat_id", chat_id)
        if self._web:
            request = self._request("DELETE", "/api/chat", query={"chat_id": chat_id})
        else:
            request = self._request("DELETE", f"/chats/{quote_segment(chat_id)}")
        return Call(request, partial(_parse_deleted, self.dialect, request))

    # --- the rest of the chat surface ---

    def list_chats(
        self,
        *,
        before: str | None = None,
        after: str | None = None,
        include_hidden: bool = False,
        limit: int | None = None,
    ) -> Call[ChatPage]:
        """List the user's chats, newest first, one page at a time.

        Args:
            before: a ``prev`` cursor of an earlier page (not with ``after``).
            after: a ``next`` cursor of an earlier page (not with ``before``).
            include_hidden: also list hidden chats.
            limit: page size, 1..100 (inference default 10). The web API
                always uses 20 and ignores it, so it is checked but not sent there.

        Raises:
            LocalProtocolError: both cursors given (the server's 400), an empty
                cursor, or a limit outside 1..100.
        """
        before = _optional_id("before", before)
        after = _optional_id("after", after)
        if before is not None and after is not None:
            raise LocalProtocolError("give at most one of before= and after=")
        if not isinstance(include_hidden, bool):
            raise LocalProtocolError("include_hidden must be a bool")
        if limit is not None and (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_LIST_LIMIT
        ):
            raise LocalProtocolError(f"limit must be an int in 1..{MAX_LIST_LIMIT}, got {limit!r}")
        query: dict[str, str] = {}
        if before is not None:
            query["before"] = before
        if after is not None:
            query["after"] = after
        if include_hidden:
            query["include_hidden"] = "true"
        if self._web:
            request = self._request("GET", "/api/chat", query=query)
        else:
            if limit is not None:
                query["limit"] = str(limit)
            request = self._request("GET", "/chats", query=query)
        return self._model_call(request, ChatPage.from_json)

    def get_chat(self, chat_id: str) -> Call[Chat]:
        """Fetch a chat with every message of every branch.

        The web API answers 404 (empty) for an unknown chat *and* for any
        other upstream failure.

        Raises:
            LocalProtocolError: ``chat_id`` is not a non-empty string.
        """
        chat_id = _require_id("chat_id", chat_id)
        if self._web:
            request = self._request("GET", "/api/chat", query={"chat_id": chat_id})
        else:
            request = self._request("GET", f"/chats/{quote_segment(chat_id)}")
        return self._model_call(request, Chat.from_json)

    def update_chat(
        self,
        chat_id: str,
        *,
        title: str | None = None,
        hidden: bool | None = None,
        allow_data_use: bool | None = None,
        active_thread_tail_message_id: str | None = None,
    ) -> Call[None]:
        """Change a chat's title, visibility, data-use consent or active thread.

        ``None`` leaves a field unchanged (it is not sent).

        Raises:
            LocalProtocolError: no field given, a title over 100 characters
                (the server's 422), or a wrong type.
        """
        chat_id = _require_id("chat_id", chat_id)
        if title is not None and len(_require_str("title", title)) > MAX_TITLE_LENGTH:
            raise LocalProtocolError(
                f"title must be at most {MAX_TITLE_LENGTH} characters, got {len(title)}"
            )
        changes = {
            "title": title,
            "hidden": _optional_bool("hidden", hidden),
            "allow_data_use": _optional_bool("allow_data_use", allow_data_use),
            "active_thread_tail_message_id": _optional_id(
                "active_thread_tail_message_id", active_thread_tail_message_id
            ),
        }
        body = {key: value for key, value in changes.items() if value is not None}
        if not body:
            raise LocalProtocolError("update_chat needs at least one field to change")
        if self._web:
            request = self._request("PUT", "/api/chat", json_body={"chat_id": chat_id, **body})
        else:
            request = self._request("PUT", f"/chats/{quote_segment(chat_id)}", json_body=body)
        return self._empty_call(request)

    def vote(self, chat_id: str, message_id: str, score: int) -> Call[None]:
        """Vote on an assistant message: 1 good, -1 bad, 0 to clear.

        Raises:
            LocalProtocolError: ``score`` is not -1, 0 or 1 (web: a 400
                ``Invalid score``; inference: an empty 500), or a bad id.
        """
        chat_id = _require_id("chat_id", chat_id)
        message_id = _require_id("message_id", message_id)
        # 1.0 == 1 and True == 1, but neither is what the server expects on the wire.
        if type(score) is not int or score not in VOTE_SCORES:
            raise LocalProtocolError(f"score must be -1, 0 or 1, got {score!r}")
        if self._web:
            body = {"chat_id": chat_id, "message_id": message_id, "score": score}
            request = self._request("POST", "/api/chat/vote", json_body=body)
        else:
            path = self._message_path(chat_id, message_id, "/votes")
            request = self._request("POST", path, json_body={"score": score})
        return self._empty_call(request)

    def message_eval(
        self, chat_id: str, message_id: str, inferior_message_ids: Sequence[str]
    ) -> Call[None]:
        """Record that ``message_id`` was preferred over its sibling drafts.

        Raises:
            LocalProtocolError: an id is empty or ``inferior_message_ids`` is
                not a sequence of ids.
        """
        chat_id = _require_id("chat_id", chat_id)
        message_id = _require_id("message_id", message_id)
        inferior = _id_list("inferior_message_ids", inferior_message_ids)
        if self._web:
            body = {"chat_id": chat_id, "message_id": message_id, "inferior_message_ids": inferior}
            request = self._request("POST", "/api/chat/message_eval", json_body=body)
        else:
            path = self._message_path(chat_id, message_id, "/message_evals")
            body_inf = {"inferior_message_ids": inferior}
            request = self._request("POST", path, json_body=body_inf)
        return self._empty_call(request)

    def report(self, chat_id: str, message_id: str, report_type: str, reason: str) -> Call[None]:
        """Report a message (inference server only).

        Args:
            report_type: ``"spam"``, ``"offensive"`` or ``"feedback"``.
            reason: free text.

        Raises:
            LocalProtocolError: on the web dialect (it has no report route),
                or for an unknown report type or a bad id.
        """
        self._inference_only("report", "the website exposes no chat report route")
        chat_id = _require_id("chat_id", chat_id)
        message_id = _require_id("message_id", message_id)
        if report_type not in REPORT_TYPES:
            raise LocalProtocolError(
                f"report_type must be one of {', '.join(sorted(REPORT_TYPES))}, got {report_type!r}"
            )
        body = {"report_type": report_type, "reason": _require_str("reason", reason)}
        path = self._message_path(chat_id, message_id, "/reports")
        return self._empty_call(self._request("POST", path, json_body=body))

    def list_model_configs(self) -> Call[tuple[ModelConfigInfo, ...]]:
        """The model configs the server serves, each with its eight presets."""
        path = "/api/chat/models" if self._web else "/configs/model_configs"
        return self._list_call(self._request("GET", path), ModelConfigInfo.from_json)

    def list_plugins(self) -> Call[tuple[PluginEntry, ...]]:
        """The server's built-in plugins."""
        path = "/api/chat/plugins" if self._web else "/configs/builtin_plugins"
        return self._list_call(self._request("GET", path), PluginEntry.from_json)

    def plugin_config(self, plugin: PluginEntry) -> Call[PluginEntry]:
        """Have the server fetch a plugin's manifest.

        Returns:
            A call giving the entry with ``plugin_config`` filled in.

        Raises:
            LocalProtocolError: ``plugin`` is not a :class:`PluginEntry`.
        """
        if not isinstance(plugin, PluginEntry):
            raise LocalProtocolError(f"plugin must be a PluginEntry, not {type(plugin).__name__}")
        if self._web:
            request = self._request(
                "POST", "/api/chat/plugin_config", json_body={"plugin": plugin.to_json()}
            )
        else:
            request = self._request("POST", "/configs/plugin_config", json_body=plugin.to_json())
        return self._model_call(request, PluginEntry.from_json)

    # --- inference-server authentication ---

    def debug_login(self, username: str) -> Call[TokenPair]:
        """Log in on a server that allows debug auth (inference only).

        Calls the callback directly, skipping the login route's 302. Put the
        resulting ``access_token`` into ``ClientConfig(token=...)``.

        Raises:
            LocalProtocolError: on the web dialect, or for an empty username.
        """
        self._inference_only("debug_login", "the website uses next-auth sessions")
        username = _require_id("username", username)
        request = self._request("GET", "/auth/callback/debug", query={"code": username})
        return self._model_call(request, TokenPair.from_json)

    def check_auth(self) -> Call[str]:
        """Check the bearer token (inference only); the call gives the user id.

        Raises:
            LocalProtocolError: on the web dialect.
        """
        self._inference_only("check_auth", "the website has no such route")
        return self._model_call(self._request("GET", "/auth/check"), _json_string)
