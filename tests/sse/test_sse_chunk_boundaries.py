"""Chunk boundaries that take the decoder down each of its paths, checked against the spec.

The decoder has a per-line loop and fast paths for runs of data-only blocks;
these sequences start a chunk in every state the previous chunk can leave
behind (open block, pending ID, blank line due, CR just seen).
"""

from __future__ import annotations

import pytest

from tests.helpers.sse_decoding import decode
from tests.helpers.sse_spec import parse

PAD = b"data: " + b"p" * 150 + b"\n\n"  # long enough for the fast path
START = b": start\n"

SEQUENCES = {
    "open-block-then-blank-and-single-lines": [b"data: a\n", b"\n" + PAD * 2],
    "open-block-then-blank-and-multi-lines": [b"data: a\n", b"\ndata: b\ndata: c\n\n" + PAD],
    "open-block-continues-with-lines": [b"data: a\n", b"data: b\n" * 30 + b"\n" + PAD],
    "open-block-continues-and-stays-open": [b"data: a\n", b"data: b\n" * 30, b"\n"],
    "pending-id-then-blank-line": [b"id: 5\n", b"\n" + PAD],
    "pending-id-then-data": [b"id: 5\n", PAD * 2],
    "pending-event-then-data": [b"event: e\n", PAD * 2],
    "pending-retry-then-data": [b"retry: 9\n", PAD * 2],
    "multi-line-open-at-end": [PAD + b"data: x\ndata: y\n" * 20, b"\n"],
    "multi-line-with-garbage": [PAD + b"data: x\nid: 3\ndata: y\n\n" + PAD],
    "single-line-with-garbage": [PAD + b"data: x\n\n: c\n\n" + PAD],
    "triple-newline": [PAD + b"\n" + PAD],
    "not-data-space": [b"data:" + b"q" * 200 + b"\n\n"],
    "cr-ends-chunk": [PAD[:-1] + b"\r", b"\n" + PAD],
    "id-nul-without-space": [b"id:a\x00\ndata: x\n\n" + PAD],
    "whole-event-after-open-block": [b"data: a\n", b"data: b\n\n"],
    "whole-event-after-id": [b"id: 1\n", b"data: b\n\n"],
    "bom-then-fast-path": [b"\xef\xbb\xbf" + PAD * 3],
    "data-line-guard-not-data": [b"dat", b"x" * 5000, b"\n\n"],
    # The same states left by a read of two lines rather than one.
    "interpreted-open-block-then-blank-and-single-lines": [b": c\ndata: a\n", b"\n" + PAD * 2],
    "interpreted-open-block-then-blank-and-multi-lines": [
        b": c\ndata: a\n",
        b"\ndata: b\ndata: c\n\n" + PAD,
    ],
    "interpreted-open-block-then-blank-and-one-open-line": [
        b": c\ndata: a\n",
        b"\n" + PAD[:-1],
        b"\n",
    ],
    "interpreted-id-then-blank-line": [b": c\nid: 5\n", b"\n" + PAD],
    "interpreted-id-then-data": [b": c\nid: 5\n", PAD * 2],
    # A chunk that ends right after a data line of a clean block leaves that
    # line unread until the next chunk; every way the next chunk can go on.
    "held-line-then-blank": [b"data: a\n", b"\n"],
    "held-line-then-blank-and-event": [b"data: a\n", b"\ndata: b\n\n"],
    "held-line-then-another-line": [b"data: a\n", b"data: b\n", b"\n"],
    "held-line-then-unfinished-line": [b"data: a\n", b"data: b", b"c\n\n"],
    "held-line-then-id": [b"data: a\n", b"id: 7\n\n"],
    "held-line-then-long-line": [b"data: a\n", b"data: " + b"q" * 600, b"\n\n"],
    "held-line-then-line-within-room": [b"data: a\n", b"data: " + b"q" * 504, b"\n\n"],
    "held-line-then-long-other-line": [b"data: a\n", b"x" * 600, b"\n\n"],
    "held-invalid-utf8-then-long-line": [b"data: \xff\xfe\n", b"q" * 600, b"\n\n"],
    "held-line-ended-by-cr": [b"data: a\r", b"\n\r\n"],
    "long-line-ends-chunk-before-blank": [b"data: " + b"q" * 600 + b"\n", b"\n"],
    "held-line-then-end-of-stream": [b"id: 1\n\n", b"data: a\n"],
    # An unfinished line grows by concatenation, then as pieces past 512 bytes.
    "short-line-grows-past-room": [b"data: ", b"q" * 300, b"q" * 300, b"\n\n"],
    "event-then-long-unfinished-line": [b"data: a\n\ndata: " + b"q" * 600, b"\n\n"],
    "long-line-then-empty-chunk": [b"data: " + b"q" * 600, b"", b"\n\n"],
    "long-line-ends-in-cr": [b"data: " + b"q" * 600, b"r\r", b"\n" + PAD],
    # Whole CRLF events (the real servers' frames) in every state a chunk can find;
    # START first: the decoder's first chunk always takes the slow path (BOM check).
    "crlf-events-one-per-chunk": [START, b"data: a\r\n\r\n", b"data: b\r\n\r\n"],
    "crlf-event-after-held-line": [START, b"data: a\n", b"data: b\r\n\r\n"],
    "crlf-event-after-unfinished-line": [START, b"data: a", b"data: b\r\n\r\n"],
    "crlf-event-after-open-block": [START, b"data: a\r\ndata: z\r\n", b"data: b\r\n\r\n"],
    "crlf-event-after-id": [START, b"id: 4\r\n", b"data: b\r\n\r\n"],
    "crlf-event-after-lone-cr": [START, b"data: a\r", b"data: b\r\n\r\n"],
    "crlf-event-with-invalid-utf8": [START, b"data: \xff\xfeok\r\n\r\n", b"data: b\r\n\r\n"],
    "crlf-event-with-inner-cr": [START, b"data: a\rdata: b\r\n\r\n"],
    "crlf-line-then-unfinished-line": [START, b"data: a\r\nda", b"ta: b\r\n\r\n"],
    "crlf-event-with-inner-lf": [START, b"data: a\nb\r\n\r\n"],
    "crlf-event-with-other-field": [START, b"event: e\r\n\r\n", b"id: 3\r\n\r\n"],
    "crlf-event-with-three-line-ends": [START, b"data: a\r\n\r\n\r\n", b"data: b\r\n\r\n"],
    "crlf-event-at-the-event-limit": [START, b"data: " + b"q" * 1000 + b"\r\n\r\n"],
}


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_sequence_matches_the_spec(name: str) -> None:
    chunks = SEQUENCES[name]
    body = b"".join(chunks)
    reference = parse(body)
    for limits in ({}, {"max_line_size": None, "max_event_size": 1000}):
        got = decode(chunks, **limits)
        assert got.events == reference.events
        assert (got.last_event_id, got.retry) == (reference.last_event_id, reference.retry)
