"""The asynchronous driver's bounded waits: chunk reads with a deadline, shielded cleanup.

Cleanup must finish even when the task is being cancelled, but must not hang
forever (encode/httpcore#726), so it runs under a *bounded* shield:

* trio (and any other anyio backend): ``anyio.move_on_after(t, shield=True)``.
* asyncio: a native ``Task.cancel()`` (``asyncio.timeout``, ``task.cancel()``)
  is not stopped by an anyio shield, so the work runs in its own task, which
  no cancellation of ours can reach, and we wait for it up to ``t`` seconds.
  A cancellation that arrives meanwhile is held back by a
  :class:`DeferredCancellation` and raised when the whole cleanup is over,
  inside the scope that asked for it, as a shield would. anyio's own
  (level-triggered) cancellation is held off with an anyio shield when
  anyio is in use.

anyio is imported only off asyncio, so the aiohttp transport needs no anyio.
The ``timeout`` arguments (ASYNC109) are the point: these helpers *are* the scopes.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractContextManager, AsyncExitStack, nullcontext
from types import TracebackType
from typing import Any, TypeVar

from oaproto import HttpRequest, HttpResponse, TransportTimeoutError

from ._protocols import AsyncTransport

__all__ = ["DeferredCancellation", "close_bounded", "next_chunk", "send_bounded"]

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


class DeferredCancellation:
    """Holds back the cancellations that arrive during cleanup, and raises one at its end.

    ``with DeferredCancellation() as deferred:`` around the cleanup steps, each
    given ``deferred``. Raising the held-back ``CancelledError`` on leaving
    the block (not scheduling a new one) delivers it inside the scope that
    asked for it: ``asyncio.timeout`` turns it into ``TimeoutError``, a
    cancelled task ends cancelled, and nothing is left pending for the
    caller's next await. It is not uncancelled: the request still counts,
    for its scope to consume.
    """

    def __init__(self) -> None:
        self._held: asyncio.CancelledError | None = None

    def hold(self, cancelled: asyncio.CancelledError) -> None:
        """Keep ``cancelled`` (the first one) for the end of the block."""
        if self._held is None:
            self._held = cancelled

    def __enter__(self) -> DeferredCancellation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        held, self._held = self._held, None
        # A cancellation (or KeyboardInterrupt) already on its way out stands
        # for the held one; a cleanup error does not: it becomes its context.
        if held is not None and (exc is None or isinstance(exc, Exception)):
            raise held


async def close_bounded(
    stream: AsyncExitStack,
    timeout: float,  # noqa: ASYNC109
    deferred: DeferredCancellation,
) -> None:
    """Close a response, shielded from cancellation for at most ``timeout`` seconds."""
    await _bounded(stream.aclose, timeout, "closing the reply stream", deferred)


async def send_bounded(
    transport: AsyncTransport,
    request: HttpRequest,
    timeout: float,  # noqa: ASYNC109
    deferred: DeferredCancellation,
) -> HttpResponse:
    """Send ``request``, shielded from cancellation for at most ``timeout`` seconds."""
    return await _bounded(
        lambda: transport.send(request), timeout, f"{request.method} {request.url}", deferred
    )


async def _bounded(
    work: Callable[[], Coroutine[Any, Any, T]],
    timeout: float,  # noqa: ASYNC109
    what: str,
    deferred: DeferredCancellation,
) -> T:
    if not _on_asyncio():
        import anyio

        with anyio.move_on_after(timeout, shield=True):
            return await work()
        raise TransportTimeoutError(f"{what}: gave up after {timeout} s")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with _anyio_shield():
        task = loop.create_task(work())
        try:
            while not task.done() and (remaining := deadline - loop.time()) > 0:
                try:
                    await asyncio.wait((task,), timeout=remaining)
                except asyncio.CancelledError as cancelled:
                    deferred.hold(cancelled)
        finally:
            gave_up = not task.done()
            if gave_up:  # the deadline passed (or we failed): never orphan the work
                task.cancel()
                task.add_done_callback(_retrieve)
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
