"""Soak check of ``oaproto serve``: many lifecycles at once, then minutes of hostile traffic.

Not part of the test suite. It starts ``oaproto serve`` on a free loopback port and, from
one asyncio loop:

1. runs 1,000 concurrent chat lifecycles (create, prompter message, assistant message,
   stream, delete) with this project's ``AsyncChatClient`` over aiohttp, half of them in
   each dialect;
2. for ``--minutes`` (default 10) sends mixed hostile traffic from a bounded number of
   tasks: deep nesting, out-of-range numbers, NaN, lone surrogates, 1 MiB web strings,
   large unauthenticated bodies, huge declared lengths, half request heads (slowloris),
   half bodies, disconnects mid-body, malformed requests; with a real lifecycle now and
   then, which must still succeed.

It prints the completed lifecycles, every answer by kind of traffic, anything unexpected
(a crash answer, a failed lifecycle, an ERROR line on the server's stderr), and the server
process's resident memory and open file descriptors (from ``/proc``, so Linux only)
before and after. Everything stays on loopback and every wait is bounded.

    .venv/bin/python benchmarks/soak_server.py                 # 1,000 lifecycles + 10 minutes
    .venv/bin/python benchmarks/soak_server.py --minutes 2 --lifecycles 500
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import random
import re
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from oaproto import ClientConfig, Dialect, ReplyOptions
from oaproto.transports import AiohttpTransport, AsyncChatClient

TOKEN = "soak-token"


def token(user: int) -> str:
    """The credential of soak user ``user``.

    Every concurrent lifecycle needs a user of its own: the server (as the real
    one) cancels a user's pending assistant message when the same user asks
    for another, and a cancelled message never streams.
    """
    return f"soak-{user}"


SERVE = "import sys; from oaproto.transports.cli import main; sys.exit(main(sys.argv[1:]))"
URL_LINE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))$")
HEADER_TIMEOUT = 5.0
BODY_TIMEOUT = 5.0
ANSWER_TIMEOUT = 60.0  # far above any expected answer: a bound, not a measurement


# -- the server process ----------------------------------------------------------------


def proc_figures(pid: int) -> tuple[int, int]:
    """Resident memory (KiB) and open file descriptors of process ``pid``."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


@dataclass
class Server:
    process: asyncio.subprocess.Process
    url: str
    port: int
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def figures(self) -> tuple[int, int]:
        return proc_figures(self.process.pid)


async def start_server(args: argparse.Namespace) -> Server:
    command = [
        sys.executable,
        "-c",
        SERVE,
        "serve",
        "--port",
        "0",
        "--token-delay",
        str(args.token_delay),
        "--workers",
        str(args.workers),
        "--pending-interval",
        "0.5",
        "--header-timeout",
        str(HEADER_TIMEOUT),
        "--body-timeout",
        str(BODY_TIMEOUT),
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "OAPROTO_SERVER_TOKENS": ",".join(
                [TOKEN, *(token(u) for u in range(args.lifecycles + args.tasks))]
            ),
        },
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
    match = URL_LINE.search(line)
    if match is None:
        raise RuntimeError(f"oaproto serve did not start: {line!r}")
    server = Server(process, match.group(1), int(match.group(2)))
    asyncio.get_running_loop().create_task(_collect_stderr(server))
    return server


async def _collect_stderr(server: Server) -> None:
    assert server.process.stderr is not None
    while line := await server.process.stderr.readline():
        server.stderr_lines.append(line.decode("utf-8", "replace").rstrip())


async def stop_server(server: Server) -> int:
    server.process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(server.process.wait(), 30)


# -- lifecycles ---------------------------------------------------------------------------


async def lifecycle(transport: AiohttpTransport, url: str, user: int, index: int) -> bool:
    """One chat of ``user``: create, ask, read the whole reply, delete. ``True`` if a reply came."""
    dialect = Dialect.WEB if index % 2 else Dialect.INFERENCE
    config = ClientConfig(base_url=url, dialect=dialect, token=token(user))
    options = ReplyOptions(model_config_name="_lorem")
    async with AsyncChatClient(transport, config, options, idle_timeout=ANSWER_TIMEOUT) as chat:
        text = await chat.ask(f"Hello number {index}")
    return bool(text)


async def run_lifecycles(url: str, count: int, connections: int) -> tuple[int, list[str]]:
    """``count`` concurrent lifecycles of users 0 .. count-1."""
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        transport = AiohttpTransport(session, timeout=ANSWER_TIMEOUT)
        results = await asyncio.gather(
            *(lifecycle(transport, url, i, i) for i in range(count)), return_exceptions=True
        )
    failures = [repr(r)[:200] for r in results if r is not True]
    return count - len(failures), failures


