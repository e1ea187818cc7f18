"""Everything one running server holds, shared by its handlers and workers."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Mapping
from types import MappingProxyType

from oaproto._sampling import MODEL_CONFIGS, ModelConfig

from ._auth import Auth
from ._backends import Backend, EchoBackend, LoremBackend
from ._faults import Fault, FaultRegistry, FaultRule
from ._logs import server_logger
from ._queueing import MessageChannel, WorkQueue
from ._recording import Recorder
from ._server_config import ServerConfig
from ._store import ChatStore

__all__ = ["ECHO_MODEL_NAME", "ServerState"]

_log = server_logger()

#: An extra model config served by the echo backend, listed after the reference ones.
ECHO_MODEL_NAME = "_echo"


def _model_configs(config: ServerConfig) -> Mapping[str, ModelConfig]:
    configs = dict(MODEL_CONFIGS)
    extras = [ECHO_MODEL_NAME, *config.backends]
    for name in extras:
        if name not in configs:
            # ModelConfig's pydantic defaults for anything not in the table.
            configs[name] = ModelConfig(
                name=name, model_id=name, max_input_length=512, max_total_length=1024
            )
    return MappingProxyType(configs)


def _rules(config: ServerConfig) -> list[FaultRule]:
    return [FaultRule.parse(r) if isinstance(r, str) else r for r in config.faults]


class ServerState:
    """The store, queues, auth, faults and request log of one server."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store = ChatStore()
        self.auth = Auth(config)
        self.faults = FaultRegistry(_rules(config))
        self.recorder = Recorder(
            config.record_requests, config.record_max_requests, config.record_max_body_bytes
        )
        self.work_queue = WorkQueue(config.work_queue_max_size)
        self.channels: dict[str, MessageChannel] = {}
        #: Faults a worker applies to a message (from its assistant_message request).
        self.generation_faults: dict[str, tuple[Fault, ...]] = {}
        self.model_configs = _model_configs(config)
        self._lorem = LoremBackend(config.token_delay)
        self._echo = EchoBackend(config.token_delay)
        self.rng = random.Random(config.seed) if config.seed is not None else random.SystemRandom()
        self.closing = asyncio.Event()
        self.base_url = ""
        self._rate_lock = threading.Lock()
        self._rate_windows: dict[str, tuple[int, float]] = {}

    def backend_for(self, model_config_name: str) -> Backend:
        """The backend that serves a model config name."""
        backend = self.config.backends.get(model_config_name)
        if backend is not None:
            return backend
        if model_config_name == ECHO_MODEL_NAME or self.config.default_backend == "echo":
            return self._echo
        return self._lorem

    def rate_limited(self, user_id: str) -> bool:
        """Count one ``assistant_message`` request; ``True`` once over the limit.

        fastapi-limiter v0.1.5: a fixed window opened by the first
        request; requests over the limit are refused and not counted.
        """
        if self.config.rate_limit is None:
            return False
        times, seconds = self.config.rate_limit
        now = time.monotonic()
        with self._rate_lock:
            count, window_end = self._rate_windows.get(user_id, (0, 0.0))
            if now >= window_end:
                count, window_end = 0, now + seconds
            # Refused requests count past the limit only to say so once per window.
            self._rate_windows[user_id] = (count + 1, window_end)
        if count == times:
            _log.warning(
                "rate limit: user %s asked for more than %d assistant messages within %g s; "
                "answering 500 until %.0f s from now, as the real server does "
                "(oaproto serve --rate-limit off turns the limit off)",
                user_id,
                times,
                seconds,
                window_end - now,
            )
        return count >= times

    async def sleep_or_close(self, seconds: float) -> bool:
        """Sleep; return ``True`` early if the server starts closing."""
        if self.closing.is_set():
            return True
        try:
            await asyncio.wait_for(self.closing.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        """Tell every stream to end and wake every reader."""
        self.closing.set()
        for channel in self.channels.values():
            channel.wake_all()
