"""Adapter-level properties: lazy imports, no shadowing, reprs, raw statuses."""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import pytest

from oaproto import HttpRequest
from oaproto.transports import StreamResponse
from oaproto.transports.server import ThreadedServer
from tests.helpers.transport_harness import ADAPTERS, make_transport

LIBRARIES = ("asyncio", "aiohttp", "httpx", "requests", "h11", "anyio", "trio", "urllib3")


# The pytest plugin loads in every test run of every project that installs
# oaproto, so it must cost no more than the package itself.
@pytest.mark.parametrize("module", ["oaproto.transports", "oaproto.transports.pytest_plugin"])
def test_importing_the_package_imports_no_http_or_async_library(module: str) -> None:
    code = f"import sys, {module};print([m for m in {LIBRARIES!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["requests", "httpx", "aiohttp"])
def test_adapter_modules_import_the_real_library(name: str) -> None:
    # ``oaproto/transports/requests.py`` does ``import requests``: with absolute
    # imports that is the library, not the module itself.
    module = importlib.import_module(f"oaproto.transports.{name}")
    library = getattr(module, name)
    assert library.__name__ == name
    assert "site-packages" in (library.__file__ or "")


def test_adapters_are_attributes_of_the_package_and_unknown_names_are_not() -> None:
    transports = importlib.import_module("oaproto.transports")
    assert transports.RequestsTransport.__name__ == "RequestsTransport"
    assert "H11Transport" in dir(transports)
    with pytest.raises(AttributeError):
        _ = transports.NoSuchTransport


def test_stream_response_repr_redacts_cookies() -> None:
    response = StreamResponse(200, (("set-cookie", "session=abc"),), iter(()))
    assert "abc" not in repr(response)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_error_statuses_and_bodies_come_back_unjudged(adapter: str, server: ThreadedServer) -> None:
    # A transport never raises for a status: an error status with its body is a response.
    request = HttpRequest(method="GET", url=f"{server.url}/chats/nope", headers=())
    response = run(adapter, request)
    assert response.status in (401, 403)  # no credentials sent
    assert isinstance(response.body, bytes)


def run(adapter: str, request: HttpRequest) -> Any:
    transport = make_transport(adapter, 5.0)
    if adapter in ("requests", "httpx"):
        with transport:
            return transport.send(request)
    import anyio

    async def send() -> Any:
        try:
            return await transport.send(request)
        finally:
            await transport.close()

    return anyio.run(send, backend="trio" if adapter == "h11-trio" else "asyncio")
