"""Fixtures of the transport conformance suite: a fresh reference server and the harness."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oaproto.transports.server import ThreadedServer, run_in_thread
from tests.helpers.transport_harness import ADAPTERS, SERVER_DEFAULTS, Harness


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    """A fresh reference server for one test (loopback, random port, one token)."""
    threaded = run_in_thread(warn_open_mode=False, **SERVER_DEFAULTS)
    try:
        yield threaded
    finally:
        threaded.stop()


@pytest.fixture(params=ADAPTERS)
def harness(request: pytest.FixtureRequest, server: ThreadedServer) -> Harness:
    """The same scenarios over every adapter."""
    return Harness(request.param, server)
