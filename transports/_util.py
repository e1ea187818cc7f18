"""Helpers shared by adapters and drivers: exception mapping, secret scrubbing, defaults."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from contextlib import contextmanager

from oaproto import TransportError

__all__ = [
    "CLEANUP_TIMEOUT",
    "IDLE_TIMEOUT",
    "REPLY_TIMEOUT",
    "ExceptionMap",
    "MappedAsyncChunks",
    "cleanup_failure_noted_on",
    "map_chunks",
    "map_exceptions",
    "mapped_error",
    "scrub",
    "shut_down",
]

#: Default longest wait for reply progress (a token, plugin step or final
#: event), in seconds. Queue updates and keep-alive pings do not count: a
#: cancelled message sends them forever.
IDLE_TIMEOUT = 180.0
#: Default longest time from opening a reply's stream to its final event, in seconds.
REPLY_TIMEOUT = 600.0
#: Default bound on each cleanup step (closing a stream, deleting the chat), in seconds.
CLEANUP_TIMEOUT = 10.0


#: Library exception type -> the oaproto error to raise instead; the first match wins.
ExceptionMap = Mapping[type[BaseException], type[TransportError]]

# ``scheme://user:password@host``: proxy URLs carry credentials this way, and
# some libraries put the proxy URL into their error messages.
_USERINFO = re.compile(r"(?<=//)[^/@\s]*@")


def scrub(text: str) -> str:
    """Remove URL credentials (``user:password@``) from ``text``."""
    return _USERINFO.sub("<redacted>@", text)


def _candidates(exc: BaseException) -> tuple[BaseException, ...]:
    # requests wraps urllib3's read timeout in a plain ConnectionError while
    # streaming (``iter_content``), so a wrapped first argument is looked at too.
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    return (exc,) if inner is None else (exc, inner)


@contextmanager
def cleanup_failure_noted_on(exc: BaseException | None) -> Iterator[None]:
    """Let a cleanup failure propagate, unless ``exc`` is already ending the block.

    Then the failure (and its own notes) become notes on ``exc`` instead:
    the exception that ended the block says why, and must never be replaced
    by its cleanup's.
    """
    try:
        yield
    except Exception as failure:
        if exc is None:
            raise
        exc.add_note(f"oaproto cleanup failed too: {type(failure).__name__}: {failure}")
        for note in getattr(failure, "__notes__", ()):
            exc.add_note(note)  # e.g. that the chat may remain on the server


@contextmanager
def map_exceptions(mapping: ExceptionMap) -> Iterator[None]:
    """Re-raise library exceptions as oaproto transport errors, ``from`` the original.

    Only ``Exception`` subclasses are mapped: cancellation, ``KeyboardInterrupt``
    and ``GeneratorExit`` pass through untouched. The message names the
    library's exception type and its text, with URL credentials removed.
    """
    try:
        yield
    except Exception as exc:
        error = mapped_error(mapping, exc)
        if error is None:
            raise
        raise error from exc


def mapped_error(mapping: ExceptionMap, exc: Exception) -> TransportError | None:
    """The transport error that :func:`map_exceptions` raises for ``exc``, or ``None``."""
    if isinstance(exc, TransportError):
        return None
    for library_type, error_type in mapping.items():
        if any(isinstance(candidate, library_type) for candidate in _candidates(exc)):
            detail = scrub(str(exc)) or "no detail"
            return error_type(f"{type(exc).__name__}: {detail}")
    return None


def shut_down(sock: socket.socket | None) -> None:
    """Shut ``sock`` down both ways: a read waiting on it in another thread ends at once.

    (Closing the socket would not wake that read.) Errors are ignored: the
    socket may be closed already.
    """
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def map_chunks(chunks: Iterator[bytes], mapping: ExceptionMap) -> Generator[bytes, None, None]:
    """``chunks`` with errors mapped by :func:`map_exceptions`; closing it closes ``chunks``."""
    try:
        with map_exceptions(mapping):
            yield from chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


class MappedAsyncChunks:
    """The asynchronous :func:`map_chunks`, as an object; close it with ``aclosing``.

    Iterating it maps errors like :func:`map_exceptions`. The asynchronous
    driver's body reader reads ``source`` itself and maps its errors in its
    own handler: an async generator layer per chunk (an event is a chunk) is
    a tenth of the stream's cost.
    """

    __slots__ = ("errors", "source")

    def __init__(self, source: AsyncIterator[bytes], errors: ExceptionMap) -> None:
        self.source = source
        self.errors = errors

    def __aiter__(self) -> MappedAsyncChunks:
        return self

    async def __anext__(self) -> bytes:
        with map_exceptions(self.errors):
            return await self.source.__anext__()

    async def aclose(self) -> None:
        """Close ``source``, which closing a wrapper would not do by itself.

        Left to the garbage collector, an async generator is finalized
        "sometime later" (trio docs), holding its connection until then.
        """
        aclose = getattr(self.source, "aclose", None)
        if aclose is not None:
            with map_exceptions(self.errors):
                await aclose()
