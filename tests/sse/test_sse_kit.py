"""The conformance kit: check_sse_parser, its report, assert_sse_conformant, on real parsers."""

from __future__ import annotations

import builtins
import importlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis.errors import NoSuchExample

import oaproto.testing
from oaproto.testing import RULES, assert_sse_conformant, check_sse_parser
from oaproto.testing.conformance import MIXED_RULE, ConformanceReport, ParseFunction
from tests.sse.mutants import parse_with
from tests.sse.peer_parsers import httpx_sse_parse, oaproto_parse, openai_parse, sseclient_parse

# The rules each peer breaks (installed versions: httpx-sse 0.4, sseclient-py 1.9, the
# openai SDK's decoder). A peer that fixes one makes its test fail: update the set.
PEER_FAILURES: dict[str, tuple[ParseFunction, set[str]]] = {
    "httpx-sse": (
        httpx_sse_parse,
        {
            "bom",  # the BOM stays part of the first field name: the first event is lost
            "event-reset",  # a block without data dispatches its event type
            "id-without-data",  # ... and an event for a sticky id (httpx-sse #35)
            "retry-invalid",  # int(): "+5", " 5", "5_0", Arabic-Indic digits
            "retry-per-block",  # a retry-only block dispatches an event
            "no-data-no-dispatch",
        },
    ),
    "sseclient-py": (
        sseclient_parse,
        {
            "line-ends",  # blocks end only at a doubled line end in one read
            "crlf-split",
            "bom",
            "utf8-invalid",  # UnicodeDecodeError
            "field-no-colon",  # a bare "retry" gives retry ""
            "field-value-colon",  # "retry::" gives retry ":"
            "id-persist",  # the id is per event
            "id-nul",
            "id-without-data",
            "retry-invalid",  # retry is the raw string, never checked
            "no-data-no-dispatch",
            "unterminated",  # the tail is dispatched at the end of the body
        },
    ),
    "openai": (
        openai_parse,
        {
            "bom",
            "utf8-invalid",  # UnicodeDecodeError
            "event-reset",
            "id-without-data",
            "retry-invalid",
            "retry-per-block",
            "no-data-no-dispatch",
        },
    ),
}
EXAMPLES = 10


def test_ssedecoder_passes_every_rule() -> None:
    report = check_sse_parser(oaproto_parse, examples=EXAMPLES)
    assert report.passed, str(report)
    assert [result.rule for result in report.results] == [*RULES, MIXED_RULE]
    assert {result.status for result in report.results} == {"pass"}


@pytest.mark.parametrize("peer", sorted(PEER_FAILURES))
def test_peer_parsers_known_failures_exactly(peer: str) -> None:
    parse, failures = PEER_FAILURES[peer]
    report = assert_sse_conformant(parse, known_failures=failures, examples=EXAMPLES)
    assert report.results[-1].status == "not checked"  # the mix waits for every rule
    for result in report.results:
        assert (result.counterexample is not None) == (result.status == "fail")


def test_report_reads_as_a_table_with_counterexamples() -> None:
    report = check_sse_parser(httpx_sse_parse, examples=0, rules=["bom", "comments"])
    text = str(report)
    assert "1 pass, 1 fail, 0 not checked" in text
    assert "comments  pass" in text.replace("   ", " ")
    assert "FAIL bom: one leading UTF-8 BOM is dropped" in text
    assert "case:     vector bom/whole" in text
    assert "reads:    [b'\\xef\\xbb\\xbfdata: a\\n\\n']" in text
    assert "expected: [('message', 'a', '', None)]" in text
    assert "got:      []" in text
    (failure,) = [result for result in report.results if result.status == "fail"]
    assert failure.counterexample is not None
    assert failure.counterexample.vector == "bom/whole"
    assert failure.counterexample.got == ()
    assert report.failed_rules == ("bom",)
    assert not report.passed
    assert report.parser == "tests.sse.peer_parsers.httpx_sse_parse"
    assert (report.examples, report.seed) == (0, 0)


def test_a_parser_that_raises_is_reported_with_the_error() -> None:
    report = check_sse_parser(openai_parse, examples=0, rules=["utf8-invalid"])
    (result,) = report.results
    assert result.counterexample is not None
    assert result.counterexample.got is None
    assert result.counterexample.error is not None
    assert result.counterexample.error.startswith("UnicodeDecodeError: ")
    assert "raised:   UnicodeDecodeError" in str(report)


