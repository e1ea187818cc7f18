"""Server-Sent Events, exactly as the WHATWG HTML standard parses them.

:class:`SSEDecoder` turns bytes, in pieces of any size, into
:class:`ServerSentEvent` values; :func:`encode_sse` and :func:`comment` write
the frames a server sends. Standard library only; usable for any SSE stream.
"""

from __future__ import annotations

from ._sse import ServerSentEvent, SSEDecoder, comment, encode_sse

__all__ = ["SSEDecoder", "ServerSentEvent", "comment", "encode_sse"]
