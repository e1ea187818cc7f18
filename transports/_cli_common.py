"""What every client command of ``oaproto`` shares.

AdapterRunner options, credentials, the embedded server, exit statuses and the
one-line error report. Credentials are read from files and the environment,
never from the command line, where every user of the machine could read them
in the process list.
"""

from __future__ import annotations

import argparse
import enum
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    ClientConfig,
    Dialect,
    LocalProtocolError,
    NotFoundError,
    OAProtoError,
    ProtocolError,
    TransportError,
    __version__,
)
from oaproto.credentials import load_cookie_file

from ._cli_render import OutputClosedError, discard_stdout, prepare_streams
from ._cli_transport import TRANSPORT_NAMES, AdapterRunner, TransportSetupError

__all__ = [
    "COOKIE_ENV",
    "EXIT_STATUS_HELP",
    "TOKEN_ENV",
    "URL_ENV",
    "ExitStatus",
    "UsageError",
    "add_parser",
    "client_config",
    "connection_options",
    "describe",
    "open_adapter_runner",
    "report_error",
    "run_command",
    "say",
    "server_url",
    "sigint_ignored",
    "status_for",
]

#: The environment variable holding the bearer token (or the web session token).
TOKEN_ENV = "OAPROTO_TOKEN"  # noqa: S105 - a variable name, not a credential
#: The environment variable holding the web session's cookies (a Cookie header value).
COOKIE_ENV = "OAPROTO_COOKIE"
#: The environment variable holding the server's base URL.
URL_ENV = "OAPROTO_URL"

# Seconds between the embedded server's tokens: slow enough to watch them arrive.
_EMBEDDED_TOKEN_DELAY = 0.03


class ExitStatus(enum.IntEnum):
    """The exit statuses of ``oaproto chat``, ``models`` and ``chats``."""

    OK = 0
    #: The reply failed, or the server refused the request for another reason.
    ERROR = 1
    #: A bad option, argument, file or environment variable; an unknown model.
    USAGE = 2
    #: 401/403: missing, wrong or expired credentials.
    AUTHENTICATION = 3
    #: 404: no such chat (or message), or no chat API at that URL.
    NOT_FOUND = 4
    #: 429/503: rate limited or overloaded; try again later.
    BUSY = 5
    #: The server broke the protocol: a malformed answer or a stream cut short.
    PROTOCOL = 6
    #: The connection failed or timed out.
    TRANSPORT = 7
    #: Ctrl-C.
    INTERRUPTED = 130
    #: The output was closed early (``oaproto chat ... | head -c1``), as for SIGPIPE.
    OUTPUT_CLOSED = 141


#: The ``--help`` epilog of every client command.
EXIT_STATUS_HELP = """\
exit status:
  0    success
  1    the reply failed, or the server refused the request (other status)
  2    usage: a bad option, file or environment variable, an unknown model
  3    authentication failed (401/403)
  4    not found (404)
  5    busy or rate limited (429/503)
  6    protocol error: a malformed answer or a reply stream cut short
  7    transport error: could not connect, or timed out
  130  interrupted (Ctrl-C)
  141  the output was closed early (e.g. by head)

environment:
  OAPROTO_URL     the server's base URL (--url)
  OAPROTO_TOKEN   the bearer token (inference) or session token (web)
  OAPROTO_COOKIE  the web session's cookies, as a Cookie header value
  NO_COLOR        set to turn colours off
  HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY  the proxy (--proxy overrides them)
"""


class UsageError(Exception):
    """A bad option, file or environment variable: exit status 2."""


# Most specific first: the first match decides the status.
_STATUSES: tuple[tuple[type[BaseException], ExitStatus], ...] = (
    (KeyboardInterrupt, ExitStatus.INTERRUPTED),
    (UsageError, ExitStatus.USAGE),
    (TransportSetupError, ExitStatus.USAGE),
    (LocalProtocolError, ExitStatus.USAGE),
    (AuthenticationError, ExitStatus.AUTHENTICATION),
    (NotFoundError, ExitStatus.NOT_FOUND),
    (BusyError, ExitStatus.BUSY),
    (APIError, ExitStatus.ERROR),
    (ProtocolError, ExitStatus.PROTOCOL),
    (TransportError, ExitStatus.TRANSPORT),
    (OAProtoError, ExitStatus.ERROR),
)


def status_for(error: BaseException) -> ExitStatus:
    """The exit status that reports ``error``."""
    return next((status for kind, status in _STATUSES if isinstance(error, kind)), ExitStatus.ERROR)


def describe(error: BaseException) -> str:
    """``error`` as one line: its type (for oaproto's errors), message and notes."""
    text = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
    if isinstance(error, OAProtoError) and not isinstance(error, LocalProtocolError):
        text = f"{type(error).__name__}: {text}"
    # A note says what else went wrong (e.g. the chat could not be deleted).
    text = "; ".join([text, *getattr(error, "__notes__", ())])
    # One line: a multi-line server detail must not look like a traceback.
    return " ".join(text.split())


def say(command: str, text: str) -> None:
    """One line on stderr, prefixed with the command."""
    with suppress(OSError, ValueError):  # stderr closed too: the exit status still tells
        print(f"oaproto {command}: {text}", file=sys.stderr, flush=True)


def report_error(command: str, error: BaseException) -> ExitStatus:
    """Print ``error`` as one line on stderr; returns its exit status."""
    say(command, describe(error))
    return status_for(error)


