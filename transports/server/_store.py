"""Users' chats and messages: the inference server's database, in memory.

The rules mirror OA ``inference/server/.../user_chat_repository.py``: where
the real repository raises an ``HTTPException`` this raises
:class:`HTTPError` (same status and detail); where SQLAlchemy's ``.one()``
would raise, this raises :class:`NoResultError`, and each route decides, as the real
one does, whether that becomes an empty 500 or a plain-text 500.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The server stores the same states the client parses.
from oaproto.models import MessageState

__all__ = [
    "StoredChat",
    "HTTPError",
    "StoredMessage",
    "MessageState",
    "NoResultError",
    "ChatStore",
    "new_id",
    "utcnow",
]


#: ``has_finished``: these answer the events route with 204.
FINISHED_STATES = frozenset(
    {MessageState.MANUAL, MessageState.COMPLETE, MessageState.ABORTED_BY_WORKER}
)


class HTTPError(Exception):
    """An ``HTTPException`` the real repository raises: status and ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class NoResultError(Exception):
    """What SQLAlchemy's ``.one()`` raises when no row matches."""


def utcnow() -> datetime:
    """Naive UTC now, as ``datetime.utcnow()`` gives the inference server."""
    return datetime.now(UTC).replace(tzinfo=None)


_id_lock = threading.Lock()
_id_last = (0, 0)


