"""Credentials never show: not in exception text, chains, notes, reprs or log records.

The server accepts exactly :data:`TOKEN`; the tests make every kind of
failure happen while it is being sent (and while a proxy password is
configured) with logging at DEBUG, then search everything for it.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from oaproto import ClientConfig, Dialect, OAProtoError, TransportError
from oaproto.transports import ChatClient
from oaproto.transports._util import map_exceptions, scrub
from oaproto.transports.aiohttp import AiohttpTransport
from oaproto.transports.httpx import AsyncHttpxTransport, HttpxTransport
from oaproto.transports.requests import RequestsTransport
from tests.helpers.transport_harness import TOKEN, Harness, make_transport

PROXY_PASSWORD = "pr0xy-pa55w0rd-9d2e"


def texts_of(exc: BaseException) -> list[str]:
    """Every text an exception and its chain (cause, context, notes) would show."""
    texts: list[str] = []
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), *getattr(current, "__notes__", [])]
        texts += [repr(arg) for arg in current.args]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return texts


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    texts = []
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), record.exc_text or ""]
    return texts


FAULTS = [
    ("status=500", "assistant_message", {}),
    ("status=403", "prompter_message", {}),
    ("close-after-tokens=2;abrupt", None, {}),
    ("stall=1;after=1", None, {"transport_timeout": 0.3}),
    ("never-end", "assistant_message", {"idle_timeout": 0.3}),
    ("status=500", "delete_chat", {}),
]


@pytest.mark.parametrize(("fault", "step", "options"), FAULTS, ids=[f[0] for f in FAULTS])
def test_the_token_is_in_no_error_repr_or_log(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    step: str | None,
    options: dict[str, Any],
) -> None:
    caplog.set_level(logging.DEBUG)
    harness.server.faults.add(fault, step=step, times=2)  # a failed delete is tried twice
    texts: list[str] = []
    with pytest.raises(OAProtoError) as raised:
        ask_collecting(harness, texts, **options)
    texts += texts_of(raised.value) + log_texts(caplog)
    assert not [text for text in texts if TOKEN in text]
    # It was in play: every request carried it as the session cookie.
    assert all(TOKEN in (request.header("cookie") or "") for request in harness.server.requests)


def ask_collecting(harness: Harness, texts: list[str], **options: Any) -> None:
    """Ask in the web dialect (the token is a cookie), keeping the chat's reprs."""
    with harness.chat(Dialect.WEB, **options) as chat:
        texts += [repr(chat), repr(chat.session)]
        chat.ask("Hello")


def test_a_refused_connection_leaks_nothing(harness: Harness) -> None:
    harness.server.stop()  # its port now refuses connections
    texts: list[str] = []
    with pytest.raises(TransportError) as raised:
        ask_collecting(harness, texts)
    assert not [text for text in texts + texts_of(raised.value) if TOKEN in text]


@pytest.mark.parametrize(
    "kind", [RequestsTransport, HttpxTransport, AsyncHttpxTransport, AiohttpTransport]
)
def test_a_proxy_password_is_not_in_the_transport_repr(kind: Any) -> None:
    transport = kind(proxy=f"http://user:{PROXY_PASSWORD}@127.0.0.1:9")
    assert PROXY_PASSWORD not in repr(transport)


@pytest.mark.parametrize("adapter", ["requests", "httpx"])
def test_a_proxy_failure_does_not_show_the_proxy_password(harness: Harness, adapter: str) -> None:
    proxy = f"http://user:{PROXY_PASSWORD}@127.0.0.1:9"
    transport = make_transport(adapter, 5.0, proxy=proxy)
    with pytest.raises(TransportError) as raised:
        ask_through(transport, harness.config())
    assert not [text for text in texts_of(raised.value) if PROXY_PASSWORD in text]


def ask_through(transport: Any, config: ClientConfig) -> None:
    with transport, ChatClient(transport, config) as chat:
        chat.ask("Hello")


class LibraryError(Exception):
    pass


def raise_through_map(exc: Exception) -> None:
    with map_exceptions({LibraryError: TransportError}):
        raise exc


def test_map_exceptions_scrubs_url_credentials() -> None:
    with pytest.raises(TransportError) as raised:
        raise_through_map(LibraryError(f"cannot reach http://user:{PROXY_PASSWORD}@proxy:3128/"))
    assert PROXY_PASSWORD not in str(raised.value)
    assert "http://<redacted>@proxy:3128/" in str(raised.value)
    assert isinstance(raised.value.__cause__, LibraryError)  # the original stays for debugging
    assert scrub("no credentials here") == "no credentials here"
