"""Raw HTTP for the server tests: h11 over blocking sockets, every byte kept.

Responses keep the exact bytes received, the header names as sent, and the
HTTP chunk boundaries, so tests can compare them with the reference.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import h11

from oaproto.sse import SSEDecoder

DEFAULT_TIMEOUT = 10.0


@dataclass
class RawResponse:
    """One response: status, raw header pairs, body, chunks, and every byte read."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    chunks: list[bytes] = field(default_factory=list)
    raw: bytes = b""
    complete: bool = False  # the terminating chunk (or full Content-Length) arrived

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    @property
    def header_names(self) -> list[str]:
        return [key.decode("latin-1") for key, _ in self.headers]

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def head(self) -> bytes:
        """The status line and header block, as received."""
        return self.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"

    def events(self) -> list[dict[str, Any]]:
        """The SSE events of the body, parsed."""
        decoder = SSEDecoder()
        events = decoder.feed(self.body) + decoder.close()
        return [json.loads(event.data) for event in events]


def _target(path: str, params: Sequence[tuple[str, str]] | None) -> str:
    if not params:
        return path
    from urllib.parse import urlencode

    return path + "?" + urlencode(list(params))


class Connection:
    """One client connection, usable for several requests (keep-alive)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.conn = h11.Connection(h11.CLIENT)
        self.host = f"{host}:{port}"
        self.raw = bytearray()
        self.closed = False

    def close(self) -> None:
        self.sock.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        json_body: Any = None,
        params: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = [("content-type", "application/json"), *headers]
        all_headers = [("host", self.host), *headers]
        if body is not None:
            all_headers.append(("content-length", str(len(body))))
        self.raw = bytearray()
        request = h11.Request(method=method, target=_target(path, params), headers=all_headers)
        self.sock.sendall(self.conn.send(request) or b"")
        if body:
            self.sock.sendall(self.conn.send(h11.Data(data=body)) or b"")
        self.sock.sendall(self.conn.send(h11.EndOfMessage()) or b"")

    def _next(self, deadline: float) -> Any:
        while True:
            event = self.conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no response in time")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
                self.closed = True
            self.raw += data
            if not data:
                self.closed = True
            self.conn.receive_data(data)

    def response_head(self, timeout: float = DEFAULT_TIMEOUT) -> RawResponse:
        deadline = time.monotonic() + timeout
        event = self._next(deadline)
        while isinstance(event, h11.InformationalResponse):
            event = self._next(deadline)
        assert isinstance(event, h11.Response), event
        return RawResponse(
            status=event.status_code,
            reason=event.reason,
            headers=list(event.headers.raw_items()),
        )

    def iter_chunks(
        self, response: RawResponse, timeout: float = DEFAULT_TIMEOUT
    ) -> Iterator[bytes]:
        """Yield each HTTP chunk (or body piece) as it completes; sets ``complete`` at the end."""
        deadline = time.monotonic() + timeout
        current = bytearray()
        while True:
            try:
                event = self._next(deadline)
            except h11.RemoteProtocolError:
                response.raw = bytes(self.raw)
                return  # connection closed mid-body: incomplete
            if isinstance(event, h11.Data):
                response.body += event.data
                if event.chunk_start:
                    current = bytearray()
                current += event.data
                if event.chunk_end:
                    response.chunks.append(bytes(current))
                    yield bytes(current)
            elif isinstance(event, h11.EndOfMessage):
                response.complete = True
                response.raw = bytes(self.raw)
                return
            elif isinstance(event, h11.ConnectionClosed):
                response.raw = bytes(self.raw)
                return

    def read_response(self, timeout: float = DEFAULT_TIMEOUT) -> RawResponse:
        head = self.response_head(timeout)
        for _ in self.iter_chunks(head, timeout):
            pass
        head.raw = bytes(self.raw)
        return head


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    json_body: Any = None,
    params: Sequence[tuple[str, str]] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RawResponse:
    """Send one request on a fresh connection and read the whole response."""
    connection = Connection(port, timeout=timeout)
    try:
        connection.send(
            method, path, headers=headers, body=body, json_body=json_body, params=params
        )
        return connection.read_response(timeout)
    finally:
        connection.close()


@contextmanager
def stream(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    params: Sequence[tuple[str, str]] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[tuple[Connection, RawResponse]]:
    """Open an event stream; yields the connection and its response head."""
    connection = Connection(port, timeout=timeout)
    try:
        connection.send(method, path, headers=headers, params=params)
        yield connection, connection.response_head(timeout)
    finally:
        connection.close()


# -- chat flows ------------------------------------------------------------------


def expect_head(response: RawResponse, status: int, headers: Sequence[tuple[str, str]]) -> None:
    """Assert the status and the exact header block (names and order; date/server any value)."""
    assert response.status == status, (response.status, response.body[:300])
    names = response.header_names
    assert names[:2] == ["date", "server"], names
    rest = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers[2:]]
    assert rest == list(headers), rest


def json_head(body: bytes, content_type: str = "application/json") -> list[tuple[str, str]]:
    """The headers of a complete JSON response with ``body``."""
    return [("content-length", str(len(body))), ("content-type", content_type)]


def new_chat(port: int, headers: Sequence[tuple[str, str]] = ()) -> str:
    response = request(port, "POST", "/chats", json_body={}, headers=headers)
    assert response.status == 200, response.body
    chat_id: str = response.json()["id"]
    return chat_id


def prompter(
    port: int,
    chat_id: str,
    content: str = "Hello there",
    parent_id: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    response = request(
        port,
        "POST",
        f"/chats/{chat_id}/prompter_message",
        json_body={"parent_id": parent_id, "content": content},
        headers=headers,
    )
    assert response.status == 200, response.body
    data: dict[str, Any] = response.json()
    return data


def assistant(
    port: int,
    chat_id: str,
    parent_id: str,
    model: str = "_lorem",
    headers: Sequence[tuple[str, str]] = (),
    **extra: Any,
) -> dict[str, Any]:
    response = request(
        port,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        json_body={"parent_id": parent_id, "model_config_name": model, **extra},
        headers=headers,
    )
    assert response.status == 200, response.body
    data: dict[str, Any] = response.json()
    return data


def conversation(
    port: int,
    *,
    model: str = "_lorem",
    content: str = "Hello there",
    fault: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A chat with one prompter and one assistant message (``fault``: on the assistant request)."""
    chat_id = new_chat(port, headers)
    first = prompter(port, chat_id, content, headers=headers)
    extra = [("x-oaproto-fault", fault)] if fault else []
    reply = assistant(port, chat_id, first["id"], model, headers=[*headers, *extra])
    return chat_id, first, reply


