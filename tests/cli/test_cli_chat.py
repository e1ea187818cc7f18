"""``oaproto chat`` as a user runs it: a subprocess, its output and exit status."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oaproto import PRESETS, Dialect
from oaproto.credentials import SECURE_COOKIE_NAME
from tests.cli.cli_helpers import (
    DIALECTS,
    OAPROTO,
    PROXY_TRANSPORTS,
    TIMEOUT,
    TRANSPORTS,
    Terminal,
    environment,
    json_lines,
    list_chats,
    oaproto,
    serve,
    wait_until,
)
from tests.helpers.forward_proxy import ForwardProxy

TOKEN = "cli-t0ken-never-printed-41d7"
# The embedded server answers without a rate limit and with slow tokens; these
# servers answer at once.
FAST = {"token_delay": 0, "rate_limit": None}


@pytest.fixture(scope="module")
def external_server() -> Iterator[str]:
    """An ``oaproto serve`` process with one token; its URL."""
    with serve("--token", TOKEN, "--rate-limit", "off", "--token-delay", "0") as url:
        yield url


# --- the main path: every transport, both dialects, both kinds of server ---


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_embedded_server(transport: str, dialect: str) -> None:
    result = oaproto(
        "chat", "Hello", "there,", "friend", "--model", "_echo",
        "--transport", transport, "--dialect", dialect,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "Hello there, friend\n", "")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_external_server(external_server: str, transport: str, dialect: str) -> None:
    result = oaproto(
        "chat", "héllo ☃ wörld", "--url", external_server, "--model", "_echo",
        "--transport", transport, "--dialect", dialect,
        env=environment(OAPROTO_TOKEN=TOKEN),
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "héllo ☃ wörld\n", "")
    assert list_chats(external_server, dialect, TOKEN) == []  # deleted


def test_quick_start_streams_tokens_as_they_arrive() -> None:
    # The README's command: no --url, so the embedded server answers with lorem ipsum.
    with subprocess.Popen(
        [*OAPROTO, "chat", "Hello there"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    ) as process:
        assert process.stdout is not None
        first = os.read(process.stdout.fileno(), 1024)  # returns once the first token is out
        running_after_first_token = process.poll() is None
        rest, errors = process.communicate(timeout=TIMEOUT)
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
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=environment(),
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert len(result.stdout.split()) >= 10


def test_a_missing_extra_names_what_to_install() -> None:
    code = (
        "import sys; sys.modules['trio'] = None;"
        "from oaproto.transports.cli import main;"
        "sys.exit(main(['chat', '--transport', 'h11-trio', 'hi']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert result.returncode == 2
    assert result.stderr == (
        "oaproto chat: --transport h11-trio needs trio: pip install 'oaproto[trio]'\n"
    )


# --- where the message comes from ---


@pytest.mark.parametrize(
    ("args", "stdin"),
    [([], "from a pipe\n"), (["-"], "a dash reads stdin\n"), (["words", "win"], "not read")],
)
def test_the_message_from_stdin_or_the_words(args: list[str], stdin: str) -> None:
    result = oaproto("chat", "--model", "_echo", *args, input=stdin)
    expected = " ".join(args) if args and args != ["-"] else stdin.rstrip("\n")
    assert (result.returncode, result.stdout, result.stderr) == (0, expected + "\n", "")


@pytest.mark.oa_server(**FAST)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_reply_options_reach_the_server(oa_server: Any, dialect: str) -> None:
    result = oaproto(
        "chat", "hi", "--url", oa_server.url, "--dialect", dialect, "--model", "_echo",
        "--preset", "k50-Precise", "--temperature", "0.5", "--top-k", "7",
        "--max-new-tokens", "99", "--system", "Be brief.",
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "hi\n", "")
    (request,) = [r for r in oa_server.requests if r.step == "assistant_message"]
    body = json.loads(request.body)
    expected = dataclasses.replace(PRESETS["k50-Precise"], temperature=0.5, top_k=7)
    assert body["sampling_parameters"] == {**expected.to_json(), "max_new_tokens": 99}
    assert body["model_config_name"] == "_echo"
    assert body["system_prompt"] == "Be brief."


# --- machine-readable output ---


@pytest.mark.oa_server(pending_interval=0.05, **FAST)
def test_json_is_one_object_per_line_ending_with_completed(oa_server: Any) -> None:
    oa_server.faults.add("queue=0.3", step="assistant_message")
    result = oaproto("chat", "--json", "--url", oa_server.url, "--model", "_echo", "one two three")
    assert (result.returncode, result.stderr) == (0, "")
    events = json_lines(result.stdout)
    types = [event["type"] for event in events]
    assert types[0] == "pending"
    assert types[-1] == "completed"
    assert set(types[:-1]) == {"pending", "token"}
    assert {"queue_position", "queue_size"} <= events[0].keys()
    tokens = "".join(event["text"] for event in events if event["type"] == "token")
    assert tokens == events[-1]["text"] == "one two three"
    assert events[-1]["chat_id"] == oa_server.deleted_chat_ids[0]
    assert oa_server.chats() == []


@pytest.mark.oa_server(token_delay=0.02, rate_limit=None)
def test_json_ends_with_failed_when_the_reply_fails(oa_server: Any) -> None:
    oa_server.faults.add("error-after-tokens=2")
    result = oaproto("chat", "--json", "--url", oa_server.url, "hi")
    assert result.returncode == 1
    events = json_lines(result.stdout)
    assert [event["type"] for event in events] == ["token", "token", "failed"]
    assert events[-1]["error"] == "Aborted due to worker error."
    assert events[-1]["state"] == "aborted_by_worker"
    assert result.stderr.startswith("oaproto chat: ReplyError: reply failed:")
    assert oa_server.chats() == []


@pytest.mark.oa_server(**FAST)
def test_json_ends_with_failed_for_an_error_status(oa_server: Any) -> None:
    oa_server.faults.add("status=503", step="assistant_message")
    result = oaproto("chat", "--json", "--url", oa_server.url, "hi")
    assert result.returncode == 5
    (event,) = json_lines(result.stdout)
    assert event["type"] == "failed"
    assert event["error_type"] == "BusyError"
    assert event["exit_status"] == 5
    assert oa_server.chats() == []


# --- errors: one line, a distinct status, the chat deleted ---


# Tokens slow enough that the stream is open before the reply could finish
# (a finished reply would be fetched, not streamed, and the stream fault not fire).
@pytest.mark.oa_server(token_delay=0.02, rate_limit=None)
def test_an_error_mid_reply_ends_the_partial_line_first(oa_server: Any) -> None:
    oa_server.faults.add("error-after-tokens=2")
    result = oaproto("chat", "hi", "--url", oa_server.url)
    assert result.returncode == 1
    assert result.stdout.endswith("\n")
    assert len(result.stdout.split()) == 2
    assert result.stderr.startswith("oaproto chat: ReplyError: reply failed:")
    assert result.stderr.count("\n") == 1
    assert oa_server.chats() == []


@pytest.mark.oa_server(tokens=["another-token"], **FAST)
def test_a_rejected_token_is_a_one_line_typed_error_without_the_token(oa_server: Any) -> None:
    result = oaproto("chat", "hi", "--url", oa_server.url, env=environment(OAPROTO_TOKEN=TOKEN))
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.startswith("oaproto chat: AuthenticationError: HTTP 401")
    assert result.stderr.count("\n") == 1
    assert TOKEN not in result.stderr


@pytest.mark.oa_server(token_delay=0.02, rate_limit=None)
@pytest.mark.parametrize(
    ("fault", "step", "status", "error"),
    [
        ("status=503", "assistant_message", 5, "BusyError: HTTP 503"),
        ("status=429", "assistant_message", 5, "BusyError: HTTP 429"),
        ("status=404", "prompter_message", 4, "NotFoundError: HTTP 404"),
        ("close-after-tokens=2", "events", 6, "IncompleteReplyError:"),
        ("status=500", "create_chat", 1, "APIError: HTTP 500"),
    ],
)
def test_each_kind_of_error_has_its_exit_status(
    oa_server: Any, fault: str, step: str, status: int, error: str
) -> None:
    oa_server.faults.add(fault, step=step)
    result = oaproto("chat", "hi", "--url", oa_server.url)
    assert result.returncode == status
    assert result.stderr.startswith(f"oaproto chat: {error}")
    assert result.stderr.count("\n") == 1
    assert oa_server.chats() == []


@pytest.mark.oa_server(**FAST)
def test_a_chat_that_cannot_be_deleted_is_named_on_the_error_line(oa_server: Any) -> None:
    oa_server.faults.add("status=500", step="delete_chat", times=None)
    after_a_reply = oaproto("chat", "--url", oa_server.url, "--model", "_echo", "hi")
    assert (after_a_reply.returncode, after_a_reply.stdout) == (
        1,
        "hi\n",
    )  # the reply, then the cleanup's error
    oa_server.faults.add("error-after-tokens=0", step="assistant_message")
    after_a_failure = oaproto("chat", "--url", oa_server.url, "--model", "_echo", "hi")
    assert after_a_failure.returncode == 1
    assert after_a_failure.stderr.startswith("oaproto chat: ReplyError: reply failed:")
    first, second = (chat["id"] for chat in oa_server.chats())
    for result, chat_id in ((after_a_reply, first), (after_a_failure, second)):
        assert result.stderr.count("\n") == 1
        assert f"the chat {chat_id} may remain on the server" in result.stderr


def test_unreachable_url_is_a_transport_error() -> None:
    result = oaproto("chat", "hi", "--url", "http://127.0.0.1:9", "--timeout", "5")
    assert result.returncode == 7
    assert result.stderr.startswith("oaproto chat: TransportError:")
    assert result.stderr.count("\n") == 1


PROXY_PASSWORD = "pr0xy-s3cret"


def _through(proxy: ForwardProxy, server: Any) -> list[tuple[str, str]]:
    return [(seen.method, seen.target.removeprefix(server.url)) for seen in proxy.seen]


@pytest.mark.oa_server(**FAST)
@pytest.mark.parametrize("transport", PROXY_TRANSPORTS)
def test_proxy_with_a_password_that_is_never_shown(oa_server: Any, transport: str) -> None:
    with ForwardProxy(credentials=("user", PROXY_PASSWORD)) as proxy:
        result = oaproto(
            "chat", "through the proxy", "--url", oa_server.url, "--model", "_echo",
            "--transport", transport, "--proxy", proxy.url_with("user", PROXY_PASSWORD),
        )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "through the proxy\n", "")
    steps = _through(proxy, oa_server)
    assert steps[0] == ("GET", "/configs/model_configs")  # every request, the check included
    assert steps[-1][0] == "DELETE"
    assert oa_server.chats() == []


@pytest.mark.oa_server(**FAST)
@pytest.mark.parametrize("transport", ["aiohttp", "requests", "h11-trio"])
def test_the_proxy_variables_apply_to_url_but_not_to_the_embedded_server(
    oa_server: Any, transport: str
) -> None:
    with ForwardProxy() as proxy:
        env = environment(HTTP_PROXY=proxy.url)
        result = oaproto("chat", "hi", "--url", oa_server.url, "--transport", transport, env=env)
        assert (result.returncode, result.stderr) == (0, "")
        assert _through(proxy, oa_server)[-1][0] == "DELETE"
        seen = len(proxy.seen)
        embedded = oaproto("chat", "hi", "--model", "_echo", "--transport", transport, env=env)
        assert (embedded.returncode, embedded.stdout) == (0, "hi\n")
        assert len(proxy.seen) == seen  # loopback, inside the command: never proxied


def test_a_proxy_failure_never_shows_the_password() -> None:
    result = oaproto(
        "chat", "hi", "--url", "http://example.test", "--timeout", "5",
        "--proxy", f"http://user:{PROXY_PASSWORD}@127.0.0.1:9",
    )  # fmt: skip
    assert result.returncode == 7
    assert PROXY_PASSWORD not in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_unknown_model_fails_with_the_valid_names() -> None:
    result = oaproto("chat", "hi", "--model", "OA_SFT_Llama_30B_9")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("oaproto chat: unknown model 'OA_SFT_Llama_30B_9'; the server")
    assert "OA_SFT_Llama_30B_6, " in result.stderr
    assert "_echo" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://example.test"], "base_url must be an absolute http(s) URL"),
        (["--token-file", "/nonexistent/token"], "cannot read --token-file"),
        (["--timeout", "0"], "must be a positive number of seconds"),
        (["--timeout", "soon"], "must be a positive number of seconds"),
        (["--transport", "curl"], "invalid choice"),
        (["--token", "secret"], "unrecognized arguments: --token"),  # not --token-file
        (["--temp", "0.5"], "unrecognized arguments: --temp"),  # no abbreviations
        (["--temperature", "-1"], "temperature must be a finite number > 0"),
        (["--top-p", "2"], "top_p must be a finite number in (0, 1.0]"),
        (["--cookies", "/dev/null", "--dialect", "inference"], "--cookies is for --dialect web"),
        (["--model", "_echo", "-"], "the message on stdin is empty"),
        (["--keep"], "--keep needs --url: the embedded server stops with this command"),
        (["--url", "http://127.0.0.1:9", "--cookies", "/dev/null"], "--cookies /dev/null holds no"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    words = [] if "-" in args else ["hi"]  # "-": the message from (empty) stdin
    result = oaproto("chat", *words, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_exit_statuses_and_version() -> None:
    result = oaproto("chat", "--help")
    assert result.returncode == 0
    assert "exit status:" in result.stdout
    assert "  7    transport error" in result.stdout
    assert "--token-file FILE" in result.stdout
    version = oaproto("--version")
    assert re.fullmatch(r"oaproto \d+\.\d+\.\d+\n", version.stdout)


# --- output that goes away or cannot show a character ---


@pytest.mark.oa_server(token_delay=0.01, rate_limit=None)
def test_a_closed_pipe_stops_quietly_and_deletes_the_chat(oa_server: Any) -> None:
    # oaproto chat ... | head -c1
    reader, writer = os.pipe()
    with subprocess.Popen(
        [*OAPROTO, "chat", "--url", oa_server.url, "Hello there"],
        stdin=subprocess.DEVNULL,
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    ) as process:
        os.close(writer)
        assert os.read(reader, 1)
        os.close(reader)
        _, errors = process.communicate(timeout=TIMEOUT)
    assert (process.returncode, errors) == (141, "")
    assert oa_server.chats() == []
    assert len(oa_server.deleted_chat_ids) == 1


def test_an_output_encoding_without_the_characters() -> None:
    env = environment(PYTHONIOENCODING="ascii")
    text = oaproto("chat", "--model", "_echo", "héllo ☃", env=env)
    assert (text.returncode, text.stdout, text.stderr) == (0, "h?llo ?\n", "")
    as_json = oaproto("chat", "--json", "--model", "_echo", "héllo ☃", env=env)
    assert as_json.returncode == 0
    assert json_lines(as_json.stdout)[-1]["text"] == "héllo ☃"


# --- Ctrl-C ---


@pytest.mark.oa_server(**FAST)
@pytest.mark.parametrize(
    ("transport", "output"), [("aiohttp", []), ("requests", []), ("h11-trio", ["--json"])]
)
def test_ctrl_c_mid_stream_leaves_no_chat_behind(
    oa_server: Any, transport: str, output: list[str]
) -> None:
    # asyncio.Runner cancels the task (aiohttp), a blocking read gets
    # KeyboardInterrupt (requests), trio raises it in the task (h11-trio).
    oa_server.faults.add("never-end", step="assistant_message")
    with subprocess.Popen(
        [*OAPROTO, "chat", "hi", "--url", oa_server.url, "--transport", transport, *output],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    ) as process:
        wait_until(lambda: any(r.step == "events" for r in oa_server.requests), "the stream")
        process.send_signal(signal.SIGINT)
        printed, errors = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130
    assert errors == "oaproto chat: interrupted\n"
    assert oa_server.chats() == []
    assert len(oa_server.deleted_chat_ids) == 1
    if output:  # --json: the last line still says how it ended
        last = json_lines(printed)[-1]
        assert (last["type"], last["error_type"], last["exit_status"]) == (
            "failed",
            "KeyboardInterrupt",
            130,
        )


# --- keeping and continuing a chat ---


@pytest.mark.oa_server(**FAST)
def test_keep_then_continue_with_chat(oa_server: Any) -> None:
    kept = oaproto("chat", "--url", oa_server.url, "--model", "_echo", "--keep", "first")
    assert (kept.returncode, kept.stdout) == (0, "first\n")
    match = re.fullmatch(
        r"oaproto chat: kept chat (\S+) \(continue it with --chat \1\)\n", kept.stderr
    )
    assert match is not None
    chat_id = match[1]
    again = oaproto("chat", "--url", oa_server.url, "--model", "_echo", "--chat", chat_id, "second")
    assert (again.returncode, again.stdout, again.stderr) == (0, "second\n", "")
    (chat,) = oa_server.chats()  # kept, and continued in place
    assert chat["id"] == chat_id
    messages = {m["id"]: m for m in chat["messages"]}
    contents = [(m["role"], m["content"]) for m in chat["messages"]]
    assert contents == [
        ("prompter", "first"), ("assistant", "first"),
        ("prompter", "second"), ("assistant", "second"),
    ]  # fmt: skip
    second = next(m for m in chat["messages"] if m["content"] == "second")
    assert messages[second["parent_id"]]["content"] == "first"  # answers the first reply
    unknown = oaproto("chat", "--url", oa_server.url, "--chat", "no-such-chat", "hi")
    assert unknown.returncode == 4


# --- credentials ---


@pytest.mark.oa_server(tokens=[TOKEN], **FAST)
@pytest.mark.parametrize("form", ["netscape", "header-file", "environment", "token-file"])
def test_web_credentials(oa_server: Any, tmp_path: Path, form: str) -> None:
    env = environment()
    args = ["--dialect", "web"] if form == "token-file" else []
    if form == "netscape":
        cookies = tmp_path / "cookies.txt"
        cookies.write_text(
            "# Netscape HTTP Cookie File\n"
            f"127.0.0.1\tFALSE\t/\tFALSE\t0\t{SECURE_COOKIE_NAME}.0\t{TOKEN[:10]}\n"
            f"127.0.0.1\tFALSE\t/\tFALSE\t0\t{SECURE_COOKIE_NAME}.1\t{TOKEN[10:]}\n"
            "example.com\tFALSE\t/\tFALSE\t0\tother\tignored\n"
        )
        args += ["--cookies", str(cookies)]
    elif form == "header-file":
        cookies = tmp_path / "cookie-header"
        cookies.write_text(f"Cookie: theme=dark; {SECURE_COOKIE_NAME}={TOKEN}\n")
        args += ["--cookies", str(cookies)]
    elif form == "environment":
        env["OAPROTO_COOKIE"] = f"theme=dark; {SECURE_COOKIE_NAME}={TOKEN}"
    else:
        token_file = tmp_path / "token"
        token_file.write_text(TOKEN + "\n")
        args += ["--token-file", str(token_file)]
    result = oaproto("chat", "hi", "--url", oa_server.url, "--model", "_echo", *args, env=env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "hi\n", "")
    (request,) = [r for r in oa_server.requests if r.step == "create_chat"]
    assert request.dialect is Dialect.WEB  # cookies choose the web dialect


# --- the queue position on a terminal ---


@pytest.mark.oa_server(pending_interval=0.05, **FAST)
@pytest.mark.parametrize(
    ("term", "no_color", "dim", "erase"),
    [
        ("xterm", "", True, "\x1b\\[2K"),
        ("xterm", "1", False, "\x1b\\[2K"),
        ("dumb", "", False, " +"),  # spaces over the status line
    ],
)
def test_queue_position_is_a_live_status_line_on_a_terminal(
    oa_server: Any, term: str, no_color: str, dim: bool, erase: str
) -> None:
    oa_server.faults.add("queue=0.3", step="assistant_message")
    env = environment(TERM=term)
    if no_color:
        env["NO_COLOR"] = no_color
    terminal = Terminal(["chat", "--url", oa_server.url, "--model", "_echo", "hi there"], env)
    assert terminal.finish() == 0
    assert "queued: position 1 of 1" in terminal.output
    assert re.search(f"\r{erase}\rhi there\n$", terminal.output)  # cleared before the reply
    assert ("\x1b[2m" in terminal.output) is dim
    assert ("\x1b" in terminal.output) is not (term == "dumb")
