"""The SSE parser conformance kit: check anyone's parser against the spec, rule by rule.

``check_sse_parser(parse)`` runs a hand-checked vector corpus and then
Hypothesis searches, one per rule of the spec's "Interpreting an event
stream" and "Dispatch the event" steps, against a ``parse(chunks) -> events``
callable, and returns a :class:`ConformanceReport` that names each failing
rule with its smallest counterexample. ``assert_sse_conformant(parse)`` does
the same inside a test. Requires hypothesis (``pip install 'oaproto[testing]'``).

The adapter is one synchronous function: it receives a list of ``bytes``
reads (the whole body, cut as a socket might) and returns the events the
parser dispatched for all of them, end of stream included. An event may be
an object with ``event``, ``data``, ``id`` (or ``last_event_id``) and
optionally ``retry`` attributes, a mapping with those keys, or a tuple
``(event, data, id)`` or ``(event, data, id, retry)``. An async parser is
wrapped in a sync function that runs it to completion (see ``docs/fuzzing.md``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from .._sse import ServerSentEvent
from ._rules import RULES, VECTORS, Rule
from .strategies import _rule_streams, chunkings, sse_streams

__all__ = [
    "MIXED_RULE",
    "ConformanceReport",
    "Counterexample",
    "EventFields",
    "ParseFunction",
    "RuleResult",
    "assert_sse_conformant",
    "check_sse_parser",
]

#: ``(event, data, id, retry)`` as read from an event; ``retry`` is ``None`` when it carries none.
EventFields = tuple[object, object, object, object]
#: The adapter the kit calls: all reads of one body in, all its events out.
ParseFunction = Callable[[list[bytes]], Iterable[object]]
Status = Literal["pass", "fail", "not checked"]

#: The last row: all rules at once, in random combinations (run when every rule passes).
MIXED_RULE = Rule("all-rules-mixed", "every rule at once, in random streams and reads")

_NO_RETRY = object()


@dataclass(frozen=True)
class Counterexample:
    """The smallest input found on which the parser breaks a rule.

    Attributes:
        chunks: the reads the parser was given.
        expected: the events the spec gives, as ``(event, data, id, retry)``.
        got: the parser's events, read the same way, or ``None`` if it raised.
        error: the exception the parser raised (``"TypeName: message"``), else ``None``.
        vector: the name of the corpus vector, or ``None`` for a generated case.
    """

    chunks: tuple[bytes, ...]
    expected: tuple[EventFields, ...]
    got: tuple[EventFields, ...] | None
    error: str | None
    vector: str | None


@dataclass(frozen=True)
class RuleResult:
    """How the parser fared on one rule.

    Attributes:
        rule: the rule.
        status: ``"pass"``, ``"fail"`` or ``"not checked"`` (a rule only
            visible through ``retry``, for a parser whose events carry none;
            or the mixed row when a single rule already fails).
        counterexample: the smallest failing case, for a failure.
    """

    rule: Rule
    status: Status
    counterexample: Counterexample | None = None


@dataclass(frozen=True)
class ConformanceReport:
    """The outcome of :func:`check_sse_parser`; ``str(report)`` is a readable table.

    Attributes:
        parser: the name of the callable checked.
        results: one per rule, in the order of :data:`oaproto.testing.RULES`,
            then the mixed row.
        examples: generated examples tried per rule.
        seed: the seed of the searches.
    """

    parser: str
    results: tuple[RuleResult, ...]
    examples: int
    seed: int

    @property
    def passed(self) -> bool:
        """True when no rule fails."""
        return not self.failed_rules

    @property
    def failed_rules(self) -> tuple[str, ...]:
        """The names of the failing rules."""
        return tuple(result.rule.name for result in self.results if result.status == "fail")

    def __str__(self) -> str:
        counts = dict.fromkeys(("pass", "fail", "not checked"), 0)
        for result in self.results:
            counts[result.status] += 1
        lines = [
            f"SSE conformance of {self.parser}: {counts['pass']} pass, {counts['fail']} fail, "
            f"{counts['not checked']} not checked "
            f"(vector corpus, then {self.examples} generated examples per rule, seed {self.seed})",
            "",
        ]
        width = max(len(result.rule.name) for result in self.results)
        lines.append(f"{'rule':<{width}}  {'result':<11}  what a conforming parser does")
        lines.append(f"{'-' * width}  {'-' * 11}  {'-' * 29}")
        for result in self.results:
            mark = "FAIL" if result.status == "fail" else result.status
            lines.append(f"{result.rule.name:<{width}}  {mark:<11}  {result.rule.summary}")
        for result in self.results:
            example = result.counterexample
            if example is None:
                continue
            lines += ["", f"FAIL {result.rule.name}: {result.rule.summary}"]
            source = f"vector {example.vector}" if example.vector else "generated, shrunk"
            lines.append(f"  case:     {source}")
            lines.append(f"  reads:    {_clip(list(example.chunks))}")
            lines.append(f"  expected: {_clip(list(example.expected))}")
            if example.error is not None:
                lines.append(f"  raised:   {_clip(example.error)}")
            else:
                lines.append(f"  got:      {_clip(list(example.got or ()))}")
        return "\n".join(lines)


def _clip(value: object, limit: int = 400) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_event(event: object) -> tuple[object, object, object, object]:
    """(event, data, id, retry) from whatever shape the parser's events have."""
    if isinstance(event, tuple) and len(event) in (3, 4) and not hasattr(event, "data"):
        retry = event[3] if len(event) == 4 else _NO_RETRY
        return event[0], event[1], event[2], retry
    if isinstance(event, Mapping):
        if "data" in event:
            id_ = event.get("id", event.get("last_event_id"))
            return event.get("event"), event["data"], id_, event.get("retry", _NO_RETRY)
    elif hasattr(event, "data"):
        id_ = getattr(event, "id", getattr(event, "last_event_id", None))
        return getattr(event, "event", None), event.data, id_, getattr(event, "retry", _NO_RETRY)
    raise TypeError(
        "parse() must return events with event/data/id(/retry) attributes, mappings with those "
        f"keys, or (event, data, id[, retry]) tuples; got {type(event).__name__}: {event!r:.80}"
    )


