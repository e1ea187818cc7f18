"""Hypothesis strategies for fuzzing Server-Sent Events parsers, oaproto's or your own.

Requires hypothesis (``pip install 'oaproto[testing]'``). Four families:

* :func:`sse_streams`: ``text/event-stream`` bodies together with the events a
  WHATWG-conforming parser must dispatch for them. Every rule of the spec's
  "Interpreting an event stream" and "Dispatch the event" steps is probed,
  in valid and invalid forms: line ends, the BOM, UTF-8 (valid, invalid,
  truncated), comments, field syntax and look-alike names, ``data`` joining,
  ``event`` reset, ``id`` persistence and U+0000, every invalid spelling of
  ``retry``, blocks without data and an unterminated tail. The expected events
  come from a literal transcription of the spec (:func:`oaproto.testing.spec_events`).
* :func:`chunkings`: ways a transport might cut a body into reads, biased
  towards the cuts that break parsers (inside a CRLF, a BOM, a character).
* :func:`hostile_streams`: bytes a broken or hostile server might send: long
  lines, invalid UTF-8, stray CRs, NULs, BOM fragments, huge ``retry`` values
  (with their expected events on request).
* :func:`sse_events`: events a stream can carry exactly, for encoder round trips.

Example, checking a parser against the expected events whatever the chunking::

    from hypothesis import given, strategies as st
    from oaproto.sse import SSEDecoder
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

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, TypeVar, overload

try:
    from hypothesis import strategies as st
except ImportError as exc:  # tested by hiding hypothesis
    raise ImportError(
        "oaproto.testing.strategies needs hypothesis; install the 'testing' extra: "
        "pip install 'oaproto[testing]'"
    ) from exc

from .._sse import ServerSentEvent
from ._oracle import spec_events
from ._rules import RULES

__all__ = ["chunkings", "hostile_streams", "sse_events", "sse_streams"]

_FIELDS = ("data", "event", "id", "retry")
_BOM = b"\xef\xbb\xbf"
_LINE_ENDS = ("\n", "\r\n", "\r")

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
# Values that probe nothing but the rule at hand: no spaces, colons or
# characters other parsers split on.
_plain = st.text(alphabet="abcxyz0189{}\"'", min_size=1, max_size=6)

_multi_values = {
    plain: st.lists(values | st.just(""), min_size=2, max_size=4)
    for plain, values in ((True, _plain), (False, _values))
}
_Lines = list[bytes]  # complete lines of one probe, without their line ends


@dataclass(frozen=True)
class _Style:
    """How a stream is written: its values, line ends, BOM and tail."""

    values: st.SearchStrategy[str]
    ends: tuple[str, ...]
    bom: bool | None
    comments: bool
    truncate: bool
    # The most blank lines after a block (more than one only in the wide mix:
    # an extra blank line is what the no-data rule probes).
    blank_lines: int = 2
    # Whether probes of other rules may set an id (which then persists into
    # later events, and would expose id bugs under those rules' names).
    ids: bool = True

    @property
    def lines(self) -> st.SearchStrategy[list[str]]:
        """Two to four data values, empty ones likely."""
        return _multi_values[self.values is _plain]


_T = TypeVar("_T")


def _pick(draw: st.DrawFn, options: Sequence[_T]) -> _T:
    """One of ``options`` (the first when shrunk), without a new strategy per call."""
    return options[draw(st.integers(0, len(options) - 1))]


def _field(draw: st.DrawFn, name: str, value: str) -> bytes:
    # The spec strips one space after the colon, so a value starting with a
    # space needs one written before it; an empty value may also be written
    # as the bare field name.
    line: str
    if value == "":
        line = _pick(draw, [name, name + ":", name + ": "])
    elif value.startswith(" "):
        line = f"{name}: {value}"
    else:
        line = _pick(draw, [f"{name}:{value}", f"{name}: {value}"])
    return line.encode()


def _data_block(draw: st.DrawFn, style: _Style, most: int = 2) -> _Lines:
    values = draw(st.lists(style.values, min_size=1, max_size=most))
    return [_field(draw, "data", value) for value in values]


def _blank(draw: st.DrawFn, style: _Style) -> _Lines:
    """The blank line that ends a block; in the wider mix, sometimes a keep-alive one more."""
    return [b""] * draw(st.integers(1, style.blank_lines))


def _plain_event(draw: st.DrawFn, style: _Style) -> _Lines:
    """A block of data lines: the events that make other probes visible."""
    return _data_block(draw, style) + _blank(draw, style)


def _multi_line(draw: st.DrawFn, style: _Style) -> _Lines:
    """Several data lines, empty ones too (line ends, their splits, joining)."""
    lines = [_field(draw, "data", value) for value in draw(style.lines)]
    return lines + _blank(draw, style)


_separator_text = st.text(alphabet="\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1eab", min_size=1, max_size=6)


def _not_line_ends(draw: st.DrawFn, style: _Style) -> _Lines:
    value = draw(_separator_text)
    return [b"data: " + value.encode(), *_blank(draw, style)]


def _bom_once(draw: st.DrawFn, style: _Style) -> _Lines:
    """BOMs where only the stream's first one would be dropped: at line and value starts."""
    lines = []
    for _ in range(draw(st.integers(1, 2))):
        field = _pick(draw, ["data: ", "data:", "event: ", "id: "][: 4 if style.ids else 3])
        value = draw(style.values)
        lines.append(_pick(draw, [f"\ufeff{field}{value}", f"{field}\ufeff{value}"]).encode())
    return [*lines, *_data_block(draw, style, 1), b""]


