"""One test per parser bug listed in the issue (and in the style anchors, httpx-sse #34/#35).

Each reproduces the byte pattern that trips a popular Python parser and
checks the spec's answer, fed whole, byte by byte and cut everywhere.
"""

from __future__ import annotations

import tracemalloc

from oaproto.sse import ServerSentEvent as E
from oaproto.sse import SSEDecoder
from tests.helpers.sse_decoding import assert_every_chunking, decode


def test_leading_bom_is_stripped_and_first_event_kept() -> None:
    # No peer strips the BOM: the first field name becomes "\ufeffdata" and the
    # first event is lost.
    assert_every_chunking(
        b"\xef\xbb\xbfdata: first\n\ndata: second\n\n", [E(data="first"), E(data="second")]
    )


def test_bom_split_across_chunks_is_still_stripped() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: x\n\n") == [E(data="x")]


def test_invalid_utf8_becomes_replacement_character_not_an_exception() -> None:
    # Most peers decode strictly and raise UnicodeDecodeError mid-stream.
    assert_every_chunking(b"data: caf\xe9 \xff\xfe ok\n\n", [E(data="caf\ufffd \ufffd\ufffd ok")])


def test_multibyte_character_split_across_reads() -> None:
    body = "data: \U0001f600\u00e9\n\n".encode()
    decoder = SSEDecoder()
    events = [ev for i in range(len(body)) for ev in decoder.feed(body[i : i + 1])]
    assert events == [E(data="\U0001f600\u00e9")]


def test_no_phantom_event_after_id_when_keepalive_follows() -> None:
    # httpx-sse and openai dispatch ServerSentEvent(data="", id="1") here: the
    # sticky last event ID is not a reason to dispatch.
    body = b"id: 1\ndata: a\n\n: keep-alive\n\n\n: ping\r\n\r\ndata: b\n\n"
    assert_every_chunking(body, [E(data="a", id="1"), E(data="b", id="1")], last_event_id="1")


def test_id_only_block_dispatches_nothing() -> None:
    assert_every_chunking(b"id: 7\n\n\n", [], last_event_id="7")


def test_truncated_event_at_end_of_stream_is_not_dispatched() -> None:
    # sseclient-py yields whatever is buffered when the body ends.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: whole\n\ndata: cut off") == [E(data="whole")]
    assert decoder.close() == []
    decoder = SSEDecoder()
    assert decoder.feed(b"data: whole\n\ndata: cut off\nevent: x\n") == [E(data="whole")]
    assert decoder.close() == []


def test_cr_only_line_endings_dispatch() -> None:
    # One peer only knows LF and CRLF and never dispatches on CR.
    assert_every_chunking(b"data: a\rdata: b\r\rdata: c\r\r", [E(data="a\nb"), E(data="c")])


def test_cr_at_end_of_chunk_dispatches_at_once() -> None:
    # The CR ends the blank line: the event is due now, not when more bytes come.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r\n\r") == [E(data="x")]
    assert decoder.feed(b"\n") == []  # the second half of the CRLF, not a new line
    assert decoder.feed(b"data: y\r\n\r\n") == [E(data="y")]


def test_crlf_split_across_reads_is_one_line_end() -> None:
    # A parser that treats the LF after a chunk-final CR as another line end
    # sees a blank line and ends the event early (requests' iter_lines does).
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n\r") == [E(data="a\nb")]
    assert decoder.feed(b"\n") == []
    assert decoder.close() == []


def test_lf_after_cr_is_skipped_only_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [E(data="a")]  # this LF is a line of its own


def test_unicode_line_separators_do_not_split_lines() -> None:
    # httpx-sse #34: str.splitlines() splits on U+2028 and friends, breaking JSON.
    data = '{"text": "a\u2028b\u2029c\x85d"}'
    assert_every_chunking(f"data: {data}\n\n".encode(), [E(data=data)])
    assert E(data=data).json() == {"text": "a\u2028b\u2029c\x85d"}
    assert_every_chunking(b"data: a\x0bb\x0cc\x1cd\n\n", [E(data="a\x0bb\x0cc\x1cd")])


def test_32_mib_event_in_64_kib_chunks_is_linear_and_bounded() -> None:
    # Several peers re-scan or re-concatenate the buffered line on every chunk
    # and go quadratic on a huge event. Here the 8 MiB line is fed 8 KiB at a
    # time (1024 chunks; a quadratic parser copies ~4 GiB) and peak memory
    # stays under three times the event.
    size = 8 * 1024 * 1024
    body = b"data: " + b"x" * size + b"\r\n\r\n"
    chunks = [body[i : i + 8192] for i in range(0, len(body), 8192)]
    tracemalloc.start()
    try:
        result = decode(chunks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [len(ev.data) for ev in result.events] == [size]
    assert peak < 3 * size


def test_huge_multi_line_event_in_small_chunks_is_not_rejoined() -> None:
    # 8 MiB of 80-character data lines, 8 KiB at a time: the open block grows
    # by one piece per chunk and is joined once, at its blank line. (Joining
    # it again on every chunk would copy ~4 GiB.)
    line = b"data: " + b"y" * 80 + b"\n"
    body = line * (8 * 1024 * 1024 // 81) + b"\n"
    chunks = [body[i : i + 8192] for i in range(0, len(body), 8192)]
    decoder = SSEDecoder()
    tracemalloc.start()
    try:
        events = [event for chunk in chunks[:-1] for event in decoder.feed(chunk)]
        # White box, as a guard against going quadratic again: the open block
        # is a list of pieces, about one per chunk, not one re-joined string.
        assert len(decoder._data) > len(chunks) // 2
        events += decoder.feed(chunks[-1])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(events) == 1
    assert events[0].data == "\n".join(["y" * 80] * (8 * 1024 * 1024 // 81))
    assert peak < 3 * len(body)
