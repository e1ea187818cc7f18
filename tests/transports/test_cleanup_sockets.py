"""After a blocking transport's ``close()``, no socket to the server stays open.

Whatever still references the library's pool or connection (a caught
exception's traceback, a reply stream that was never left) must not keep a
socket open: urllib3 2 leaves pools to the garbage collector, so
``RequestsTransport.close()`` closes them itself. Counted in this process's
open file descriptors against the reference server's port, on requests and
on httpx.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from oaproto import ClientConfig, Dialect, OAProtoError, ReplyOptions
from oaproto.transports import ChatClient
from oaproto.transports.httpx import HttpxTransport
from oaproto.transports.requests import RequestsTransport
from oaproto.transports.server import ThreadedServer
from tests.helpers.transport_harness import TOKEN, make_transport

BLOCKING = ["requests", "httpx"]

# (fault, step): each leaves an exception whose traceback reaches the library's objects.
FAULTS = [
    ("close-after-tokens=3;abrupt", "events"),
    ("close-after-tokens=3;reset", "events"),
    ("stall=3;after=2", "events"),
    ("slow-headers=3", "assistant_message"),
    ("status=503", "assistant_message"),
    ("slow-headers=3", "delete_chat"),
]


def open_sockets_to(port: int) -> int:
    """How many of this process's file descriptors are TCP sockets connected to ``port``."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since listed
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/self/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            count += remote_port == port and fields[9] in inodes
    return count


@pytest.fixture(params=BLOCKING)
def adapter(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def chat(
    adapter: str, server: ThreadedServer
) -> tuple[RequestsTransport | HttpxTransport, ChatClient]:
    transport: RequestsTransport | HttpxTransport = make_transport(adapter, 0.5)
    config = ClientConfig(base_url=server.url, dialect=Dialect.INFERENCE, token=TOKEN)
    return transport, ChatClient(
        transport,
        config,
        ReplyOptions(model_config_name="_lorem"),
        idle_timeout=0.5,
        cleanup_timeout=0.5,
    )


@pytest.mark.parametrize(("fault", "step"), FAULTS, ids=[f"{f}@{s}" for f, s in FAULTS])
def test_close_closes_every_socket_while_the_exception_lives(
    adapter: str, server: ThreadedServer, fault: str, step: str
) -> None:
    port = urlsplit(server.url).port
    assert port is not None
    server.faults.add(fault, step=step, times=None)
    transport, client = chat(adapter, server)
    caught: OAProtoError | None = None
    try:
        with client:
            client.ask("Hello")
    except OAProtoError as error:
        caught = error  # kept alive, traceback and chain included
    assert caught is not None
    assert caught.__traceback__ is not None
    transport.close()
    assert open_sockets_to(port) == 0


def test_close_closes_a_reply_stream_that_was_never_left(
    adapter: str, server: ThreadedServer
) -> None:
    port = urlsplit(server.url).port
    assert port is not None
    server.faults.add("stall=3;after=2", step="events")
    transport, client = chat(adapter, server)
    events = client.reply("Hello")
    next(iter(events.__enter__()))
    assert open_sockets_to(port) >= 1  # the stream's connection, in use
    transport.close()
    assert open_sockets_to(port) == 0
    events.__exit__(None, None, None)  # leaving it late is harmless
    assert open_sockets_to(port) == 0
