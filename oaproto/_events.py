"""The events a :class:`~oaproto.ChatSession` hands back to its driver.

Lifecycle events come from ``receive_response()``; stream events from
``next_event()``. All are immutable values; treat them as final (do not
subclass). ``ReplyCompleted`` and ``ReplyFailed`` come from either: from the
stream's terminal event, or from a fetched message after the stream said the
reply had already finished.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import ReplyError
from ._models import ChatSummary, Message

__all__ = [
    "NEED_DATA",
    "AssistantMessageQueued",
    "ChatCreated",
    "ChatDeleted",
    "Event",
    "LifecycleEvent",
    "NeedData",
    "Pending",
    "PluginIntermediate",
    "PrompterMessagePosted",
    "ReplyAlreadyFinished",
    "ReplyCompleted",
    "ReplyFailed",
    "ReplyUnfinished",
    "StreamEvent",
    "Token",
    "UnknownStreamEvent",
]


class NeedData(enum.Enum):
    """The type of :data:`NEED_DATA`; a one-member enum so ``is`` narrows types."""

    NEED_DATA = "NEED_DATA"


#: Returned by ``next_event()`` when more bytes (or the EOF) must be fed first.
NEED_DATA: Literal[NeedData.NEED_DATA] = NeedData.NEED_DATA


class Event:
    """Base class of every session event."""

    __slots__ = ()


# --- lifecycle events: answers to create, post, request, fetch and delete ---


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatCreated(Event):
    """The chat was created."""

    chat: ChatSummary
    """The new chat, as the server returned it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PrompterMessagePosted(Event):
    """The prompter (user) message was stored; an assistant reply may be requested."""

    message: Message
    """The stored prompter message (``state`` ``manual``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistantMessageQueued(Event):
    """The assistant message was created and queued for a worker."""

    message: Message
    """The new assistant message (``state`` ``pending``, ``content`` ``None``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyUnfinished(Event):
    """A fetched assistant message has not finished (pending or in progress).

    The session is back in ``QUEUED``: open the stream, fetch again later,
    request another reply, or delete the chat.
    """

    message: Message
    """The fetched message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatDeleted(Event):
    """The chat is gone."""

    chat_id: str
    """The deleted chat's id."""
    already_gone: bool
    """``True`` when the server answered 404: the chat did not exist (any more)."""


# --- stream events ---


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending(Event):
    """The message waits in the work queue (sent about once a second until work starts)."""

    queue_position: int
    """1 at the head of the queue; 0 once a worker took the message or the
    server's position key expired."""
    queue_size: int
    """Messages waiting for the same kind of worker."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Token(Event):
    """A piece of generated text.

    Joined tokens may differ from the final message (whitespace, stop
    sequences); an empty token follows every plugin event.
    """

    text: str
    """The piece of text (may be empty)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginIntermediate(Event):
    """Progress of a plugin chain (only when a plugin is enabled)."""

    current_plugin_thought: str
    """The model's reasoning step."""
    current_plugin_action_taken: str
    """The plugin action chosen."""
    current_plugin_action_input: str
    """The input given to the action."""
    current_plugin_action_response: str
    """What the plugin answered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyCompleted(Event):
    """The reply is complete; the session moved to ``REPLIED``."""

    message: Message
    """The complete assistant message."""
    text: str
    """The authoritative final text: ``message.content``."""
    token_text: str
    """The streamed tokens joined; may differ from ``text`` in whitespace and
    stop sequences, and is empty when the reply was fetched rather than streamed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyFailed(Event):
    """Generation failed; the session moved to ``PROMPTED``, so a retry is legal.

    This is a legal protocol outcome, not an exception: drivers that want one
    raise :meth:`to_exception`.
    """

    error: str
    """The server's error text (e.g. ``"Timeout"``), or the fetched message's state."""
    message: Message | None
    """The failed assistant message, when the server sent it."""
    partial_text: str
    """The token text received before the failure."""

    @property
    def state(self) -> str | None:
        """The failed message's state (``aborted_by_worker``, ``timeout``...), if known."""
        return None if self.message is None else str(self.message.state)

    def to_exception(self) -> ReplyError:
        """The equivalent :class:`~oaproto.ReplyError`, for drivers that raise.

        Returns:
            A new ``ReplyError`` carrying the error, state, partial text and message id.
        """
        return ReplyError(
            self.error,
            state=self.state,
            partial_text=self.partial_text,
            message_id=None if self.message is None else self.message.id,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownStreamEvent(Event):
    """A well-formed stream event of a type this library does not know.

    Passed through rather than dropped, so a newer server's events stay
    visible. ``safe_prompt`` arrives this way should a server ever send it
    (the deployed server never did).
    """

    event_type: str
    """The frame's ``event_type``."""
    data: Mapping[str, Any] = field(hash=False)
    """The whole decoded JSON object, ``event_type`` included."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyAlreadyFinished(Event):
    """The stream was empty (web 200, inference 204): the message had finished.

    The session is back in ``QUEUED``. Call ``fetch_message()`` and feed the
    response to ``receive_response()``, which then returns ``ReplyCompleted``
    or ``ReplyFailed`` from the stored message.
    """

    message_id: str
    """The assistant message to fetch."""


#: What ``receive_response()`` returns.
LifecycleEvent = (
    ChatCreated
    | PrompterMessagePosted
    | AssistantMessageQueued
    | ReplyCompleted
    | ReplyFailed
    | ReplyUnfinished
    | ChatDeleted
)

#: What ``next_event()`` returns, besides ``NEED_DATA``.
StreamEvent = (
    Pending
    | Token
    | PluginIntermediate
    | ReplyCompleted
    | ReplyFailed
    | UnknownStreamEvent
    | ReplyAlreadyFinished
)