_utf8_values = st.lists(
    st.text(alphabet="a\u00e9\u00df\u0436\u20ac\u4e2d\U0001f600\U00010348", min_size=1, max_size=5),
    min_size=1,
)


def _utf8(draw: st.DrawFn, style: _Style) -> _Lines:
    values = draw(_utf8_values)
    return [b"data: " + value.encode() for value in values[:3]] + _blank(draw, style)


# Invalid UTF-8 by kind: bytes that never start a character, sequences that
# are overlong, surrogates or beyond U+10FFFF (one U+FFFD per byte), and
# sequences cut short (one U+FFFD for all their bytes).
_INVALID_UTF8 = (
    (b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xf5", b"\xc0", b"\xc1"),
    (b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf0\x80\x80\x80"),
    (b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xf0\x9f", b"\xe0\xa0", b"\xf4\x8f\xbf", b"\xed\x9f"),
)
_VALID_UTF8 = (b"a", b"\xc3\xa9", b" ", b"\xe2\x82\xac")


def _invalid_utf8_value(draw: st.DrawFn) -> bytes:
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        kind = _pick(draw, (*_INVALID_UTF8, _VALID_UTF8))
        pieces.append(_pick(draw, kind))
    return b"".join(pieces)


def _utf8_invalid(draw: st.DrawFn, style: _Style) -> _Lines:
    value = _invalid_utf8_value(draw)
    where = _pick(draw, ["data", "data", "event", "name", "id"][: 5 if style.ids else 4])
    # In a name, the bytes make it no longer "data".
    line = b"da" + value + b"ta: x" if where == "name" else where.encode() + b": " + value
    return [line, *_data_block(draw, style, 1), b""]


def _comments(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = _data_block(draw, style, 3)
    for _ in range(draw(st.integers(1, 3))):
        text = _pick(draw, [":", ": ping", ":data: x", "::", ": event: e", " ", "\t"])
        # A line of blanks is no comment, but changes nothing either (a field
        # with an unknown name); some parsers read it as a blank line.
        lines.insert(draw(st.integers(0, len(lines))), text.encode())
    return lines + _blank(draw, style)


_some_fields = {
    ids: st.lists(st.sampled_from([f for f in _FIELDS if ids or f != "id"]), min_size=1, max_size=3)
    for ids in (True, False)
}


def _field_no_colon(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = [_field(draw, "data", draw(style.values))]
    for name in draw(_some_fields[True]):
        if name != "data":  # give the bare name something to reset
            lines.append(_field(draw, name, _pick(draw, ["x", "5"])))
        lines.append(name.encode())
    return lines + _blank(draw, style)


_spaced_fields = {
    ids: st.lists(st.sampled_from(names), min_size=1, max_size=4)
    for ids, names in ((True, ["data", "data", "event", "id"]), (False, ["data", "data", "event"]))
}


def _field_space(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = []
    for name in draw(_spaced_fields[style.ids]):
        space = _pick(draw, ["", " ", "  ", "   ", "\t", " \t"])
        value = draw(style.values) + _pick(draw, ["", " "])
        lines.append(f"{name}:{space}{value}".encode())
    return [*lines[:4], b"data:" + _pick(draw, [b"", b" "]) + b"x", b""]


def _field_value_colon(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = []
    for name in draw(_some_fields[style.ids]):
        value = _pick(draw, [":", "a:b", " :x", "1:2", "::", "a: b"])
        lines.append(f"{name}:{value}".encode())
    return [*lines, b"data: x", b""]


# Field names that are not "data", "event", "id" or "retry", by kind.
_LOOK_ALIKES = (
    ("Data", "DATA", "dATA", "Event", "EVENT", "Id", "ID", "iD", "Retry", "RETRY"),
    (" ", "  ", "\t", "\x0b", "\u3000"),  # a line of these alone is not a blank line
    ("data ", " data", "data\t", "event ", " id", "id ", "retry ", " retry", "\ufeffid"),
    ("d\u0430ta", "\uff44\uff41\uff54\uff41", "\u0456d", "\u0435vent", "r\u0435try"),
    ("data\x00", "dat", "datas", "ids", "event_", "retry2", "data\u0301", ""),
)


def _look_alike(draw: st.DrawFn) -> str:
    if _pick(draw, (True, True, True, False)):
        return _pick(draw, _pick(draw, _LOOK_ALIKES))
    return draw(_names)


def _field_names(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = []
    for _ in range(draw(st.integers(2, 4))):
        name = _look_alike(draw)
        value = _pick(draw, ["", "x", "5", " x"])
        # A bare name is a field too (never an empty one: that is a blank line).
        lines.append(f"{name}:{value}".encode() if value or not name else name.encode())
    lines.insert(draw(st.integers(0, len(lines))), _field(draw, "data", draw(style.values)))
    # Data after the look-alikes too: a look-alike read as a blank line splits the block.
    lines.append(_field(draw, "data", draw(style.values)))
    return [*lines, b""]


def _data_empty(draw: st.DrawFn, style: _Style) -> _Lines:
    return [_pick(draw, [b"data", b"data:", b"data: "]), *_blank(draw, style)]


def _event_type(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = _data_block(draw, style)
    for _ in range(draw(st.integers(1, 2))):
        lines.insert(draw(st.integers(0, len(lines))), _field(draw, "event", draw(style.values)))
    return lines + _blank(draw, style)


def _event_reset(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = [_field(draw, "event", draw(style.values.filter(bool)))]
    if draw(st.booleans()):
        lines += _data_block(draw, style, 1)
    return lines + _blank(draw, style) + _plain_event(draw, style)


def _id_persist(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = _data_block(draw, style)
    lines.insert(draw(st.integers(0, len(lines))), _field(draw, "id", draw(style.values)))
    return lines + _blank(draw, style) + _plain_event(draw, style)


def _id_empty(draw: st.DrawFn, style: _Style) -> _Lines:
    first = [_field(draw, "id", draw(style.values.filter(bool))), *_data_block(draw, style, 1)]
    reset = [_pick(draw, [b"id", b"id:", b"id: "]), *_data_block(draw, style, 1)]
    return [*first, b"", *reset, b""]


def _id_nul(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = []
    if draw(st.booleans()):
        lines += [_field(draw, "id", draw(style.values.filter(bool))), b"data: a", b""]
    value = draw(style.values)
    cut = draw(st.integers(0, len(value)))
    lines += [f"id: {value[:cut]}\x00{value[cut:]}".encode(), *_data_block(draw, style, 1)]
    return [*lines, b""]


def _id_without_data(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = [_field(draw, "id", draw(style.values))]
    if draw(st.booleans()):
        lines += [b"", b": keep-alive"]
    return lines + _blank(draw, style) + _plain_event(draw, style)


_digits = st.integers(0, 10**12).map(str)
# Every way a retry value can fail to be ASCII digits only, the spellings
# other parsers accept (other digits, int(), float()) first.
_invalid_retry = st.one_of(
    st.text(alphabet="\u0660\u0661\u0662\u06f3\u0966\u0967\uff10\uff15\U0001d7ce", min_size=1),
    st.text(alphabet="\u00b9\u00b2\u00b3\u2070\u2074", min_size=1, max_size=3),
    st.builds("{}{}".format, _digits, st.sampled_from(["\u00b2", "\u0661", "\uff15", "\x00"])),
    st.builds("{}{}".format, st.sampled_from(["+", "-", " ", "\t", "0x"]), _digits),
    st.builds("{} ".format, _digits),
    st.builds("{}{}{}".format, _digits, st.sampled_from(["_", ".", "e", "E", ",", " "]), _digits),
    st.sampled_from(["five", "NaN", "inf", "1e3", "\u00bd", "5\u00bd"]),
    st.just(""),
)


def _retry(draw: st.DrawFn, value: str) -> bytes:
    return f"retry:{_pick(draw, ['', ' '])}{value}".encode()


def _retry_valid(draw: st.DrawFn, style: _Style) -> _Lines:
    value = draw(st.integers(0, 3)) * "0" + draw(_digits)
    lines = _data_block(draw, style)
    lines.insert(draw(st.integers(0, len(lines))), _retry(draw, value))
    return lines + _blank(draw, style)


def _retry_invalid(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = [_retry(draw, draw(_digits))] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(1, 3))):
        value = draw(_invalid_retry)
        if value[:1] == " ":  # "retry:" + " 5" would strip the space: write one more
            lines.append(f"retry: {value}".encode())
        elif value == "":
            lines.append(_pick(draw, [b"retry", b"retry:", b"retry: "]))
        else:
            lines.append(_retry(draw, value))
    return lines + _data_block(draw, style, 1) + _blank(draw, style)


def _retry_per_block(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = [_retry(draw, draw(_digits))]
    if draw(st.booleans()):
        lines += _data_block(draw, style, 1)
    return lines + _blank(draw, style) + _plain_event(draw, style)


_no_data_kinds = st.lists(st.sampled_from(["event", "id", "retry", "comment", "other"]), max_size=3)


def _no_data(draw: st.DrawFn, style: _Style) -> _Lines:
    lines = []
    for kind in draw(_no_data_kinds):
        if kind == "comment":
            lines.append(b": ping")
        elif kind == "other":
            lines.append(_field(draw, draw(_names), draw(style.values)))
        elif kind == "retry":
            lines.append(_retry(draw, draw(_digits)))
        else:
            lines.append(_field(draw, kind, draw(style.values)))
    return lines + _blank(draw, style) + [b""] * draw(st.integers(0, 2))


def _fields(draw: st.DrawFn, style: _Style) -> _Lines:
    """A block with every field in random order, spacing and extra lines."""
    lines = [_field(draw, "data", value) for value in draw(st.lists(style.values, max_size=4))]
    others = (
        [b":" + v.encode() for v in draw(st.lists(_values, max_size=2))] if style.comments else []
    )
    others += [_field(draw, name, draw(_values)) for name in draw(st.lists(_names, max_size=1))]
    if draw(st.booleans()):
        others.append(_field(draw, "event", draw(style.values)))
    if draw(st.booleans()):
        others.append(_field(draw, "id", draw(_ids)))
    if draw(st.booleans()):
        others.append(_retry(draw, draw(st.integers(0, 3)) * "0" + draw(_digits)))
    for line in others:
        lines.insert(draw(st.integers(0, len(lines))), line)
    return lines + _blank(draw, style)


_Probe = Callable[[st.DrawFn, _Style], _Lines]

# The probes that exercise each rule. Every stream also holds plain events,
# so that what a probe leaves behind (an id, an event type) shows.
_PROBES: dict[str, _Probe] = {
    "line-ends": _multi_line,
    "crlf-split": _multi_line,
    "not-line-ends": _not_line_ends,
    "bom": _plain_event,
    "bom-once": _bom_once,
    "utf8": _utf8,
    "utf8-invalid": _utf8_invalid,
    "comments": _comments,
    "field-no-colon": _field_no_colon,
    "field-space": _field_space,
    "field-value-colon": _field_value_colon,
    "field-names": _field_names,
    "data-join": _multi_line,
    "data-empty": _data_empty,
    "event-type": _event_type,
    "event-reset": _event_reset,
    "id-persist": _id_persist,
    "id-empty": _id_empty,
    "id-nul": _id_nul,
    "id-without-data": _id_without_data,
    "retry-valid": _retry_valid,
    "retry-invalid": _retry_invalid,
    "retry-per-block": _retry_per_block,
    "no-data-no-dispatch": _no_data,
    "unterminated": _plain_event,
}
RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)


def _unterminated_tail(draw: st.DrawFn, style: _Style) -> _Lines | bytes:
    """A block cut off by the end of the stream: whole lines, or half a line."""
    if draw(st.booleans()):
        return _data_block(draw, style, 2)
    return _field(draw, _pick(draw, _FIELDS), draw(style.values))


@st.composite
def _streams(
    draw: st.DrawFn,
    max_blocks: int,
    style: _Style,
    probes: tuple[_Probe, ...],
    required: _Probe | None = None,
) -> tuple[bytes, list[ServerSentEvent]]:
    # Drawn first: decisions drawn early vary most from example to example.
    use_bom = draw(st.booleans()) if style.bom is None else style.bom
    boms = _pick(draw, [1, 2]) if use_bom else 0
    if required is None:
        # Each probe with probability one half (one bit each, drawn as one
        # byte string), starting at a random one: every rule shows up in about
        # half the streams, however many rules there are.
        bits = draw(st.binary(min_size=len(probes) // 8 + 1, max_size=len(probes) // 8 + 1))
        chosen = [probe for i, probe in enumerate(probes) if bits[i >> 3] >> (i & 7) & 1]
        start = draw(st.integers(0, len(chosen)))
        chosen = (chosen[start:] + chosen[:start])[:max_blocks]
    else:
        chosen = [_pick(draw, probes) for _ in range(draw(st.integers(0, max_blocks)))]
        chosen.insert(draw(st.integers(0, len(chosen))), required)
    lines: _Lines = []
    for probe in chosen:
        lines += probe(draw, style)
    tail = _unterminated_tail(draw, style) if style.truncate and draw(st.booleans()) else []
    if isinstance(tail, list):
        lines += tail
    body = b"".join(line + _pick(draw, style.ends).encode() for line in lines)
    if isinstance(tail, bytes):
        body += tail
    if boms:
        # Sometimes two: the second is part of the first line.
        body = _BOM * boms + body
    elif body.startswith(_BOM):
        # A probe's BOM would become the leading one: put a comment first.
        body = b":" + style.ends[0].encode() + body
    # The expected events come from the spec, not from how the stream was built.
    return body, spec_events(body)


def _check_line_endings(line_endings: Sequence[str]) -> tuple[str, ...]:
    if not line_endings or any(end not in _LINE_ENDS for end in line_endings):
        raise ValueError(
            f"line_endings must be drawn from '\\n', '\\r\\n', '\\r': {line_endings!r}"
        )
    return tuple(line_endings)


def _check_rules(rules: Collection[str] | None) -> tuple[str, ...]:
    if rules is None:
        return RULE_NAMES
    unknown = sorted(set(rules) - set(RULE_NAMES))
    if unknown or not rules:
        raise ValueError(f"rules must be names from oaproto.testing.RULES, got {sorted(rules)!r}")
    return tuple(name for name in RULE_NAMES if name in rules)


def sse_streams(
    *,
    max_blocks: int = 12,
    line_endings: Sequence[str] = _LINE_ENDS,
    bom: bool | None = None,
    comments: bool = True,
    truncate: bool = True,
    rules: Collection[str] | None = None,
) -> st.SearchStrategy[tuple[bytes, list[ServerSentEvent]]]:
    """Event streams and the events a conforming parser dispatches for them.

    Each stream is a random sequence of probes, small groups of blocks that
    each exercise one rule of the spec (see :data:`oaproto.testing.RULES`),
    valid and invalid forms alike, written with random line ends, spacing and
    field order. The expected events are computed from the whole body by a
    literal transcription of the spec, so they hold for every chunking.

    Args:
        max_blocks: the most probes in one stream.
        line_endings: the line endings to draw from, per line.
        bom: whether the stream starts with a UTF-8 BOM (sometimes two);
            ``None`` for either.
        comments: whether blocks with random fields may carry comment lines
            (the probe of the ``comments`` rule always does).
        truncate: whether the stream may end inside a block or a line.
        rules: the names of the rules to probe, or ``None`` for all.

    Returns:
        A strategy for ``(body, expected_events)`` pairs.

    Raises:
        ValueError: an unknown line ending or rule name.
    """
    ends = _check_line_endings(line_endings)
    names = _check_rules(rules)
    probes = tuple(dict.fromkeys(_PROBES[name] for name in names))
    if rules is None:
        probes += (_fields,)
    style = _Style(_values, ends, bom, comments, truncate)
    return _streams(max_blocks, style, probes)


def _rule_streams(rule: str) -> st.SearchStrategy[tuple[bytes, list[ServerSentEvent]]]:
    """Streams that probe one rule among plain events: short values, LF, no BOM, no tail.

    Only the rule at hand varies what the others hold still (line ends for the
    line-end rules, a BOM for ``bom``, a cut-off tail for ``unterminated``, ids
    only for the rules about ids), so that most bugs fail under their own rule.
    """
    ends = _LINE_ENDS if rule in ("line-ends", "crlf-split") else ("\n",)
    bom = rule == "bom"  # bom-once probes BOMs after the start (and at read starts)
    ids = rule.startswith("id-") or rule in ("field-no-colon", "no-data-no-dispatch")
    style = _Style(_plain, ends, bom, False, rule == "unterminated", blank_lines=1, ids=ids)
    return _streams(3, style, (_PROBES[rule], _plain_event), _PROBES[rule])


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


# The most targeted cut points chunkings() decides one by one; longer bodies
# get an even sample of them.
_MAX_TARGETED_CUTS = 64


def _targeted_cuts(data: bytes) -> tuple[list[int], list[int]]:
    """Offsets where a cut breaks naive parsers: (between lines, inside a character).

    Between lines: after each CR (inside a CRLF, or after a lone CR) and
    before each BOM. Inside: before each UTF-8 continuation byte, which
    includes the inside of every BOM. Both: inside a leading BOM.
    """
    between, inside = {1, 2}, {1, 2}  # inside a leading BOM: both
    for i, byte in enumerate(data):
        if byte == 0x0D:
            between.add(i + 1)
        elif 0x80 <= byte <= 0xBF:
            inside.add(i)
    start = data.find(_BOM)
    while start >= 0:
        between.add(start)
        start = data.find(_BOM, start + 1)
    return (
        sorted(p for p in between if 0 < p < len(data)),
        sorted(p for p in inside if 0 < p < len(data)),
    )


def chunkings(
    data: bytes, *, max_chunks: int | None = None, allow_empty: bool = False
) -> st.SearchStrategy[list[bytes]]:
    """Ways of cutting ``data`` into consecutive chunks, as reads off a socket would.

    Besides random cuts, the offsets where a cut breaks naive parsers are cut
    in three draws out of four: all those between lines (between CR and LF,
    after a lone CR, before a BOM), or all those inside characters (inside a
    multi-byte character or a BOM), or a random selection of both. The chunks
    always join back to ``data``. Shrinking tends towards a single chunk.

    Args:
        data: the bytes to cut.
        max_chunks: the most chunks, or ``None`` for up to one per byte.
        allow_empty: whether empty chunks may appear among the others.

    Returns:
        A strategy for lists of byte strings whose concatenation is ``data``.
    """
    limit = len(data) if max_chunks is None else min(len(data), max(0, max_chunks - 1))
    between, inside = _targeted_cuts(data) if limit else ([], [])
    targeted = sorted(between + inside)
    sample = targeted[:: -(-len(targeted) // _MAX_TARGETED_CUTS) or 1]
    # Which targeted offsets are cut: none (the simplest, for shrinking), all
    # those between lines (a BOM at a read's start, a CRLF cut in two), all
    # those inside characters, or each of them by one bit of a byte string.
    groups: dict[str, list[int]] = {"none": [], "between": between, "inside": inside}
    modes = st.sampled_from(("none", "between", "inside", "bits"))
    picks = st.binary(min_size=(len(sample) + 7) // 8, max_size=(len(sample) + 7) // 8)
    random_cuts = st.lists(st.integers(0, len(data)), max_size=limit)

    def cut(mode: str, bits: bytes, points: list[int]) -> list[bytes]:
        if mode == "bits":
            extra = [p for i, p in enumerate(sample) if bits[i >> 3] >> (i & 7) & 1]
        else:
            extra = groups[mode]
        if allow_empty:
            points = sorted(points + extra)
        else:
            points = sorted(set(points + extra) - {0, len(data)})
        points = points[:limit]
        bounds = [0, *points, len(data)]
        chunks = [data[a:b] for a, b in pairwise(bounds)]
        return chunks if allow_empty else [chunk for chunk in chunks if chunk]

    return st.builds(cut, modes, picks, random_cuts)


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


@overload
def hostile_streams(
    *, max_line: int = ..., max_pieces: int = ..., expected: Literal[False] = ...
) -> st.SearchStrategy[bytes]: ...
@overload
def hostile_streams(
    *, max_line: int = ..., max_pieces: int = ..., expected: Literal[True]
) -> st.SearchStrategy[tuple[bytes, list[ServerSentEvent]]]: ...
def hostile_streams(
    *, max_line: int = 4096, max_pieces: int = 24, expected: bool = False
) -> st.SearchStrategy[bytes] | st.SearchStrategy[tuple[bytes, list[ServerSentEvent]]]:
    """Bytes from a broken or hostile server, alone or with the events the spec gives.

    The spec defines the events for any bytes at all: invalid UTF-8 becomes
    U+FFFD, stray CRs end lines, a ``retry`` value of up to 4,300 significant
    digits is a number (a longer one is ignored, as :class:`oaproto.SSEDecoder`
    does). A parser without size limits must give exactly those events; one
    with limits, those events or a typed error.

    Args:
        max_line: the longest run of one repeated piece (long lines, floods of
            line ends or data lines).
        max_pieces: the most pieces joined into one stream.
        expected: yield ``(body, expected_events)`` pairs instead of bodies.

    Returns:
        A strategy for byte strings, or for pairs if ``expected`` is true.
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
    bodies = st.lists(piece, max_size=max_pieces).map(b"".join)
    if expected:
        return bodies.map(lambda body: (body, spec_events(body)))
    return bodies
