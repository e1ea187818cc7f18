"""Test helpers for oaproto users: fuzz and check any Server-Sent Events parser.

* :func:`spec_events` / :func:`interpret_stream`: the events (and final state)
  the spec gives for a whole body, from a literal transcription of the spec.
* :data:`RULES` and :data:`VECTORS`: the rules the conformance kit checks and
  its hand-checked vector corpus, each vector named after its rule.
* ``oaproto.testing.strategies``: Hypothesis strategies (streams with their
  expected events, chunkings, hostile bytes).
* :func:`check_sse_parser` and :func:`assert_sse_conformant` (from
  ``oaproto.testing.conformance``): the conformance kit.

The strategies and the kit need the ``testing`` extra
(``pip install 'oaproto[testing]'``); the rest is standard library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._oracle import SpecOutcome, interpret_stream, spec_events
from ._rules import RULES, VECTORS, Rule, Vector

if TYPE_CHECKING:
    from .conformance import ConformanceReport, assert_sse_conformant, check_sse_parser

__all__ = [
    "RULES",
    "VECTORS",
    "ConformanceReport",
    "Rule",
    "SpecOutcome",
    "Vector",
    "assert_sse_conformant",
    "check_sse_parser",
    "interpret_stream",
    "spec_events",
]

_KIT = ("ConformanceReport", "assert_sse_conformant", "check_sse_parser")


def __getattr__(name: str) -> object:
    # The kit needs hypothesis: import it only when asked for.
    if name in _KIT:
        from . import conformance

        return getattr(conformance, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
