"""The public surface: ServerSentEvent as a value, the decoder's calls, encode_sse and comment."""

from __future__ import annotations

import copy
import inspect
import json
import operator
import pickle

import pytest

from oaproto import LocalProtocolError, SSELimitError
from oaproto.sse import ServerSentEvent, SSEDecoder, comment, encode_sse
from tests.helpers.sse_decoding import decode

# --- ServerSentEvent ---------------------------------------------------------------


def test_event_defaults_and_construction() -> None:
    event = ServerSentEvent()
    assert (event.event, event.data, event.id, event.retry) == ("message", "", "", None)
    assert ServerSentEvent("t", "d", "i", 5) == ServerSentEvent(
        event="t", data="d", id="i", retry=5
    )
    assert ServerSentEvent(data="x") == ServerSentEvent("message", "x", "", None)


def test_event_is_a_hashable_value() -> None:
    a = ServerSentEvent("t", "d", "i", 5)
    b = ServerSentEvent("t", "d", "i", 5)
    assert a == b
    assert not a != b  # noqa: SIM202 - __ne__ is tested on purpose
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != ServerSentEvent("t", "d", "i", None)
    assert a != ServerSentEvent("t", "d", "j", 5)


def test_event_never_equals_a_plain_tuple() -> None:
    event = ServerSentEvent("t", "d", "i", 5)
    assert event != ("t", "d", "i", 5)
    assert not event == ("t", "d", "i", 5)  # noqa: SIM201 - __eq__ is tested on purpose
    assert event != ("t", "d", "i", 5)
    assert event != ["t", "d", "i", 5]
    assert event.__eq__(["t", "d", "i", 5]) is NotImplemented
    assert event.__ne__(["t", "d", "i", 5]) is NotImplemented


def test_event_does_not_order() -> None:
    a, b = ServerSentEvent(data="a"), ServerSentEvent(data="b")
    for compare in (operator.lt, operator.le, operator.gt, operator.ge):
        with pytest.raises(TypeError):
            compare(a, b)
        with pytest.raises(TypeError):
            compare(a, tuple(b))
        with pytest.raises(TypeError):
            compare(tuple(a), b)


def test_event_is_immutable_and_slotted() -> None:
    event = ServerSentEvent(data="x")
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.other = 1  # type: ignore[attr-defined]
    assert ServerSentEvent.__slots__ == ()
    assert not hasattr(event, "__dict__")


def test_event_repr() -> None:
    assert repr(ServerSentEvent("t", "d", "i", 5)) == (
        "ServerSentEvent(event='t', data='d', id='i', retry=5)"
    )


def test_event_unpacks_and_matches() -> None:
    event = ServerSentEvent("t", "d", "i", 5)
    kind, data, id_, retry = event
    assert (kind, data, id_, retry) == ("t", "d", "i", 5)
    match event:
        case ServerSentEvent(kind, data, id_, retry):
            assert (kind, data) == ("t", "d")
        case _:  # pragma: no cover - the case above must match
            pytest.fail("no match")


def test_event_json() -> None:
    assert ServerSentEvent(data='{"a": [1, 2]}').json() == {"a": [1, 2]}
    with pytest.raises(json.JSONDecodeError):
        ServerSentEvent(data="not json").json()


@pytest.mark.parametrize(
    "clone",
    [
        copy.copy,
        copy.deepcopy,
        lambda e: pickle.loads(pickle.dumps(e)),
    ],
)
def test_event_copies_and_pickles(clone: object) -> None:
    event = ServerSentEvent("t", "d", "i", 5)
    assert callable(clone)
    cloned = clone(event)
    assert cloned == event
    assert type(cloned) is ServerSentEvent


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_event_pickles_with_every_protocol(protocol: int) -> None:
    event = ServerSentEvent("t", "d", "i", None)
    cloned = pickle.loads(pickle.dumps(event, protocol))
    assert cloned == event
    assert type(cloned) is ServerSentEvent


