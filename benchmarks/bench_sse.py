"""Side-by-side SSE decoding benchmark: oaproto against the Python peers.

Run ``python benchmarks/bench_sse.py`` (``--quick`` for a smoke run at 1/10
size). Every workload is built in memory from a fixed seed, every
implementation runs in this one process, interleaved, and the best of N
repeats is kept. Each implementation's events are first checked against the
events the workload was built from; a peer that crashes, gives wrong events
or runs out of time is reported as such instead of with a number. Timed runs
consume the events as a streaming client does (one at a time, dropped).

Workloads (token payloads are JSON as the Open Assistant server writes it:
``json.dumps`` with its default ``ensure_ascii``, so the wire is ASCII):

* W1: 100,000 ``data: {"event_type": "token", "text": ...}`` events, LF, 1-4 KiB chunks.
* W2: the same with CRLF.
* W3: W1's bytes in 1-64 byte chunks.
* W4: 2,000 events of 50 data lines of 80 characters, 1-4 KiB chunks.
* W5: one 32 MiB data line in 64 KiB chunks; peak memory is measured in a
  separate pass with tracemalloc, as a multiple of the event's size.
* W6: 100,000 events, each with ``id`` and ``event`` lines, a ``retry`` line
  on every 10th and a comment line before every 4th, 1-4 KiB chunks.

Peers, each driven the way its own public API drives it:

* httpx-sse: ``EventSource.iter_sse`` feeds text from httpx's incremental
  UTF-8 decoder (errors="replace") to ``SSELineDecoder``, strips the LF and
  passes each line to ``SSEDecoder.decode``; the same loop runs here without
  an ``httpx.Response`` around it.
* sseclient-py: ``SSEClient(chunks).events()``.
* openai: ``openai._streaming.SSEDecoder().iter_bytes(chunks)``.
"""

from __future__ import annotations

import argparse
import codecs
import gc
import json
import platform
import random
import signal
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from oaproto.sse import SSEDecoder

# (event type, data, last event id) for every event a workload must produce.
Expected = list[tuple[str, str, str]]
Runner = Callable[[list[bytes]], Iterator[Any]]


@dataclass
class Workload:
    """One benchmark input: the chunks to feed and the events they must give."""

    key: str
    title: str
    chunks: list[bytes]
    expected: Expected
    repeats: int
    budget: float  # seconds one run of a peer may take before it is abandoned
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = sum(map(len, self.chunks))


# --- workloads -----------------------------------------------------------------

_WORDS = [
    " the", " a", " to", " of", " and", "ing", " Python", " stream", " token", ",",
    ".", " world", " Hello", "\n", " café", " naïve", " 東京", " 😀", ' "quoted"', "\\",
]  # fmt: skip


def _chunk(buf: bytes, rnd: random.Random, low: int, high: int) -> list[bytes]:
    chunks = []
    i = 0
    while i < len(buf):
        n = rnd.randint(low, high)
        chunks.append(buf[i : i + n])
        i += n
    return chunks


def _token_events(count: int, rnd: random.Random) -> list[str]:
    return [json.dumps({"event_type": "token", "text": rnd.choice(_WORDS)}) for _ in range(count)]


def _token_stream(payloads: list[str], eol: bytes) -> bytes:
    return b"".join(b"data: " + p.encode() + eol + eol for p in payloads)


