"""max_line_size (bytes per line) and max_event_size (characters of one event's data)."""

from __future__ import annotations

import tracemalloc

import pytest

from oaproto import LocalProtocolError, RemoteProtocolError, SSELimitError
from oaproto.sse import ServerSentEvent as E
from oaproto.sse import SSEDecoder
from tests.helpers.sse_decoding import chunkings, decode


def feed_all(decoder: SSEDecoder, chunks: list[bytes]) -> list[E]:
    events: list[E] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events


def limit_error(chunks: list[bytes], **limits: int | None) -> SSELimitError | None:
    decoder = SSEDecoder(**limits)
    try:
        feed_all(decoder, chunks)
        decoder.close()
    except SSELimitError as exc:
        return exc
    return None


@pytest.mark.parametrize(
    ("body", "fails"),
    [
        (b"data: " + b"x" * 10 + b"\n\n", False),  # 16 bytes: the limit itself
        (b"data: " + b"x" * 11 + b"\n\n", True),
        (b"data: " + b"x" * 10 + b"\r\n\r\n", False),  # the line end does not count
        (b"\xef\xbb\xbfdata: " + b"x" * 10 + b"\n\n", False),  # nor does the BOM
        ("data: " + "\u00e9" * 5 + "\n\n", False),  # 16 bytes of UTF-8
        ("data: " + "\u00e9" * 5 + "x\n\n", True),  # 17 bytes, 12 characters
        (b": " + b"c" * 15 + b"\n\n", True),  # comments count too
        (b"data: " + b"x" * 11, True),  # an unfinished line as well
    ],
)
def test_max_line_size_counts_bytes_of_one_line(body: bytes | str, fails: bool) -> None:
    raw = body.encode() if isinstance(body, str) else body
    for chunks in chunkings(raw):
        error = limit_error(chunks, max_line_size=16)
        assert (error is not None) == fails, chunks
        if error is not None:
            assert (error.limit_name, error.limit) == ("max_line_size", 16)
            assert "max_line_size" in str(error)
            assert "16" in str(error)
            assert isinstance(error, RemoteProtocolError)


@pytest.mark.parametrize(
    ("body", "fails"),
    [
        (b"data: " + b"x" * 10 + b"\n\n", False),
        (b"data: " + b"x" * 11 + b"\n\n", True),
        (b"data: 12345\ndata: 6789\n\n", False),  # 9 characters and one LF
        (b"data: 12345\ndata: 67890\n\n", True),
        ("data: " + "\u00e9" * 10 + "\n\n", False),  # characters, not bytes
        (b"data: 1234567890\ndata\n\n", True),  # the empty line adds its LF
        (b"data: " + b"x" * 11, False),  # an unfinished short line is not data yet
        (b"data: 1234567890\ndata: x\n", True),  # an open block counts
        (b"event: " + b"x" * 30 + b"\ndata: 1\n\n", False),  # only data counts
    ],
)
def test_max_event_size_counts_characters_of_data(body: bytes | str, fails: bool) -> None:
    raw = body.encode() if isinstance(body, str) else body
    for chunks in chunkings(raw):
        error = limit_error(chunks, max_event_size=10)
        assert (error is not None) == fails, chunks
        if error is not None:
            assert (error.limit_name, error.limit) == ("max_event_size", 10)
            assert "max_event_size of 10" in str(error)


def test_event_limit_applies_to_each_event_not_the_stream() -> None:
    body = b"".join(b"data: 1234567890\n\n" for _ in range(100))
    for chunks in chunkings(body):
        assert len(decode(chunks, max_event_size=10).events) == 100


def test_event_limit_when_open_block_continues_in_fast_path() -> None:
    # 250 characters are buffered; the next chunk continues that block with a
    # text long enough for the fast path, taking the event past 300.
    decoder = SSEDecoder(max_event_size=300)
    assert decoder.feed(b"data: " + b"a" * 250 + b"\n") == []
    with pytest.raises(SSELimitError):
        decoder.feed(b"data: " + b"b" * 130 + b"\n\n")


def test_event_limit_with_fast_path_within_one_chunk() -> None:
    decoder = SSEDecoder(max_event_size=100)
    body = b"data: " + b"a" * 50 + b"\n\n" + b"data: " + b"b" * 101 + b"\n\n"
    with pytest.raises(SSELimitError):
        decoder.feed(body)


def test_held_data_line_does_not_count_toward_the_next_line() -> None:
    # "data: a\n" ends a chunk and is read with the next one; the line after
    # it is 600 bytes long, within the limit, though both together are not.
    decoder = SSEDecoder(max_line_size=600)
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"data: " + b"q" * 594) == []
    assert decoder.feed(b"\n\n") == [E(data="a\n" + "q" * 594)]


def test_data_line_over_the_event_limit_fails_before_its_block_ends() -> None:
    # Too big to be held back unread: the error comes with this chunk, not the next.
    decoder = SSEDecoder(max_event_size=10)
    with pytest.raises(SSELimitError) as info:
        decoder.feed(b"data: " + b"x" * 30 + b"\n")
    assert info.value.limit_name == "max_event_size"


def test_held_data_lines_count_toward_the_event_limit() -> None:
    decoder = SSEDecoder(max_event_size=5)
    assert decoder.feed(b"data: abc\n") == []
    with pytest.raises(SSELimitError) as info:
        decoder.feed(b"data: def\n")
    assert info.value.limit_name == "max_event_size"


