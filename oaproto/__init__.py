"""oaproto: a sans-IO protocol core for the Open Assistant chat API.

The core builds every request of the chat lifecycle and parses every response
and the Server-Sent Events stream. It does no I/O: transports (``oaproto.transports``)
move the bytes.
"""

from __future__ import annotations

# --- errors, HTTP value objects, client configuration (shared foundation) ---
from ._config import ClientConfig, Dialect
from ._credentials import (
    DEV_COOKIE_NAME,
    SECURE_COOKIE_NAME,
    load_cookie_file,
    parse_cookie_header,
)
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
from ._http import Headers, HttpRequest, HttpResponse, redact_headers

# --- SSE decoder and encoder ---
from ._sse import ServerSentEvent, SSEDecoder, comment, encode_sse

# --- models, sampling, prompts, API calls ---
# isort: split
from ._api import Call, ChatAPI
from ._models import (
    Chat,
    ChatPage,
    ChatSummary,
    Message,
    MessageState,
    ModelConfigInfo,
    ParameterConfig,
    PluginEntry,
    Report,
    Role,
    TokenPair,
)
from ._prompt import format_prompt, gpt4free_prompt, wrap_inst
from ._responses import parse_json, raise_for_status
from ._sampling import (
    DEFAULT_MODEL_CONFIG_NAME,
    GPT4FREE_SAMPLING,
    MODEL_CONFIGS,
    PRESETS,
    ModelConfig,
    SamplingParameters,
)

# --- chat session state machine ---
# isort: split
from ._events import (
    NEED_DATA,
    AssistantMessageQueued,
    ChatCreated,
    ChatDeleted,
    Event,
    LifecycleEvent,
    NeedData,
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
from ._session import ChatSession, ReplyOptions
from ._state import BEFORE_COMMAND, TRANSITIONS, ChatState, Revert, SessionInput

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AuthenticationError",
    "BusyError",
    "ClientConfig",
    "DEV_COOKIE_NAME",
    "Dialect",
    "Headers",
    "HttpRequest",
    "HttpResponse",
    "IncompleteReplyError",
    "LocalProtocolError",
    "NotFoundError",
    "OAProtoError",
    "ProtocolError",
    "RemoteProtocolError",
    "SECURE_COOKIE_NAME",
    "ReplyError",
    "SSELimitError",
    "TransportError",
    "TransportTimeoutError",
    "ValidationError",
    "redact_headers",
    "load_cookie_file",
    "parse_cookie_header",
    # SSE decoder and encoder
    "SSEDecoder",
    "ServerSentEvent",
    "comment",
    "encode_sse",
    # models, sampling, prompts, API calls
    "Call",
    "ChatAPI",
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
    "format_prompt",
    "gpt4free_prompt",
    "wrap_inst",
    "parse_json",
    "raise_for_status",
    "DEFAULT_MODEL_CONFIG_NAME",
    "GPT4FREE_SAMPLING",
    "MODEL_CONFIGS",
    "PRESETS",
    "ModelConfig",
    "SamplingParameters",
    # chat session state machine
    "BEFORE_COMMAND",
    "Revert",
    "NEED_DATA",
    "TRANSITIONS",
    "AssistantMessageQueued",
    "ChatCreated",
    "ChatDeleted",
    "ChatSession",
    "ChatState",
    "Event",
    "LifecycleEvent",
    "NeedData",
    "Pending",
    "PluginIntermediate",
    "PrompterMessagePosted",
    "ReplyAlreadyFinished",
    "ReplyCompleted",
    "ReplyFailed",
    "ReplyOptions",
    "ReplyUnfinished",
    "SessionInput",
    "StreamEvent",
    "Token",
    "UnknownStreamEvent",
]
