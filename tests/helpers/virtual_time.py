"""Event loops on virtual time, for properties about *when* things happen.

A test that cancels a cleanup "0.03 s into it" and expects a 0.002 s answer to
beat a 0.05 s bound holds on an idle machine and fails when the machine is busy
(a stalled process sees every timer due at once). On virtual time the clock
moves only when every task waits: it jumps to the next timer, so the order of
events is the one the test describes, whatever the load, and a "hang" costs no
wall time. Only for tests without real I/O: a loop that waits for a socket
would jump past its timeouts instead.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import trio.testing

T = TypeVar("T")


class _TimeJumpingSelector(selectors.BaseSelector):
    """A selector that, instead of blocking until the next timer, moves the clock to it."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._real = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError("virtual time: every task waits and no timer is due: a deadlock")
        self._loop.now += timeout
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` advances only when every task waits."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_TimeJumpingSelector(self))

    def time(self) -> float:
        return self.now


def run_on_virtual_time(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a :class:`VirtualTimeLoop`."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main)


def anyio_virtual_time_options(backend: str) -> dict[str, object]:
    """``anyio.run(..., backend_options=...)`` that put ``backend`` on virtual time."""
    if backend == "trio":
        return {"clock": trio.testing.MockClock(autojump_threshold=0)}
    return {"loop_factory": VirtualTimeLoop}
