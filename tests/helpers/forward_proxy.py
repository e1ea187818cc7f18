"""A small real HTTP forward proxy for the proxy tests, and a TLS front for the reference server.

:class:`ForwardProxy` listens on loopback (asyncio, on its own thread) and
serves the two ways clients use an HTTP proxy:

* absolute-form requests (``GET http://host:port/path HTTP/1.1``) for
  ``http://`` targets: it forwards each in origin form with
  ``Connection: close`` (so every request is seen, none rides a reused
  connection unrecorded) and relays the response as it arrives;
* ``CONNECT host:port`` for ``https://`` targets: it answers 200 and pipes
  bytes both ways, TLS passing through untouched.

It records what it saw (method, target, ``Proxy-Authorization``) and, given
credentials, answers 407 to a request without the matching header.
:class:`TLSFront` terminates TLS on loopback and pipes the plain bytes to
another port, so the reference server (plain http) can be reached as ``https://``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization"}


@dataclass(frozen=True)
class Seen:
    """One request the proxy received."""

    method: str
    target: str
    authorization: str | None


class _LoopThread:
    """An asyncio loop on a daemon thread, serving one listening socket."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def _start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._thread.start()

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(self._track, "127.0.0.1", 0, ssl=ssl_context)

        self._server = self._run(listen())
        self.port = self._server.sockets[0].getsockname()[1]

    async def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        self._run(shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


async def _pipe_both(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    b: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    # Either side ending ends the exchange (both sides are closed by the caller).
    tasks = [asyncio.ensure_future(_pipe(a[0], b[1])), asyncio.ensure_future(_pipe(b[0], a[1]))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _header_lines(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return lines[0], headers


def _rebuild(first: str, headers: list[tuple[str, str]]) -> bytes:
    kept = [f"{name}: {value}" for name, value in headers if name.lower() not in _HOP_BY_HOP]
    return "\r\n".join([first, *kept, "Connection: close", "", ""]).encode("latin-1")


class ForwardProxy(_LoopThread):
    """The forward proxy; ``with ForwardProxy(credentials=("u", "p")) as proxy: proxy.url``."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.seen: list[Seen] = []
        self._expected = None
        if credentials is not None:
            pair = f"{credentials[0]}:{credentials[1]}".encode()
            self._expected = "Basic " + base64.b64encode(pair).decode("ascii")

    def __enter__(self) -> ForwardProxy:
        self._start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_with(self, username: str, password: str) -> str:
        return f"http://{username}:{password}@127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first, headers = _header_lines(await reader.readuntil(b"\r\n\r\n"))
        method, target, version = first.split(" ", 2)
        authorization = next((v for n, v in headers if n.lower() == "proxy-authorization"), None)
        self.seen.append(Seen(method, target, authorization))
        if self._expected is not None and authorization != self._expected:
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\n'
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            try:
                await _pipe_both((reader, writer), upstream)
            finally:
                upstream[1].close()
            return
        url = urlsplit(target)
        if url.scheme != "http" or url.hostname is None:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = await asyncio.open_connection(url.hostname, url.port or 80)
        try:
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            upstream[1].write(_rebuild(f"{method} {path} {version}", headers))
            # The request body (if any) follows the head; the response head is
            # rewritten to "Connection: close", its body relayed as it arrives.
            body = asyncio.ensure_future(_pipe(reader, upstream[1]))
            try:
                status, response_headers = _header_lines(await upstream[0].readuntil(b"\r\n\r\n"))
                writer.write(_rebuild(status, response_headers))
                await _pipe(upstream[0], writer)
            finally:
                body.cancel()
                await asyncio.gather(body, return_exceptions=True)
        finally:
            upstream[1].close()


class TLSFront(_LoopThread):
    """Serves https on loopback and pipes the decrypted bytes to ``127.0.0.1:target_port``."""

    def __init__(self, target_port: int, context: ssl.SSLContext) -> None:
        super().__init__()
        self._target_port = target_port
        self._context = context

    def __enter__(self) -> TLSFront:
        self._start(self._context)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await asyncio.open_connection("127.0.0.1", self._target_port)
        try:
            await _pipe_both((reader, writer), upstream)
        finally:
            upstream[1].close()
