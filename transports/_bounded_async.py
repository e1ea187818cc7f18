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
import time
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager, AsyncExitStack, nullcontext
from types import TracebackType
from typing import Any, NoReturn, TypeVar

from oaproto import HttpRequest, HttpResponse, TransportTimeoutError

from ._protocols import AsyncStreamResponse, AsyncTransport
from ._util import MappedAsyncChunks, mapped_error

__all__ = ["BodyReader", "DeferredCancellation", "close_bounded", "send_bounded"]

T = TypeVar("T")


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


#: The most body bytes read ahead of the driver on asyncio before reading pauses.
READ_AHEAD_LIMIT = 256 * 1024

_END = StopAsyncIteration()  # how a body that ended without error ends


class BodyReader:
    """Reads one response body, each read bounded by the driver's deadline.

    httpx hands over one ~60-byte chunk per event, through a stack of
    generators, and every chunk that reaches the driver costs a pass through
    the core and the driver. On asyncio a task of the stream's own therefore
    reads ahead (up to :data:`READ_AHEAD_LIMIT` bytes) while the driver
    works, and each read of the driver takes everything read so far, joined:
    a chunk per event becomes a chunk per wait. A read that must wait waits
    for the reading task with the driver's deadline: one timer serves the
    whole stream (it is re-armed only when it fires early, and fails a wait
    still pending past the deadline). On trio each read gets trio's own
    scope, as there is no task without a nursery.
    """

    def __init__(self, response: AsyncStreamResponse) -> None:
        chunks = response.chunks
        # Our adapters' chunks: read their source and map its errors here.
        mapped = chunks if type(chunks) is MappedAsyncChunks else None
        self._next = chunks.__anext__ if mapped is None else mapped.source.__anext__
        self._errors = None if mapped is None else mapped.errors
        self._asyncio: bool | None = None  # decided by the first read
        self._buffer: list[bytes] = []  # read ahead, not yet taken
        self._buffered = 0  # their size
        self._end: Exception | None = None  # _END, or the reading task's error
        self._reading: asyncio.Task[None] | None = None
        self._waiter: asyncio.Future[None] | None = None  # a read waiting for data
        self._room: asyncio.Future[None] | None = None  # reading paused for room
        self._timer: asyncio.TimerHandle | None = None
        self._deadline = math.inf  # of the read waiting (time.monotonic())

    async def next_chunk(self, deadline: float) -> bytes | None:
        """The body bytes that arrived since the last call, or ``None`` at its end.

        Args:
            deadline: when to give up waiting, in ``time.monotonic()`` seconds.

        Raises:
            TimeoutError: no bytes arrived by ``deadline``.
            TransportError: the body broke off (after the bytes before it).
        """
        if self._asyncio is None:
            self._asyncio = _on_asyncio()
        if not self._asyncio:
            return await self._next_chunk_off_asyncio(deadline)
        buffer = self._buffer
        if not buffer and self._end is None:
            await self._wait(deadline)
        if buffer:
            chunk = buffer[0] if len(buffer) == 1 else b"".join(buffer)
            buffer.clear()
            self._buffered = 0
            room = self._room
            if room is not None:
                self._room = None
                if not room.done():
                    room.set_result(None)
            return chunk
        end = self._end
        if end is _END:
            return None
        assert end is not None
        return self._raise(end)

    def _raise(self, exc: Exception) -> NoReturn:
        """Raise ``exc`` as the adapter maps it (a ``TransportError`` passes as it is)."""
        error = None if self._errors is None else mapped_error(self._errors, exc)
        if error is None:
            raise exc
        raise error from exc

    async def _next_chunk_off_asyncio(self, deadline: float) -> bytes | None:
        # trio's own scope: anyio's wrapper around it costs half as much again.
        import trio

        timeout = deadline - time.monotonic()
        with trio.CancelScope(deadline=trio.current_time() + timeout) as scope:
            try:
                return await self._next()
            except StopAsyncIteration:
                return None
            except Exception as exc:  # noqa: BLE001 - mapped, and raised
                return self._raise(exc)
        assert scope.cancelled_caught
        raise TimeoutError

    async def _wait(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        if self._reading is None:
            self._reading = loop.create_task(self._read_ahead())
        self._waiter = waiter = loop.create_future()
        self._deadline = deadline
        if self._timer is None and deadline != math.inf:
            self._arm()
        try:
            await waiter
        finally:
            self._waiter = None

    async def _read_ahead(self) -> None:
        # The stream's reading task: never raises, it leaves how the body ended in _end.
        buffer = self._buffer
        next_chunk = self._next
        try:
            while True:
                chunk = await next_chunk()
                buffer.append(chunk)
                self._buffered += len(chunk)
                self._wake()
                if self._buffered >= READ_AHEAD_LIMIT:
                    self._room = room = asyncio.get_running_loop().create_future()
                    await room
        except StopAsyncIteration:
            self._end = _END
        except Exception as exc:  # noqa: BLE001 - kept, and raised by the read that reaches it
            self._end = exc
        finally:
            if self._end is None:  # cancelled by close(): the body was not read to its end
                self._end = _END
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._deadline - time.monotonic()
        self._timer = loop.call_at(loop.time() + delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return  # no read waits; the next one arms the timer again
        if time.monotonic() >= self._deadline:
            waiter.set_exception(TimeoutError())
        else:
            self._arm()

    async def close(self) -> None:
        """Stop the timer and the reading task (the stream is being closed).

        The reading task is waited for: the adapter closes the library's
        iterator next, which must not be in use then.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        reading = self._reading
        if reading is not None and not reading.done():
            reading.cancel()
            await asyncio.wait((reading,))


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