def new_id() -> str:
    """A uuid7 string (canonical, time-ordered), as ``uuid7str`` gives.

    48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made
    in the same millisecond in order, then 62 random bits; so ids sort in
    creation order, which the chat-list cursors rely on.
    """
    global _id_last
    with _id_lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_counter = _id_last
        if millis <= last_millis:
            millis, counter = last_millis, last_counter + 1
            if counter > 0xFFF:
                millis, counter = last_millis + 1, 0
        else:
            counter = 0
        _id_last = (millis, counter)
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (millis << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(slots=True, kw_only=True)
class StoredReport:
    """A message report (``DbReport``)."""

    id: str
    report_type: str
    reason: str

    def to_read(self) -> dict[str, Any]:
        return {"id": self.id, "report_type": self.report_type, "reason": self.reason}


@dataclass(slots=True, kw_only=True)
class StoredMessage:
    """One message (``DbMessage``) with the runtime fields the simulator needs."""

    id: str
    chat_id: str
    user_id: str
    role: str
    parent_id: str | None
    content: str | None = None
    state: MessageState = MessageState.MANUAL
    created_at: datetime = field(default_factory=utcnow)
    created_monotonic: float = field(default_factory=time.monotonic)
    score: int = 0
    reports: list[StoredReport] = field(default_factory=list)
    work_parameters: dict[str, Any] | None = None
    worker_compat_hash: str | None = None
    error: str | None = None
    used_plugin: dict[str, Any] | None = None
    #: The model config name asked for (not serialised; ``work_parameters`` has the config).
    model_config_name: str | None = None

    @property
    def has_finished(self) -> bool:
        return self.state in FINISHED_STATES

    def to_read(self) -> dict[str, Any]:
        """``MessageRead`` in the serialised field order."""
        return {
            "id": self.id,
            "parent_id": self.parent_id,
            "content": self.content,
            "chat_id": self.chat_id,
            "created_at": self.created_at.isoformat(),
            "role": self.role,
            "state": self.state.value,
            "score": self.score,
            "reports": [r.to_read() for r in self.reports],
            "work_parameters": self.work_parameters,
            "safe_content": None,
            "safety_level": None,
            "safety_label": None,
            "safety_rots": None,
            "used_plugin": self.used_plugin,
        }


@dataclass(slots=True, kw_only=True)
class StoredChat:
    """One chat (``DbChat``); messages keep insertion order, as the DB returns them."""

    id: str
    user_id: str
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime | None = None
    title: str | None = None
    hidden: bool = False
    allow_data_use: bool = True
    active_thread_tail_message_id: str | None = None
    messages: dict[str, StoredMessage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.modified_at is None:
            self.modified_at = self.created_at

    def to_list_read(self) -> dict[str, Any]:
        """``ChatListRead``: ``active_thread_tail_message_id`` is never filled."""
        assert self.modified_at is not None
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "modified_at": self.modified_at.isoformat(),
            "title": self.title,
            "hidden": self.hidden,
            "allow_data_use": self.allow_data_use,
            "active_thread_tail_message_id": None,
        }

    def to_read(self) -> dict[str, Any]:
        """``ChatRead``: the list fields, the real tail id, and every message."""
        data = self.to_list_read()
        data["active_thread_tail_message_id"] = self.active_thread_tail_message_id
        data["messages"] = [m.to_read() for m in self.messages.values()]
        return data


@dataclass(slots=True, kw_only=True)
class StoredMessageEval:
    """A recorded ``message_eval`` (``DbMessageEval``)."""

    id: str
    chat_id: str
    user_id: str
    selected_message_id: str
    inferior_message_ids: list[str]


class ChatStore:
    """All chats of all users; every method is scoped to one user as the repository is."""

    def __init__(self) -> None:
        self.chats: dict[str, StoredChat] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.evals: list[StoredMessageEval] = []
        #: Ids of chats deleted through either API, oldest first.
        self.deleted_chat_ids: list[str] = []

    # -- chats -------------------------------------------------------------

    def create_chat(self, user_id: str) -> StoredChat:
        chat = StoredChat(id=new_id(), user_id=user_id)
        self.chats[chat.id] = chat
        return chat

    def get_chat(self, user_id: str, chat_id: str) -> StoredChat:
        chat = self.chats.get(chat_id)
        if chat is None or chat.user_id != user_id:
            raise HTTPError(404, "Chat not found")
        return chat

    def get_chats(
        self,
        user_id: str,
        *,
        include_hidden: bool,
        limit: int,
        before: str | None,
        after: str | None,
    ) -> list[StoredChat]:
        """``get_chats``: ``after`` -> ids below the cursor, newest first;
        ``before`` -> ids above it, oldest first (the route reverses them)."""
        if after is not None and before is not None:
            raise HTTPError(400, "Cannot specify both after and before.")
        chats = [c for c in self.chats.values() if c.user_id == user_id]
        if not include_hidden:
            chats = [c for c in chats if not c.hidden]
        if before is not None:
            chats = [c for c in chats if c.id > before]
        if after is not None:
            chats = [c for c in chats if c.id < after]
        chats.sort(key=lambda c: (c.created_at, c.id), reverse=before is None)
        return chats[:limit]

    def delete_chat(self, user_id: str, chat_id: str) -> None:
        chat = self.get_chat(user_id, chat_id)
        for message_id in chat.messages:
            self.messages.pop(message_id, None)
        self.evals = [e for e in self.evals if e.selected_message_id not in chat.messages]
        del self.chats[chat_id]
        self.deleted_chat_ids.append(chat_id)

    def update_chat(
        self,
        user_id: str,
        chat_id: str,
        *,
        title: str | None,
        hidden: bool | None,
        allow_data_use: bool | None,
        active_thread_tail_message_id: str | None,
    ) -> None:
        # None means "unchanged" for every field.
        chat = self.get_chat(user_id, chat_id)
        if title is not None:
            chat.title = title
        if hidden is not None:
            chat.hidden = hidden
        if allow_data_use is not None:
            chat.allow_data_use = allow_data_use
        if active_thread_tail_message_id is not None:
            chat.active_thread_tail_message_id = active_thread_tail_message_id

    # -- messages ----------------------------------------------------------

    def get_message(self, user_id: str, chat_id: str, message_id: str) -> StoredMessage:
        message = self.messages.get(message_id)
        if message is None or message.chat_id != chat_id or message.user_id != user_id:
            raise NoResultError(message_id)
        return message

    def add_prompter_message(
        self,
        user_id: str,
        chat_id: str,
        *,
        parent_id: str | None,
        content: str,
        message_max_length: int | None,
        chat_max_messages: int | None,
    ) -> StoredMessage:
        # The checks run in the repository's order: the length check
        # comes before the chat lookup, so an unknown chat can still get 413.
        if message_max_length is not None and len(content) > message_max_length:
            raise HTTPError(413, "Message content exceeds max length")
        chat = self.chats.get(chat_id)
        if chat is None or chat.user_id != user_id:
            raise NoResultError(chat_id)
        if chat_max_messages is not None and len(chat.messages) >= chat_max_messages:
            raise HTTPError(413, "Maximum number of messages reached for this chat")
        if parent_id is None:
            if chat.messages:
                raise HTTPError(400, "Trying to add first message to non-empty chat")
            if chat.title is None:
                chat.title = content  # the whole content, untruncated
        else:
            parent = chat.messages.get(parent_id)
            if parent is None:
                raise HTTPError(400, "Parent message not found")
            if parent.role != "assistant":
                raise HTTPError(400, "Parent message is not an assistant message")
            if parent.state != MessageState.COMPLETE:
                raise HTTPError(400, "Parent message is not complete")
        message = StoredMessage(
            id=new_id(),
            chat_id=chat_id,
            user_id=user_id,
            role="prompter",
            parent_id=parent_id,
            content=content,
        )
        chat.messages[message.id] = message
        self.messages[message.id] = message
        chat.modified_at = message.created_at
        return message

    def cancel_pending(self, user_id: str, parent_id: str) -> list[StoredMessage]:
        """Cancel the user's other pending assistant messages (different parent)."""
        cancelled = []
        for message in self.messages.values():
            if (
                message.user_id == user_id
                and message.role == "assistant"
                and message.state == MessageState.PENDING
                and message.parent_id != parent_id
            ):
                message.state = MessageState.CANCELLED
                cancelled.append(message)
        return cancelled

    def initiate_assistant_message(
        self,
        user_id: str,
        *,
        parent_id: str,
        work_parameters: dict[str, Any],
        worker_compat_hash: str,
        model_config_name: str,
        chat_max_messages: int | None,
    ) -> StoredMessage:
        """Cancel, look the parent up, check limits, create (the real server's order).

        The cancellation is committed before the parent lookup, so it happens
        even when the lookup fails, as on the real server.
        """
        self.cancel_pending(user_id, parent_id)
        parent = self._user_message(user_id, parent_id, "prompter")
        chat = self.chats[parent.chat_id]
        if chat_max_messages is not None and len(chat.messages) >= chat_max_messages:
            raise HTTPError(413, "Maximum number of messages reached for this chat")
        # The URL's chat id is not checked: the message joins the parent's chat.
        message = StoredMessage(
            id=new_id(),
            chat_id=parent.chat_id,
            user_id=user_id,
            role="assistant",
            parent_id=parent_id,
            state=MessageState.PENDING,
            work_parameters=work_parameters,
            worker_compat_hash=worker_compat_hash,
            model_config_name=model_config_name,
        )
        chat.messages[message.id] = message
        self.messages[message.id] = message
        return message

    def _user_message(self, user_id: str, message_id: str, role: str | None) -> StoredMessage:
        """The repository's message lookup: no such row (of ``role``) fails as
        ``.one()`` does, another user's message is a 400."""
        message = self.messages.get(message_id)
        if message is None or (role is not None and message.role != role):
            raise NoResultError(message_id)
        if message.user_id != user_id:
            raise HTTPError(400, "Message not found")
        return message

    def thread(self, message: StoredMessage) -> list[StoredMessage]:
        """The messages from the root down to ``message``."""
        chain = [message]
        while chain[-1].parent_id is not None:
            parent = self.messages.get(chain[-1].parent_id or "")
            if parent is None:
                break
            chain.append(parent)
        return chain[::-1]

    def update_score(self, user_id: str, message_id: str, score: int) -> None:
        if score < -1 or score > 1:
            raise HTTPError(400, "Invalid score")
        self._user_message(user_id, message_id, "assistant").score = score

    def add_message_eval(self, user_id: str, message_id: str, inferior_ids: list[str]) -> None:
        message = self._user_message(user_id, message_id, None)
        self.evals.append(
            StoredMessageEval(
                id=new_id(),
                chat_id=message.chat_id,
                user_id=user_id,
                selected_message_id=message_id,
                inferior_message_ids=list(inferior_ids),
            )
        )

    def add_report(self, user_id: str, message_id: str, *, report_type: str, reason: str) -> None:
        message = self._user_message(user_id, message_id, "assistant")
        message.reports.append(StoredReport(id=new_id(), report_type=report_type, reason=reason))
