"""Hypothesis strategies for fuzzing Server-Sent Events parsers, oaproto's or your own.

Requires hypothesis (``pip install 'oaproto[testing]'``). Three families:

* :func:`sse_streams`: valid ``text/event-stream`` bodies together with the
  events a WHATWG-conforming parser must dispatch for them, built from random
  fields, field orders, spacing, comments, keep-alives, ``id``-only blocks,
  line endings (CRLF, LF, CR, mixed), a leading BOM and a truncated tail.
* :func:`chunkings`: every way a transport might cut a body into reads.
* :func:`hostile_streams`: bytes a broken or hostile server might send: long
  lines, invalid UTF-8, stray CRs, NULs, BOM fragments, huge ``retry`` values.

Example, checking a parser against the expected events whatever the chunking::

    from hypothesis import given, strategies as st
    from oaproto import SSEDecoder
    from oaproto.testing.strategies import chunkings, sse_streams

    @given(st.data())
    def test_parser(data):
        body, expected = data.draw(sse_streams())
        decoder = SSEDecoder()
        events = []
        for chunk in data.draw(chunkings(body)):
            events += decoder.feed(chunk)
        events += decoder.close()
        assert events == expected

Expected events are :class:`oaproto.sse.ServerSentEvent` values; for another
parser compare ``(event, data, id, retry)`` field by field.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # tested by hiding hypothesis
    raise ImportError(
        "oaproto.testing.strategies needs hypothesis; install the 'testing' extra: "
        "pip install 'oaproto[testing]'"
    ) from exc

from .._sse import ServerSentEvent

__all__ = ["chunkings", "hostile_streams", "sse_events", "sse_streams"]

_FIELDS = ("data", "event", "id", "retry")
_BOM = b"\xef\xbb\xbf"

# Field values: any character except the line ends and lone surrogates (which
# UTF-8 cannot carry), with the characters that other line splitters wrongly
# treat as line ends, and the BOM, made likely.
_TRICKY = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e\ufeff\x00: \t\u00e9\U0001f600"
_value_chars = st.one_of(
    st.sampled_from(_TRICKY),
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"),
)
_values = st.text(alphabet=_value_chars, max_size=12)
_ids = st.text(alphabet=_value_chars.filter(lambda c: c != "\x00"), max_size=8)
_names = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n:"),
    min_size=1,
    max_size=8,
).filter(lambda name: name not in _FIELDS)


def _field_line(draw: Any, name: str, value: str) -> str:
    # The spec strips one space after the colon, so a value starting with a
    # space needs one written before it; an empty value may also be written
    # as the bare field name.
    line: str
    if value == "":
        line = draw(st.sampled_from([name, name + ":", name + ": "]))
    elif value.startswith(" "):
        line = f"{name}: {value}"
    else:
        line = draw(st.sampled_from([f"{name}:{value}", f"{name}: {value}"]))
    return line


def _extra_lines(draw: Any, comments: bool) -> list[str]:
    """Lines that change nothing: comments and unknown fields."""
    lines = []
    if comments:
        lines += [":" + v for v in draw(st.lists(_values, max_size=2))]
    for name in draw(st.lists(_names, max_size=1)):
        lines.append(_field_line(draw, name, draw(_values)))
    return lines


@st.composite
def _sse_streams(
    draw: Any,
    max_blocks: int,
    line_endings: Sequence[str],
    bom: bool | None,
    comments: bool,
    truncate: bool,
) -> tuple[bytes, list[ServerSentEvent]]:
    lines: list[str] = []  # every complete line, blank lines included
    events: list[ServerSentEvent] = []
    last_id = ""
    for _ in range(draw(st.integers(0, max_blocks))):
        kind = draw(st.sampled_from(["event", "event", "event", "keep-alive", "id", "no-data"]))
        block = _extra_lines(draw, comments)
        if kind == "event":
            values = draw(st.lists(_values, min_size=1, max_size=4))
            others = list(block)
            etype = draw(st.none() | _values)
            if etype is not None:
                others.append(_field_line(draw, "event", etype))
            new_id = draw(st.none() | _ids)
            if new_id is not None:
                others.append(_field_line(draw, "id", new_id))
                last_id = new_id
            retry = draw(st.none() | st.integers(0, 10**12))
            if retry is not None:
                digits = draw(st.integers(0, 3)) * "0" + str(retry)
                others.append(_field_line(draw, "retry", digits))
            # The other fields go anywhere among the data lines, which keep
            # their order.
            block = [_field_line(draw, "data", v) for v in values]
            for line in others:
                block.insert(draw(st.integers(0, len(block))), line)
            events.append(ServerSentEvent(etype or "message", "\n".join(values), last_id, retry))
        elif kind == "id":
            # The last event ID changes, but no event fires: the blank line
            # after it must not dispatch anything.
            last_id = draw(_ids)
            block.append(_field_line(draw, "id", last_id))
        elif kind == "no-data":
            block.append(_field_line(draw, "event", draw(_values)))
            block.append(_field_line(draw, "retry", str(draw(st.integers(0, 10**6)))))
        lines += block
        lines += [""] * draw(st.integers(1, 2))
    if truncate and draw(st.booleans()):
        # A block cut off by the end of the stream dispatches nothing.
        lines += [_field_line(draw, "data", draw(_values))]
    ends = [draw(st.sampled_from(line_endings)) for _ in lines]
    for i in range(1, len(lines)):
        if ends[i - 1] == "\r" and lines[i] == "" and ends[i] == "\n":
            ends[i] = "\r"  # "\r" then "\n" would be read as one CRLF
    body = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if truncate and draw(st.booleans()):
        body += "data:" + draw(_values)  # an unterminated last line
    use_bom = draw(st.booleans()) if bom is None else bom
    return (_BOM if use_bom else b"") + body.encode("utf-8"), events


def sse_streams(
    *,
    max_blocks: int = 8,
    line_endings: Sequence[str] = ("\n", "\r\n", "\r"),
    bom: bool | None = None,
    comments: bool = True,
    truncate: bool = True,
) -> st.SearchStrategy[tuple[bytes, list[ServerSentEvent]]]:
    """Valid event streams and the events a conforming parser dispatches for them.

    Args:
        max_blocks: the most blocks (events, keep-alives, ``id``-only and
            data-less blocks) in one stream.
        line_endings: the line endings to draw from, per line.
        bom: whether the stream starts with a UTF-8 BOM; ``None`` for either.
        comments: whether to add comment lines.
        truncate: whether the stream may end inside a block or a line.

    Returns:
        A strategy for ``(body, expected_events)`` pairs.
    """
    if not line_endings or any(end not in ("\n", "\r\n", "\r") for end in line_endings):
        raise ValueError(
            f"line_endings must be drawn from '\\n', '\\r\\n', '\\r': {line_endings!r}"
        )
    return _sse_streams(max_blocks, tuple(line_endings), bom, comments, truncate)


def sse_events(*, max_size: int = 8) -> st.SearchStrategy[list[ServerSentEvent]]:
    """Lists of events that a stream can carry exactly, e.g. for encoder round trips.

    Event types are non-empty (an empty one reads back as ``"message"``),
    data has no CR (a CR reads back as a LF), ids have no line ends or U+0000.

    Args:
        max_size: the most events in one list.

    Returns:
        A strategy for lists of :class:`~oaproto.sse.ServerSentEvent`.
    """
    data = st.lists(_values, min_size=1, max_size=3).map("\n".join)
    event = st.builds(
        ServerSentEvent,
        event=st.just("message") | _values.filter(bool),
        data=data,
        id=_ids,
        retry=st.none() | st.integers(0, 10**12),
    )
    return st.lists(event, max_size=max_size)


def chunkings(
    data: bytes, *, max_chunks: int | None = None, allow_empty: bool = False
) -> st.SearchStrategy[list[bytes]]:
    """Ways of cutting ``data`` into consecutive chunks, as reads off a socket would.

    The chunks always join back to ``data``. Shrinking tends towards a single chunk.

    Args:
        data: the bytes to cut.
        max_chunks: the most chunks, or ``None`` for up to one per byte.
        allow_empty: whether empty chunks may appear among the others.

    Returns:
        A strategy for lists of byte strings whose concatenation is ``data``.
    """
    limit = len(data) if max_chunks is None else min(len(data), max(0, max_chunks - 1))
    cuts = st.lists(st.integers(0, len(data)), max_size=limit)
    if not allow_empty:
        cuts = cuts.map(lambda points: sorted(set(points) - {0, len(data)}))
    else:
        cuts = cuts.map(sorted)

    def cut(points: list[int]) -> list[bytes]:
        bounds = [0, *points, len(data)]
        chunks = [data[a:b] for a, b in pairwise(bounds)]
        return chunks if allow_empty else [chunk for chunk in chunks if chunk]

    return cuts.map(cut)


# Byte sequences that break naive parsers.
_HOSTILE_PIECES = [
    b"\r", b"\n", b"\r\n", b"\n\r", b"\r\r", b"\n\n",
    _BOM, b"\xef\xbb", b"\xef",  # BOMs, whole and partial
    b"\xff", b"\xfe", b"\x80", b"\xc0\xaf", b"\xe0\x80\xaf",  # invalid, overlong
    b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xf0\x9f\x98",  # surrogate, >U+10FFFF, cut
    b"\x00", b"\x0b", b"\x0c", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9",
    b"data", b"data:", b"data: ", b"event:", b"id:", b"id: \x00", b"retry:", b"retry: 1",
    b":", b" ", b"Data:", b"data : x",
]  # fmt: skip


def hostile_streams(*, max_line: int = 4096, max_pieces: int = 24) -> st.SearchStrategy[bytes]:
    """Bytes from a broken or hostile server, with no expected events.

    A conforming parser must return events or a typed error for these, never
    crash, hang or grow without bound; compare it with a reference parser, or
    check that its events do not depend on the chunking.

    Args:
        max_line: the longest run of one repeated piece (long lines, floods of
            line ends or data lines).
        max_pieces: the most pieces joined into one stream.

    Returns:
        A strategy for byte strings.
    """
    runs = st.builds(
        lambda piece, count: piece * count,
        st.sampled_from([b"x", b"\xff", b"\r", b"\n", b"\r\n", b"data: x\n", b"\xe2\x82\xac"]),
        st.integers(1, max(1, max_line)),
    )
    huge_retry = st.integers(1, max(1, max_line)).map(lambda n: b"retry: " + b"9" * n + b"\n")
    piece = st.one_of(
        st.sampled_from(_HOSTILE_PIECES),
        st.binary(max_size=32),
        runs,
        huge_retry,
    )
    return st.lists(piece, max_size=max_pieces).map(b"".join)
