"""docs/examples/blocking_socket.py, the embedding guide's driver, run over real loopback HTTP.

The server is the reference server (``oa_server`` fixture from
``transports/pytest_plugin.py``), in both dialects, on the happy path and
with injected faults: whatever happens, the example deletes the chat.
"""

from __future__ import annotations

import ast
import importlib.util
import socket
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from oaproto import (
    BusyError,
    ClientConfig,
    Dialect,
    IncompleteReplyError,
    ReplyError,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "blocking_socket.py"
DIALECTS = [Dialect.WEB, Dialect.INFERENCE]


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("blocking_socket_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(server: Any, dialect: Dialect, prompt: str = "Hello there") -> str:
    text: str = _example().run(ClientConfig(base_url=server.url, dialect=dialect), prompt)
    return text


def _chat_was_deleted(server: Any) -> None:
    assert server.chats() == []
    assert len(server.deleted_chat_ids) == 1
    assert server.requests[-1].method == "DELETE"


def _driver() -> str:
    """The example without ``main()``, which only starts a server and calls ``run()``."""
    return EXAMPLE.read_text(encoding="utf-8").split("\ndef main()", 1)[0].rstrip()


def test_example_is_under_60_lines() -> None:
    assert len(_driver().splitlines()) < 60


def test_example_uses_only_socket_and_oaproto_for_io() -> None:
    tree = ast.parse(_driver())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
    assert modules == {"socket", "urllib.parse", "oaproto"}


class _RecordingSocket(socket.socket):
    """A socket that keeps every byte it sends and receives."""

    sent: list[bytes]
    received: list[bytes]

    def sendall(self, data: Any, flags: int = 0) -> None:
        self.sent.append(bytes(data))
        super().sendall(data, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        count = super().recv_into(buffer, nbytes, flags)
        self.received.append(bytes(memoryview(buffer)[:count]))
        return count


@pytest.mark.parametrize("dialect", DIALECTS)
def test_example_speaks_http_1_0_and_gets_unchunked_bodies(
    oa_server: Any, dialect: Dialect, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The example relies on the reference server answering HTTP/1.0 with
    # close-delimited bodies, event streams included: nothing to de-chunk.
    connections: list[_RecordingSocket] = []
    create_connection = socket.create_connection

    def recording_connection(*args: Any, **kwargs: Any) -> socket.socket:
        plain = create_connection(*args, **kwargs)
        recording = _RecordingSocket(fileno=plain.detach())
        recording.settimeout(kwargs.get("timeout"))
        recording.sent, recording.received = [], []
        connections.append(recording)
        return recording

    monkeypatch.setattr(socket, "create_connection", recording_connection)
    assert _run(oa_server, dialect)
    steps = [request.step for request in oa_server.requests]
    assert len(connections) == len(steps)  # one connection per request
    for connection, step in zip(connections, steps, strict=True):
        sent = b"".join(connection.sent)
        head, _, body = sent.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0].endswith(b" HTTP/1.0")
        if body:
            assert f"content-length: {len(body)}".encode() in head.lower().split(b"\r\n")
        received = b"".join(connection.received)
        response_head = received.partition(b"\r\n\r\n")[0].lower()
        assert b"transfer-encoding" not in response_head, step
    assert "events" in steps


@pytest.mark.parametrize("dialect", DIALECTS)
def test_example_chats_with_the_reference_server(
    oa_server: Any, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _run(oa_server, dialect)
    assert text
    printed = capsys.readouterr().out
    # The tokens join to the final text up to the whitespace the worker strips
    # , unless the reply finished before the stream opened.
    assert printed.strip() in (text, "")
    steps = [request.step for request in oa_server.requests]
    assert steps[:4] == ["create_chat", "prompter_message", "assistant_message", "events"]
    assert steps[-1] == "delete_chat"
    _chat_was_deleted(oa_server)


@pytest.mark.oa_server(token_delay=0.02)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_example_streams_tokens_as_they_arrive(
    oa_server: Any, dialect: Dialect, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _run(oa_server, dialect)
    assert capsys.readouterr().out.strip() == text
    _chat_was_deleted(oa_server)


@pytest.mark.oa_server(token_delay=0)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_example_fetches_an_already_finished_reply(oa_server: Any, dialect: Dialect) -> None:
    # The stream request is answered 204 / 200-empty, late enough for the
    # reply to be complete: a message that finished before the stream.
    oa_server.faults.add("slow-headers=0.3", step="events")
    oa_server.faults.add("status=204", step="events")
    text = _run(oa_server, dialect)
    assert text
    steps = [request.step for request in oa_server.requests]
    assert steps[3:6] == ["events", "message", "delete_chat"]
    _chat_was_deleted(oa_server)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("fault", "step", "error"),
    [
        ("status=503", "assistant_message", BusyError),
        ("error-after-tokens=2", None, ReplyError),
        ("close-after-tokens=2", "events", IncompleteReplyError),
        ("invalid-json", "events", IncompleteReplyError),
    ],
)
def test_example_deletes_the_chat_whatever_fails(
    oa_server: Any, dialect: Dialect, fault: str, step: str | None, error: type[Exception]
) -> None:
    oa_server.faults.add(fault, step=step)
    with pytest.raises(error):
        _run(oa_server, dialect)
    _chat_was_deleted(oa_server)
