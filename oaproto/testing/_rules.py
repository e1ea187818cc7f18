"""The rules of "Interpreting an event stream" the conformance kit checks, and one vector corpus.

Each rule is one sentence of the WHATWG HTML Standard's event stream
processing, in our words. Each vector is a body, already cut into reads,
named after the rule it probes, with its expected events written out by hand
from the rule (the tests check that the spec oracle agrees with every one).
"""

from __future__ import annotations

from dataclasses import dataclass

from .._sse import ServerSentEvent as _Event

__all__ = ["RULES", "VECTORS", "Rule", "Vector"]


@dataclass(frozen=True)
class Rule:
    """One rule of the spec's event stream processing.

    Attributes:
        name: a short, stable identifier, e.g. ``"retry-invalid"``.
        summary: what a conforming parser does, in one sentence.
        needs_retry: the rule is only visible through each event's ``retry``
            (a parser whose events carry no retry cannot be checked on it).
    """

    name: str
    summary: str
    needs_retry: bool = False


RULES: tuple[Rule, ...] = (
    Rule("line-ends", "CRLF, LF and a lone CR each end a line, also at the end of the stream"),
    Rule("crlf-split", "a CRLF cut between two reads is one line end, a lone CR before a read"),
    Rule("not-line-ends", "U+2028, U+2029, NEL, VT, FF, FS, GS and RS are ordinary characters"),
    Rule("bom", "one leading UTF-8 BOM is dropped, also when its bytes arrive in several reads"),
    Rule("bom-once", "only the stream's first BOM is dropped; a later one, at any read, is kept"),
    Rule("utf8", "text is UTF-8, and a character cut between two reads is decoded whole"),
    Rule("utf8-invalid", "each maximal invalid UTF-8 subpart (or cut-off sequence) is one U+FFFD"),
    Rule("comments", "a line starting with a colon is ignored, inside a block too"),
    Rule("field-no-colon", "a line without a colon is a field whose value is empty"),
    Rule("field-space", "one space after the colon is removed, and only one"),
    Rule("field-value-colon", "the first colon ends the field name; later colons are value"),
    Rule("field-names", "field names match exactly: other cases and look-alikes are ignored"),
    Rule("data-join", "data lines are joined with LF; only the last LF is removed"),
    Rule("data-empty", "a data field with an empty value still makes an event"),
    Rule("event-type", "the last event field sets the type; an empty type means 'message'"),
    Rule("event-reset", "the event type is reset by every blank line, with or without data"),
    Rule("id-persist", "the last event ID persists across events until an id field changes it"),
    Rule("id-empty", "an empty id field resets the last event ID to ''"),
    Rule("id-nul", "an id value containing U+0000 is ignored"),
    Rule("id-without-data", "an id in a block without data still sets the last event ID"),
    Rule("retry-valid", "a retry value of ASCII digits sets the retry", needs_retry=True),
    Rule(
        "retry-invalid",
        "any other retry value (sign, space, '_', '.', exponent, other digits, empty) is ignored",
        needs_retry=True,
    ),
    Rule("retry-per-block", "an event's retry comes from its own block only", needs_retry=True),
    Rule("no-data-no-dispatch", "a blank line ending a block without data dispatches nothing"),
    Rule("unterminated", "a block or line cut off by the end of the stream is discarded"),
)


@dataclass(frozen=True)
class Vector:
    """One hand-checked case: reads of a body and the events the spec gives.

    Attributes:
        rule: the name of the rule it probes.
        name: unique within the corpus, starting with the rule name.
        chunks: the body, as the reads a parser receives.
        events: the expected events.
    """

    rule: str
    name: str
    chunks: tuple[bytes, ...]
    events: tuple[_Event, ...]


def _v(rule: str, suffix: str, chunks: tuple[bytes, ...], *events: _Event) -> Vector:
    return Vector(rule, f"{rule}/{suffix}", chunks, events)


_BOM = b"\xef\xbb\xbf"