def test_generated_counterexamples_are_shrunk() -> None:
    # Passes the vectors (none has two events and a comment after a line end);
    # the search must find such a stream and shrink it.
    def drops_events_after_comment_reads(chunks: list[bytes]) -> Sequence[object]:
        events = oaproto_parse(chunks)
        return events[:1] if any(b"\n:" in chunk for chunk in chunks) else events

    report = check_sse_parser(drops_events_after_comment_reads, examples=100, rules=["comments"])
    (result,) = report.results
    assert result.status == "fail"
    assert result.counterexample is not None
    assert result.counterexample.vector is None
    assert len(b"".join(result.counterexample.chunks)) < 40
    assert "generated, shrunk" in str(report)


@dataclass
class Attrs:
    data: str
    event: str | None = None
    last_event_id: str | None = None


def tuple_parse(chunks: list[bytes]) -> Iterable[object]:
    return [(e.event, e.data, e.id) for e in oaproto_parse(chunks)]


def mapping_parse(chunks: list[bytes]) -> Iterable[object]:
    return (
        {"event": e.event, "data": e.data, "id": e.id, "retry": e.retry}
        for e in oaproto_parse(chunks)
    )


def attrs_parse(chunks: list[bytes]) -> Iterable[object]:
    # None for the defaults, last_event_id instead of id: read as the spec's defaults.
    return [
        Attrs(e.data, None if e.event == "message" else e.event, e.id or None)
        for e in oaproto_parse(chunks)
    ]


def string_retry_parse(chunks: list[bytes]) -> Iterable[object]:
    return [
        (e.event, e.data, e.id, None if e.retry is None else str(e.retry))
        for e in oaproto_parse(chunks)
    ]


@pytest.mark.parametrize("parse", [tuple_parse, mapping_parse, attrs_parse, string_retry_parse])
def test_event_shapes(parse: ParseFunction) -> None:
    report = check_sse_parser(parse, examples=5)
    assert report.passed, str(report)
    retry_rules = {result.status for result in report.results if result.rule.needs_retry}
    # Without a retry on its events, the retry rules cannot be checked.
    has_retry = parse not in (tuple_parse, attrs_parse)
    assert retry_rules == ({"pass"} if has_retry else {"not checked"})


def test_retry_false_skips_the_retry_rules() -> None:
    report = check_sse_parser(httpx_sse_parse, examples=0, retry=False)
    status = {result.rule.name: result.status for result in report.results}
    # int() accepting "+5" only shows in the retry; the phantom event of a
    # retry-only block shows without it.
    assert (status["retry-valid"], status["retry-invalid"]) == ("not checked", "not checked")
    assert status["retry-per-block"] == "fail"


def test_wrong_event_shape_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"parse\(\) must return events.*got int: 5"):
        check_sse_parser(lambda chunks: [5], examples=0)
    with pytest.raises(TypeError, match="got dict"):
        check_sse_parser(lambda chunks: [{"event": "x"}], examples=0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="examples must be >= 0"):
        check_sse_parser(oaproto_parse, examples=-1)
    with pytest.raises(ValueError, match=r"unknown rules \['nope'\]"):
        check_sse_parser(oaproto_parse, rules=["nope"])


def test_assert_sse_conformant() -> None:
    report = assert_sse_conformant(oaproto_parse, examples=2)
    assert isinstance(report, ConformanceReport)
    with pytest.raises(
        AssertionError, match=r"failing rules \['comments'\], expected \[\]"
    ) as info:
        assert_sse_conformant(parse_with("comment-dispatches"), examples=0)
    assert "FAIL comments" in str(info.value)
    # A known failure that no longer fails is reported too.
    with pytest.raises(AssertionError, match=r"expected \['bom'\]"):
        assert_sse_conformant(oaproto_parse, known_failures=["bom"], examples=0)


def test_same_seed_same_report() -> None:
    # Generated, not from a vector: the comment must arrive inside a block with data.
    def check() -> ConformanceReport:
        return check_sse_parser(
            parse_with("comment-dispatches"), examples=20, seed=7, rules=["comments", "bom"]
        )

    first = check()
    assert first.failed_rules == ("comments",)
    assert str(first) == str(check())


def test_package_exports_the_kit_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    assert oaproto.testing.check_sse_parser is check_sse_parser
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        oaproto.testing.nope  # noqa: B018
    # Without hypothesis the package still imports; the kit says what it needs.
    real_import = builtins.__import__

    def no_hypothesis(name: str, *args: object, **kwargs: object) -> object:
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    for module in [m for m in sys.modules if m.startswith("oaproto.testing")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", no_hypothesis)
    package = importlib.import_module("oaproto.testing")
    assert package.spec_events(b"data: a\n\n")[0].data == "a"
    with pytest.raises(ImportError):
        package.check_sse_parser  # noqa: B018


def test_no_such_example_is_not_leaked() -> None:
    # A passing rule ends its search quietly (hypothesis's NoSuchExample is caught).
    report = check_sse_parser(oaproto_parse, examples=3, rules=["data-empty"])
    assert report.results[0].status == "pass"
    assert NoSuchExample is not None
