"""Every adapter setup behind one blocking interface, for the command line.

The command line is plain blocking code (``input()``, ``print()``). A
:class:`AdapterRunner` runs API calls and chat turns over any adapter: the
blocking drivers directly; the async ones one coroutine at a time, on an
:class:`asyncio.Runner` that keeps its loop (and the adapter's connections)
between calls, or on a fresh ``trio.run`` per call (the h11 adapter keeps no
connection between requests). Ctrl-C ends the running call with
``KeyboardInterrupt`` either way, after the driver closed the stream.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from oaproto import (
    ChatSession,
    ClientConfig,
    ReplyCompleted,
    ReplyFailed,
    ReplyOptions,
    StreamEvent,
)
from oaproto.api import Call

if TYPE_CHECKING:
    from ._async import AsyncChatClient
    from ._sync import ChatClient

__all__ = [
    "TRANSPORT_NAMES",
    "ChatLink",
    "AdapterRunner",
    "TransportSetupError",
    "adapter_parameters",
    "transport_options",
]

T = TypeVar("T")

#: What ``--transport`` accepts.
TRANSPORT_NAMES = ("aiohttp", "httpx", "httpx-sync", "requests", "h11", "h11-trio")


@dataclass(frozen=True, slots=True)
class _Setup:
    module: str  # the adapter module, relative to this package
    adapter: str  # its class
    extra: str  # what to install when its library is missing
    loop: str | None  # "asyncio", "trio", or None for a blocking adapter


_SETUPS = {
    "aiohttp": _Setup("aiohttp", "AiohttpTransport", "aiohttp", "asyncio"),
    "httpx": _Setup("httpx", "AsyncHttpxTransport", "httpx", "asyncio"),
    "httpx-sync": _Setup("httpx", "HttpxTransport", "httpx", None),
    "requests": _Setup("requests", "RequestsTransport", "requests", None),
    "h11": _Setup("h11_anyio", "H11Transport", "h11", "asyncio"),
    "h11-trio": _Setup("h11_anyio", "H11Transport", "trio", "trio"),
}


class TransportSetupError(Exception):
    """The ``--transport`` cannot be set up: its library is missing, or it takes no proxy."""


def transport_options(
    name: str, accepted: frozenset[str], *, timeout: float, proxy: str | None, embedded: bool
) -> dict[str, Any]:
    """The adapter's constructor keywords for ``--timeout`` and ``--proxy``.

    Adapters take ``proxy: str | None`` and ``trust_env: bool`` (the proxy
    environment variables); an adapter without ``proxy`` cannot use one.
    The embedded server is on loopback: a proxy from the environment would
    only get in its way.

    Args:
        name: the ``--transport``.
        accepted: the adapter's constructor keywords (:func:`adapter_parameters`).
        timeout, proxy: the options.
        embedded: whether the server is the embedded one.

    Raises:
        TransportSetupError: ``proxy`` is given and the adapter takes none.
    """
    options: dict[str, Any] = {"timeout": timeout}
    if proxy is not None:
        if "proxy" not in accepted:
            raise TransportSetupError(f"--transport {name} cannot use a proxy (no --proxy)")
        options["proxy"] = proxy
    if embedded and "trust_env" in accepted:
        options["trust_env"] = False
    return options


def adapter_parameters(name: str) -> frozenset[str]:
    """The constructor keywords of the ``--transport name`` adapter.

    Raises:
        TransportSetupError: its library is not installed.
    """
    return _parameters(_import(name)[0])


def _parameters(adapter: type) -> frozenset[str]:
    return frozenset(inspect.signature(adapter).parameters)


def _import(name: str) -> tuple[type, ModuleType | None]:
    setup = _SETUPS[name]
    try:
        adapters = importlib.import_module(f".{setup.module}", __package__)
        trio = importlib.import_module("trio") if setup.loop == "trio" else None
    except ImportError as exc:
        missing = exc.name or "a library"
        raise TransportSetupError(
            f"--transport {name} needs {missing}: pip install 'oaproto[{setup.extra}]'"
        ) from None
    return getattr(adapters, setup.adapter), trio


class ChatLink(Protocol):
    """One chat over an :class:`AdapterRunner`."""

    @property
    def session(self) -> ChatSession:
        """The chat's session (ids, state)."""

    def turn(
        self, content: str | None, show: Callable[[StreamEvent], None]
    ) -> ReplyCompleted | ReplyFailed:
        """Post ``content`` (``None``: regenerate the last reply); stream the reply to ``show``."""

    def close(self) -> None:
        """Close the stream and delete the chat if it created it."""


