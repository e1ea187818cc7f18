"""The asynchronous driver is the blocking one plus ``async``/``await``.

httpcore generates its sync code from its async code with unasync; we keep
both by hand and check here that the unasync substitutions turn ``_async.py``
into ``_sync.py`` (and the same for the bounded-wait helpers' signatures).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TRANSPORTS = Path(__file__).resolve().parents[2] / "transports"
RUFF = Path(sys.executable).parent / "ruff"

# Applied in order; every one must be used at least once (httpcore's --check).
SUBSTITUTIONS = [
    (r"\bAsyncTransport\b", "SyncTransport"),
    (r"\b_bounded_async\b", "_bounded_sync"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\basync def\b", "def"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\b__anext__\b", "__next__"),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"\benter_async_context\b", "enter_context"),
    (r"\bpush_async_callback\b", "callback"),
    (r"\bAsync([A-Z]\w*)", r"\1"),  # AsyncChatClient, AsyncIterator, AsyncExitStack
]


def unasync(text: str) -> tuple[str, list[str]]:
    unused = []
    for pattern, replacement in SUBSTITUTIONS:
        text, count = re.subn(pattern, replacement, text)
        if not count:
            unused.append(pattern)
    return text, unused


def ruff_format(text: str) -> str:
    # Names shrink, so a line wrapped in the async file may fit on one line in the sync one.
    result = subprocess.run(
        [str(RUFF), "format", "--stdin-filename", "twin.py", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_async_driver_unasyncs_to_the_sync_driver() -> None:
    converted, unused = unasync((TRANSPORTS / "_async.py").read_text())
    assert not unused, f"unused substitutions: {unused}"
    assert ruff_format(converted) == (TRANSPORTS / "_sync.py").read_text()


@pytest.mark.parametrize("name", ["next_chunk", "close", "close_bounded", "send_bounded"])
def test_bounded_helpers_have_twin_names(name: str) -> None:
    for module in ("_bounded_sync.py", "_bounded_async.py"):
        assert f"def {name}(" in (TRANSPORTS / module).read_text()
