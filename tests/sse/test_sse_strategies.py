"""The public hypothesis strategies produce what they promise."""

from __future__ import annotations

import builtins
import importlib
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto.sse import ServerSentEvent
from oaproto.testing import strategies
from oaproto.testing.strategies import chunkings, hostile_streams, sse_events, sse_streams
from tests.helpers.sse_spec import parse

SETTINGS = settings(max_examples=200, deadline=None)


@SETTINGS
@given(sse_streams())
def test_expected_events_are_what_the_spec_gives(
    stream: tuple[bytes, list[ServerSentEvent]],
) -> None:
    body, expected = stream
    assert parse(body).events == expected


@SETTINGS
@given(sse_streams(line_endings=["\r"], bom=True, comments=False, truncate=False, max_blocks=3))
def test_stream_options(stream: tuple[bytes, list[ServerSentEvent]]) -> None:
    body, expected = stream
    assert body.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in body
    assert parse(body).events == expected


@SETTINGS
@given(sse_streams(line_endings=["\n"], bom=False, max_blocks=2))
def test_stream_without_bom(stream: tuple[bytes, list[ServerSentEvent]]) -> None:
    body, _ = stream
    assert not body.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in body


def test_bad_line_endings_are_refused() -> None:
    with pytest.raises(ValueError, match="line_endings"):
        sse_streams(line_endings=["\t"])
    with pytest.raises(ValueError, match="line_endings"):
        sse_streams(line_endings=[])


@SETTINGS
@given(st.data(), st.binary(max_size=50))
def test_chunkings_join_back(data: st.DataObject, body: bytes) -> None:
    chunks = data.draw(chunkings(body))
    assert b"".join(chunks) == body
    assert all(chunks)
    with_empty = data.draw(chunkings(body, allow_empty=True))
    assert b"".join(with_empty) == body
    few = data.draw(chunkings(body, max_chunks=3))
    assert b"".join(few) == body
    assert len(few) <= 3


@SETTINGS
@given(hostile_streams(max_line=100, max_pieces=5))
def test_hostile_streams_are_bytes(body: bytes) -> None:
    assert isinstance(body, bytes)


@SETTINGS
@given(sse_events())
def test_sse_events_are_carriable(events: list[ServerSentEvent]) -> None:
    for event in events:
        assert event.event
        assert "\r" not in event.data
        assert not set(event.id) & {"\r", "\n", "\0"}
        assert event.retry is None or event.retry >= 0


def test_import_without_hypothesis_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_hypothesis(name: str, *args: object, **kwargs: object) -> object:
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_hypothesis)
    monkeypatch.delitem(sys.modules, "oaproto.testing.strategies")
    with pytest.raises(ImportError, match=r"oaproto\[testing\]"):
        importlib.import_module("oaproto.testing.strategies")
    monkeypatch.undo()
    assert sys.modules["oaproto.testing.strategies"] is strategies


@SETTINGS
@given(sse_streams(rules=["retry-invalid"], line_endings=["\n"], bom=False, truncate=False))
def test_streams_of_chosen_rules(stream: tuple[bytes, list[ServerSentEvent]]) -> None:
    body, expected = stream
    assert parse(body).events == expected
    assert b"\r" not in body
    assert all(not line or line.startswith((b"retry", b"data")) for line in body.split(b"\n"))


def test_unknown_rules_are_refused() -> None:
    with pytest.raises(ValueError, match=r"rules must be names from oaproto.testing.RULES"):
        sse_streams(rules=["nope"])
    with pytest.raises(ValueError, match="rules must be names"):
        sse_streams(rules=[])
