"""``oaproto chat MESSAGE``: stream one reply to the terminal.

Without ``--url`` it starts the embedded reference server in this process
(model ``_lorem``), so the command works on a fresh machine with only the
``cli`` extra (aiohttp) installed. The credential is read from
``$OAPROTO_TOKEN`` or ``--token-file``, never from the command line, where
every user of the machine could read it in the process list.

Exit status: 0 success, 1 an API, reply or transport error, 2 a usage or
configuration error, 130 interrupted. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oaproto import (
    PRESETS,
    ClientConfig,
    Dialect,
    LocalProtocolError,
    OAProtoError,
    ReplyCompleted,
    ReplyFailed,
    ReplyOptions,
    StreamEvent,
    Token,
)

__all__ = ["TOKEN_ENV", "add_chat_command", "run_chat"]

#: The environment variable holding the credential.
TOKEN_ENV = "OAPROTO_TOKEN"  # noqa: S105 - a variable name, not a credential
#: The model the embedded reference server is asked for by default.
EMBEDDED_MODEL = "_lorem"
# Seconds between the embedded server's tokens: slow enough to watch them arrive.
_EMBEDDED_TOKEN_DELAY = 0.03

_TRANSPORTS = ("aiohttp", "httpx", "requests", "h11")


class _UsageError(Exception):
    """A bad option or environment: exit status 2."""


def add_chat_command(subparsers: Any) -> None:
    """Add the ``chat`` sub-command to the ``oaproto`` parser."""
    parser = subparsers.add_parser(
        "chat",
        help="stream a reply (from the embedded reference server unless --url is given)",
        description=(
            "Stream one reply to the terminal. Without --url, an embedded reference server"
            f" answers (model {EMBEDDED_MODEL}). The credential comes from ${TOKEN_ENV} or"
            " --token-file, never from the command line."
        ),
    )
    parser.add_argument("message", help="what to say")
    parser.add_argument("--url", help="the server's base URL (default: embedded reference server)")
    parser.add_argument(
        "--dialect",
        choices=[dialect.value for dialect in Dialect],
        default=Dialect.INFERENCE.value,
        help="web: the website's /api/chat; inference: the inference server (default)",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        help=f"a file holding the session token or bearer token (default: ${TOKEN_ENV})",
    )
    parser.add_argument("--model", help="model config name (default: the server's usual one)")
    parser.add_argument("--preset", choices=list(PRESETS), help="sampling preset (default: k50)")
    parser.add_argument(
        "--transport",
        choices=_TRANSPORTS,
        default="aiohttp",
        help="HTTP library (default: aiohttp)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=180.0,
        help="seconds to wait for connecting, each read, and reply progress (default: 180)",
    )
    parser.set_defaults(handler=run_chat)


def run_chat(args: argparse.Namespace) -> int:
    """Run ``oaproto chat``; returns the exit status."""
    output = _Output()
    try:
        token = _read_token(args.token_file)
        model = args.model or (None if args.url else EMBEDDED_MODEL)
        with _server(args.url) as base_url:
            config = ClientConfig(base_url=base_url, dialect=Dialect(args.dialect), token=token)
            options = _reply_options(model, args.preset)
            _chat(args.transport, config, args.message, args.timeout, options, output)
    except (_UsageError, LocalProtocolError) as exc:
        return output.fail(2, f"error: {exc}")
    except OAProtoError as exc:
        return output.fail(1, f"{type(exc).__name__}: {exc}")
    except ImportError as exc:  # an optional library (an extra) is not installed
        return output.fail(2, f"error: {exc.name or 'a library'} is not installed: {exc}")
    except KeyboardInterrupt:
        return output.fail(130, "interrupted")
    output.finish()
    return 0


class _Output:
    """Writes tokens as they arrive; keeps errors on a line of their own."""

    def __init__(self) -> None:
        self.streamed = False

    def show(self, event: StreamEvent) -> None:
        if isinstance(event, Token) and event.text:
            self._write(event.text)
        elif isinstance(event, ReplyCompleted) and not self.streamed:
            self._write(event.text)  # fetched rather than streamed: nothing shown yet
        elif isinstance(event, ReplyFailed):
            raise event.to_exception()

    def _write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
        self.streamed = True

    def finish(self) -> None:
        sys.stdout.write("\n")
        sys.stdout.flush()

    def fail(self, status: int, message: str) -> int:
        if self.streamed:
            self.finish()
        # One line: a multi-line server detail must not look like a traceback.
        print(f"oaproto chat: {' '.join(message.split())}", file=sys.stderr)
        return status


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _read_token(token_file: Path | None) -> str | None:
    if token_file is None:
        return os.environ.get(TOKEN_ENV) or None
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise _UsageError(f"cannot read --token-file: {exc.strerror}") from None
    if not token:
        raise _UsageError("--token-file is empty")
    return token


def _reply_options(model: str | None, preset: str | None) -> ReplyOptions:
    options = ReplyOptions()
    if model is not None:
        options = dataclasses.replace(options, model_config_name=model)
    if preset is not None:
        options = dataclasses.replace(options, sampling=PRESETS[preset])
    return options


@contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    from .server import ServerConfig, SyncServer

    # It speaks both dialects on one port. Open mode (any credential) is fine
    # here: loopback, a random port, one chat.
    config = ServerConfig(token_delay=_EMBEDDED_TOKEN_DELAY)
    with SyncServer(config, warn_open_mode=False) as server:
        yield server.url


def _chat(
    name: str,
    config: ClientConfig,
    message: str,
    seconds: float,
    options: ReplyOptions,
    output: _Output,
) -> None:
    if name in ("aiohttp", "h11"):
        asyncio.run(_chat_async(name, config, message, seconds, options, output))
        return
    from ._sync import ChatClient

    if name == "requests":
        from .requests import RequestsTransport

        transport: Any = RequestsTransport(timeout=seconds)
    else:
        from .httpx import HttpxTransport

        transport = HttpxTransport(timeout=seconds)
    with (
        transport,
        ChatClient(transport, config, options, idle_timeout=seconds) as chat,
        chat.reply(message) as events,
    ):
        for event in events:
            output.show(event)


async def _chat_async(
    name: str,
    config: ClientConfig,
    message: str,
    seconds: float,
    options: ReplyOptions,
    output: _Output,
) -> None:
    from ._async import AsyncChatClient

    if name == "aiohttp":
        from .aiohttp import AiohttpTransport

        transport: Any = AiohttpTransport(timeout=seconds)
    else:
        from .h11_anyio import H11Transport

        transport = H11Transport(timeout=seconds)
    try:
        async with (
            AsyncChatClient(transport, config, options, idle_timeout=seconds) as chat,
            chat.reply(message) as events,
        ):
            async for event in events:
                output.show(event)
    finally:
        await transport.close()
