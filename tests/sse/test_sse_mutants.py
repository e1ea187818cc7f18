"""The strategies expose every single-rule mutant of a spec parser, and never a correct parser.

The measure from the issue: used as the README shows (``sse_streams()`` and
``chunkings()``, events compared field by field), 200 examples find each
mutant in ``mutants.py``, for several seeds, while ``SSEDecoder`` and the
unmutated parser pass every time. The conformance kit names each mutant's rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import Phase, given, seed, settings
from hypothesis import strategies as st

from oaproto.testing import check_sse_parser
from oaproto.testing.strategies import chunkings, sse_streams
from tests.sse.mutants import MUTATIONS, parse_with
from tests.sse.peer_parsers import oaproto_parse

SEEDS = (1, 2, 3)
# 200 examples, not derandomized, no shrinking (finding is what is measured).
MEASURE = settings(
    max_examples=200,
    derandomize=False,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    report_multiple_bugs=False,
)


def found_a_difference(
    parse: Callable[[list[bytes]], Sequence[tuple[object, ...]]],
    seed_value: int,
    examples: int = 200,
) -> bool:
    """Whether ``examples`` examples of the README's property find ``parse`` deviating."""

    @seed(seed_value)
    @settings(MEASURE, max_examples=examples)
    @given(st.data())
    def property_(data: st.DataObject) -> None:
        body, expected = data.draw(sse_streams())
        chunks = data.draw(chunkings(body))
        assert list(map(tuple, parse(chunks))) == [
            (e.event, e.data, e.id, e.retry) for e in expected
        ]

    try:
        property_()
    except AssertionError:
        return True
    return False


def test_there_are_at_least_20_mutants_over_many_rules() -> None:
    assert len(MUTATIONS) >= 20
    assert len(set(MUTATIONS.values())) >= 20


@pytest.mark.parametrize("seed_value", SEEDS)
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_strategies_expose_each_mutant_within_200_examples(mutation: str, seed_value: int) -> None:
    assert found_a_difference(parse_with(mutation), seed_value)


@pytest.mark.parametrize("seed_value", SEEDS)
def test_strategies_never_flag_ssedecoder(seed_value: int) -> None:
    assert not found_a_difference(oaproto_parse, seed_value)


def test_strategies_never_flag_the_unmutated_parser() -> None:
    # The mutants differ from it in one rule each, so it must follow the spec.
    assert not found_a_difference(parse_with(None), SEEDS[0], examples=100)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_kits_vectors_name_each_mutants_rule(mutation: str) -> None:
    assert MUTATIONS[mutation] in check_sse_parser(parse_with(mutation), examples=0).failed_rules


def test_the_unmutated_parser_passes_the_kit() -> None:
    assert check_sse_parser(parse_with(None), examples=3).passed
