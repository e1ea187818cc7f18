"""The virtual-time loops the timing properties run on: time jumps, order holds, deadlocks show."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

from tests.helpers.virtual_time import anyio_virtual_time_options, run_on_virtual_time


async def timers_in_order() -> tuple[list[str], float]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    fired: list[str] = []

    async def after(delay: float, name: str) -> None:
        await asyncio.sleep(delay)
        fired.append(name)

    await asyncio.gather(after(3600.0, "hour"), after(0.002, "fast"), after(0.05, "bound"))
    return fired, loop.time() - start


def test_the_clock_jumps_to_each_timer_in_order() -> None:
    wall = time.monotonic()
    fired, elapsed = run_on_virtual_time(timers_in_order())
    assert fired == ["fast", "bound", "hour"]
    assert elapsed == pytest.approx(3600.0)
    assert time.monotonic() - wall < 30  # an hour of virtual time is no hour of ours


async def wait_forever() -> None:
    await asyncio.get_running_loop().create_future()


def test_a_deadlock_is_reported_instead_of_hanging() -> None:
    with pytest.raises(RuntimeError, match="deadlock"):
        run_on_virtual_time(wait_forever())


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_backends_run_on_virtual_time(backend: str) -> None:
    async def sleep_an_hour() -> float:
        start = anyio.current_time()
        with anyio.move_on_after(0.05) as scope:
            await anyio.sleep(3600)
        assert scope.cancelled_caught
        await anyio.sleep(3600)
        return anyio.current_time() - start

    options = anyio_virtual_time_options(backend)
    elapsed = anyio.run(sleep_an_hour, backend=backend, backend_options=options)
    assert elapsed == pytest.approx(3600.05)
