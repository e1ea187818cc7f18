"""Byte-level conformance: the WHATWG spec's examples and the web-platform-tests cases.

Every case is fed whole, one byte at a time, cut in two at every offset and
cut at random, and must give the same events and final state each time. The
spec reference is HTML Standard section 9.2 "Server-sent events", subsections
"Parsing an event stream" and "Interpreting an event stream"; the WPT cases
follow ``eventsource/format-*`` (their server appends a blank line unless the
test asks for ``newline=none``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from oaproto.sse import ServerSentEvent as E
from tests.helpers.sse_decoding import assert_every_chunking
from tests.helpers.sse_spec import parse


@dataclass(frozen=True)
class Case:
    """One body and everything it must produce."""

    body: bytes
    events: list[E]
    last_event_id: str = ""
    retry: int | None = None


LONG = b"x" * 2048

CASES: dict[str, Case] = {
    # --- the spec's own examples ---
    "spec-stock-ticker": Case(b"data: YHOO\ndata: +2\ndata: 10\n\n", [E(data="YHOO\n+2\n10")]),
    "spec-four-blocks": Case(
        b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
        b"data:  third event\n\n",
        [E(data="first event", id="1"), E(data="second event"), E(data=" third event")],
    ),
    "spec-four-blocks-unterminated": Case(
        b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
        b"data:  third event\n",
        [E(data="first event", id="1"), E(data="second event")],
    ),
    "spec-empty-data-and-newline": Case(
        b"data:\n\ndata\ndata\n\ndata:", [E(data=""), E(data="\n")]
    ),
    "spec-space-after-colon": Case(b"data:test\n\ndata: test\n\n", [E(data="test")] * 2),
    "spec-event-types": Case(
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
        [E("add", "73857293"), E("remove", "2153"), E("add", "113411")],
    ),
    "spec-crlf-stock-ticker": Case(
        b"data: YHOO\r\ndata: +2\r\ndata: 10\r\n\r\n", [E(data="YHOO\n+2\n10")]
    ),
    # --- web-platform-tests eventsource/format-* ---
    "wpt-bom": Case(
        b"\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3\n\n", [E(data="1"), E(data="3")]
    ),
    "wpt-bom-bom": Case(
        b"\xef\xbb\xbf\xef\xbb\xbfdata:1\n\ndata:2\n\ndata:3\n\n", [E(data="2"), E(data="3")]
    ),
    "wpt-comments": Case(
        b"data:1\r:\0\n:\r\ndata:2\n:" + LONG + b"\rdata:3\n:data:fail\r:" + LONG + b"\ndata:4\n\n",
        [E(data="1\n2\n3\n4")],
    ),
    "wpt-data-before-final-empty-line": Case(
        b"retry:1000\ndata:test1\n\nid:test\ndata:test2",
        [E(data="test1", retry=1000)],
        last_event_id="",
        retry=1000,
    ),
    "wpt-field-data": Case(
        b"data:\n\ndata\ndata\n\ndata:test\n\n", [E(data=""), E(data="\n"), E(data="test")]
    ),
    "wpt-field-event-empty": Case(b"event: \ndata:data\n\n", [E(data="data")]),
    "wpt-field-event": Case(
        b"event:test\ndata:x\n\ndata:x\n\n", [E("test", "x"), E("message", "x")]
    ),
    "wpt-field-id": Case(
        "id: \u2026\nretry: 200\ndata: hello\n\n".encode(),
        [E(data="hello", id="\u2026", retry=200)],
        last_event_id="\u2026",
        retry=200,
    ),
    "wpt-field-id-null": Case(
        b"id: \x00\x00\nretry: 200\ndata: hello\n\n",
        [E(data="hello", retry=200)],
        last_event_id="",
        retry=200,
    ),
    "wpt-field-id-persists": Case(
        b"id: 1\ndata: 1\n\ndata:2\n\n", [E(data="1", id="1"), E(data="2", id="1")], "1"
    ),
    "wpt-field-id-changes-and-persists": Case(
        b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
        [E(data="1", id="1"), E(data="2", id="2"), E(data="3", id="2")],
        "2",
    ),
    "wpt-field-id-resets": Case(
        b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
        [E(data="1", id="1"), E(data="2"), E(data="3")],
    ),
    "wpt-field-parsing": Case(
        b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\r"
        b"data:\r\n data:32\ndata:4\n\n",
        [E(data="\0\n 2\n1\n3\n\n4")],
    ),
    "wpt-field-retry": Case(b"retry:03000\ndata:x\n\n", [E(data="x", retry=3000)], retry=3000),
    "wpt-field-retry-bogus": Case(
        b"retry:3000\nretry:1000x\ndata:x\n\n", [E(data="x", retry=3000)], retry=3000
    ),
    "wpt-field-retry-empty": Case(b"retry\ndata:test\n\n", [E(data="test")], retry=None),
    "wpt-field-unknown": Case(
        b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n",
        [E(data="test\n\ntest")],
    ),
    "wpt-leading-space": Case(b"data:\ttest\rdata: \ndata:test\n\n", [E(data="\ttest\n\ntest")]),
    "wpt-newlines": Case(b"data:test\r\ndata\ndata:test\r\n\r", [E(data="test\n\ntest")]),
    "wpt-null-character": Case(b"data:\x00\n\n", [E(data="\x00")]),
    "wpt-utf-8": Case(b"data:ok\xe2\x80\xa6\n\n", [E(data="ok\u2026")]),
    # --- spec details beyond the two sources above ---
    "field-names-case-sensitive": Case(
        b"DATA:x\nEvent:y\nID:z\nRetry:5\ndata:w\n\n", [E(data="w")], retry=None
    ),
    "only-one-space-stripped": Case(b"data:   x\nevent:  t\n\n", [E(" t", "  x")]),
    "tab-not-stripped": Case(b"data:\tx\n\n", [E(data="\tx")]),
    "colon-in-value": Case(b"data: a: b:c\n\n", [E(data="a: b:c")]),
    "event-reset-after-dispatch": Case(
        b"event: a\ndata: 1\n\ndata: 2\n\n", [E("a", "1"), E("message", "2")]
    ),
    "event-type-without-data-discarded": Case(b"event: a\n\ndata: 2\n\n", [E("message", "2")]),
    "last-event-type-wins": Case(b"event: a\nevent: b\ndata: x\n\n", [E("b", "x")]),
    "last-id-wins": Case(b"id: a\nid: b\ndata: x\n\n", [E(data="x", id="b")], "b"),
    "id-after-data-in-block": Case(b"data: x\nid: 7\n\n", [E(data="x", id="7")], "7"),
    "id-only-block-no-dispatch": Case(
        b"id: 5\n\ndata: x\n\n", [E(data="x", id="5")], last_event_id="5"
    ),
    "id-only-block-updates-last-id": Case(b"data: x\n\nid: 9\n\n", [E(data="x")], "9"),
    "id-with-nul-keeps-previous": Case(
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [E(data="a", id="1"), E(data="b", id="1")],
        "1",
    ),
    "id-empty-resets": Case(b"id: 1\n\nid\ndata: x\n\n", [E(data="x")], ""),
    "id-unterminated-block-ignored": Case(
        b"id: 1\ndata: a\n\nid: 2\ndata: b\n", [E("message", "a", "1")], "1"
    ),
    "retry-non-ascii-digits-ignored": Case(
        "retry: \u0663\u0660\ndata: x\n\n".encode(), [E(data="x")], retry=None
    ),
    "retry-superscript-ignored": Case("retry: 1\u00b2\ndata: x\n\n".encode(), [E(data="x")]),
    "retry-sign-ignored": Case(b"retry: +5\nretry: -5\nretry: 5.0\ndata: x\n\n", [E(data="x")]),
    "retry-two-spaces-ignored": Case(b"retry:  5\ndata: x\n\n", [E(data="x")]),
    "retry-zero": Case(b"retry: 0\ndata: x\n\n", [E(data="x", retry=0)], retry=0),
    "retry-huge": Case(
        b"retry: 123456789012345678901234567890\ndata: x\n\n",
        [E(data="x", retry=123456789012345678901234567890)],
        retry=123456789012345678901234567890,
    ),
    "retry-too-many-digits-ignored": Case(
        b"retry: 7\nretry: " + b"9" * 5000 + b"\ndata: x\n\n", [E(data="x", retry=7)], retry=7
    ),
    "retry-leading-zeros-beyond-int-limit": Case(
        b"retry: " + b"0" * 5000 + b"42\ndata: x\n\n", [E(data="x", retry=42)], retry=42
    ),
    "retry-without-data-sets-stream-retry": Case(
        b"retry: 10\n\ndata: x\n\n", [E(data="x")], retry=10
    ),
    "retry-is-per-block": Case(
        b"retry: 10\ndata: a\n\ndata: b\n\n", [E(data="a", retry=10), E(data="b")], retry=10
    ),
    "unicode-line-separators-do-not-split": Case(
        "data: a\u2028b\u2029c\x85d\x0be\x0cf\x1cg\n\n".encode(),
        [E(data="a\u2028b\u2029c\x85d\x0be\x0cf\x1cg")],
    ),
    "cr-only": Case(b"data: a\rdata: b\r\rdata: c\r\r", [E(data="a\nb"), E(data="c")]),
    "final-cr-dispatches": Case(b"data: a\r\r", [E(data="a")]),
    "lf-cr-is-two-line-ends": Case(b"data: a\n\rdata: b\n\n", [E(data="a"), E(data="b")]),
    "cr-cr-lf": Case(b"data: a\r\r\ndata: b\r\n\r\n", [E(data="a"), E(data="b")]),
    "mixed-line-ends": Case(b"data: a\r\ndata: b\rdata: c\n\r\n", [E(data="a\nb\nc")]),
    "blank-lines-only": Case(b"\n\r\n\r\n\n", []),
    "empty-stream": Case(b"", []),
    "comment-only": Case(b": hi\n\n", []),
    "bare-colon-comment": Case(b":\ndata: x\n\n", [E(data="x")]),
    "field-without-colon-ignored": Case(b"foo\ndata\n\n", [E(data="")]),
    "event-field-without-colon": Case(b"event\ndata: x\n\n", [E(data="x")]),
    "bom-not-at-start-kept": Case(b"data: \xef\xbb\xbfx\n\n", [E(data="\ufeffx")]),
    "bom-only": Case(b"\xef\xbb\xbf", []),
    "partial-bom-only": Case(b"\xef\xbb", []),
    "partial-bom-then-data": Case(b"\xef\xbbdata: x\n\n", []),
    "partial-bom-then-newline": Case(b"\xef\xbb\ndata: x\n\n", [E(data="x")]),
    "invalid-utf8-replaced": Case(
        b"data: a\xffb\xc0\xafc\xed\xa0\x80d\xf4\x90\x80\x80e\n\n",
        [E(data=b"a\xffb\xc0\xafc\xed\xa0\x80d\xf4\x90\x80\x80e".decode("utf-8", "replace"))],
    ),
    "truncated-sequence-before-newline": Case(
        b"data: \xe2\x82\ndata: \xf0\x9f\x98\n\n", [E(data="\ufffd\n\ufffd")]
    ),
    "multibyte-characters": Case(
        "data: caf\u00e9 \u6771\u4eac \U0001f600\n\n".encode(),
        [E(data="caf\u00e9 \u6771\u4eac \U0001f600")],
    ),
    "nul-in-data-and-event": Case(b"event: a\x00b\ndata: \x00\n\n", [E("a\x00b", "\x00")]),
    "unterminated-line-discarded": Case(b"data: a\n\ndata: b", [E(data="a")]),
    "unterminated-block-discarded": Case(b"data: a\n\ndata: b\n", [E(data="a")]),
    "open-assistant-frames": Case(
        b'data: {"event_type": "pending", "queue_position": 1, "queue_size": 3}\r\n\r\n'
        b": ping - 2023-07-14 13:28:17.735145\r\n\r\n"
        b'data: {"event_type": "token", "text": " world"}\r\n\r\n',
        [
            E(data='{"event_type": "pending", "queue_position": 1, "queue_size": 3}'),
            E(data='{"event_type": "token", "text": " world"}'),
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_case_in_every_chunking(name: str) -> None:
    case = CASES[name]
    assert_every_chunking(
        case.body, case.events, last_event_id=case.last_event_id, retry=case.retry
    )


@pytest.mark.parametrize("name", list(CASES))
def test_case_agrees_with_spec_transcription(name: str) -> None:
    case = CASES[name]
    result = parse(case.body)
    assert result.events == case.events
    assert result.last_event_id == case.last_event_id
    assert result.retry == case.retry
