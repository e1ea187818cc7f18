"""``parse(chunks) -> events`` adapters for the peer parsers, the way their users feed them.

Each adapter gives the parser the reads exactly as its own I/O layer would
(no network: httpx reads the chunks from an in-memory stream) and returns
its events unchanged; the conformance kit reads their fields.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from httpx_sse import EventSource
from openai._streaming import SSEDecoder as OpenAIDecoder
from sseclient import SSEClient

from oaproto.sse import ServerSentEvent, SSEDecoder


def httpx_sse_parse(chunks: list[bytes]) -> list[object]:
    """httpx-sse's ``EventSource.iter_sse()`` over an httpx response streaming the reads."""
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=iter(chunks)
    )
    return list(EventSource(response).iter_sse())


def sseclient_parse(chunks: list[bytes]) -> list[object]:
    """sseclient-py's ``SSEClient(reads).events()``."""
    return list(SSEClient(iter(chunks)).events())


def openai_parse(chunks: list[bytes]) -> list[object]:
    """The openai SDK's ``SSEDecoder().iter_bytes(reads)``."""
    reads: Iterator[bytes] = iter(chunks)
    return list(OpenAIDecoder().iter_bytes(reads))


def oaproto_parse(chunks: list[bytes]) -> list[ServerSentEvent]:
    """oaproto's own ``SSEDecoder``: every read fed, then ``close()``."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


def not_events(chunks: list[bytes]) -> list[object]:
    """Returns what no event can be read from: for the kit's usage errors."""
    return [len(chunk) for chunk in chunks]


def raising_parse(chunks: list[bytes]) -> list[object]:
    """Raises TypeError on every body: a parser's own error is a finding, not a usage error."""
    raise TypeError(f"cannot parse {len(chunks)} reads")
