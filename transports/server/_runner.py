"""Starting and stopping the server in-process: async, or in a background thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from ._app import make_app
from ._faults import FaultRegistry
from ._logs import protocol_logger, server_logger
from ._recording import RecordedRequest
from ._server_config import ServerConfig
from ._server_state import ServerState
from ._worker import WorkerPool

__all__ = [
    "OPEN_MODE_WARNING",
    "ReferenceServer",
    "ThreadedServer",
]

_log = server_logger()
_T = TypeVar("_T")

#: Logged (or printed by ``oaproto serve``) when no tokens are configured.
OPEN_MODE_WARNING = (
    "oaproto reference server: no tokens configured; accepting any or no credentials"
)


def _config(config: ServerConfig | None, overrides: dict[str, Any]) -> ServerConfig:
    base = config if config is not None else ServerConfig()
    return dataclasses.replace(base, **overrides) if overrides else base


class ReferenceServer:
    """The reference server, run on the current event loop.

    Use as ``async with ReferenceServer(ServerConfig(...)) as server:`` or with
    :meth:`start`/:meth:`stop`. Keyword arguments override config fields.

    Args:
        config: the configuration (defaults: :class:`ServerConfig`).
        warn_open_mode: log :data:`OPEN_MODE_WARNING` at start when no tokens
            are configured.
        **overrides: :class:`ServerConfig` fields to replace.
    """

    def __init__(
        self, config: ServerConfig | None = None, *, warn_open_mode: bool = True, **overrides: Any
    ) -> None:
        self.config = _config(config, overrides)
        self._warn_open_mode = warn_open_mode
        self._state = ServerState(self.config)
        self._runner: web.AppRunner | None = None
        self._pool: WorkerPool | None = None
        self._url = ""

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:50123`` (set once started)."""
        if not self._url:
            raise RuntimeError("the server is not running")
        return self._url

    @property
    def port(self) -> int:
        """The bound port (set once started)."""
        return int(self.url.rsplit(":", 1)[1])

    @property
    def faults(self) -> FaultRegistry:
        """The armed fault rules: ``server.faults.add("status=503", step="assistant_message")``."""
        return self._state.faults

    @property
    def state(self) -> ServerState:
        """The live store, queues and auth (for advanced introspection)."""
        return self._state

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a snapshot)."""
        return self._state.recorder.snapshot()

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._state.recorder.clear()

    def chats(self) -> list[dict[str, Any]]:
        """Every existing chat of every user: ``ChatRead`` JSON plus ``user_id``."""
        result = []
        for chat in list(self._state.store.chats.values()):
            data = chat.to_read()
            data["user_id"] = chat.user_id
            result.append(data)
        return result

    @property
    def deleted_chat_ids(self) -> list[str]:
        """Ids of the chats deleted so far (through either API), oldest first."""
        return list(self._state.store.deleted_chat_ids)

    def add_token(self, token: str, user_id: str) -> None:
        """Accept another credential from now on (in open mode everything is accepted anyway)."""
        self._state.auth.add_token(token, user_id)

    async def start(self) -> None:
        """Bind, start the workers, and serve."""
        if self._runner is not None:
            raise RuntimeError("the server is already running")
        if self._state.closing.is_set():
            raise RuntimeError("a stopped server cannot be restarted; create a new one")
        config = self.config
        runner = web.AppRunner(
            make_app(self._state),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=config.shutdown_timeout,
            # aiohttp closes a connection whose next request has not arrived
            # this long after it opened or after its last answer, half a
            # request head included: the header read timeout.
            keepalive_timeout=config.header_timeout,
            # After an early 413 or 408, unread body bytes are drained this long
            # at most (so the client can read the answer), then the connection closes.
            lingering_time=min(2.0, config.header_timeout),
            logger=protocol_logger(),
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, config.host, config.port, backlog=config.backlog)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        self._url = f"http://{shown}:{port}"
        self._state.base_url = self._url
        self._runner = runner
        self._pool = WorkerPool(self._state)
        self._pool.start()
        if config.open_mode and self._warn_open_mode:
            _log.warning(OPEN_MODE_WARNING)

    async def stop(self) -> None:
        """End open streams, stop serving and stop the workers."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._state.close()
        try:
            await runner.cleanup()
        finally:
            if self._pool is not None:
                await self._pool.stop()
                self._pool = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        where = self._url or "not running"
        return f"ReferenceServer({where}, {self.config!r})"


class ThreadedServer:
    """A :class:`ReferenceServer` on its own event loop in a background thread.

    ``with ThreadedServer(token_delay=0) as server: ... server.url`` starts it
    on entering the block (or call :meth:`start` yourself) and stops it on
    leaving. Arguments are those of :class:`ReferenceServer`. Every method is
    safe to call from any thread.
    """

    def __init__(
        self, config: ServerConfig | None = None, *, warn_open_mode: bool = True, **overrides: Any
    ) -> None:
        self._server = ReferenceServer(config, warn_open_mode=warn_open_mode, **overrides)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start the thread and wait until the server listens.

        Raises:
            Exception: whatever prevented the start (e.g. the port is taken).
        """
        if self._thread is not None:
            raise RuntimeError("already started")
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._server.start())
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                ready.set_exception(exc)
                loop.close()
                return
            ready.set_result(None)
            try:
                loop.run_forever()
            finally:
                # aiohttp can leave a task behind when a client leaves while
                # its connection drains an unread body; end it, as asyncio.run does.
                leftovers = asyncio.all_tasks(loop)
                for task in leftovers:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="oaproto-server", daemon=True)
        self._thread.start()
        try:
            ready.result(timeout)
        except BaseException:
            self._thread.join(timeout)
            self._thread = None
            raise

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (ending open streams) and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self._thread = None
        try:
            future = asyncio.run_coroutine_threadsafe(self._server.stop(), loop)
            future.result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)

    def call(self, function: Callable[[], _T], timeout: float = 10.0) -> _T:
        """Run ``function`` on the server's loop and return its result."""
        loop = self._loop
        if loop is None or self._thread is None:
            return function()

        async def run() -> _T:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    @property
    def server(self) -> ReferenceServer:
        """The wrapped server (touch its state only through :meth:`call`)."""
        return self._server

    @property
    def config(self) -> ServerConfig:
        """The configuration the server runs with."""
        return self._server.config

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:50123``."""
        return self._server.url

    @property
    def port(self) -> int:
        """The bound port."""
        return self._server.port

    @property
    def faults(self) -> FaultRegistry:
        """The armed fault rules (thread-safe)."""
        return self._server.faults

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a snapshot)."""
        return self._server.requests

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._server.clear_requests()

    def chats(self) -> list[dict[str, Any]]:
        """Every existing chat (see :meth:`ReferenceServer.chats`)."""
        return self.call(self._server.chats)

    @property
    def deleted_chat_ids(self) -> list[str]:
        """Ids of the chats deleted so far, oldest first."""
        return self.call(lambda: self._server.deleted_chat_ids)

    def add_token(self, token: str, user_id: str) -> None:
        """Accept another credential from now on."""
        self._server.add_token(token, user_id)

    def __enter__(self) -> Self:
        if self._thread is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ThreadedServer({self._server!r})"