def add_parser(subparsers: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A sub-command parser: no abbreviated options, exit statuses in the epilog."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_STATUS_HELP,
        **kwargs,
    )
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or value == math.inf:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def connection_options() -> argparse.ArgumentParser:
    """A parent parser with the options that say where and how to connect."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    group = parser.add_argument_group("connection")
    add = group.add_argument
    add(
        "--url",
        default=os.environ.get(URL_ENV) or None,
        help=f"the server's base URL (also ${URL_ENV}; default: an embedded reference server)",
    )
    add(
        "--dialect",
        choices=[dialect.value for dialect in Dialect],
        metavar="NAME",
        help="web: the website's /api/chat with a session cookie; inference: the inference"
        " server's /chats with a bearer token (default: web with cookies, else inference)",
    )
    add(
        "--transport",
        choices=TRANSPORT_NAMES,
        default="aiohttp",
        metavar="NAME",
        help=f"HTTP library: {', '.join(TRANSPORT_NAMES)} (default: aiohttp)",
    )
    add(
        "--timeout",
        type=_seconds,
        default=180.0,
        metavar="SECONDS",
        help="longest wait to connect, for each read and for reply progress (default: 180)",
    )
    add(
        "--proxy",
        metavar="URL",
        help="proxy URL, may hold user:password@ (default: the HTTP(S)_PROXY variables)",
    )
    add(
        "--cookies",
        type=Path,
        metavar="FILE",
        help="web session cookies: a Netscape cookies.txt or a Cookie header line"
        f" (also ${COOKIE_ENV})",
    )
    add(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"a file holding the bearer token or session token (also ${TOKEN_ENV})",
    )
    parser.add_argument(
        "--version", action="version", version=f"oaproto {__version__}", help=argparse.SUPPRESS
    )
    return parser


# --- credentials ---


def _read(path: Path, option: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read {option} {path}: {reason}") from None
    if not text.strip():
        raise UsageError(f"{option} {path} is empty")
    return text


def client_config(args: argparse.Namespace, base_url: str) -> ClientConfig:
    """The client configuration from the options, the credential files and the environment.

    ``--cookies`` or ``$OAPROTO_COOKIE`` select the web dialect unless
    ``--dialect`` says otherwise; command-line files win over the environment.

    Raises:
        UsageError: an unreadable or empty file, or cookies for the inference dialect.
        LocalProtocolError: a credential or URL the configuration refuses.
    """
    if args.cookies is not None and args.token_file is not None:
        raise UsageError("give --cookies or --token-file, not both")
    cookie_env = os.environ.get(COOKIE_ENV) or None
    token_env = os.environ.get(TOKEN_ENV) or None
    with_cookies = args.cookies is not None or (args.token_file is None and cookie_env is not None)
    dialect = Dialect(args.dialect) if args.dialect else None
    if dialect is None:
        dialect = Dialect.WEB if with_cookies else Dialect.INFERENCE
    if dialect is Dialect.INFERENCE:
        if args.cookies is not None:
            raise UsageError("--cookies is for --dialect web; use --token-file for inference")
        token = _read(args.token_file, "--token-file").strip() if args.token_file else token_env
        return ClientConfig(base_url=base_url, dialect=dialect, token=token)
    if args.cookies is not None:
        host = urlsplit(base_url).hostname
        cookies = load_cookie_file(args.cookies, domain=host)
        if not cookies:
            raise UsageError(f"--cookies {args.cookies} holds no cookie for {host}")
        return ClientConfig.from_cookies(cookies, base_url=base_url)
    if args.token_file is not None:
        token = _read(args.token_file, "--token-file").strip()
    elif cookie_env is not None and "=" in cookie_env:
        return ClientConfig.from_cookies(cookie_env, base_url=base_url)
    else:  # a bare value is the session token itself
        token = cookie_env or token_env
    return ClientConfig(base_url=base_url, dialect=dialect, token=token)


@contextmanager
def server_url(url: str | None) -> Iterator[str]:
    """``url``, or the URL of an embedded reference server running until the block ends."""
    if url is not None:
        yield url
        return
    try:
        from .server import ServerConfig, ThreadedServer
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise UsageError(
            f"the embedded server needs aiohttp (pip install 'oaproto[cli]'), or give --url: {exc}"
        ) from None
    # It speaks both dialects on one port. Open mode (any credential) is fine
    # here: loopback, a random port, this process only. No rate limit: a
    # person trying the command line should not meet the real server's limiter.
    config = ServerConfig(token_delay=_EMBEDDED_TOKEN_DELAY, rate_limit=None)
    with ThreadedServer(config, warn_open_mode=False) as server:
        yield server.url


def run_command(
    command: str,
    args: argparse.Namespace,
    body: Callable[[argparse.Namespace, AdapterRunner, ClientConfig], int],
) -> int:
    """Run a client command's ``body``; every failure becomes one line and an exit status.

    ``body`` reports nothing itself: it raises, and this reports once.
    """
    prepare_streams()
    try:
        with server_url(args.url) as url, open_adapter_runner(args) as runner:
            return body(args, runner, client_config(args, url))
    except OutputClosedError:
        discard_stdout()
        return ExitStatus.OUTPUT_CLOSED
    except (KeyboardInterrupt, UsageError, OAProtoError, TransportSetupError) as exc:
        return report_error(command, exc)


@contextmanager
def open_adapter_runner(args: argparse.Namespace) -> Iterator[AdapterRunner]:
    """The ``--transport`` adapter, closed when the block ends (Ctrl-C cannot skip it)."""
    runner = AdapterRunner(
        args.transport, timeout=args.timeout, proxy=args.proxy, embedded=args.url is None
    )
    try:
        yield runner
    finally:
        with sigint_ignored():
            runner.close()


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """Let a cleanup (bounded by the drivers) finish even if Ctrl-C is pressed again."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