def test_event_constructor_signature() -> None:
    # The keyword constructor lives on the metaclass; callers see it as usual.
    assert str(inspect.signature(ServerSentEvent)) == (
        "(event='message', data='', id='', retry=None)"
    )
    assert ServerSentEvent() == ServerSentEvent("message", "", "", None)
    with pytest.raises(TypeError):
        ServerSentEvent("t", "d", "i", 5, "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ServerSentEvent(kind="t")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ServerSentEvent("t", event="t")  # type: ignore[misc]


def test_decoder_repr_shows_state_not_data() -> None:
    decoder = SSEDecoder(max_line_size=None)
    assert repr(decoder) == (
        "<SSEDecoder max_line_size=None, max_event_size=67108864, "
        "last_event_id='', retry=None, buffered=0>"
    )
    decoder.feed(b"id: 7\nretry: 25\ndata: secret\n\ndata: partial")
    assert repr(decoder) == (
        "<SSEDecoder max_line_size=None, max_event_size=67108864, "
        "last_event_id='7', retry=25, buffered=13>"
    )
    assert "secret" not in repr(decoder)
    assert "partial" not in repr(decoder)
    decoder.close()
    assert repr(decoder).endswith(", closed>")
    failed = SSEDecoder(max_line_size=4)
    with pytest.raises(SSELimitError):
        failed.feed(b"data: too long")
    assert repr(failed) == "<SSEDecoder max_line_size=4, max_event_size=67108864, failed>"


def test_decoded_events_are_ordinary_instances() -> None:
    (event,) = decode([b"data: x\n\n"]).events
    assert type(event) is ServerSentEvent
    assert event == ServerSentEvent(data="x")
    assert hash(event) == hash(ServerSentEvent(data="x"))


# --- SSEDecoder ----------------------------------------------------------------------


def test_feed_empty_is_a_no_op() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: x\n") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(data="x")]


def test_feed_accepts_bytes_like() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(bytearray(b"data: a\n\n")) == [ServerSentEvent(data="a")]  # type: ignore[arg-type]
    assert decoder.feed(memoryview(b"data: b\n\n")) == [ServerSentEvent(data="b")]  # type: ignore[arg-type]


def test_feed_returns_a_new_list_each_time() -> None:
    decoder = SSEDecoder()
    first = decoder.feed(b"data")
    first.append(ServerSentEvent())
    assert decoder.feed(b": x") == []


def test_close_returns_nothing_and_ends_the_decoder() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: open") == []
    assert decoder.close() == []
    with pytest.raises(LocalProtocolError, match="closed"):
        decoder.feed(b"\n\n")
    with pytest.raises(LocalProtocolError, match="closed"):
        decoder.close()


def test_last_event_id_and_retry_are_read_only_stream_state() -> None:
    decoder = SSEDecoder()
    assert (decoder.last_event_id, decoder.retry) == ("", None)
    decoder.feed(b"id: 1\nretry: 3000\n")
    # retry is taken at once; the ID only when the block's blank line comes.
    assert (decoder.last_event_id, decoder.retry) == ("", 3000)
    decoder.feed(b"\n")
    assert decoder.last_event_id == "1"
    with pytest.raises(AttributeError):
        decoder.last_event_id = "2"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decoder.retry = 1  # type: ignore[misc]


def test_last_event_id_unchanged_by_a_block_cut_off_at_the_end() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 1\n\nid: 2\ndata: x\n")
    decoder.close()
    assert decoder.last_event_id == "1"


def test_exceptions_other_than_limits_also_end_the_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: object) -> None:
        raise MemoryError

    decoder = SSEDecoder()
    monkeypatch.setattr(SSEDecoder, "_lines", boom)
    with pytest.raises(MemoryError):
        decoder.feed(b"id: 1\n\n")
    monkeypatch.undo()
    with pytest.raises(LocalProtocolError, match="failed"):
        decoder.feed(b"\n")


# --- encode_sse and comment -------------------------------------------------------


def test_encode_is_the_open_assistant_frame_by_default() -> None:
    text = '{"event_type": "token", "text": " world"}'
    assert encode_sse(text) == b"data: " + text.encode() + b"\r\n\r\n"


def test_encode_all_fields() -> None:
    assert encode_sse("d", event="e", id="i", retry=5, line_ending="\n") == (
        b"event: e\nid: i\nretry: 5\ndata: d\n\n"
    )


@pytest.mark.parametrize("line_ending", ["\n", "\r\n", "\r"])
def test_encode_multiline_data(line_ending: str) -> None:
    le = line_ending.encode()
    assert encode_sse("a\nb\r\nc\rd", line_ending=line_ending) == (
        b"data: a" + le + b"data: b" + le + b"data: c" + le + b"data: d" + le + le
    )
    assert decode([encode_sse("a\nb\r\nc\rd", line_ending=line_ending)]).events == [
        ServerSentEvent(data="a\nb\nc\nd")
    ]


def test_encode_keeps_leading_spaces_and_empty_values() -> None:
    frame = encode_sse("  two", event=" one", id=" id")
    assert frame == b"event:  one\r\nid:  id\r\ndata:   two\r\n\r\n"
    assert decode([frame]).events == [ServerSentEvent(" one", "  two", " id")]
    assert decode([encode_sse("")]).events == [ServerSentEvent(data="")]
    assert decode([encode_sse("\n")]).events == [ServerSentEvent(data="\n")]
    assert decode([encode_sse("x", id="")]).events == [ServerSentEvent(data="x")]


def test_encode_unicode() -> None:
    frame = encode_sse("\u00e9\u2028\U0001f600", event="\u6771")
    assert decode([frame]).events == [ServerSentEvent("\u6771", "\u00e9\u2028\U0001f600")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event": "a\nb"},
        {"event": "a\rb"},
        {"id": "a\nb"},
        {"id": "a\x00b"},
        {"retry": -1},
        {"retry": True},
        {"retry": 1.5},
        {"line_ending": "\n\n"},
        {"line_ending": ""},
    ],
)
def test_encode_refuses_what_the_stream_cannot_carry(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        encode_sse("x", **kwargs)  # type: ignore[arg-type]


def test_encode_refuses_lone_surrogates() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_sse("\ud800")


def test_comment_is_the_open_assistant_ping() -> None:
    ping = "ping - 2023-07-14 13:28:17.735145"
    assert comment(ping) == b": ping - 2023-07-14 13:28:17.735145\r\n\r\n"
    assert comment() == b":\r\n\r\n"
    assert comment("a\r\nb\rc", line_ending="\n") == b": a\n: b\n: c\n\n"
    assert decode([comment("x\ny") + encode_sse("d")]).events == [ServerSentEvent(data="d")]
    with pytest.raises(LocalProtocolError):
        comment("x", line_ending="\t")
