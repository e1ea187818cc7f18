"""``oaproto chat`` as a user runs it: a subprocess, its output and exit status."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

TOKEN = "cli-t0ken-never-printed-41d7"
COMMAND = [sys.executable, "-m", "oaproto.transports.cli", "chat"]


def oaproto_chat(*args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "OAPROTO_TOKEN"}
    if token is not None:
        env["OAPROTO_TOKEN"] = token
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


@pytest.mark.parametrize("transport", ["aiohttp", "httpx", "requests", "h11"])
def test_embedded_server_echo_reply(transport: str) -> None:
    result = oaproto_chat("Hello there, friend", "--model", "_echo", "--transport", transport)
    assert (result.returncode, result.stdout, result.stderr) == (0, "Hello there, friend\n", "")


def test_quick_start_streams_tokens_as_they_arrive() -> None:
    # The README's command: no --url, so the embedded server answers with lorem ipsum.
    with subprocess.Popen(
        [*COMMAND, "Hello there"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        first = os.read(process.stdout.fileno(), 1024)  # returns once the first token is out
        running_after_first_token = process.poll() is None
        rest, errors = process.communicate(timeout=60)
    output = (first + rest).decode()
    assert process.returncode == 0, errors
    assert running_after_first_token  # the rest of the reply was still to come
    assert output.endswith("\n")
    assert len(output.split()) >= 10


def test_quick_start_needs_only_aiohttp() -> None:
    # The ``cli`` extra installs aiohttp alone: block every other HTTP or async
    # library (None in sys.modules makes importing it fail) and run the quick start.
    blocked = ("httpx", "httpcore", "requests", "urllib3", "h11", "anyio", "trio", "sniffio")
    code = (
        f"import sys; sys.modules.update(dict.fromkeys({blocked!r}));"
        "from oaproto.transports.cli import main; sys.exit(main(['chat', 'Hello there']))"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert len(result.stdout.split()) >= 10


@pytest.mark.oa_server(tokens=[TOKEN], token_delay=0, rate_limit=None)
@pytest.mark.parametrize("dialect", ["web", "inference"])
def test_url_with_the_token_from_the_environment(oa_server: Any, dialect: str) -> None:
    result = oaproto_chat(
        "one two", "--url", oa_server.url, "--dialect", dialect, "--model", "_echo", token=TOKEN
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "one two\n", "")
    assert oa_server.chats() == []  # deleted
    assert len(oa_server.deleted_chat_ids) == 1


@pytest.mark.oa_server(tokens=[TOKEN], token_delay=0, rate_limit=None)
def test_token_file(oa_server: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    result = oaproto_chat(
        "hi", "--url", oa_server.url, "--token-file", str(token_file), "--model", "_echo"
    )
    assert (result.returncode, result.stdout) == (0, "hi\n")


@pytest.mark.oa_server(tokens=["another-token"], token_delay=0, rate_limit=None)
def test_a_rejected_token_is_a_one_line_typed_error_without_the_token(oa_server: Any) -> None:
    result = oaproto_chat("hi", "--url", oa_server.url, token=TOKEN)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("oaproto chat: AuthenticationError: HTTP 401")
    assert result.stderr.count("\n") == 1
    assert TOKEN not in result.stderr


# Tokens slow enough that the stream is open before the reply could finish
# (a finished reply would be fetched, not streamed, and the stream fault not fire).
@pytest.mark.oa_server(token_delay=0.02, rate_limit=None)
def test_an_error_mid_reply_ends_the_partial_line_first(oa_server: Any) -> None:
    oa_server.faults.add("error-after-tokens=2")
    result = oaproto_chat("hi", "--url", oa_server.url)
    assert result.returncode == 1
    assert result.stdout.endswith("\n")
    assert len(result.stdout.split()) == 2
    assert result.stderr.startswith("oaproto chat: ReplyError: reply failed:")
    assert oa_server.chats() == []


@pytest.mark.oa_server(token_delay=0, rate_limit=None)
@pytest.mark.parametrize("transport", ["aiohttp", "requests"])
def test_ctrl_c_mid_stream_still_deletes_the_chat(oa_server: Any, transport: str) -> None:
    # asyncio.run turns SIGINT into cancellation (aiohttp); a blocking read gets
    # KeyboardInterrupt (requests). Either way the chat must be deleted.
    oa_server.faults.add("never-end", step="assistant_message")
    with subprocess.Popen(
        [*COMMAND, "hi", "--url", oa_server.url, "--transport", transport],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        deadline = time.monotonic() + 30
        while not any(r.step == "events" for r in oa_server.requests):
            assert time.monotonic() < deadline, "the stream never opened"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 130
    assert errors == "oaproto chat: interrupted\n"
    assert oa_server.chats() == []
    assert len(oa_server.deleted_chat_ids) == 1


def test_unreachable_url_is_a_transport_error() -> None:
    result = oaproto_chat("hi", "--url", "http://127.0.0.1:9", "--timeout", "5")
    assert result.returncode == 1
    assert result.stderr.startswith("oaproto chat: TransportError:")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://example.test"], "base_url must be an absolute http(s) URL"),
        (["--token-file", "/nonexistent/token"], "cannot read --token-file"),
        (["--timeout", "0"], "must be a positive number of seconds"),
        (["--timeout", "soon"], "must be a positive number of seconds"),
        (["--transport", "curl"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = oaproto_chat("hi", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
