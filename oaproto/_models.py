"""Typed, immutable views of the JSON objects both servers send.

Every model has a ``from_json(obj)`` classmethod that accepts the decoded JSON
value and either returns the model or raises :class:`RemoteProtocolError`;
a wrong shape never escapes as ``KeyError`` or ``TypeError``. Unknown keys are
ignored, as the server's pydantic v1 models ignore them, and the original
object is kept on ``raw`` so fields added by a later server stay reachable.

Datetimes stay the server's strings (naive UTC ISO 8601, no ``Z``);
``created_at_datetime`` converts on demand. Integers stay Python ints, so a
``work_parameters.seed`` up to 2**64-2 survives exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

from ._errors import RemoteProtocolError
from ._sampling import SamplingParameters

__all__ = [
    "Chat",
    "ChatPage",
    "ChatSummary",
    "Message",
    "MessageState",
    "ModelConfigInfo",
    "ParameterConfig",
    "PluginEntry",
    "Report",
    "Role",
    "TokenPair",
]


class MessageState(enum.StrEnum):
    """The server's message states.

    A state string this library does not know is kept as a plain ``str`` on
    :attr:`Message.state` rather than rejected, so a newer server cannot break
    parsing. Members are ``str``, so ``message.state == "complete"`` works for both.
    """

    #: Every prompter message.
    MANUAL = "manual"
    #: An assistant message created and queued.
    PENDING = "pending"
    #: A worker took the message.
    IN_PROGRESS = "in_progress"
    #: Generation succeeded; ``content`` is filled.
    COMPLETE = "complete"
    #: The worker failed or disconnected.
    ABORTED_BY_WORKER = "aborted_by_worker"
    #: Superseded by a newer assistant request of the same user.
    CANCELLED = "cancelled"
    #: Waited longer than the server's assistant-message timeout.
    TIMEOUT = "timeout"


class Role(enum.StrEnum):
    """Who wrote a message. An unknown role string is kept as a plain ``str``."""

    PROMPTER = "prompter"
    ASSISTANT = "assistant"


# The server's ``has_finished`` set: these states make /events answer 204.
_FINISHED_STATES = frozenset(
    {MessageState.MANUAL, MessageState.COMPLETE, MessageState.ABORTED_BY_WORKER}
)
# States from which no further event will ever come for an assistant message.
_FAILED_STATES = frozenset(
    {MessageState.ABORTED_BY_WORKER, MessageState.CANCELLED, MessageState.TIMEOUT}
)


def _raw_field() -> Any:
    # The original JSON object; not compared, not hashed, not shown.
    return field(default_factory=dict, repr=False, compare=False)


# --- field readers: each raises RemoteProtocolError naming the model and key ---


def _expect_object(obj: object, what: str) -> Mapping[str, Any]:
    if not isinstance(obj, dict):
        raise RemoteProtocolError(f"{what}: expected a JSON object, got {_describe(obj)}")
    return obj


def _expect_list(obj: object, what: str) -> list[Any]:
    if not isinstance(obj, list):
        raise RemoteProtocolError(f"{what}: expected a JSON array, got {_describe(obj)}")
    return obj


def _describe(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _bad(what: str, key: str, expected: str, value: object) -> RemoteProtocolError:
    return RemoteProtocolError(f"{what}.{key}: expected {expected}, got {_describe(value)}")


def _str(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise _bad(what, key, "a string", value)
    return value


def _opt_str(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad(what, key, "a string or null", value)
    return value


def _bool(obj: Mapping[str, Any], key: str, what: str, *, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise _bad(what, key, "a boolean", value)
    return value


def _opt_bool(obj: Mapping[str, Any], key: str, what: str, *, default: bool | None) -> bool | None:
    value = obj.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise _bad(what, key, "a boolean or null", value)
    return value


def _int(obj: Mapping[str, Any], key: str, what: str, *, default: int) -> int:
    value = obj.get(key, default)
    # bool is an int subclass; a boolean score is a malformed body, not 1 or 0.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(what, key, "an integer", value)
    return value


def _opt_int(obj: Mapping[str, Any], key: str, what: str) -> int | None:
    value = obj.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _bad(what, key, "an integer or null", value)
    return value


def _opt_object(obj: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, dict):
        raise _bad(what, key, "an object or null", value)
    return value


def _enum_or_str(enum_type: type[MessageState] | type[Role], value: str) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        return value


def _parse_timestamp(value: str, what: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise RemoteProtocolError(f"{what}: not an ISO 8601 timestamp: {value!r:.60}") from None


# --- models ---


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """A report filed on a message (``spam``, ``offensive`` or ``feedback``)."""

    id: str
    report_type: str
    reason: str
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a report object.

        Raises:
            RemoteProtocolError: ``obj`` does not have the report shape.
        """
        data = _expect_object(obj, "Report")
        return cls(
            id=_str(data, "id", "Report"),
            report_type=_str(data, "report_type", "Report"),
            reason=_str(data, "reason", "Report"),
            raw=data,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A chat message, the server's ``MessageRead``.

    Attributes:
        id, chat_id: the message's and its chat's ids.
        parent_id: the message it answers, ``None`` for the first message.
        content: the text; ``None`` while an assistant message is pending or
            in progress, and after a worker abort.
        created_at: the server's naive-UTC ISO timestamp string.
        role: a :class:`Role`, or the raw string if the server sent an unknown one.
        state: a :class:`MessageState`, or the raw string if unknown.
        score: the user's vote, -1, 0 or 1.
        reports: reports filed on the message.
        work_parameters: model config, sampling, seed... (assistant messages only).
        safe_content, safety_level, safety_label, safety_rots: set on prompter
            messages when the safety model intervened.
        used_plugin: the plugin the answer used, if any.
        raw: the JSON object as received.
    """

    id: str
    parent_id: str | None = None
    content: str | None = None
    chat_id: str
    created_at: str
    role: Role | str
    state: MessageState | str
    score: int = 0
    reports: tuple[Report, ...] = ()
    # Mappings are compared but not hashed (dicts are unhashable).
    work_parameters: Mapping[str, Any] | None = field(default=None, hash=False)
    safe_content: str | None = None
    safety_level: int | None = None
    safety_label: str | None = None
    safety_rots: str | None = None
    used_plugin: Mapping[str, Any] | None = field(default=None, hash=False)
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a ``MessageRead`` object.

        ``id``, ``chat_id``, ``created_at``, ``role`` and ``state`` are required;
        the rest default as the server's model does.

        Raises:
            RemoteProtocolError: ``obj`` does not have the message shape.
        """
        what = "Message"
        data = _expect_object(obj, what)
        reports = _expect_list(data.get("reports", []), f"{what}.reports")
        return cls(
            id=_str(data, "id", what),
            parent_id=_opt_str(data, "parent_id", what),
            content=_opt_str(data, "content", what),
            chat_id=_str(data, "chat_id", what),
            created_at=_str(data, "created_at", what),
            role=_enum_or_str(Role, _str(data, "role", what)),
            state=_enum_or_str(MessageState, _str(data, "state", what)),
            score=_int(data, "score", what, default=0),
            reports=tuple(Report.from_json(item) for item in reports),
            work_parameters=_opt_object(data, "work_parameters", what),
            safe_content=_opt_str(data, "safe_content", what),
            safety_level=_opt_int(data, "safety_level", what),
            safety_label=_opt_str(data, "safety_label", what),
            safety_rots=_opt_str(data, "safety_rots", what),
            used_plugin=_opt_object(data, "used_plugin", what),
            raw=data,
        )

    @property
    def is_assistant(self) -> bool:
        """``True`` for a model-written message."""
        return self.role == Role.ASSISTANT

    @property
    def is_prompter(self) -> bool:
        """``True`` for a user-written message."""
        return self.role == Role.PROMPTER

    @property
    def is_finished(self) -> bool:
        """The server's ``has_finished``: manual, complete or aborted_by_worker.

        Exactly these states make the event stream answer 204 (web: 200 empty).
        ``cancelled`` and ``timeout`` are *not* finished in the server's sense.
        """
        return self.state in _FINISHED_STATES

    @property
    def is_complete(self) -> bool:
        """``True`` when generation succeeded and ``content`` holds the answer."""
        return self.state == MessageState.COMPLETE

    @property
    def is_failed(self) -> bool:
        """``True`` for aborted_by_worker, cancelled or timeout: no answer will come."""
        return self.state in _FAILED_STATES

    @property
    def can_be_replied_to(self) -> bool:
        """``True`` when a prompter message may use this as ``parent_id``."""
        return self.is_assistant and self.is_complete

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as a naive UTC :class:`~datetime.datetime`.

        Raises:
            RemoteProtocolError: the server's string is not ISO 8601.
        """
        return _parse_timestamp(self.created_at, "Message.created_at")


def _summary_fields(data: Mapping[str, Any], what: str) -> dict[str, Any]:
    return {
        "id": _str(data, "id", what),
        "created_at": _str(data, "created_at", what),
        "modified_at": _str(data, "modified_at", what),
        "title": _opt_str(data, "title", what),
        "hidden": _bool(data, "hidden", what, default=False),
        "allow_data_use": _bool(data, "allow_data_use", what, default=True),
        "active_thread_tail_message_id": _opt_str(data, "active_thread_tail_message_id", what),
        "raw": data,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatSummary:
    """A chat without its messages, the server's ``ChatListRead``.

    Returned by create and list. ``active_thread_tail_message_id`` is always
    ``None`` in these responses: the server never fills it there.
    """

    id: str
    created_at: str
    modified_at: str
    title: str | None = None
    hidden: bool = False
    allow_data_use: bool = True
    active_thread_tail_message_id: str | None = None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a ``ChatListRead`` object.

        Raises:
            RemoteProtocolError: ``obj`` does not have the chat shape.
        """
        return cls(**_summary_fields(_expect_object(obj, "ChatSummary"), "ChatSummary"))

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as a naive UTC :class:`~datetime.datetime`.

        Raises:
            RemoteProtocolError: the server's string is not ISO 8601.
        """
        return _parse_timestamp(self.created_at, "Chat.created_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class Chat(ChatSummary):
    """A chat with every message of every branch, the server's ``ChatRead``.

    ``messages`` is in the server's (database) order; use the helpers to walk
    a thread rather than relying on it.
    """

    messages: tuple[Message, ...] = ()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a ``ChatRead`` object.

        Raises:
            RemoteProtocolError: ``obj`` does not have the chat shape.
        """
        data = _expect_object(obj, "Chat")
        items = _expect_list(data.get("messages", []), "Chat.messages")
        return cls(
            **_summary_fields(data, "Chat"),
            messages=tuple(Message.from_json(item) for item in items),
        )

    def find_message(self, message_id: str) -> Message | None:
        """The message with ``message_id``, or ``None``."""
        return next((m for m in self.messages if m.id == message_id), None)

    def thread(self, tail_id: str) -> tuple[Message, ...]:
        """The messages from the root down to ``tail_id``, following ``parent_id``.

        Returns an empty tuple if ``tail_id`` is unknown. A parent missing from
        the chat, or a cycle, ends the walk (such data is malformed, but reading
        a chat should not fail over it).
        """
        by_id = {m.id: m for m in self.messages}
        path: list[Message] = []
        current = by_id.get(tail_id)
        while current is not None and current not in path:
            path.append(current)
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
        return tuple(reversed(path))

    @property
    def active_tail(self) -> Message | None:
        """The message the server marks as the active thread's tail, if any."""
        if self.active_thread_tail_message_id is None:
            return None
        return self.find_message(self.active_thread_tail_message_id)

    def last_complete_assistant_message(self) -> Message | None:
        """The message a new prompter message should answer, to resume this chat.

        The active thread tail when it is a complete assistant message;
        otherwise the latest complete assistant message by ``created_at``
        (naive ISO strings of one server order correctly as text). ``None``
        when there is none: then post with ``parent_id=None`` if the chat is
        empty, or retry an assistant message on the last prompter message.
        """
        tail = self.active_tail
        if tail is not None and tail.can_be_replied_to:
            return tail
        candidates = [m for m in self.messages if m.can_be_replied_to]
        return max(candidates, key=lambda m: m.created_at, default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatPage:
    """One page of the chat list; ``next``/``prev`` are opaque cursors or ``None``."""

    chats: tuple[ChatSummary, ...]
    next: str | None = None
    prev: str | None = None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse ``{chats: [ChatListRead], next, prev}``.

        Raises:
            RemoteProtocolError: ``obj`` does not have the page shape.
        """
        data = _expect_object(obj, "ChatPage")
        items = _expect_list(data.get("chats"), "ChatPage.chats")
        return cls(
            chats=tuple(ChatSummary.from_json(item) for item in items),
            next=_opt_str(data, "next", "ChatPage"),
            prev=_opt_str(data, "prev", "ChatPage"),
            raw=data,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterConfig:
    """A named sampling preset of a model config (e.g. ``k50``)."""

    name: str
    description: str = ""
    sampling: SamplingParameters
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse ``{name, description, sampling_parameters}``.

        Raises:
            RemoteProtocolError: ``obj`` does not have the preset shape.
        """
        data = _expect_object(obj, "ParameterConfig")
        return cls(
            name=_str(data, "name", "ParameterConfig"),
            description=_opt_str(data, "description", "ParameterConfig") or "",
            sampling=SamplingParameters.from_json(data.get("sampling_parameters")),
            raw=data,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelConfigInfo:
    """A model config the server offers, with its sampling presets."""

    name: str
    description: str = ""
    parameter_configs: tuple[ParameterConfig, ...] = ()
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse ``{name, description, parameter_configs: [...]}``.

        Raises:
            RemoteProtocolError: ``obj`` does not have the model-config shape.
        """
        data = _expect_object(obj, "ModelConfigInfo")
        items = _expect_list(data.get("parameter_configs", []), "ModelConfigInfo.parameter_configs")
        return cls(
            name=_str(data, "name", "ModelConfigInfo"),
            description=_opt_str(data, "description", "ModelConfigInfo") or "",
            parameter_configs=tuple(ParameterConfig.from_json(item) for item in items),
            raw=data,
        )

    def preset(self, name: str) -> SamplingParameters | None:
        """The sampling of the preset called ``name``, or ``None``."""
        return next((p.sampling for p in self.parameter_configs if p.name == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginEntry:
    """A plugin to enable on an assistant message, the server's ``PluginEntry``.

    Attributes:
        url: the plugin manifest URL.
        enabled: whether the worker may use it.
        plugin_config: the manifest as the server fetched it (see
            :meth:`~oaproto.api.ChatAPI.plugin_config`), kept as a mapping.
        trusted: ``True`` for the server's built-in plugins.
    """

    url: str
    enabled: bool = True
    plugin_config: Mapping[str, Any] | None = field(default=None, hash=False)
    trusted: bool | None = False
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a ``PluginEntry`` object.

        Raises:
            RemoteProtocolError: ``obj`` does not have the plugin shape.
        """
        data = _expect_object(obj, "PluginEntry")
        return cls(
            url=_str(data, "url", "PluginEntry"),
            enabled=_bool(data, "enabled", "PluginEntry", default=True),
            plugin_config=_opt_object(data, "plugin_config", "PluginEntry"),
            trusted=_opt_bool(data, "trusted", "PluginEntry", default=False),
            raw=data,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON object the API accepts, keys in the server's field order."""
        return {
            "url": self.url,
            "enabled": self.enabled,
            "plugin_config": dict(self.plugin_config) if self.plugin_config is not None else None,
            "trusted": self.trusted,
        }


def _token(data: Mapping[str, Any], key: str) -> str:
    # Never echo the value: it is a credential.
    inner = data.get(key)
    token = inner.get("access_token") if isinstance(inner, dict) else None
    if not isinstance(token, str):
        raise RemoteProtocolError(f"TokenPair.{key}: expected {{access_token: string, ...}}")
    return token


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPair:
    """The inference server's login result; both values are secrets.

    Use ``access_token`` as ``ClientConfig(token=...)``. The refresh token is
    kept for completeness: the server's ``/auth/refresh`` never succeeds,
    so log in again instead.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse ``{access_token: {access_token, token_type}, refresh_token: {...}}``.

        Raises:
            RemoteProtocolError: ``obj`` does not have the token-pair shape
                (the message never contains token values).
        """
        if not isinstance(obj, dict):
            raise RemoteProtocolError(
                f"TokenPair: expected a JSON object, got {type(obj).__name__}"
            )
        return cls(
            access_token=_token(obj, "access_token"),
            refresh_token=_token(obj, "refresh_token"),
            raw=obj,
        )
