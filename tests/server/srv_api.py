"""The server's public API for the tests, importable by both pytest and mypy.

At run time the package is ``oaproto.transports.server`` (setuptools maps
``transports/`` there); mypy cannot follow that mapping and sees the source
tree's ``transports.server`` instead. Both names are the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transports.server import (
        INVALID_JSON_FRAME,
        MALFORMED_SSE_FRAME,
        UNKNOWN_EVENT_FRAME,
        EchoBackend,
        Fault,
        FaultKind,
        FaultRule,
        FaultSpecError,
        GenerationRequest,
        LoremBackend,
        ReferenceServer,
        ServerConfig,
        SyncServer,
        ThreadedServer,
        run_in_thread,
    )
else:
    from oaproto.transports.server import (
        INVALID_JSON_FRAME,
        MALFORMED_SSE_FRAME,
        UNKNOWN_EVENT_FRAME,
        EchoBackend,
        Fault,
        FaultKind,
        FaultRule,
        FaultSpecError,
        GenerationRequest,
        LoremBackend,
        ReferenceServer,
        ServerConfig,
        SyncServer,
        ThreadedServer,
        run_in_thread,
    )

__all__ = [
    "INVALID_JSON_FRAME",
    "MALFORMED_SSE_FRAME",
    "UNKNOWN_EVENT_FRAME",
    "EchoBackend",
    "Fault",
    "FaultKind",
    "FaultRule",
    "FaultSpecError",
    "GenerationRequest",
    "LoremBackend",
    "ReferenceServer",
    "ServerConfig",
    "SyncServer",
    "ThreadedServer",
    "run_in_thread",
]