def _normalise(event: object) -> tuple[EventFields, bool]:
    """The event's fields, and whether it carries a retry.

    ``None`` reads as the spec's default (event ``"message"``, id ``""``); a
    retry given as a string of ASCII digits reads as its number.
    """
    kind, data, id_, retry = _read_event(event)
    has_retry = retry is not _NO_RETRY
    if not has_retry:
        retry = None
    elif isinstance(retry, str) and retry.isascii() and retry.isdigit():
        retry = int(retry)
    return ("message" if kind is None else kind, data, "" if id_ is None else id_, retry), has_retry


def _fields(event: ServerSentEvent) -> EventFields:
    return (event.event, event.data, event.id, event.retry)


class _Runner:
    """Runs the parser on one case and compares, remembering whether it reports retry."""

    def __init__(self, parse: ParseFunction, retry: bool | None) -> None:
        self.parse = parse
        self.retry = retry
        self.saw_retry = False

    def mismatch(
        self, chunks: list[bytes], expected: Iterable[ServerSentEvent], vector: str | None = None
    ) -> Counterexample | None:
        want = tuple(map(_fields, expected))
        try:
            produced = list(self.parse(list(chunks)))
        except Exception as exc:  # noqa: BLE001  (any error of the parser is a finding)
            error = f"{type(exc).__name__}: {exc}"
            return Counterexample(tuple(chunks), want, None, error, vector)
        got = []
        for event in produced:
            fields, has_retry = _normalise(event)
            self.saw_retry |= has_retry
            got.append(fields)
        compare_retry = self.saw_retry if self.retry is None else self.retry
        width = 4 if compare_retry else 3  # without retry, compare event, data and id
        if [g[:width] for g in got] == [w[:width] for w in want]:
            return None
        return Counterexample(tuple(chunks), want, tuple(got), None, vector)

    def search(
        self,
        streams: st.SearchStrategy[tuple[bytes, list[ServerSentEvent]]],
        examples: int,
        seed: int,
    ) -> Counterexample | None:
        cases = streams.flatmap(lambda pair: chunkings(pair[0]).map(lambda cut: (cut, pair[1])))
        config = settings(
            max_examples=examples,
            database=None,
            deadline=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        try:
            chunks, expected = find(
                cases,
                lambda case: self.mismatch(*case) is not None,
                settings=config,
                random=random.Random(seed),
            )
        except NoSuchExample:
            return None
        return self.mismatch(chunks, expected)


def check_sse_parser(
    parse: ParseFunction,
    *,
    examples: int = 100,
    seed: int = 0,
    rules: Collection[str] | None = None,
    retry: bool | None = None,
) -> ConformanceReport:
    """Check a parser against every rule of the spec; see the module docstring for ``parse``.

    For each rule, the vectors named after it run first; if they pass,
    ``examples`` generated streams probing that rule (cut into reads where
    parsers break) are tried, and the first failure is shrunk to the smallest
    one. When every rule passes, a last row tries ``examples`` streams that
    mix all rules.

    Args:
        parse: ``parse(chunks: list[bytes]) -> iterable of events``.
        examples: generated examples per rule; ``0`` runs the vectors only.
        seed: the seed of the searches (the same seed gives the same report).
        rules: the rule names to check, or ``None`` for all.
        retry: whether to compare each event's ``retry``; ``None`` compares it
            once the parser's events are seen to carry one.

    Returns:
        The report: ``report.passed``, ``report.failed_rules``, ``str(report)``.

    Raises:
        TypeError: ``parse`` returned something that is not an event.
        ValueError: an unknown rule name, or ``examples < 0``.
    """
    if examples < 0:
        raise ValueError(f"examples must be >= 0, got {examples}")
    known = [rule.name for rule in RULES]
    if rules is not None and not set(rules) <= set(known):
        raise ValueError(f"unknown rules {sorted(set(rules) - set(known))}; known: {known}")
    runner = _Runner(parse, retry)
    chosen = [rule for rule in RULES if rules is None or rule.name in rules]
    found: dict[str, Counterexample | None] = {}
    for rule in chosen:
        failure = None
        for vector in VECTORS:
            if vector.rule == rule.name and failure is None:
                failure = runner.mismatch(list(vector.chunks), vector.events, vector.name)
        if failure is None and examples:
            failure = runner.search(_rule_streams(rule.name), examples, seed)
        found[rule.name] = failure
    compare_retry = runner.saw_retry if retry is None else retry
    results = []
    for rule in chosen:
        failure = found[rule.name]
        if failure is not None:
            results.append(RuleResult(rule, "fail", failure))
        elif rule.needs_retry and not compare_retry:
            results.append(RuleResult(rule, "not checked"))
        else:
            results.append(RuleResult(rule, "pass"))
    if examples and rules is None:
        if any(result.status == "fail" for result in results):
            results.append(RuleResult(MIXED_RULE, "not checked"))
        else:
            failure = runner.search(sse_streams(), examples, seed)
            status: Status = "pass" if failure is None else "fail"
            results.append(RuleResult(MIXED_RULE, status, failure))
    name = getattr(parse, "__qualname__", None) or repr(parse)
    return ConformanceReport(
        f"{getattr(parse, '__module__', '?')}.{name}", tuple(results), examples, seed
    )


def assert_sse_conformant(
    parse: ParseFunction,
    *,
    known_failures: Collection[str] = (),
    examples: int = 100,
    seed: int = 0,
) -> ConformanceReport:
    """Fail a test unless exactly the ``known_failures`` rules fail (none by default).

    Args:
        parse: as for :func:`check_sse_parser`.
        known_failures: the rule names expected to fail; a rule that starts
            passing fails the assertion too, so a fixed parser shows up.
        examples: as for :func:`check_sse_parser`.
        seed: as for :func:`check_sse_parser`.

    Returns:
        The report, for further checks.

    Raises:
        AssertionError: the failing rules differ from ``known_failures``; the
            message is the report's table.
    """
    report = check_sse_parser(parse, examples=examples, seed=seed)
    if set(report.failed_rules) != set(known_failures):
        raise AssertionError(
            f"failing rules {sorted(report.failed_rules)}, expected {sorted(known_failures)}\n\n"
            f"{report}"
        )
    return report
