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

from oaproto import SSEDecoder

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