VECTORS: tuple[Vector, ...] = (
    _v("line-ends", "lf", (b"data: a\ndata: b\n\n",), _Event(data="a\nb")),
    _v("line-ends", "crlf", (b"data: a\r\ndata: b\r\n\r\n",), _Event(data="a\nb")),
    _v("line-ends", "cr", (b"data: a\rdata: b\r\r",), _Event(data="a\nb")),
    _v("line-ends", "mixed", (b"data: a\r\n\rdata: b\n\r\n",), _Event(data="a"), _Event(data="b")),
    _v(
        "line-ends",
        "lf-cr-is-two",
        (b"data: a\n\rdata: b\n\n",),
        _Event(data="a"),
        _Event(data="b"),
    ),
    _v("line-ends", "final-cr", (b"data: a\r\r",), _Event(data="a")),
    _v("crlf-split", "data-line", (b"data: a\r", b"\ndata: b\r\n\r\n"), _Event(data="a\nb")),
    _v(
        "crlf-split",
        "blank-line",
        (b"data: a\r\n\r", b"\ndata: b\n\n"),
        _Event(data="a"),
        _Event(data="b"),
    ),
    _v("crlf-split", "cr-then-text", (b"data: a\r", b"data: b\r", b"\r"), _Event(data="a\nb")),
    _v("crlf-split", "lone-lf-read", (b"data: a\r", b"\n", b"\n"), _Event(data="a")),
    _v(
        "not-line-ends",
        "unicode",
        ("data: a\u2028b\u2029c\x85d\n\n".encode(),),
        _Event(data="a\u2028b\u2029c\x85d"),
    ),
    _v(
        "not-line-ends",
        "ascii",
        (b"data: a\x0bb\x0cc\x1cd\x1de\x1ef\n\n",),
        _Event(data="a\x0bb\x0cc\x1cd\x1de\x1ef"),
    ),
    _v("bom", "whole", (_BOM + b"data: a\n\n",), _Event(data="a")),
    _v("bom", "split", (b"\xef", b"\xbb", b"\xbfdata: a\n\n"), _Event(data="a")),
    _v("bom", "split-late", (b"\xef\xbb", b"\xbfdata: a\n\n"), _Event(data="a")),
    _v("bom-once", "double", (_BOM + _BOM + b"data: a\n\ndata: b\n\n",), _Event(data="b")),
    _v("bom-once", "without-first", (b"data: a\n\n", _BOM + b"data: b\n\n"), _Event(data="a")),
    _v("bom-once", "in-value", ("data: \ufeffa\n\n".encode(),), _Event(data="\ufeffa")),
    _v("utf8", "whole", ("data: é€😀\n\n".encode(),), _Event(data="é€😀")),
    _v(
        "utf8",
        "split",
        (b"data: \xc3", b"\xa9\xe2", b"\x82", b"\xac\xf0\x9f\x98", b"\x80\n\n"),
        _Event(data="é€😀"),
    ),
    _v(
        "utf8-invalid",
        "bytes",
        (b"data: a\xffb\xfe\x80c\n\n",),
        _Event(data="a\ufffdb\ufffd\ufffdc"),
    ),
    _v(
        "utf8-invalid",
        "truncated",
        (b"data: a\xe2\x82b\xf0\x9f\x98\n\n",),
        _Event(data="a\ufffdb\ufffd"),
    ),
    _v(
        "utf8-invalid",
        "overlong-surrogate",
        (b"data: \xc0\xaf\xe0\x80\xaf\xed\xa0\x80\xf4\x90\x80\x80\n\n",),
        _Event(data="\ufffd" * 12),
    ),
    _v("utf8-invalid", "split", (b"data: a\xe2", b"\x82", b"\n\n"), _Event(data="a\ufffd")),
    _v("utf8-invalid", "in-name", (b"dat\xffa: x\n\ndata: y\n\n",), _Event(data="y")),
    _v("comments", "alone", (b": hi\n\ndata: a\n\n",), _Event(data="a")),
    _v("comments", "in-block", (b"data: a\n:data: x\ndata: b\n\n",), _Event(data="a\nb")),
    _v("comments", "bare", (b":\n:\n\ndata: a\n:\n\n",), _Event(data="a")),
    _v("field-no-colon", "data", (b"data\ndata\n\n",), _Event(data="\n")),
    _v("field-no-colon", "event", (b"event: x\nevent\ndata: a\n\n",), _Event(data="a")),
    _v(
        "field-no-colon",
        "id",
        (b"id: 1\ndata: a\n\nid\ndata: b\n\n",),
        _Event(data="a", id="1"),
        _Event(data="b"),
    ),
    _v(
        "field-no-colon",
        "retry",
        (b"retry: 5\nretry\ndata: a\n\n",),
        _Event(data="a", retry=5),
    ),
    _v("field-space", "none", (b"data:a\n\n",), _Event(data="a")),
    _v("field-space", "two", (b"data:  a\n\n",), _Event(data=" a")),
    _v("field-space", "tab", (b"data:\ta\n\n",), _Event(data="\ta")),
    _v("field-space", "only", (b"data: \n\n",), _Event(data="")),
    _v("field-space", "trailing", (b"data: a \n\n",), _Event(data="a ")),
    _v("field-value-colon", "data", (b"data: a: b:c\n\n",), _Event(data="a: b:c")),
    _v("field-value-colon", "event", (b"event::x\ndata: a\n\n",), _Event(":x", "a")),
    _v(
        "field-names",
        "case",
        (b"Data: x\nDATA: y\nEvent: e\nID: 1\ndata: a\n\n",),
        _Event(data="a"),
    ),
    _v(
        "field-names", "space-before-colon", (b"data : x\n data: y\ndata: a\n\n",), _Event(data="a")
    ),
    _v(
        "field-names",
        "look-alikes",
        ("d\u0430ta: x\n\uff44\uff41\uff54\uff41: y\ndata\x00: z\ndata: a\n\n".encode(),),
        _Event(data="a"),
    ),
    _v("field-names", "blanks", (b"data: a\n \n\t\ndata: b\n\n",), _Event(data="a\nb")),
    _v("field-names", "unknown", (b"foo: x\ndatas: y\ndat: z\ndata: a\n\n",), _Event(data="a")),
    _v("data-join", "three", (b"data: a\ndata:\ndata: c\n\n",), _Event(data="a\n\nc")),
    _v("data-join", "value-lf", (b"data:\ndata\n\n",), _Event(data="\n")),
    _v("data-empty", "colon", (b"data:\n\n",), _Event(data="")),
    _v("data-empty", "bare", (b"data\n\n",), _Event(data="")),
    _v("event-type", "set", (b"event: add\ndata: a\n\n",), _Event("add", "a")),
    _v("event-type", "last-wins", (b"event: a\nevent: b\ndata: x\n\n",), _Event("b", "x")),
    _v("event-type", "empty", (b"event:\ndata: x\n\n",), _Event(data="x")),
    _v("event-type", "after-data", (b"data: x\nevent: late\n\n",), _Event("late", "x")),
    _v(
        "event-reset",
        "after-event",
        (b"event: a\ndata: x\n\ndata: y\n\n",),
        _Event("a", "x"),
        _Event(data="y"),
    ),
    _v("event-reset", "after-no-data", (b"event: a\n\ndata: y\n\n",), _Event(data="y")),
    _v(
        "id-persist",
        "carried",
        (b"id: 1\ndata: a\n\ndata: b\n\n",),
        _Event(data="a", id="1"),
        _Event(data="b", id="1"),
    ),
    _v(
        "id-persist",
        "after-data",
        (b"data: a\nid: 2\n\ndata: b\n\n",),
        _Event(data="a", id="2"),
        _Event(data="b", id="2"),
    ),
    _v("id-persist", "spaces", (b"id:  x \ndata: a\n\n",), _Event(data="a", id=" x ")),
    _v(
        "id-empty",
        "colon",
        (b"id: 1\ndata: a\n\nid:\ndata: b\n\n",),
        _Event(data="a", id="1"),
        _Event(data="b"),
    ),
    _v(
        "id-nul",
        "ignored",
        (b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",),
        _Event(data="a", id="1"),
        _Event(data="b", id="1"),
    ),
    _v("id-nul", "first", (b"id: \x00\ndata: a\n\n",), _Event(data="a")),
    _v("id-without-data", "then-event", (b"id: 7\n\ndata: a\n\n",), _Event(data="a", id="7")),
    _v("id-without-data", "keep-alive", (b"id: 7\n\n:\n\ndata: a\n\n",), _Event(data="a", id="7")),
    _v("retry-valid", "digits", (b"retry: 1000\ndata: a\n\n",), _Event(data="a", retry=1000)),
    _v("retry-valid", "zeros", (b"retry:007\ndata: a\n\n",), _Event(data="a", retry=7)),
    _v(
        "retry-valid", "last-wins", (b"retry: 1\nretry: 2\ndata: a\n\n",), _Event(data="a", retry=2)
    ),
    *(
        _v("retry-invalid", name, (b"retry:" + value + b"\ndata: a\n\n",), _Event(data="a"))
        for name, value in (
            ("sign", b" +5"),
            ("minus", b" -5"),
            ("space-before", b"  5"),
            ("space-after", b" 5 "),
            ("underscore", b" 5_0"),
            ("decimal-point", b" 5.0"),
            ("exponent", b" 5e3"),
            ("superscript", " \u00b2".encode()),
            ("arabic-indic", " \u0661".encode()),
            ("fullwidth", " \uff15".encode()),
            ("hex", b" 0x10"),
            ("empty", b""),
        )
    ),
    _v("retry-invalid", "bare", (b"retry\ndata: a\n\n",), _Event(data="a")),
    _v(
        "retry-invalid",
        "keeps-valid",
        (b"retry: 9\nretry: 1.5\ndata: a\n\n",),
        _Event(data="a", retry=9),
    ),
    _v(
        "retry-per-block",
        "reset",
        (b"retry: 5\ndata: a\n\ndata: b\n\n",),
        _Event(data="a", retry=5),
        _Event(data="b"),
    ),
    _v("retry-per-block", "no-data", (b"retry: 5\n\ndata: b\n\n",), _Event(data="b")),
    _v("no-data-no-dispatch", "id-only", (b"id: 1\n\n\n\n",)),
    _v("no-data-no-dispatch", "event-only", (b"event: x\n\ndata: a\n\n",), _Event(data="a")),
    _v("no-data-no-dispatch", "retry-only", (b"retry: 5\n\n",)),
    _v("no-data-no-dispatch", "blank-lines", (b"data: a\n\n\n\n: ping\n\n",), _Event(data="a")),
    _v("unterminated", "block", (b"data: a\n\ndata: b\n",), _Event(data="a")),
    _v("unterminated", "line", (b"data: a\n\ndata: b",), _Event(data="a")),
    _v("unterminated", "blank-line-cut", (b"data: a\n\ndata: b\r", b"\n"), _Event(data="a")),
)
