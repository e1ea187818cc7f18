"""The blocking driver's bounded waits; ``_bounded_async.py`` has the same names.

A blocking call cannot be cancelled from outside. A body read is ended at the
driver's deadline by the transport's ``interrupt`` (see :class:`BodyReader`);
cleanup is bounded by the transport's own timeout, lowered for it.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import ExitStack

from oaproto import HttpRequest, HttpResponse, TransportError

from ._protocols import StreamResponse, SyncTransport

__all__ = ["BodyReader", "DeferredCancellation", "close_bounded", "send_bounded"]


class DeferredCancellation:
    """Nothing to hold back: a blocking call is never cancelled (see the asynchronous twin)."""

    def __enter__(self) -> DeferredCancellation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


class BodyReader:
    """Reads one response body; each read ends by the driver's deadline.

    A blocking read cannot be cancelled, so a watchdog thread (one per
    stream, started by the first bounded read) ends a read that is still
    waiting at the deadline through the transport's ``interrupt`` (a socket
    shutdown). Reads only write the deadline: the watchdog looks at it at
    least every :data:`WATCH_INTERVAL` seconds, never woken per chunk.
    Without ``interrupt`` only the transport's read timeout bounds a read.
    """

    def __init__(self, response: StreamResponse) -> None:
        self._chunks = response.chunks
        self._interrupt = response.interrupt
        self._deadline = math.inf  # of the read in progress (monotonic)
        self._stopped = threading.Event()
        self._watching = False
        self._fired = False

    def next_chunk(self, deadline: float) -> bytes | None:
        """The next body chunk, or ``None`` at the end of the body.

        Args:
            deadline: when to give up, in ``time.monotonic()`` seconds.

        Raises:
            TimeoutError: no chunk arrived by ``deadline``.
        """
        if self._interrupt is not None and deadline != math.inf:
            self._deadline = deadline
            if not self._watching:
                self._watching = True
                threading.Thread(
                    target=_watch,
                    args=(weakref.ref(self), self._interrupt, self._stopped),
                    name="oaproto-read-deadline",
                    daemon=True,
                ).start()
        try:
            chunk = next(self._chunks, None)
        except TransportError as exc:
            if self._fired:
                raise TimeoutError from exc
            raise
        finally:
            self._deadline = math.inf
        if self._fired:  # the interrupt ended the body
            raise TimeoutError
        return chunk

    def close(self) -> None:
        """End the watchdog (the stream is being closed)."""
        self._stopped.set()


#: How often the watchdog looks at the deadline when no read is waiting, in seconds.
WATCH_INTERVAL = 0.1


def _watch(
    reader: weakref.ref[BodyReader], interrupt: Callable[[], None], stopped: threading.Event
) -> None:
    # Holds the reader weakly: a stream dropped without close() ends it too.
    wait = 0.0
    while not stopped.wait(wait):
        current = reader()
        if current is None:
            return
        remaining = current._deadline - time.monotonic()
        if remaining <= 0:
            current._fired = True
            interrupt()
            return
        wait = min(remaining, WATCH_INTERVAL)
        del current


def close_bounded(stream: ExitStack, timeout: float, deferred: DeferredCancellation) -> None:
    """Close a response: a local socket close, which does not block."""
    del timeout, deferred
    stream.close()


def send_bounded(
    transport: SyncTransport,
    request: HttpRequest,
    timeout: float,
    deferred: DeferredCancellation,
) -> HttpResponse:
    """Send ``request`` with the transport's timeout lowered to ``timeout`` seconds."""
    del deferred
    return transport.send(request, timeout=timeout)
