"""The gpt4free drop-in honours ``proxy=`` and, without it, the proxy environment variables."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from oaproto.g4f import OpenAssistant
from oaproto.transports.server import ThreadedServer
from tests.helpers.forward_proxy import ForwardProxy
from tests.transports.test_proxy import STEPS

PASSWORD = "g4f-pr0xy-pa55"
MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy(credentials=("user", PASSWORD)) as forward:
        yield forward


def ask(server: ThreadedServer, proxy: str | None) -> str:
    class Local(OpenAssistant):
        url = server.url + "/chat"

    async def main() -> str:
        tokens = Local.create_async_generator(None, MESSAGES, proxy=proxy)
        return "".join([token async for token in tokens])

    return asyncio.run(main())


def test_the_proxy_argument_carries_every_request(
    oa_server: ThreadedServer, proxy: ForwardProxy
) -> None:
    assert ask(oa_server, proxy.url_with("user", PASSWORD))
    steps = [(s.method, s.target.split("?")[0].removeprefix(oa_server.url)) for s in proxy.seen]
    assert steps == STEPS
    assert all(s.authorization is not None for s in proxy.seen)


def test_without_the_argument_the_environment_names_the_proxy(
    oa_server: ThreadedServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "all_proxy", "no_proxy", "NO_PROXY", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url_with("user", PASSWORD))
    assert ask(oa_server, None)
    assert len(proxy.seen) == 5
