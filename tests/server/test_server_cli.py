"""``oaproto serve`` in a subprocess: prints its URL, serves, stops cleanly on signals."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.helpers.raw_http import conversation, events_path, request, stream

SERVE = "import sys; from oaproto.transports.cli import main; sys.exit(main(sys.argv[1:]))"
URL_LINE = re.compile(r"^oaproto reference server listening on (http://127\.0\.0\.1:(\d+))$")


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError("no output from oaproto serve")
    return proc.stdout.readline()


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = {**os.environ, "OAPROTO_SERVER_TOKENS": ""}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _read_line(proc, 20).rstrip("\n")
        match = URL_LINE.match(line)
        assert match, line
        yield proc, int(match.group(2))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_url_and_stops_on_signal_closing_streams(signum: int) -> None:
    with serve("--pending-interval", "0.05") as (proc, port):
        chat_id, _, reply = conversation(port, fault="never-end")
        with stream(port, events_path(chat_id, reply["id"])) as (conn, head):
            chunks = conn.iter_chunks(head, timeout=10)
            assert next(chunks).startswith(b'data: {"event_type": "pending"')
            proc.send_signal(signum)
            for _ in chunks:  # the server ends the stream: no hang
                pass
        assert head.complete
        assert proc.wait(15) == 0
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert proc.stdout.read() == "oaproto reference server stopped\n"
        assert "no tokens configured; accepting any or no credentials" in proc.stderr.read()


def test_serve_with_a_token_does_not_warn_and_checks_it() -> None:
    with serve("--token", "s3cret", "--rate-limit", "off", "--workers", "2") as (proc, port):
        assert request(port, "POST", "/api/chat").status == 403
        cookie = [("cookie", "__Secure-next-auth.session-token=s3cret")]
        assert request(port, "POST", "/api/chat", headers=cookie).status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert proc.stderr is not None
        errors = proc.stderr.read()
        assert "accepting any" not in errors
        assert "s3cret" not in errors


def test_serve_rejects_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SERVE, "serve", "--fault", "explode"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown fault 'explode'" in result.stderr


def test_serve_port_in_use_fails_cleanly() -> None:
    with serve() as (_, port):
        result = subprocess.run(
            [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert "oaproto serve:" in result.stderr
