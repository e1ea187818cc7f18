"""The blocking driver's bounded waits; ``_bounded_async.py`` has the same names.

A blocking call cannot be interrupted from outside, so the bounds here are the
transport's own timeouts: each read is bounded by its read timeout, and the
driver checks its idle and reply deadlines between reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

from oaproto import HttpRequest, HttpResponse

from ._protocols import SyncTransport

__all__ = ["DeferredCancellation", "close_bounded", "next_chunk", "send_bounded"]


class DeferredCancellation:
    """Nothing to hold back: a blocking call is never cancelled (see the asynchronous twin)."""

    def __enter__(self) -> DeferredCancellation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def next_chunk(chunks: Iterator[bytes], timeout: float) -> bytes | None:
    """The next body chunk, or ``None`` at the end of the body.

    ``timeout`` is not enforced (the transport's read timeout bounds the
    read); the asynchronous twin returns ``b""`` when it expires first.
    """
    del timeout
    return next(chunks, None)


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