def build_workloads(scale: float, repeats: int) -> list[Workload]:
    """Build W1-W6; ``scale`` shrinks event counts and the W5 line for quick runs."""
    n_tokens = max(1, int(100_000 * scale))
    rnd = random.Random(20230714)
    payloads = _token_events(n_tokens, rnd)
    token_expected: Expected = [("message", p, "") for p in payloads]
    lf = _token_stream(payloads, b"\n")
    crlf = _token_stream(payloads, b"\r\n")

    n_big = max(1, int(2_000 * scale))
    big_events = []
    big_expected: Expected = []
    for _ in range(n_big):
        lines = [
            "".join(rnd.choice("abcdefghij klmnopqrstuvwxyz{}:,0123456789") for _ in range(80))
        ]
        lines += [lines[0][k:] + lines[0][:k] for k in range(1, 50)]
        big_events.append("".join(f"data: {line}\n" for line in lines) + "\n")
        big_expected.append(("message", "\n".join(lines), ""))
    multi = "".join(big_events).encode()

    line_size = max(1024, int(32 * 1024 * 1024 * scale))
    huge_data = ("0123456789abcdef" * (line_size // 16 + 1))[:line_size]
    huge = b"data: " + huge_data.encode() + b"\n\n"

    mixed_parts = []
    mixed_expected: Expected = []
    mixed_payloads = _token_events(n_tokens, rnd)
    for i, payload in enumerate(mixed_payloads):
        kind = "token" if i % 3 else "status"
        if i % 4 == 0:
            mixed_parts.append(": keep-alive\n")
        mixed_parts.append(f"id: {i}\nevent: {kind}\n")
        if i % 10 == 0:
            mixed_parts.append("retry: 2500\n")
        mixed_parts.append(f"data: {payload}\n\n")
        mixed_expected.append((kind, payload, str(i)))
    mixed = "".join(mixed_parts).encode()

    w5_repeats = max(1, min(repeats, 3))
    return [
        Workload("W1", f"{n_tokens:,} token events, LF, 1-4 KiB chunks",
                 _chunk(lf, rnd, 1024, 4096), token_expected, repeats, 60.0),
        Workload("W2", f"{n_tokens:,} token events, CRLF, 1-4 KiB chunks",
                 _chunk(crlf, rnd, 1024, 4096), token_expected, repeats, 60.0),
        Workload("W3", f"{n_tokens:,} token events, LF, 1-64 byte chunks",
                 _chunk(lf, rnd, 1, 64), token_expected, repeats, 60.0),
        Workload("W4", f"{n_big:,} events of 50 data lines x 80 chars, 1-4 KiB chunks",
                 _chunk(multi, rnd, 1024, 4096), big_expected, repeats, 60.0),
        Workload("W5", f"one {line_size // (1024 * 1024)} MiB data line, 64 KiB chunks",
                 _chunk(huge, rnd, 65536, 65536), [("message", huge_data, "")],
                 w5_repeats, 30.0),
        Workload("W6", f"{n_tokens:,} events mixing id/event/retry/comment lines, 1-4 KiB chunks",
                 _chunk(mixed, rnd, 1024, 4096), mixed_expected, repeats, 60.0),
    ]  # fmt: skip


# --- implementations -------------------------------------------------------------


def iter_oaproto(chunks: list[bytes]) -> Iterator[Any]:
    """Feed every chunk to one SSEDecoder, yielding events as they complete."""
    decoder = SSEDecoder()
    feed = decoder.feed
    for chunk in chunks:
        yield from feed(chunk)
    yield from decoder.close()


def iter_httpx_sse(chunks: list[bytes]) -> Iterator[Any]:
    """The loop of httpx_sse.EventSource.iter_sse over httpx's Response.iter_text."""
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder

    def iter_text() -> Iterator[str]:
        # httpx's TextDecoder is this incremental decoder; TextChunker drops "".
        text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in chunks:
            text = text_decoder.decode(chunk)
            if text:
                yield text
        text = text_decoder.decode(b"", True)
        if text:
            yield text

    def iter_sse_lines() -> Iterator[str]:
        line_decoder = SSELineDecoder()
        for text in iter_text():
            yield from line_decoder.decode(text)
        yield from line_decoder.flush()

    decoder = HttpxSSEDecoder()
    for line in iter_sse_lines():
        sse = decoder.decode(line.rstrip("\n"))
        if sse is not None:
            yield sse


def iter_sseclient(chunks: list[bytes]) -> Iterator[Any]:
    """sseclient-py over an iterable of byte chunks."""
    from sseclient import SSEClient

    events: Iterator[Any] = SSEClient(iter(chunks)).events()
    return events


def iter_openai(chunks: list[bytes]) -> Iterator[Any]:
    """openai's own SSE decoder over an iterator of byte chunks."""
    from openai._streaming import SSEDecoder as OpenAISSEDecoder

    events: Iterator[Any] = OpenAISSEDecoder().iter_bytes(iter(chunks))
    return events


IMPLEMENTATIONS: dict[str, Runner] = {
    "oaproto": iter_oaproto,
    "httpx-sse": iter_httpx_sse,
    "sseclient-py": iter_sseclient,
    "openai": iter_openai,
}
PEERS = [name for name in IMPLEMENTATIONS if name != "oaproto"]


def normalise(events: list[Any]) -> Expected:
    """(type, data, id) of each event, whichever library built it."""
    return [(e.event or "message", e.data, e.id or "") for e in events]


# --- measurement -------------------------------------------------------------


class _BudgetExceededError(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _BudgetExceededError


@dataclass
class Result:
    """Best time of one implementation on one workload, or why there is none."""

    best: float | None = None
    failure: str | None = None
    peak: int | None = None


def _consume(events: Iterator[Any]) -> None:
    # What a consumer loop does with each event, minus the handling: the
    # events are dropped as they come, as a streaming client drops them.
    deque(events, maxlen=0)


def _timed(runner: Runner, chunks: list[bytes], budget: float) -> float:
    gc.collect()
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        start = time.perf_counter()
        _consume(runner(chunks))
        return time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _check(runner: Runner, workload: Workload) -> str | None:
    """Run once untimed and compare the events; return why it failed, if it did."""
    signal.setitimer(signal.ITIMER_REAL, workload.budget)
    try:
        got = normalise(list(runner(workload.chunks)))
    except _BudgetExceededError:
        return f"timeout (> {workload.budget:.0f} s)"
    except Exception as exc:  # noqa: BLE001 - a peer's crash is a result to report
        return f"crash: {type(exc).__name__}: {exc}"[:80]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if got != workload.expected:
        wrong = sum(1 for a, b in zip(got, workload.expected, strict=False) if a != b)
        return f"wrong: {len(got)} events ({len(workload.expected)} expected), {wrong} differ"
    return None


def measure(workload: Workload, names: list[str], memory: bool) -> dict[str, Result]:
    """Check each implementation, then time them interleaved, best of ``repeats``."""
    results = {name: Result(failure=_check(IMPLEMENTATIONS[name], workload)) for name in names}
    for _ in range(workload.repeats):
        for name in names:
            result = results[name]
            if result.failure is not None:
                continue
            try:
                elapsed = _timed(IMPLEMENTATIONS[name], workload.chunks, workload.budget)
            except _BudgetExceededError:
                result.failure = f"timeout (> {workload.budget:.0f} s)"
                continue
            result.best = elapsed if result.best is None else min(result.best, elapsed)
    if memory:
        # A separate pass: tracemalloc slows allocation down, so it never runs
        # while timing.
        for name in names:
            result = results[name]
            if result.failure is not None:
                continue
            gc.collect()
            tracemalloc.start()
            try:
                _consume(IMPLEMENTATIONS[name](workload.chunks))
                result.peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    return results


def split_baseline(workload: Workload) -> float:
    """Best time of a bare ``bytes.split(b"\\n")`` over the whole buffer."""
    buf = b"".join(workload.chunks)
    best = float("inf")
    for _ in range(max(3, workload.repeats)):
        gc.collect()
        start = time.perf_counter()
        buf.split(b"\n")
        best = min(best, time.perf_counter() - start)
    return best


TARGETS = {"W1": 3.0, "W2": 3.0, "W3": 2.0, "W4": 1.5, "W5": 1.0, "W6": 3.0}


def _rate(count: int, size: int, seconds: float) -> tuple[str, str]:
    return f"{count / seconds:,.0f}", f"{size / seconds / 1e6:,.1f}"


def report(workloads: list[Workload], all_results: dict[str, dict[str, Result]]) -> str:
    """Render the results as markdown."""
    out = [
        "| Workload | Implementation | events/s | MB/s | vs best peer | notes |",
        "|---|---|---:|---:|---:|---|",
    ]
    summary = [
        "| Workload | oaproto / best peer | target | met |",
        "|---|---:|---:|---|",
    ]
    for workload in workloads:
        results = all_results[workload.key]
        count = len(workload.expected)
        peer_best = [results[n].best for n in PEERS if n in results and results[n].best is not None]
        best_peer = min(t for t in peer_best if t is not None) if peer_best else None
        for name, result in results.items():
            label = f"{workload.key} {workload.title}" if name == next(iter(results)) else ""
            if result.best is None:
                out.append(f"| {label} | {name} | - | - | - | {result.failure} |")
                continue
            events, mbs = _rate(count, workload.size, result.best)
            ratio = f"{best_peer / result.best:.2f}x" if best_peer else "n/a"
            notes = ""
            if result.peak is not None:
                notes = f"peak memory {result.peak / workload.size:.2f}x the event"
            out.append(f"| {label} | {name} | {events} | {mbs} | {ratio} | {notes} |")
        split = split_baseline(workload)
        events, mbs = _rate(count, workload.size, split)
        ratio = f"{best_peer / split:.2f}x" if best_peer else "n/a"
        out.append(f"|  | bare bytes.split | {events} | {mbs} | {ratio} | baseline |")
        ours = results.get("oaproto")
        if ours is not None and ours.best is not None and best_peer is not None:
            value = best_peer / ours.best
            target = TARGETS[workload.key]
            met = "met" if value >= target else "NOT met"
            if workload.key == "W5" and ours.peak is not None:
                peak = ours.peak / workload.size
                met += f"; peak {peak:.2f}x (< 3x: {'met' if peak < 3 else 'NOT met'})"
            summary.append(f"| {workload.key} | {value:.2f}x | {target}x | {met} |")
    return "\n".join(out) + "\n\n" + "\n".join(summary) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the workloads and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/10 size, one repeat")
    parser.add_argument("--repeats", type=int, default=7, help="best of N (default 7; W5 <= 3)")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W5")
    parser.add_argument(
        "--impl", default=",".join(IMPLEMENTATIONS), help="comma-separated implementations"
    )
    args = parser.parse_args(argv)
    scale, repeats = (0.1, 1) if args.quick else (1.0, args.repeats)
    names = [n for n in args.impl.split(",") if n]
    unknown = set(names) - set(IMPLEMENTATIONS)
    if unknown:
        parser.error(f"unknown implementations: {sorted(unknown)}")
    signal.signal(signal.SIGALRM, _on_alarm)
    workloads = build_workloads(scale, repeats)
    if args.only:
        keys = set(args.only.split(","))
        workloads = [w for w in workloads if w.key in keys]
    for name in names:  # import the peers before any timing
        _consume(IMPLEMENTATIONS[name]([b"data: warm-up\n\n"]))
    all_results = {}
    for workload in workloads:
        print(f"running {workload.key} ...", file=sys.stderr, flush=True)
        all_results[workload.key] = measure(workload, names, memory=workload.key == "W5")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"best of {repeats} (W5: best of {min(repeats, 3)}), "
        f"{'quick run (1/10 size)' if args.quick else 'full size'}\n"
    )
    print(report(workloads, all_results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
