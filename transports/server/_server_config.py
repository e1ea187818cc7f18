"""The reference server's configuration: one frozen value fixed at start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._backends import Backend
    from ._faults import FaultRule

__all__ = ["DEFAULT_USER_ID", "ServerConfig"]

#: The user every request maps to when no tokens are configured (open mode).
DEFAULT_USER_ID = "oaproto-user"


def _normalise_tokens(tokens: Mapping[str, str] | Sequence[str]) -> Mapping[str, str]:
    if isinstance(tokens, str):
        raise TypeError("tokens must be a sequence of strings or a mapping, not one string")
    if isinstance(tokens, Mapping):
        pairs = dict(tokens)
    else:
        pairs = {token: f"user-{index}" for index, token in enumerate(tokens, start=1)}
    for token, user_id in pairs.items():
        if not token or not user_id:
            raise ValueError("tokens and user ids must be non-empty strings")
    return MappingProxyType(pairs)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """Everything the reference server needs to know at start.

    Defaults are the inference server's own defaults except
    where a test server needs to be faster; tests usually shrink the
    intervals further (``token_delay=0``, ``pending_interval=0.05``).

    Attributes:
        host: the address to bind; loopback unless told otherwise.
        port: the port to bind; ``0`` picks a free one.
        tokens: the accepted credentials. A sequence of token strings (user
            ids ``user-1``, ``user-2``, ... in order) or a mapping
            token -> user id. A token is accepted as the web API's session
            cookie (either next-auth name, whole or chunked) and as an
            ``Authorization: Bearer`` token on both dialects. Empty: open mode,
            every request maps to :data:`DEFAULT_USER_ID` whatever it sends.
        trusted_client_keys: API keys accepted in the inference server's
            ``TrustedClient`` header.
        allow_debug_auth: let ``/auth/callback/debug`` issue tokens to anyone who
            asks (off by default: it is a login without a credential). Debug
            users get ids of their own, never a configured user's.
        access_token_ttl: seconds a debug-login access token stays valid
            (the real server's: 60 min).
        chat_enabled: ``False`` answers most web routes 404 (``ENABLE_CHAT`` off).
        token_delay: seconds between two tokens of the built-in backends.
        ping_interval: seconds between ``: ping`` comments on a stream (the real server's: 15 s).
        pending_interval: seconds a stream waits for an item before a
            ``pending`` event (the real server's: 1 s).
        workers: simulated workers; more queued messages than this wait with
            ``pending`` events.
        work_queue_max_size: queue length at which assistant messages get 503
            (``None`` = unlimited).
        assistant_message_timeout: a message dequeued later than this after
            creation ends with the ``Timeout`` error.
        message_queue_expire: buffered events expire this long after the last
            one was queued.
        chat_max_messages: the 413 limit on messages per chat (``None`` = off).
        message_max_length: the 413 limit on prompter content (``None`` = off).
        rate_limit: ``(times, seconds)`` per user on ``assistant_message``
            (the real server's: 20 per 600 + 60 s); ``None`` disables it.
        allowed_model_config_names: ``"*"`` or a comma list.
        default_backend: ``"lorem"`` or ``"echo"``: serves every reference
            model config name without an entry in ``backends``.
        backends: model config name -> backend; names not in the reference
            table become extra model configs (listed after the reference ones).
        faults: fault rules active from the start (strings in the spec syntax
            of ``docs/server.md`` or :class:`FaultRule` values).
        seed: seeds the random generator for work seeds (and so the lorem
            text); ``None`` draws fresh randomness.
        body_limit: the web API's body size limit (Next.js: 1 MiB).
        max_body_size: the largest body any other request may have (the real
            inference server sets none); a larger one, declared or sent, is
            refused with 413 before the rest is read.
        header_timeout: seconds a connection may take to send a request's
            head, counted from the connection's start or the end of its
            previous response (so also the idle keep-alive limit).
        body_timeout: seconds a request may take to send its whole body; then
            the server answers 408 and closes the connection.
        record_requests: keep requests for introspection (``server.requests``).
        record_max_requests: how many requests the log keeps (oldest dropped).
        record_max_body_bytes: how many body bytes the log keeps in all
            (oldest requests dropped; the newest is always kept).
        shutdown_timeout: seconds to wait for handlers when stopping.
        backlog: connections the listening socket queues before they are
            accepted (the kernel caps it at ``net.core.somaxconn``). uvicorn,
            which serves the real inference server, defaults to 2048; with
            aiohttp's default of 128, a thousand clients connecting at once overflowed
            the queue and lost connections.
    """

    host: str = "127.0.0.1"
    port: int = 0
    tokens: Mapping[str, str] | Sequence[str] = ()
    trusted_client_keys: Sequence[str] = ()
    allow_debug_auth: bool = False
    access_token_ttl: float = 3600.0
    chat_enabled: bool = True
    token_delay: float = 0.02
    ping_interval: float = 15.0
    pending_interval: float = 1.0
    workers: int = 4
    work_queue_max_size: int | None = None
    assistant_message_timeout: float = 60.0
    message_queue_expire: float = 60.0
    chat_max_messages: int | None = None
    message_max_length: int | None = None
    rate_limit: tuple[int, float] | None = (20, 660.0)
    allowed_model_config_names: str = "*"
    default_backend: str = "lorem"
    backends: Mapping[str, Backend] = field(default_factory=dict)
    faults: Sequence[str | FaultRule] = ()
    seed: int | None = None
    body_limit: int = 1024 * 1024
    max_body_size: int = 4 * 1024 * 1024
    header_timeout: float = 30.0
    body_timeout: float = 30.0
    record_requests: bool = True
    record_max_requests: int = 10_000
    record_max_body_bytes: int = 64 * 1024 * 1024
    shutdown_timeout: float = 5.0
    backlog: int = 2048

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", _normalise_tokens(self.tokens))
        object.__setattr__(self, "trusted_client_keys", tuple(self.trusted_client_keys))
        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(self, "backends", MappingProxyType(dict(self.backends)))
        if self.default_backend not in ("lorem", "echo"):
            raise ValueError("default_backend must be 'lorem' or 'echo'")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        for name in ("token_delay", "ping_interval", "pending_interval"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.ping_interval == 0 or self.pending_interval == 0:
            raise ValueError("ping_interval and pending_interval must be > 0")
        if self.header_timeout <= 0 or self.body_timeout <= 0:
            raise ValueError("header_timeout and body_timeout must be > 0")
        if self.body_limit < 0 or self.max_body_size < 0:
            raise ValueError("body_limit and max_body_size must be >= 0")
        if self.backlog < 1:
            raise ValueError("backlog must be >= 1")
        if self.record_max_requests < 1 or self.record_max_body_bytes < 0:
            raise ValueError("record_max_requests must be >= 1, record_max_body_bytes >= 0")

    @property
    def users_by_token(self) -> Mapping[str, str]:
        """The accepted credentials, token -> user id."""
        tokens = self.tokens
        assert isinstance(tokens, Mapping)
        return tokens

    @property
    def open_mode(self) -> bool:
        """``True`` when no tokens are configured: any or no credentials are accepted."""
        return not self.users_by_token

    def __repr__(self) -> str:
        # Never show credentials: only how many there are.
        return (
            f"ServerConfig(host={self.host!r}, port={self.port!r}, "
            f"tokens=<{len(self.users_by_token)} configured>, workers={self.workers!r}, "
            f"token_delay={self.token_delay!r}, ping_interval={self.ping_interval!r}, "
            f"pending_interval={self.pending_interval!r}, faults={len(self.faults)})"
        )
