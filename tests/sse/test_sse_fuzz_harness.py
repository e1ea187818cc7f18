"""The atheris harness's property check runs here on Hypothesis inputs, without atheris."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto.testing.strategies import hostile_streams, sse_streams

HARNESS = Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_sse.py"


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_sse", HARNESS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = load_harness()

bodies = st.one_of(
    st.binary(max_size=200),
    sse_streams(max_blocks=4).map(lambda stream: stream[0]),
    hostile_streams(max_line=200, max_pieces=8),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.binary(min_size=8, max_size=8), bodies)
def test_harness_check_holds(limit: int, sizes: bytes, body: bytes) -> None:
    harness.check(bytes([limit]) + sizes + body)


def test_harness_check_accepts_short_inputs() -> None:
    harness.check(b"")
    harness.check(b"\x00")
    harness.check(b"\xff" + b"\x00" * 8 + b"data: x\n\n")


def test_harness_does_not_import_atheris() -> None:
    assert "atheris" not in vars(harness)
