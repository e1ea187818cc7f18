"""The Open Assistant reference server (aiohttp): both chat APIs, with fault injection.

It serves the website's API (``/api/chat/...``) and the inference server's
(``/chats/...``, ``/configs/...``, ``/auth/...``) at once, byte for byte as
``docs/server.md`` and ``docs/protocol.md`` describe them, with simulated
workers, request recording for tests, and faults selectable at start, at run
time, or per request.

Run it with ``oaproto serve``, embed it with :class:`ReferenceServer` (async)
or :class:`ThreadedServer` (sync), or use the ``oa_server`` pytest fixture.
"""

from __future__ import annotations

from ._backends import (
    Backend,
    EchoBackend,
    GenerationRequest,
    LoremBackend,
    ThreadMessage,
)
from ._faults import (
    FAULT_HEADER,
    INVALID_JSON_FRAME,
    MALFORMED_SSE_FRAME,
    STEPS,
    UNKNOWN_EVENT_FRAME,
    Fault,
    FaultKind,
    FaultRegistry,
    FaultRule,
    FaultSpecError,
)
from ._recording import RecordedRequest
from ._runner import (
    OPEN_MODE_WARNING,
    ReferenceServer,
    ThreadedServer,
)
from ._server_config import DEFAULT_USER_ID, ServerConfig
from ._server_state import ECHO_MODEL_NAME

__all__ = [
    "DEFAULT_USER_ID",
    "ECHO_MODEL_NAME",
    "FAULT_HEADER",
    "INVALID_JSON_FRAME",
    "MALFORMED_SSE_FRAME",
    "OPEN_MODE_WARNING",
    "STEPS",
    "UNKNOWN_EVENT_FRAME",
    "Backend",
    "EchoBackend",
    "Fault",
    "FaultKind",
    "FaultRegistry",
    "FaultRule",
    "FaultSpecError",
    "GenerationRequest",
    "LoremBackend",
    "RecordedRequest",
    "ReferenceServer",
    "ServerConfig",
    "ThreadMessage",
    "ThreadedServer",
]
