"""Running ``oaproto`` as a user does: a subprocess on pipes, on a pseudo-terminal, or a server."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from oaproto import ClientConfig, Dialect
from oaproto.api import ChatAPI
from oaproto.transports import RequestsTransport
from oaproto.transports._cli_transport import TRANSPORT_NAMES, adapter_parameters

OAPROTO = [sys.executable, "-m", "oaproto.transports.cli"]
TRANSPORTS = list(TRANSPORT_NAMES)
DIALECTS = ["web", "inference"]
#: The transports whose adapter takes ``proxy=``.
PROXY_TRANSPORTS = [name for name in TRANSPORTS if "proxy" in adapter_parameters(name)]
# Generous: a hang guard, far above the ~1 s a command takes.
TIMEOUT = 60.0
_OWN_VARIABLES = ("OAPROTO_TOKEN", "OAPROTO_COOKIE", "OAPROTO_URL", "NO_COLOR")
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without oaproto's and proxy variables, plus ``variables``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _OWN_VARIABLES and k.lower() not in _PROXY_VARIABLES
    }
    env.update(variables)
    return env


def oaproto(
    *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``oaproto ARGS`` to completion on pipes (stdin: ``input``, else empty)."""
    return subprocess.run(
        [*OAPROTO, *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        env=env if env is not None else environment(),
        check=False,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` parsed as one JSON object."""
    return [json.loads(line) for line in text.splitlines()]


def list_chats(url: str, dialect: str, token: str | None) -> list[str]:
    """The ids of the chats the token's user has on the server, read over HTTP."""
    config = ClientConfig(base_url=url, dialect=Dialect(dialect), token=token)
    call = ChatAPI(config).list_chats()
    with RequestsTransport() as transport:
        return [chat.id for chat in call.parse(transport.send(call.request)).chats]


def wait_until(condition: Any, what: str) -> None:
    """Poll ``condition()`` until true; fail after :data:`TIMEOUT`."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@contextmanager
def serve(*args: str) -> Iterator[str]:
    """``oaproto serve --port 0 ARGS`` in its own process; yields its URL."""
    with subprocess.Popen(
        [*OAPROTO, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "listening on" in line, line
            yield line.split()[-1]
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=TIMEOUT)


class Terminal:
    """A process on a pseudo-terminal (stdin, stdout and stderr), driven like pexpect."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        self._master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [*OAPROTO, *args], stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.output = ""  # everything read so far
        self._seen = 0  # where the next expect() starts looking

    def expect(self, text: str) -> str:
        """Read until ``text`` appears; returns what came before it."""
        deadline = time.monotonic() + TIMEOUT
        while (found := self.output.find(text, self._seen)) < 0:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {text!r}; got {self.output!r}"
            ready, _, _ = select.select([self._master], [], [], remaining)
            if ready:
                self._read()
        before = self.output[self._seen : found]
        self._seen = found + len(text)
        return before

    def _read(self) -> None:
        if not self._read_some():
            raise AssertionError(f"the terminal closed; got {self.output!r}")

    def _read_some(self) -> bool:
        try:
            data = os.read(self._master, 4096)
        except OSError:  # EIO: every process closed the terminal
            data = b""
        self.output += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)

    def send(self, line: str) -> None:
        """Type ``line`` and Enter."""
        os.write(self._master, line.encode() + b"\r")

    def send_raw(self, data: bytes) -> None:
        """Type ``data`` as it is (e.g. Ctrl-D is ``b"\\x04"``)."""
        os.write(self._master, data)

    def finish(self) -> int:
        """Wait for the exit status, reading the rest of the output."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert time.monotonic() < deadline, f"the process did not exit; got {self.output!r}"
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if ready and not self._read_some():
                break
            if not ready and self.process.poll() is not None:
                break
        status = self.process.wait(timeout=TIMEOUT)
        os.close(self._master)
        return status