def test_event_before_a_too_long_unfinished_line_goes_with_the_error() -> None:
    decoder = SSEDecoder(max_line_size=100)
    with pytest.raises(SSELimitError) as info:
        decoder.feed(b"data: a\n\n" + b"x" * 101)
    assert info.value.events == (E(data="a"),)


def test_line_limit_raises_before_the_line_ends() -> None:
    # Memory stays bounded: the error comes while the line is still arriving.
    decoder = SSEDecoder(max_line_size=1000)
    decoder.feed(b"data: ")
    decoder.feed(b"x" * 900)
    with pytest.raises(SSELimitError) as info:
        decoder.feed(b"x" * 200)
    assert info.value.limit_name == "max_line_size"


def test_unfinished_data_line_is_rejected_by_event_limit_alone() -> None:
    # With no line limit, a data line whose bytes already guarantee more than
    # max_event_size characters (4 bytes per character at most) is rejected.
    decoder = SSEDecoder(max_line_size=None, max_event_size=100)
    decoder.feed(b"da")
    decoder.feed(b"ta: ")
    decoder.feed(b"x" * 400)  # 406 bytes: not yet certain
    with pytest.raises(SSELimitError) as info:
        decoder.feed(b"x")
    assert info.value.limit_name == "max_event_size"


def test_unfinished_other_line_is_unbounded_without_line_limit() -> None:
    decoder = SSEDecoder(max_line_size=None, max_event_size=100)
    decoder.feed(b": " + b"c" * 5000)
    decoder.feed(b"\nevent: " + b"e" * 5000)
    assert decoder.feed(b"\ndata: ok\n\n") == [E("e" * 5000, "ok")]


def test_unlimited() -> None:
    body = b"data: " + b"x" * 100_000 + b"\n\n"
    assert decode([body], max_line_size=None, max_event_size=None).events == [E(data="x" * 100_000)]


def test_zero_limits() -> None:
    assert decode([b"\n\n"], max_line_size=0, max_event_size=0).events == []
    assert decode([b"data\n\n"], max_line_size=4, max_event_size=0).events == [E(data="")]
    assert limit_error([b"x\n"], max_line_size=0) is not None


def test_memory_stays_bounded_by_the_line_limit() -> None:
    limit = 1024 * 1024
    decoder = SSEDecoder(max_line_size=limit)
    chunk = b"x" * 65536
    tracemalloc.start()
    try:
        with pytest.raises(SSELimitError):
            feed_all(decoder, [chunk] * 200)  # 12.5 MiB offered
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * limit


def test_events_before_the_error_in_earlier_chunks_are_kept() -> None:
    decoder = SSEDecoder(max_line_size=10)
    assert decoder.feed(b"data: a\n\n") == [E(data="a")]
    with pytest.raises(SSELimitError):
        decoder.feed(b"data: bcdefgh\n\n")


def test_decoder_is_unusable_after_an_error() -> None:
    decoder = SSEDecoder(max_line_size=4)
    with pytest.raises(SSELimitError):
        decoder.feed(b"data: x\n\n")
    with pytest.raises(LocalProtocolError):
        decoder.feed(b"\n")
    with pytest.raises(LocalProtocolError):
        decoder.feed(b"")
    with pytest.raises(LocalProtocolError):
        decoder.close()


def test_line_error_comes_after_the_lines_before_it() -> None:
    # Fed whole, the event-size violation on line one is reported, as it is
    # when the lines arrive one by one.
    body = b"data: " + b"x" * 20 + b"\n" + b"y" * 100 + b"\n"
    for chunks in chunkings(body):
        error = limit_error(chunks, max_line_size=50, max_event_size=10)
        assert error is not None
        assert error.limit_name == "max_event_size"


@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
def test_invalid_limits_are_refused(value: object) -> None:
    with pytest.raises(LocalProtocolError):
        SSEDecoder(max_line_size=value)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        SSEDecoder(max_event_size=value)  # type: ignore[arg-type]


def test_event_limit_on_an_open_block_in_fast_path() -> None:
    decoder = SSEDecoder(max_event_size=300)
    assert decoder.feed(b"data: " + b"a" * 200 + b"\n") == []
    with pytest.raises(SSELimitError):
        decoder.feed(b"data: " + b"b" * 200 + b"\n")  # 401 characters, block still open


@pytest.mark.parametrize("size", [993, 994, 995, 999, 1000, 1001])
@pytest.mark.parametrize("limit", ["max_line_size", "max_event_size"])
def test_a_whole_crlf_event_meets_the_limits_as_its_lf_twin(size: int, limit: str) -> None:
    # The CRLF frame of the real servers has a path of its own; at each side
    # of each limit it must end as the same frame with LF line ends does.
    def outcome(end: bytes) -> tuple[list[E], str | None]:
        decoder = SSEDecoder(**{limit: 1000})
        first = b"data: " + b"q" * size + end + end
        try:
            events = feed_all(decoder, [first, b"data: next" + end + end])
        except SSELimitError as exc:
            return list(exc.events), str(exc)
        return events, None

    crlf, lf = outcome(b"\r\n"), outcome(b"\n")
    assert crlf == lf
    assert (lf[1] is None) == (size + (6 if limit == "max_line_size" else 0) <= 1000)