# -- hostile traffic --------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int | None  # None: the server closed without an answer
    body: bytes = b""


async def raw_exchange(
    port: int, data: bytes, *, then_close: bool = False, pause: float = 0.0
) -> Outcome:
    """Send ``data`` (then maybe close at once), read one answer or the close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)
        if then_close:
            return Outcome(None)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ANSWER_TIMEOUT)
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        body = b""
        if length:
            body = await asyncio.wait_for(reader.readexactly(int(length.group(1))), ANSWER_TIMEOUT)
        return Outcome(status, body)
    except (asyncio.IncompleteReadError, ConnectionError):
        return Outcome(None)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def http(method: str, path: str, body: bytes, headers: str = "") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{headers}Connection: close\r\n\r\n"
    ).encode() + body


AUTH = f"Authorization: Bearer {TOKEN}\r\nCookie: next-auth.session-token={TOKEN}\r\n"
BODY_PATHS = [
    ("POST", "/chats"),
    ("PUT", "/chats/00000000-0000-7000-8000-000000000000"),
    ("POST", "/chats/x/prompter_message"),
    ("POST", "/chats/x/assistant_message"),
    ("POST", "/api/chat/prompter_message"),
    ("POST", "/api/chat/assistant_message"),
    ("PUT", "/api/chat"),
]
ODD_BODIES = [
    b'{"content": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b'{"title": 1' + b"0" * 400 + b"}",
    b'{"parent_id": "p", "model_config_name": "_lorem", "sampling_parameters": {"top_p": 1e309}}',
    b'{"content": NaN}',
    b'{"content": "\\ud800", "title": "\\udfff"}',
    b'{"content": "\xed\xa0\x80"}',
    b"[" + b"[]," * 100_000 + b"[]]",
]


def _documented(outcome: Outcome) -> bool:
    """A client error, or one of the real API's own 500 bodies (never aiohttp's crash page)."""
    if outcome.status is None:
        return False
    if outcome.status < 500:
        return True
    return outcome.body in (b"", b"Internal Server Error", b'{"message":"Something went wrong"}')


async def odd_body(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    method, path = rng.choice(BODY_PATHS)
    outcome = await raw_exchange(port, http(method, path, rng.choice(ODD_BODIES), AUTH))
    return "odd JSON", outcome, _documented(outcome)


async def web_string(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    body = b'"' + b"x" * (1024 * 1024 - 2) + b'"'
    outcome = await raw_exchange(port, http("POST", "/api/chat/prompter_message", body, AUTH))
    return "1 MiB web string", outcome, _documented(outcome)


async def big_unauthenticated(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    body = b'{"x": "' + b"y" * (3 << 20) + b'"}'  # under the 4 MiB limit, not signed in
    outcome = await raw_exchange(port, http("POST", "/chats", body))
    return "3 MiB unauthenticated", outcome, outcome.status == 403


async def huge_declared(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    path = rng.choice(["/chats", "/api/chat"])
    head = f"POST {path} HTTP/1.1\r\nHost: soak\r\nContent-Length: {100 << 20}\r\n\r\n"
    outcome = await raw_exchange(port, head.encode() + b"{}")
    return "100 MiB declared", outcome, outcome.status == 413


async def half_head(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    outcome = await raw_exchange(port, b"POST /chats HTTP/1.1\r\nHost: soak\r\nContent-Le")
    return "half a head", outcome, outcome.status is None  # closed after the header timeout


async def half_body(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    head = b"POST /chats HTTP/1.1\r\nHost: soak\r\nContent-Length: 100\r\n\r\n"
    outcome = await raw_exchange(port, head + b'{"')
    return "half a body", outcome, outcome.status == 408


async def gone_mid_body(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    head = b"POST /api/chat HTTP/1.1\r\nHost: soak\r\nContent-Length: 1000\r\n\r\n"
    outcome = await raw_exchange(port, head + b"{", then_close=True, pause=0.05)
    return "gone mid-body", outcome, True


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET /chats HTTP/1.1\r\nHost: soak\r\nBad Header\r\n\r\n",
    b"GET /chats HTTP/1.1\r\nHost: soak\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
    b"POST /chats HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(64)),
]


async def malformed(port: int, rng: random.Random) -> tuple[str, Outcome, bool]:
    outcome = await raw_exchange(port, rng.choice(MALFORMED))
    return "malformed request", outcome, outcome.status in (400, None)


Action = Callable[[int, random.Random], Awaitable[tuple[str, Outcome, bool]]]
ACTIONS: list[tuple[Action, int]] = [
    (odd_body, 40),
    (web_string, 4),
    (big_unauthenticated, 2),
    (huge_declared, 6),
    (half_head, 6),
    (half_body, 6),
    (gone_mid_body, 8),
    (malformed, 20),
]


@dataclass
class Tally:
    answers: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    unexpected: list[str] = field(default_factory=list)
    lifecycles: int = 0
    lifecycle_failures: list[str] = field(default_factory=list)


async def hostile_worker(
    server: Server,
    deadline: float,
    user: int,
    rng: random.Random,
    tally: Tally,
    session: aiohttp.ClientSession,
) -> None:
    actions = [action for action, _ in ACTIONS]
    weights = [weight for _, weight in ACTIONS]
    transport = AiohttpTransport(session, timeout=ANSWER_TIMEOUT)
    while time.monotonic() < deadline:
        if rng.random() < 0.1:
            try:
                await lifecycle(transport, server.url, user, rng.randrange(2))
                tally.lifecycles += 1
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                tally.lifecycle_failures.append(repr(exc)[:200])
            continue
        action = rng.choices(actions, weights)[0]
        try:
            kind, outcome, expected = await action(server.port, rng)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            tally.unexpected.append(f"{action.__name__}: {exc!r}"[:200])
            continue
        tally.answers[kind][str(outcome.status or "closed")] += 1
        if not expected:
            tally.unexpected.append(f"{kind}: {outcome.status} {outcome.body[:120]!r}")


async def run_hostile(server: Server, args: argparse.Namespace) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + args.minutes * 60
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        await asyncio.gather(
            *(
                hostile_worker(
                    server,
                    deadline,
                    args.lifecycles + i,  # a user of its own (see token())
                    random.Random(args.seed + i),
                    tally,
                    session,
                )
                for i in range(args.tasks)
            )
        )
    return tally


# -- the run ------------------------------------------------------------------------------------


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


async def main(args: argparse.Namespace) -> int:
    server = await start_server(args)
    print(f"oaproto serve at {server.url} (pid {server.process.pid})", flush=True)
    await asyncio.sleep(0.5)
    rss0, fds0 = server.figures
    started = time.monotonic()
    completed, failures = await run_lifecycles(server.url, args.lifecycles, args.connections)
    took = time.monotonic() - started
    await asyncio.sleep(1)  # let closed connections go
    rss1, fds1 = server.figures
    print(f"lifecycles: {completed}/{args.lifecycles} completed in {took:.1f} s", flush=True)
    for failure in failures[:10]:
        print(f"  failed: {failure}")
    print(f"hostile traffic: {args.minutes:g} min from {args.tasks} tasks ...", flush=True)
    tally = await run_hostile(server, args)
    await asyncio.sleep(HEADER_TIMEOUT + 1)  # idle connections reach their timeout
    rss2, fds2 = server.figures
    again, again_failures = await run_lifecycles(server.url, 20, 20)
    exit_status = await stop_server(server)
    await asyncio.sleep(0.1)
    errors = [line for line in server.stderr_lines if "ERROR" in line or "Traceback" in line]

    print()
    print("| phase | server RSS | open fds |\n|---|---|---|")
    print(f"| start | {mib(rss0)} | {fds0} |")
    print(f"| after {args.lifecycles} concurrent lifecycles | {mib(rss1)} | {fds1} |")
    print(f"| after {args.minutes:g} min hostile traffic | {mib(rss2)} | {fds2} |")
    print()
    print(
        f"completed lifecycles: {completed}/{args.lifecycles} concurrent; "
        f"{tally.lifecycles} during hostile traffic ({len(tally.lifecycle_failures)} failed); "
        f"{again}/20 after it"
    )
    print("hostile answers (status: count):")
    for kind, counts in sorted(tally.answers.items()):
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        print(f"  {kind}: {shown}")
    print(f"unexpected answers: {len(tally.unexpected)}")
    for line in tally.unexpected[:10]:
        print(f"  {line}")
    for line in (tally.lifecycle_failures + again_failures)[:10]:
        print(f"  lifecycle failed: {line}")
    print(f"server stderr: {len(server.stderr_lines)} lines, {len(errors)} ERROR/Traceback")
    for line in errors[:10]:
        print(f"  {line}")
    print(f"server exit status: {exit_status}")
    ok = (
        completed == args.lifecycles
        and again == 20
        and not tally.unexpected
        and not tally.lifecycle_failures
        and not errors
        and exit_status == 0
    )
    return 0 if ok else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifecycles", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0, help="of hostile traffic")
    parser.add_argument("--tasks", type=int, default=16, help="hostile tasks at once")
    parser.add_argument("--connections", type=int, default=1000, help="client connection limit")
    parser.add_argument("--workers", type=int, default=100, help="the server's simulated workers")
    parser.add_argument("--token-delay", type=float, default=0.005)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
