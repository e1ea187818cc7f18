"""The blocking driver's bounded waits; ``_bounded_async.py`` has the same three functions.

A blocking call cannot be interrupted from outside, so the bounds here are the
transport's own timeouts: each read is bounded by its read timeout, and the
driver checks its idle and reply deadlines between reads.
"""

from __future__ import annotations

from contextlib import ExitStack

from oaproto import HttpRequest, HttpResponse

from ._protocols import StreamResponse, SyncTransport

__all__ = ["BodyReader", "close_bounded", "send_bounded"]


class BodyReader:
    """Reads one response body; the twin of the asynchronous ``BodyReader``."""

    def __init__(self, response: StreamResponse) -> None:
        self._chunks = response.chunks

    def next_chunk(self, timeout: float) -> bytes | None:
        """The next body chunk, or ``None`` at the end of the body.

        ``timeout`` is not enforced yet (the transport's read timeout bounds the read).
        """
        del timeout
        return next(self._chunks, None)

    def stop(self) -> None:
        """Nothing to release."""


def close_bounded(stream: ExitStack, timeout: float) -> None:
    """Close a response: a local socket close, which does not block."""
    del timeout
    stream.close()


def send_bounded(transport: SyncTransport, request: HttpRequest, timeout: float) -> HttpResponse:
    """Send ``request`` with the transport's timeout lowered to ``timeout`` seconds."""
    return transport.send(request, timeout=timeout)
