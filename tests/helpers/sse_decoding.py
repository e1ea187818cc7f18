"""Shared helpers for the SSE tests: feed a body through every chunking worth trying."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from oaproto.sse import ServerSentEvent, SSEDecoder


@dataclass
class Decoded:
    """Everything a body produced: the events and the stream-level state at the end."""

    events: list[ServerSentEvent]
    last_event_id: str
    retry: int | None


def decode(chunks: list[bytes], **limits: int | None) -> Decoded:
    """Feed ``chunks`` to a fresh decoder, then close it."""
    decoder = SSEDecoder(**limits)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    last_event_id, retry = decoder.last_event_id, decoder.retry
    events += decoder.close()
    return Decoded(events, last_event_id, retry)


def split_at(data: bytes, points: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets."""
    bounds = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


def chunkings(data: bytes, *, seed: int = 0, exhaustive_below: int = 300) -> Iterator[list[bytes]]:
    """Whole, one byte at a time, every two-piece cut (for short bodies), and random cuts."""
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    if len(data) <= exhaustive_below:
        for i in range(1, len(data)):
            yield [data[:i], data[i:]]
    rnd = random.Random(seed)
    for _ in range(20):
        points = [rnd.randrange(len(data) + 1) for _ in range(rnd.randint(1, 12))]
        yield split_at(data, points)
    for _ in range(5):
        size = rnd.choice([2, 3, 7, 64, 130])
        yield [data[i : i + size] for i in range(0, len(data), size)]


def assert_every_chunking(
    data: bytes,
    events: list[ServerSentEvent],
    *,
    last_event_id: str | None = None,
    retry: int | str | None = "any",
) -> None:
    """The body gives ``events`` (and the final state, if given) however it is cut."""
    for chunks in chunkings(data):
        got = decode(chunks)
        assert got.events == events, chunks
        if last_event_id is not None:
            assert got.last_event_id == last_event_id, chunks
        if retry != "any":
            assert got.retry == retry, chunks
