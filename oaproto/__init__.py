"""oaproto: a sans-IO protocol core for the Open Assistant chat API.

The core builds every request of the chat lifecycle and parses every response
and the Server-Sent Events stream. It does no I/O: transports (``oaproto.transports``)
move the bytes.

This namespace holds what a user of the session needs: the session and its
options, the request and response values, the events and the errors. The
rest is in public submodules: :mod:`oaproto.api` (every other API call),
:mod:`oaproto.models` (what the API returns), :mod:`oaproto.sse` (the SSE
decoder and encoder), :mod:`oaproto.state` (the transition table),
:mod:`oaproto.credentials` (session cookies), :mod:`oaproto.g4f` (gpt4free
compatibility) and :mod:`oaproto.testing` (hypothesis strategies).
"""

from __future__ import annotations

from ._config import ClientConfig, Dialect
from ._errors import (
    APIError,
    AuthenticationError,
    BusyError,
    IncompleteReplyError,
    LocalProtocolError,
    NotFoundError,
    OAProtoError,
    ProtocolError,
    RemoteProtocolError,
    ReplyError,
    SSELimitError,
    TransportError,
    TransportTimeoutError,
    ValidationError,
)
from ._events import (
    NEED_DATA,
    AssistantMessageQueued,
    ChatCreated,
    ChatDeleted,
    Event,
    LifecycleEvent,
    Pending,
    PluginIntermediate,
    PrompterMessagePosted,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    ReplyUnfinished,
    StreamEvent,
    Token,
    UnknownStreamEvent,
)
from ._http import HttpRequest, HttpResponse
from ._sampling import PRESETS, SamplingParameters
from ._session import ChatSession, ReplyOptions
from ._state import ChatState

__version__ = "0.1.0"

__all__ = [
    # the session and its options
    "ChatSession",
    "ChatState",
    "ClientConfig",
    "Dialect",
    "NEED_DATA",
    "PRESETS",
    "ReplyOptions",
    "SamplingParameters",
    # what goes over the wire
    "HttpRequest",
    "HttpResponse",
    # events: what receive_response() and next_event() return
    "AssistantMessageQueued",
    "ChatCreated",
    "ChatDeleted",
    "Event",
    "LifecycleEvent",
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
    # errors
    "APIError",
    "AuthenticationError",
    "BusyError",
    "IncompleteReplyError",
    "LocalProtocolError",
    "NotFoundError",
    "OAProtoError",
    "ProtocolError",
    "RemoteProtocolError",
    "ReplyError",
    "SSELimitError",
    "TransportError",
    "TransportTimeoutError",
    "ValidationError",
]