class AdapterRunner:
    """One adapter, driven from blocking code.

    Args:
        name: one of :data:`TRANSPORT_NAMES`.
        timeout: seconds to connect and for each read.
        proxy: a proxy URL, or ``None`` for the environment's.
        embedded: the server is the embedded one (no proxy from the environment).

    Raises:
        TransportSetupError: the adapter's library is not installed.
        TransportSetupError: a proxy was asked of an adapter without one.
    """

    def __init__(
        self, name: str, *, timeout: float, proxy: str | None = None, embedded: bool = False
    ) -> None:
        setup = _SETUPS[name]
        adapter, trio = _import(name)
        self.timeout = timeout
        self.blocking = setup.loop is None
        self._runner: asyncio.Runner | None = None
        if setup.loop == "asyncio":
            self._runner = asyncio.Runner()
        self._trio = trio
        accepted = _parameters(adapter)
        options = transport_options(name, accepted, timeout=timeout, proxy=proxy, embedded=embedded)
        self.transport: Any = adapter(**options)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run one coroutine on this runner's loop."""
        if self._runner is not None:
            return self._runner.run(coroutine)
        assert self._trio is not None

        async def wait() -> T:
            return await coroutine

        result: T = self._trio.run(wait)
        return result

    def call(self, call: Call[T]) -> T:
        """Send ``call``'s request and parse the answer (typed errors for error statuses)."""
        if self.blocking:
            return call.parse(self.transport.send(call.request))

        async def send() -> T:
            return call.parse(await self.transport.send(call.request))

        return self.run(send())

    def chat(
        self, config: ClientConfig, options: ReplyOptions, session: ChatSession | None = None
    ) -> ChatLink:
        """A chat client over this adapter with these reply options.

        Args:
            config: where and how to reach the API.
            options: the reply options (model, sampling, system prompt...).
            session: an existing chat's session (see ``ChatSession.resume``);
                by default the first turn creates a chat.
        """
        link: _BlockingChat | _AsyncChat
        if self.blocking:
            from ._sync import ChatClient

            timeout = self.timeout
            link = _BlockingChat(ChatClient(self.transport, config, options, idle_timeout=timeout))
        else:
            from ._async import AsyncChatClient

            client = AsyncChatClient(self.transport, config, options, idle_timeout=self.timeout)
            link = _AsyncChat(client, self.run)
        if session is not None:
            link.client.session = session
        return link

    def close(self) -> None:
        """Close the adapter (and the loop)."""
        try:
            if self.blocking:
                self.transport.close()
            else:
                self.run(self.transport.close())
        finally:
            if self._runner is not None:
                self._runner.close()


class _BlockingChat:
    def __init__(self, client: ChatClient) -> None:
        self.client = client

    @property
    def session(self) -> ChatSession:
        return self.client.session

    def turn(
        self, content: str | None, show: Callable[[StreamEvent], None]
    ) -> ReplyCompleted | ReplyFailed:
        stream = self.client.retry() if content is None else self.client.reply(content)
        with stream as events:
            for event in events:
                show(event)
        assert stream.outcome is not None  # iteration ends only after the final event
        return stream.outcome

    def close(self) -> None:
        self.client.close()


class _AsyncChat:
    def __init__(
        self, client: AsyncChatClient, run: Callable[[Coroutine[Any, Any, Any]], Any]
    ) -> None:
        self.client = client
        self._run = run

    @property
    def session(self) -> ChatSession:
        return self.client.session

    def turn(
        self, content: str | None, show: Callable[[StreamEvent], None]
    ) -> ReplyCompleted | ReplyFailed:
        outcome: ReplyCompleted | ReplyFailed = self._run(self._turn(content, show))
        return outcome

    async def _turn(
        self, content: str | None, show: Callable[[StreamEvent], None]
    ) -> ReplyCompleted | ReplyFailed:
        stream = self.client.retry() if content is None else self.client.reply(content)
        async with stream as events:
            async for event in events:
                show(event)
        assert stream.outcome is not None  # iteration ends only after the final event
        return stream.outcome

    def close(self) -> None:
        self._run(self.client.close())
