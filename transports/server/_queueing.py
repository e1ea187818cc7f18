"""The two queues of the inference server: per-message events and the work queue.

Real server: Redis lists read with ``BLPOP`` (OA ``queueing.py``). What a
client can observe, and what is copied here:

- each item of a message's queue goes to exactly one reader; two readers
  split the stream;
- a late reader gets the buffered items, unless they expired
  (``message_queue_expire`` after the last push);
- the work queue keeps enqueue/dequeue counters and each message's
  1-based enqueue position, from which ``pending`` events are computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from dataclasses import dataclass

from ._event_items import EventItem

__all__ = ["MessageChannel", "QueueFullError", "WorkQueue"]


class MessageChannel:
    """The per-message event list: FIFO, each item delivered to one reader only."""

    def __init__(self, expire: float) -> None:
        self._items: deque[EventItem] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._expire = expire
        self._last_push = time.monotonic()

    def put(self, item: EventItem) -> None:
        """Queue one event and wake one waiting reader."""
        self._items.append(item)
        self._last_push = time.monotonic()
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def wake_all(self) -> None:
        """Wake every reader (used at shutdown; they then see the server closing)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _pop(self) -> EventItem | None:
        if self._items and time.monotonic() - self._last_push > self._expire:
            self._items.clear()  # the Redis key expired
        return self._items.popleft() if self._items else None

    async def get(self, wait: float, closing: asyncio.Event) -> EventItem | None:
        """The next item, or ``None`` after ``wait`` seconds (or at shutdown)."""
        item = self._pop()
        if item is not None:
            return item
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not closing.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            handle = loop.call_later(remaining, _resolve, waiter)
            try:
                await waiter
            finally:
                handle.cancel()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            item = self._pop()
            if item is not None:
                if self._items:
                    self._wake_one()  # pass the baton if more is waiting
                return item
        return None


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class QueueFullError(Exception):
    """``work_queue_max_size`` reached: the route answers 503."""


@dataclass(slots=True)
class _Entry:
    message_id: str
    not_before: float


class WorkQueue:
    """The work queue with the counters ``pending`` events are computed from."""

    def __init__(self, max_size: int | None) -> None:
        self._entries: list[_Entry] = []
        self._max_size = max_size
        self._changed = asyncio.Event()
        self.enqueued = 0
        self.dequeued = 0
        self._positions: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def enqueue(self, message_id: str, *, hold: float = 0.0) -> None:
        """Add a message; ``hold`` seconds keep workers off it (``math.inf``: forever).

        Raises:
            QueueFullError: the queue already holds ``max_size`` messages.
        """
        if self._max_size is not None and len(self._entries) >= self._max_size:
            raise QueueFullError
        self.enqueued += 1
        self._positions[message_id] = self.enqueued
        self._entries.append(_Entry(message_id, time.monotonic() + hold))
        self._changed.set()

    def numbers(self, message_id: str) -> tuple[int, int]:
        """``(queue_position, queue_size)`` as the events route computes them."""
        position = max(self._positions.get(message_id, 0) - self.dequeued, 0)
        size = max(self.enqueued - self.dequeued, position)
        return position, size

    async def dequeue(self) -> str:
        """Wait for the oldest message workers may take, and take it."""
        while True:
            now = time.monotonic()
            wake_at = math.inf
            for index, entry in enumerate(self._entries):
                if entry.not_before <= now:
                    del self._entries[index]
                    self.dequeued += 1
                    return entry.message_id
                wake_at = min(wake_at, entry.not_before)
            self._changed.clear()
            timeout = None if math.isinf(wake_at) else max(wake_at - now, 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
