"""Reading a request body within the server's limits: size and time.

aiohttp reads a body only when asked and has no time limit of its own, so a
client could hold a connection by sending slowly, or make the server buffer
a huge body. The body is read here in pieces: a declared ``Content-Length``
over the limit is refused before anything is read, a body that grows past it
is refused as soon as it does; the caller puts a deadline on the read.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["BodyTooLargeError", "read_body"]


class BodyTooLargeError(Exception):
    """The body is (or says it is) larger than the limit."""


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body of ``request``, at most ``limit`` bytes (the caller bounds the time).

    Raises:
        BodyTooLargeError: the declared or actual size is over ``limit``.
        ConnectionError: the client went away.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyTooLargeError(f"declared {declared} bytes")
    pieces: list[bytes] = []
    size = 0
    while piece := await request.content.readany():
        size += len(piece)
        if size > limit:
            raise BodyTooLargeError(f"more than {limit} bytes")
        pieces.append(piece)
    return b"".join(pieces)
