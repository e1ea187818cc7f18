"""``oaproto sse-check MODULE:FUNCTION``: the SSE conformance kit as a command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, cast

__all__ = ["add_sse_check_command"]


def add_sse_check_command(subparsers: Any) -> None:
    """Add the ``sse-check`` sub-command to the ``oaproto`` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sse-check",
        help="check an SSE parser against the spec, rule by rule",
        description=(
            "Run the conformance kit (oaproto.testing.check_sse_parser) against "
            "FUNCTION in MODULE, a parse(chunks: list[bytes]) -> events callable, and print "
            "a table of the rules with a minimal counterexample for each failure. "
            "Exit status: 0 every rule passes, 1 some fail, 2 usage error."
        ),
    )
    add = parser.add_argument
    add(
        "target",
        metavar="MODULE:FUNCTION",
        help="e.g. myproject.sse:parse (the current directory is importable)",
    )
    add(
        "--examples",
        type=int,
        default=100,
        metavar="N",
        help="generated examples per rule; 0 runs the vector corpus only (default: 100)",
    )
    add("--seed", type=int, default=0, help="seed of the searches (default: 0)")
    add(
        "--rule",
        action="append",
        default=None,
        metavar="NAME",
        help="check only this rule (repeatable)",
    )
    add(
        "--no-retry",
        action="store_true",
        help="do not compare the events' retry, even when they carry one",
    )
    parser.set_defaults(handler=_sse_check)


def _load(target: str) -> Callable[[list[bytes]], Iterable[object]]:
    """The callable named by MODULE:FUNCTION; raises ValueError with a message for the user."""
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError(f"expected MODULE:FUNCTION, got {target!r}")
    # Like "python -m": modules next to the user are importable.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r}: {exc}") from exc
    found: object = module
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ValueError(f"{module_name!r} has no attribute {attribute!r}")
        found = getattr(found, part)
    if not callable(found):
        raise TypeError(f"{target} is not callable")
    # Whatever it returns is checked event by event when it runs.
    return cast("Callable[[list[bytes]], Iterable[object]]", found)


def _sse_check(args: argparse.Namespace) -> int:
    try:
        from oaproto.testing.conformance import check_sse_parser
    except ImportError as exc:  # pragma: no cover - depends on the installation
        print(f"oaproto sse-check: {exc}", file=sys.stderr)
        return 2
    try:
        report = check_sse_parser(
            _load(args.target),
            examples=args.examples,
            seed=args.seed,
            rules=args.rule,
            retry=False if args.no_retry else None,
        )
    except (ValueError, TypeError) as exc:
        # A bad target, option or event shape (the parser's own errors are findings).
        print(f"oaproto sse-check: {exc}", file=sys.stderr)
        return 2
    print(report)
    return 0 if report.passed else 1
