"""``H11Transport`` over TLS (anyio's TLS streams), on asyncio and trio.

The reference server speaks plain http, so a tiny aiohttp app serves https
here, with a throwaway certificate authority made in memory by ``trustme``.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme
from aiohttp import web

from oaproto import HttpRequest, TransportError
from oaproto.transports.h11_anyio import H11Transport

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_url(certificate_authority: trustme.CA) -> Iterator[str]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello over tls")

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{port}/"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def test_https_with_a_trusted_certificate(
    certificate_authority: trustme.CA, https_url: str
) -> None:
    context = ssl.create_default_context()
    certificate_authority.configure_trust(context)
    response = await H11Transport(ssl_context=context).send(
        HttpRequest(method="GET", url=https_url)
    )
    assert (response.status, response.body) == (200, b"hello over tls")


async def test_an_untrusted_certificate_is_a_transport_error(https_url: str) -> None:
    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        await H11Transport().send(HttpRequest(method="GET", url=https_url))
