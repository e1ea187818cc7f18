"""The asynchronous driver's bounded waits: chunk reads with a deadline, shielded cleanup.

Cleanup must finish even when the task is being cancelled, but must not hang
forever (encode/httpcore#726), so it runs under a *bounded* shield:

* trio (and any other anyio backend): ``anyio.move_on_after(t, shield=True)``.
* asyncio: a native ``Task.cancel()`` (``asyncio.wait_for``, ``task.cancel()``)
  is not stopped by an anyio shield, so the work runs in its own task, which
  no cancellation of ours can reach, and we wait for it up to ``t`` seconds.
  A cancellation that arrives meanwhile is held back and delivered again
  once the work is done, as a shield would. anyio's own (level-triggered)
  cancellation is held off with an anyio shield when anyio is in use.

anyio is imported only off asyncio, so the aiohttp transport needs no anyio.
The ``timeout`` arguments (ASYNC109) are the point: these helpers *are* the scopes.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractContextManager, AsyncExitStack, nullcontext
from typing import Any, TypeVar

from oaproto import HttpRequest, HttpResponse, TransportTimeoutError

from ._protocols import AsyncTransport

__all__ = ["close_bounded", "next_chunk", "send_bounded"]

T = TypeVar("T")


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def next_chunk(
    chunks: AsyncIterator[bytes],
    timeout: float,  # noqa: ASYNC109
) -> bytes | None:
    """The next body chunk, ``None`` at the end of the body, or ``b""`` if ``timeout`` expired."""
    if _on_asyncio():
        scope = asyncio.timeout(None if math.isinf(timeout) else timeout)
        try:
            async with scope:
                return await anext(chunks, None)
        except TimeoutError:
            if not scope.expired():
                raise
            return b""
    import anyio

    with anyio.move_on_after(timeout):
        return await anext(chunks, None)
    return b""


async def close_bounded(stream: AsyncExitStack, timeout: float) -> None:  # noqa: ASYNC109
    """Close a response, shielded from cancellation for at most ``timeout`` seconds."""
    await _bounded(stream.aclose, timeout, "closing the reply stream")


async def send_bounded(
    transport: AsyncTransport,
    request: HttpRequest,
    timeout: float,  # noqa: ASYNC109
) -> HttpResponse:
    """Send ``request``, shielded from cancellation for at most ``timeout`` seconds."""
    return await _bounded(
        lambda: transport.send(request), timeout, f"{request.method} {request.url}"
    )


async def _bounded(
    work: Callable[[], Coroutine[Any, Any, T]],
    timeout: float,  # noqa: ASYNC109
    what: str,
) -> T:
    if not _on_asyncio():
        import anyio

        with anyio.move_on_after(timeout, shield=True):
            return await work()
        raise TransportTimeoutError(f"{what}: gave up after {timeout} s")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    held_back = False
    with _anyio_shield():
        task = loop.create_task(work())
        try:
            while not task.done() and (remaining := deadline - loop.time()) > 0:
                try:
                    await asyncio.wait((task,), timeout=remaining)
                except asyncio.CancelledError:
                    held_back = True
        finally:
            gave_up = not task.done()
            if gave_up:  # the deadline passed (or we failed): never orphan the work
                task.cancel()
                task.add_done_callback(_retrieve)
    if held_back:
        # Deliver the held-back cancellation at the next await, counted once.
        current = asyncio.current_task()
        assert current is not None
        current.uncancel()
        current.cancel()
    if gave_up:
        raise TransportTimeoutError(f"{what}: gave up after {timeout} s")
    return task.result()


def _anyio_shield() -> AbstractContextManager[object]:
    # Only a caller already using anyio can have an anyio cancel scope around
    # us, so anyio is used if (and only if) something imported it already.
    anyio: Any = sys.modules.get("anyio")
    if anyio is None:
        return nullcontext()
    shield: AbstractContextManager[object] = anyio.CancelScope(shield=True)
    return shield


def _retrieve(task: asyncio.Task[Any]) -> None:
    # Read the abandoned task's outcome so asyncio logs nothing about it.
    if not task.cancelled():
        task.exception()
