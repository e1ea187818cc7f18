"""``oaproto serve``: run the reference server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from typing import Any

__all__ = ["add_serve_command"]

#: Environment variable with accepted tokens (comma or whitespace separated),
#: so credentials need not appear in the process list.
TOKENS_ENV = "OAPROTO_SERVER_TOKENS"


#: Body bytes the request log of ``oaproto serve`` keeps at most (oldest dropped).
RECORD_BODY_BYTES = 16 << 20

#: The deployed inference server's limiter: ``--rate-limit real``.
REAL_RATE_LIMIT = (20, 660.0)


def _rate_limit(text: str) -> tuple[int, float] | None:
    if text.lower() in ("off", "none", "0"):
        return None
    if text.lower() == "real":
        return REAL_RATE_LIMIT
    times, sep, seconds = text.partition("/")
    try:
        parsed = int(times), float(seconds)
    except ValueError:
        parsed = None
    if not sep or parsed is None:
        raise argparse.ArgumentTypeError(f"expected TIMES/SECONDS or off, got {text!r}")
    return parsed


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def add_serve_command(subparsers: Any) -> None:
    """Add the ``serve`` sub-command to the ``oaproto`` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the Open Assistant reference server",
        description=(
            "Serve both Open Assistant chat APIs (web /api/chat and inference /chats) "
            "until interrupted. Prints the URL it listens on."
        ),
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    add("--port", type=int, default=8000, help="port to bind; 0 picks a free one (default: 8000)")
    add(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help=f"accept this session cookie / bearer token (repeatable; also ${TOKENS_ENV}); "
        "without any, every request is accepted",
    )
    add("--trusted-client-key", action="append", default=[], metavar="KEY")
    add("--token-delay", type=float, default=0.02, metavar="SECONDS", help="between tokens")
    add("--ping-interval", type=float, default=15.0, metavar="SECONDS")
    add("--pending-interval", type=float, default=1.0, metavar="SECONDS")
    add("--workers", type=int, default=4, help="simulated workers (default: 4)")
    add("--work-queue-max-size", type=int, default=None, metavar="N")
    add("--assistant-message-timeout", type=float, default=60.0, metavar="SECONDS")
    add("--message-queue-expire", type=float, default=60.0, metavar="SECONDS")
    add("--chat-max-messages", type=int, default=None, metavar="N")
    add("--message-max-length", type=int, default=None, metavar="N")
    add(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="TIMES/SECONDS",
        help="assistant messages per user and window; 'real' is the real server's 20/660 "
        "(default: off)",
    )
    add("--allowed-models", default="*", metavar="NAMES", help="'*' or a comma list")
    add("--backend", choices=("lorem", "echo"), default="lorem", help="for every model name")
    add(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="arm a fault for every matching request, e.g. 'status=503@assistant_message*1'",
    )
    add("--seed", type=int, default=None, help="seed the random generator (lorem text, seeds)")
    add(
        "--debug-auth",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="let /auth/callback/debug log anyone in, as a user of its own, without a "
        "credential (default: off)",
    )
    add(
        "--record",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="keep the last N requests (and at most 16 MiB of their bodies) for "
        "introspection (default: 1000)",
    )
    add("--no-record", action="store_true", help="keep no requests")
    add("--max-body-size", type=_positive_int, default=4 << 20, metavar="BYTES")
    add("--header-timeout", type=float, default=30.0, metavar="SECONDS")
    add("--body-timeout", type=float, default=30.0, metavar="SECONDS")
    add("--backlog", type=int, default=2048, help="listen queue length (default: 2048)")
    add("--chat-disabled", action="store_true", help="answer web chat routes 404")
    add("--log-level", default="WARNING", help="server log level (default: WARNING)")
    parser.set_defaults(handler=_serve)


def _tokens(args: argparse.Namespace) -> list[str]:
    tokens = list(args.token)
    tokens += [t for t in re.split(r"[\s,]+", os.environ.get(TOKENS_ENV, "")) if t]
    return tokens


def _serve(args: argparse.Namespace) -> int:
    # The server needs aiohttp; import late so "oaproto --help" works without it.
    try:
        from .server import OPEN_MODE_WARNING, ReferenceServer, ServerConfig
    except ImportError as exc:  # pragma: no cover - depends on the installation
        print(
            f"oaproto serve needs aiohttp (pip install 'oaproto[server]'): {exc}", file=sys.stderr
        )
        return 2
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        config = ServerConfig(
            host=args.host,
            port=args.port,
            tokens=_tokens(args),
            trusted_client_keys=args.trusted_client_key,
            token_delay=args.token_delay,
            ping_interval=args.ping_interval,
            pending_interval=args.pending_interval,
            workers=args.workers,
            work_queue_max_size=args.work_queue_max_size,
            assistant_message_timeout=args.assistant_message_timeout,
            message_queue_expire=args.message_queue_expire,
            chat_max_messages=args.chat_max_messages,
            message_max_length=args.message_max_length,
            rate_limit=args.rate_limit,
            allowed_model_config_names=args.allowed_models,
            default_backend=args.backend,
            faults=args.fault,
            seed=args.seed,
            allow_debug_auth=args.debug_auth,
            record_requests=not args.no_record,
            record_max_requests=args.record,
            record_max_body_bytes=RECORD_BODY_BYTES,
            max_body_size=args.max_body_size,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            backlog=args.backlog,
            chat_enabled=not args.chat_disabled,
        )
        server = ReferenceServer(config, warn_open_mode=False)
    except ValueError as exc:
        print(f"oaproto serve: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await server.start()
        try:
            if config.open_mode:
                print(f"warning: {OPEN_MODE_WARNING}", file=sys.stderr, flush=True)
            print(f"oaproto reference server listening on {server.url}", flush=True)
            await stop.wait()
        finally:
            await server.stop()
            print("oaproto reference server stopped", flush=True)

    try:
        asyncio.run(run())
    except OSError as exc:
        print(f"oaproto serve: {exc}", file=sys.stderr)
        return 1
    return 0