def events_path(chat_id: str, message_id: str) -> str:
    return f"/chats/{chat_id}/messages/{message_id}/events"


def wait_message_state(
    port: int, chat_id: str, message_id: str, state: str, timeout: float = 5.0
) -> dict[str, Any]:
    """Poll the (inference-dialect) message until it is in ``state``; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        message: dict[str, Any] = request(
            port, "GET", f"/chats/{chat_id}/messages/{message_id}"
        ).json()
        if message["state"] == state:
            return message
        assert time.monotonic() < deadline, (state, message["state"])
        time.sleep(0.01)


def read_stream(
    port: int,
    path: str,
    *,
    params: Sequence[tuple[str, str]] | None = None,
    headers: Sequence[tuple[str, str]] = (),
    timeout: float = DEFAULT_TIMEOUT,
) -> RawResponse:
    """Open a stream and read it to its end (bounded by ``timeout``)."""
    with stream(port, path, params=params, headers=headers, timeout=timeout) as (conn, head):
        for _ in conn.iter_chunks(head, timeout):
            pass
        head.raw = bytes(conn.raw)
        return head


def data_chunks(chunks: Sequence[bytes]) -> list[bytes]:
    """The chunks that are events (pings left out)."""
    return [chunk for chunk in chunks if not chunk.startswith(b": ping")]


def event_json(chunk: bytes) -> dict[str, Any]:
    assert chunk.startswith(b"data: "), chunk
    assert chunk.endswith(b"\r\n\r\n"), chunk
    data: dict[str, Any] = json.loads(chunk[6:-4])
    return data
