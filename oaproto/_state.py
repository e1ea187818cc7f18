"""The chat session's states, inputs and its one transition table.

Rule 1: everything that decides which call is legal in which state, and which
state follows, lives here in this file. ``_session.py`` only looks things up:
it never tests ``state in (...)`` itself. ``docs/make_state_diagram.py``
renders ``docs/state-machine.md`` from these tables.

Reading guide:

* A *command* (``CREATE_CHAT``, ``POST_PROMPTER_MESSAGE``, ...) is a call the
  driver makes; most return an ``HttpRequest`` to send (``sends_request``).
* A *receive* input (``RECEIVE_RESPONSE``, ``RECEIVE_DATA``, ...) is the driver
  handing the session what the server sent. Those map a state to itself: the
  call is legal there, and the *outcome* it produces moves the state.
* An *outcome* (``CHAT_CREATED``, ``REPLY_FAILED``, ``REMOTE_ERROR``, ...) is
  what the session concluded from the server's bytes.
* ``REQUEST_REJECTED`` (an error status: the server refused the request)
  leads to :data:`BEFORE_COMMAND`: the command is undone, and the session is
  back in the state it was called in, with the ids it had then. Only a
  refused delete goes to ``ERROR``, like ``REMOTE_ERROR`` (an unusable answer).
* A missing ``(state, input)`` key means the call is illegal in that state: it
  raises ``LocalProtocolError`` and changes nothing.
* ``REQUIRES`` names the ids an input needs. They are always known in the
  states listed for that input, except in ``ERROR``, which is entered from
  every phase: there ``delete_chat()`` needs a chat id (none if creating the
  chat failed) and ``fetch_message()`` needs an assistant message id.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, TypeAlias

__all__ = [
    "BEFORE_COMMAND",
    "REQUIRES",
    "TRANSITIONS",
    "ChatState",
    "Known",
    "Revert",
    "SessionInput",
    "Target",
    "states_allowing",
]


class ChatState(enum.Enum):
    """Where a :class:`~oaproto.ChatSession` is in the chat lifecycle."""

    #: No chat yet; ``create_chat()`` is the only legal call.
    IDLE = "IDLE"
    #: The create-chat request is in flight.
    CREATING = "CREATING"
    #: A chat exists and the next prompter message may be posted; nothing to
    #: regenerate (a new chat, or one resumed without its prompter message).
    READY = "READY"
    #: A prompter message is in flight.
    POSTING = "POSTING"
    #: The prompter message exists and an assistant reply may be requested.
    #: Also the state after a failed reply: requesting again is the retry.
    #: A refused request (e.g. 503 busy) returns here too.
    PROMPTED = "PROMPTED"
    #: The assistant-message request is in flight.
    REQUESTING = "REQUESTING"
    #: An assistant message exists whose outcome the session has not seen:
    #: just created, or its stream was abandoned, or the stream said it had
    #: already finished. Open its stream, fetch it, or request another.
    QUEUED = "QUEUED"
    #: The event-stream request is sent; waiting for its status and headers.
    OPENING = "OPENING"
    #: The event stream's body is being fed and decoded.
    STREAMING = "STREAMING"
    #: The event stream's body has ended (``receive_eof()``); the events it
    #: completed are still being read. No more data may be fed.
    STREAM_ENDED = "STREAM_ENDED"
    #: The request for the assistant message itself is in flight.
    FETCHING = "FETCHING"
    #: The reply completed; post the next prompter message or regenerate.
    REPLIED = "REPLIED"
    #: The delete request is in flight (``delete_chat()`` may be re-sent).
    DELETING = "DELETING"
    #: The chat is gone. Terminal.
    DELETED = "DELETED"
    #: The server sent something unusable, or refused a delete. Only cleanup
    #: and recovery remain.
    ERROR = "ERROR"

    # Members are singletons compared by identity, so hashing by identity is
    # consistent, and it is C-speed (Enum's own hashes the name in Python):
    # the streaming path looks states and inputs up once per chunk.
    __hash__ = object.__hash__


class SessionInput(enum.Enum):
    """Everything that can happen to a session: calls, and outcomes of responses."""

    # Commands: one per public method.
    CREATE_CHAT = "create_chat()"
    POST_PROMPTER_MESSAGE = "post_prompter_message()"
    REQUEST_ASSISTANT_MESSAGE = "request_assistant_message()"
    OPEN_EVENT_STREAM = "open_event_stream()"
    FETCH_MESSAGE = "fetch_message()"
    DELETE_CHAT = "delete_chat()"
    ABANDON_STREAM = "abandon_stream()"
    # Receive calls: legal where listed; the outcome decides the next state.
    RECEIVE_RESPONSE = "receive_response()"
    RECEIVE_STREAM_START = "receive_stream_start()"
    RECEIVE_DATA = "receive_data()"
    RECEIVE_EOF = "receive_eof()"
    NEXT_EVENT = "next_event()"
    # Outcomes: produced by the session from the server's answer.
    CHAT_CREATED = "ChatCreated"
    PROMPTER_MESSAGE_POSTED = "PrompterMessagePosted"
    ASSISTANT_MESSAGE_QUEUED = "AssistantMessageQueued"
    REPLY_COMPLETED = "ReplyCompleted"
    REPLY_FAILED = "ReplyFailed"
    REPLY_UNFINISHED = "ReplyUnfinished"
    REPLY_ALREADY_FINISHED = "ReplyAlreadyFinished"
    CHAT_DELETED = "ChatDeleted"
    REQUEST_REJECTED = "request rejected"
    REMOTE_ERROR = "remote error"

    __hash__ = object.__hash__  # as for ChatState

    @property
    def is_outcome(self) -> bool:
        """``True`` for inputs the session produces itself, not the driver."""
        return self in _OUTCOMES

    @property
    def sends_request(self) -> bool:
        """``True`` for the commands that return a request, which the server may reject."""
        return self in _SENDS_REQUEST


_OUTCOMES = frozenset(
    {
        SessionInput.CHAT_CREATED,
        SessionInput.PROMPTER_MESSAGE_POSTED,
        SessionInput.ASSISTANT_MESSAGE_QUEUED,
        SessionInput.REPLY_COMPLETED,
        SessionInput.REPLY_FAILED,
        SessionInput.REPLY_UNFINISHED,
        SessionInput.REPLY_ALREADY_FINISHED,
        SessionInput.CHAT_DELETED,
        SessionInput.REQUEST_REJECTED,
        SessionInput.REMOTE_ERROR,
    }
)

_SENDS_REQUEST = frozenset(
    {
        SessionInput.CREATE_CHAT,
        SessionInput.POST_PROMPTER_MESSAGE,
        SessionInput.REQUEST_ASSISTANT_MESSAGE,
        SessionInput.OPEN_EVENT_STREAM,
        SessionInput.FETCH_MESSAGE,
        SessionInput.DELETE_CHAT,
    }
)


class Revert(enum.Enum):
    """The type of :data:`BEFORE_COMMAND`; a one-member enum so ``is`` narrows types."""

    BEFORE_COMMAND = "the state before the command"


#: A ``TRANSITIONS`` target that is not one fixed state: the state the session
#: was in when the command in flight was called. Reaching it undoes the command:
#: every id and text the command reset is restored too.
BEFORE_COMMAND: Literal[Revert.BEFORE_COMMAND] = Revert.BEFORE_COMMAND

#: What ``TRANSITIONS`` maps to.
Target: TypeAlias = ChatState | Literal[Revert.BEFORE_COMMAND]


class Known(enum.Enum):
    """An id an input cannot do without."""

    CHAT_ID = "chat_id"
    PROMPTER_MESSAGE_ID = "prompter_message_id"
    ASSISTANT_MESSAGE_ID = "assistant_message_id"


S = ChatState
I = SessionInput  # noqa: E741 - a table reads better with one-letter aliases

# The chat id is known in every state from READY on, so DELETE_CHAT is listed
# for each of them: cleanup must stay possible after any failure, mid-request
# and mid-stream included (the gpt4free provider leaked chats, reference §7.6
# item 3). The API has no client-chosen chat ids, so a chat whose create
# response is lost (CREATING) cannot be deleted.
_DELETE_FROM = (
    S.READY,
    S.POSTING,
    S.PROMPTED,
    S.REQUESTING,
    S.QUEUED,
    S.OPENING,
    S.STREAMING,
    S.STREAM_ENDED,
    S.FETCHING,
    S.REPLIED,
    S.DELETING,  # re-send after a transport failure
    S.ERROR,  # after a failed delete, too: ``needs_cleanup`` stays True
)

_TABLE: dict[tuple[ChatState, SessionInput], Target] = {
    # -- create the chat ------------------------------------------------------
    (S.IDLE, I.CREATE_CHAT): S.CREATING,
    (S.CREATING, I.RECEIVE_RESPONSE): S.CREATING,
    (S.CREATING, I.CHAT_CREATED): S.READY,
    (S.CREATING, I.REQUEST_REJECTED): BEFORE_COMMAND,  # IDLE
    (S.CREATING, I.REMOTE_ERROR): S.ERROR,
    # -- post a prompter message: its parent is the last complete assistant
    # message, or none in a new chat (§1.4 "Parent message is not complete")
    (S.READY, I.POST_PROMPTER_MESSAGE): S.POSTING,
    (S.REPLIED, I.POST_PROMPTER_MESSAGE): S.POSTING,
    (S.POSTING, I.RECEIVE_RESPONSE): S.POSTING,
    (S.POSTING, I.PROMPTER_MESSAGE_POSTED): S.PROMPTED,
    (S.POSTING, I.REQUEST_REJECTED): BEFORE_COMMAND,  # READY or REPLIED
    (S.POSTING, I.REMOTE_ERROR): S.ERROR,
    # -- request an assistant message on the current prompter message: first
    # try, retry after a failure, another draft, or a regenerate (§4.3)
    (S.PROMPTED, I.REQUEST_ASSISTANT_MESSAGE): S.REQUESTING,
    (S.QUEUED, I.REQUEST_ASSISTANT_MESSAGE): S.REQUESTING,
    (S.REPLIED, I.REQUEST_ASSISTANT_MESSAGE): S.REQUESTING,
    (S.REQUESTING, I.RECEIVE_RESPONSE): S.REQUESTING,
    (S.REQUESTING, I.ASSISTANT_MESSAGE_QUEUED): S.QUEUED,
    # A 503 busy or a 429 leaves the retry legal.
    (S.REQUESTING, I.REQUEST_REJECTED): BEFORE_COMMAND,  # PROMPTED, QUEUED or REPLIED
    (S.REQUESTING, I.REMOTE_ERROR): S.ERROR,
    # -- stream the reply (§2)
    (S.QUEUED, I.OPEN_EVENT_STREAM): S.OPENING,
    (S.OPENING, I.RECEIVE_STREAM_START): S.STREAMING,
    (S.OPENING, I.ABANDON_STREAM): S.QUEUED,
    (S.STREAMING, I.RECEIVE_DATA): S.STREAMING,
    # After the end of the body no more data (or a second end) is legal.
    (S.STREAMING, I.RECEIVE_EOF): S.STREAM_ENDED,
    # Reading events, and every way a stream ends, are the same before and
    # after the end of the body.
    **{
        (state, event): target
        for state in (S.STREAMING, S.STREAM_ENDED)
        for event, target in (
            (I.NEXT_EVENT, state),
            (I.ABANDON_STREAM, S.QUEUED),
            (I.REPLY_COMPLETED, S.REPLIED),
            (I.REPLY_FAILED, S.PROMPTED),
            # 204 / web 200-empty: the message finished before we connected (§2.5).
            (I.REPLY_ALREADY_FINISHED, S.QUEUED),
            # An error status on /events (read at EOF): the assistant message
            # exists and may still be generating; fetch it, re-open, or request
            # another.
            (I.REQUEST_REJECTED, BEFORE_COMMAND),  # QUEUED
            (I.REMOTE_ERROR, S.ERROR),
        )
    },
    # -- fetch the assistant message (after an empty stream, an abandoned
    # stream, or a broken one: the stored message is authoritative) ----------
    (S.QUEUED, I.FETCH_MESSAGE): S.FETCHING,
    (S.ERROR, I.FETCH_MESSAGE): S.FETCHING,
    (S.FETCHING, I.RECEIVE_RESPONSE): S.FETCHING,
    (S.FETCHING, I.REPLY_COMPLETED): S.REPLIED,
    (S.FETCHING, I.REPLY_FAILED): S.PROMPTED,
    (S.FETCHING, I.REPLY_UNFINISHED): S.QUEUED,
    (S.FETCHING, I.REQUEST_REJECTED): BEFORE_COMMAND,  # QUEUED or ERROR
    (S.FETCHING, I.REMOTE_ERROR): S.ERROR,
    # -- delete the chat (404 counts as deleted) ------------------------------
    **{(state, I.DELETE_CHAT): S.DELETING for state in _DELETE_FROM},
    (S.DELETING, I.RECEIVE_RESPONSE): S.DELETING,
    (S.DELETING, I.CHAT_DELETED): S.DELETED,
    # Not undone: a delete may have dropped a stream or a request in flight.
    # From ERROR the delete can be re-sent; ``needs_cleanup`` stays True.
    (S.DELETING, I.REQUEST_REJECTED): S.ERROR,
    (S.DELETING, I.REMOTE_ERROR): S.ERROR,
}

#: ``(state, input) -> next state`` (or :data:`BEFORE_COMMAND`). A missing key
#: means "illegal here".
TRANSITIONS: Mapping[tuple[ChatState, SessionInput], Target] = MappingProxyType(_TABLE)

#: The ids each input needs (checked together with ``TRANSITIONS``).
REQUIRES: Mapping[SessionInput, tuple[Known, ...]] = MappingProxyType(
    {
        I.POST_PROMPTER_MESSAGE: (Known.CHAT_ID,),
        I.REQUEST_ASSISTANT_MESSAGE: (Known.CHAT_ID, Known.PROMPTER_MESSAGE_ID),
        I.OPEN_EVENT_STREAM: (Known.CHAT_ID, Known.ASSISTANT_MESSAGE_ID),
        I.FETCH_MESSAGE: (Known.CHAT_ID, Known.ASSISTANT_MESSAGE_ID),
        I.DELETE_CHAT: (Known.CHAT_ID,),
    }
)


def states_allowing(event: SessionInput) -> frozenset[ChatState]:
    """The states in which ``event`` is legal, read from :data:`TRANSITIONS`."""
    return frozenset(state for state, legal in TRANSITIONS if legal is event)


del S, I
