"""Fixtures of the transport conformance suite: a fresh reference server and the harness."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oaproto.transports.server import ThreadedServer
from tests.helpers.transport_harness import ADAPTERS, SERVER_DEFAULTS, Harness


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    """A fresh reference server for one test (loopback, random port, one token)."""
    with ThreadedServer(warn_open_mode=False, **SERVER_DEFAULTS) as threaded:
        yield threaded


@pytest.fixture(params=ADAPTERS)
def harness(request: pytest.FixtureRequest, server: ThreadedServer) -> Harness:
    """The same scenarios over every adapter."""
    return Harness(request.param, server)
