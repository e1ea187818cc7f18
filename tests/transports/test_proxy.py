"""Every adapter through a real forward proxy in front of the reference server.

``http://`` targets go through the proxy in absolute form, ``https://`` ones
(the reference server behind a loopback TLS front) through a ``CONNECT``
tunnel; the proxy wants ``Proxy-Authorization``. The proxy comes from
``proxy=`` or from the environment, by the same rules on every adapter, and
its password shows in no repr or error.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import httpx
import pytest
import trustme

from oaproto import (
    APIError,
    ClientConfig,
    Dialect,
    LocalProtocolError,
    ReplyOptions,
    TransportError,
)
from oaproto.transports import AsyncChatClient, ChatClient
from oaproto.transports.aiohttp import AiohttpTransport
from oaproto.transports.h11_anyio import H11Transport
from oaproto.transports.httpx import AsyncHttpxTransport, HttpxTransport
from oaproto.transports.server import ThreadedServer
from tests.helpers.forward_proxy import ForwardProxy, TLSFront
from tests.helpers.transport_harness import ADAPTERS, TOKEN, make_transport
from tests.transports.test_secrets import texts_of

USER = "proxy-user"
PASSWORD = "pr0xy-pa55-c0ffee-71"
LOREM = ReplyOptions(model_config_name="_lorem")
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "REQUEST_METHOD")


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_url(server: ThreadedServer, authority: trustme.CA) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    port = int(server.url.rsplit(":", 1)[1])
    with TLSFront(port, context) as front:
        yield front.url


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy(credentials=(USER, PASSWORD)) as forward:
        yield forward


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variable of the machine running the tests applies."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def trusted(
    authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ssl.SSLContext:
    """The test CA, trusted by requests and httpx from the environment; a context for the rest."""
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def run(
    adapter: str,
    base_url: str,
    action: str = "ask",
    *,
    context: ssl.SSLContext | None = None,
    **options: Any,
) -> tuple[Any, str]:
    """``action`` ("ask" a question, or list "models") over a new transport; also its repr."""
    config = ClientConfig(base_url=base_url, dialect=Dialect.WEB, token=TOKEN)
    if adapter in ("requests", "httpx"):
        transport = make_transport(adapter, 5.0, **options)
        with transport, ChatClient(transport, config, LOREM) as chat:
            if action == "ask":
                return chat.ask("Hello"), repr(transport)
            return chat.call(chat.api.list_model_configs()), repr(transport)

    async def main() -> tuple[Any, str]:
        session = None
        if adapter == "aiohttp" and context is not None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))
            transport: Any = AiohttpTransport(session, timeout=5.0, **options)
        elif adapter.startswith("h11"):
            transport = H11Transport(timeout=5.0, ssl_context=context, **options)
        else:
            transport = make_transport(adapter, 5.0, **options)
        try:
            async with AsyncChatClient(transport, config, LOREM) as chat:
                if action == "ask":
                    return await chat.ask("Hello"), repr(transport)
                return await chat.call(chat.api.list_model_configs()), repr(transport)
        finally:
            await transport.close()
            if session is not None:
                await session.close()

    return anyio.run(main, backend="trio" if adapter.endswith("trio") else "asyncio")


STEPS = [
    ("POST", "/api/chat"),
    ("POST", "/api/chat/prompter_message"),
    ("POST", "/api/chat/assistant_message"),
    ("GET", "/api/chat/events"),
    ("DELETE", "/api/chat"),
]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_http_requests_go_through_the_proxy_in_absolute_form(
    adapter: str, server: ThreadedServer, proxy: ForwardProxy
) -> None:
    answer, shown = run(adapter, server.url, proxy=proxy.url_with(USER, PASSWORD))
    assert answer
    seen = [(s.method, s.target.split("?")[0]) for s in proxy.seen]
    assert seen == [(method, server.url + path) for method, path in STEPS]
    assert {s.authorization for s in proxy.seen} == {proxy._expected}
    assert PASSWORD not in shown
    assert "proxy=True" in shown


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_https_requests_go_through_a_connect_tunnel(
    adapter: str, https_url: str, proxy: ForwardProxy, trusted: ssl.SSLContext
) -> None:
    answer, _ = run(adapter, https_url, context=trusted, proxy=proxy.url_with(USER, PASSWORD))
    assert answer
    authority = https_url.removeprefix("https://")
    assert proxy.seen  # pooled transports may tunnel once for several requests
    assert {(s.method, s.target) for s in proxy.seen} == {("CONNECT", authority)}
    assert {s.authorization for s in proxy.seen} == {proxy._expected}


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("case", ["upper", "lower", "all_proxy"])
def test_the_environment_names_the_proxy(
    adapter: str,
    case: str,
    server: ThreadedServer,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = {"upper": "HTTP_PROXY", "lower": "http_proxy", "all_proxy": "ALL_PROXY"}[case]
    monkeypatch.setenv(name, proxy.url_with(USER, PASSWORD))
    if case == "lower":  # the lower-case name wins
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    models, shown = run(adapter, server.url, "models")
    assert models
    assert [(s.method, s.target) for s in proxy.seen] == [("GET", server.url + "/api/chat/models")]
    assert PASSWORD not in shown


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize(
    ("variables", "options"),
    [
        ({}, {"trust_env": False}),
        ({"NO_PROXY": "localhost,127.0.0.1"}, {}),
        ({"no_proxy": "*"}, {}),
        ({"NO_PROXY": "127.0.0.0/8"}, {}),
        ({"REQUEST_METHOD": "GET"}, {}),  # CGI: HTTP_PROXY may be a client's header
    ],
    ids=["trust_env=False", "NO_PROXY-host", "no_proxy-star", "NO_PROXY-cidr", "cgi"],
)
def test_the_environment_proxy_is_skipped_where_the_rules_say(
    adapter: str,
    variables: dict[str, str],
    options: dict[str, Any],
    server: ThreadedServer,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url_with(USER, PASSWORD))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    models, _ = run(adapter, server.url, "models", **options)
    assert models
    assert proxy.seen == []


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_explicit_proxy_ignores_no_proxy(
    adapter: str, server: ThreadedServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "*")
    run(adapter, server.url, "models", proxy=proxy.url_with(USER, PASSWORD))
    assert len(proxy.seen) == 1


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_refused_tunnel_leaks_no_password(
    adapter: str, https_url: str, proxy: ForwardProxy, trusted: ssl.SSLContext
) -> None:
    wrong = "wr0ng-" + PASSWORD
    with pytest.raises(TransportError) as raised:
        run(adapter, https_url, "models", context=trusted, proxy=proxy.url_with(USER, wrong))
    texts = texts_of(raised.value)
    assert "407" in " ".join(texts)
    assert not [text for text in texts if wrong in text or PASSWORD in text]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_refused_http_request_is_the_proxys_407_status(
    adapter: str, server: ThreadedServer, proxy: ForwardProxy
) -> None:
    wrong = "wr0ng-" + PASSWORD
    with pytest.raises(APIError) as raised:
        run(adapter, server.url, "models", proxy=proxy.url_with(USER, wrong))
    assert raised.value.status == 407
    assert not [text for text in texts_of(raised.value) if wrong in text]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_unreachable_proxy_leaks_no_password(adapter: str, server: ThreadedServer) -> None:
    with pytest.raises(TransportError) as raised:
        run(adapter, server.url, "models", proxy=f"http://{USER}:{PASSWORD}@127.0.0.1:9")
    assert not [text for text in texts_of(raised.value) if PASSWORD in text]


@pytest.mark.parametrize(
    ("kind", "client"), [(HttpxTransport, httpx.Client), (AsyncHttpxTransport, httpx.AsyncClient)]
)
def test_httpx_refuses_a_proxy_for_a_client_it_does_not_own(kind: Any, client: Any) -> None:
    with pytest.raises(LocalProtocolError, match="client you pass"):
        kind(client(), proxy="http://127.0.0.1:9")


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_unusable_proxy_url_is_refused_at_construction(adapter: str) -> None:
    with pytest.raises(LocalProtocolError) as raised:
        make_transport(adapter, 5.0, proxy=f"socks5://{USER}:{PASSWORD}@127.0.0.1:1080")
    assert PASSWORD not in str(raised.value)
