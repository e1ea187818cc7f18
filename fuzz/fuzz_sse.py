"""Atheris fuzz harness for ``oaproto.sse.SSEDecoder``.

Run (needs the ``fuzz`` extra, ``pip install 'oaproto[fuzz]'``)::

    python fuzz/fuzz_sse.py -atheris_runs=100000

Properties checked on every input (see :func:`check`):

1. Arbitrary bytes give events or ``SSELimitError``, never another exception.
2. The events, the last event ID and the retry do not depend on the chunking.
3. With limits, a stream fails under every chunking or under none, and no
   event is lost: the events returned before the failure plus the error's
   ``events`` are the same list under every chunking, a prefix of the
   unlimited events (all of them when nothing fails).

atheris is imported only by :func:`main`, so tests can run :func:`check`
without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oaproto.sse import ServerSentEvent


def _decode(
    chunks: list[bytes], limit: int | None
) -> tuple[list[ServerSentEvent], bool, str, int | None]:
    """Events (a limit error's included), whether one ended the stream, last event ID, retry."""
    # Imported here, not at the top, so that main() can instrument oaproto.
    import oaproto.sse

    decoder = oaproto.sse.SSEDecoder(max_line_size=limit, max_event_size=limit)
    events: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
        last_id, retry = decoder.last_event_id, decoder.retry
        events += decoder.close()
    except oaproto.SSELimitError as exc:
        failure = exc
    else:
        return events, False, last_id, retry
    assert type(failure.events) is tuple
    return events + list(failure.events), True, "", None


def _split(body: bytes, sizes: bytes) -> list[bytes]:
    """Cut ``body`` into chunks of the sizes given by ``sizes`` (cycled), at least 1 byte."""
    chunks, i, k = [], 0, 0
    while i < len(body):
        size = sizes[k % len(sizes)] % 17 + 1 if sizes else 1
        chunks.append(body[i : i + size])
        i += size
        k += 1
    return chunks


def check(data: bytes) -> None:
    """One fuzz input: byte 0 picks a limit, bytes 1-8 the chunk sizes, the rest is the body."""
    if not data:
        return
    limit = None if data[0] < 128 else data[0] - 120  # 8..135 or unlimited
    sizes, body = data[1:9], data[9:]

    import oaproto.sse

    whole, whole_failed, last_id, retry = _decode([body], None)
    for event in whole:
        assert type(event) is oaproto.sse.ServerSentEvent
        assert isinstance(event.event, str)
        assert event.event
        assert isinstance(event.data, str)
        assert isinstance(event.id, str)
        assert "\0" not in event.id
        assert event.retry is None or (isinstance(event.retry, int) and event.retry >= 0)
    assert not whole_failed, "no limit was set"

    for chunks in (_split(body, sizes), [body[i : i + 1] for i in range(len(body))]):
        got = _decode(chunks, None)
        assert got == (whole, False, last_id, retry), (chunks, got, whole)

    if limit is not None:
        limited_whole = _decode([body], limit)
        limited_split = _decode(_split(body, sizes), limit)
        limited_bytes = _decode([body[i : i + 1] for i in range(len(body))], limit)
        assert limited_whole[1] == limited_split[1], "a limit error must not depend on chunking"
        assert limited_whole[:2] == limited_split[:2] == limited_bytes[:2], "an event was lost"
        events, failed = limited_whole[:2]
        assert events == whole[: len(events)]
        if not failed:
            assert events == whole


def main(argv: list[str]) -> None:
    """Fuzz :func:`check` with atheris (coverage-guided)."""
    import atheris  # the optional 'fuzz' extra

    with atheris.instrument_imports(include=["oaproto"]):
        import oaproto  # noqa: F401 - instrumented for coverage feedback
    atheris.Setup(argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
