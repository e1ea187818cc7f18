"""pytest fixtures that run the oaproto reference server on a free loopback port.

Installed with oaproto as the ``pytest11`` entry point ``oaproto``, so every
pytest run loads it. Importing it is cheap and never needs aiohttp: the
server is imported when a fixture is first used.

Fixtures:

``oa_server``
    A fresh server for one test (a :class:`~oaproto.transports.server.ThreadedServer`):
    ``.url``, ``.requests``, ``.chats()``, ``.deleted_chat_ids``,
    ``.faults.add(...)``. Configure it with the ``oa_server`` marker, whose
    keyword arguments are :class:`~oaproto.transports.server.ServerConfig`
    fields::

        @pytest.mark.oa_server(tokens=["secret"], token_delay=0)
        def test_login(oa_server):
            ...

``oa_server_session``
    One server shared by the whole session (defaults only). Faults and
    recorded requests are shared too: clear what you arm.

``oa_server_factory``
    A function that starts servers with any configuration; all are stopped
    after the test: ``server = oa_server_factory(tokens=["a"], workers=1)``.

Unless overridden, these servers use test-friendly timings: tokens 10 ms
apart (an answer streams for about half a second), ``pending`` every 0.2 s,
and no start-up warning about open mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .server import ThreadedServer

__all__ = ["TEST_DEFAULTS", "oa_server", "oa_server_factory", "oa_server_session"]

#: Config overrides every fixture applies unless the test overrides them.
TEST_DEFAULTS: dict[str, Any] = {"token_delay": 0.01, "pending_interval": 0.2}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "oa_server(**fields): ServerConfig fields for the oa_server fixture "
        "(oaproto reference server)",
    )


def _start(overrides: dict[str, Any]) -> ThreadedServer:
    try:
        from .server import ThreadedServer
    except ImportError as exc:  # pragma: no cover - depends on the installation
        pytest.fail(
            f"the oa_server fixtures need aiohttp (pip install 'oaproto[server]'): {exc}",
            pytrace=False,
        )
    server = ThreadedServer(warn_open_mode=False, **{**TEST_DEFAULTS, **overrides})
    server.start()
    return server


@pytest.fixture
def oa_server(request: pytest.FixtureRequest) -> Iterator[ThreadedServer]:
    """A reference server for this test; configure with ``@pytest.mark.oa_server(...)``."""
    marker = request.node.get_closest_marker("oa_server")
    server = _start(dict(marker.kwargs) if marker is not None else {})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def oa_server_session() -> Iterator[ThreadedServer]:
    """One reference server for the whole test session."""
    server = _start({})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def oa_server_factory() -> Iterator[Callable[..., ThreadedServer]]:
    """Start servers with any ``ServerConfig`` fields; all stop after the test."""
    started: list[ThreadedServer] = []

    def start(**overrides: Any) -> ThreadedServer:
        server = _start(overrides)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in reversed(started):
            server.stop()
