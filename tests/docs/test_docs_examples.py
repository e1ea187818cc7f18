"""Every program under docs/examples/ runs on its own and prints a reply.

Run with no argument, an example starts a reference server of its own; with a
URL, it talks to that server (the token from ``$OAPROTO_TOKEN``) and leaves no
chat behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oaproto.transports.server import ThreadedServer

from .docs_blocks import DOCS, harness_environment

EXAMPLES = sorted((DOCS / "examples").glob("*.py"))
#: A hang guard far above the usual second.
EXAMPLE_TIMEOUT = 90.0


def _run(example: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(example), *args],
        cwd=example.parent,
        env=harness_environment(),
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT,
        check=False,
    )


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_example_runs_on_its_own(example: Path) -> None:
    result = _run(example)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the example printed no reply"


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_example_talks_to_a_given_server(example: Path, docs_server: ThreadedServer) -> None:
    chats_before = [chat["id"] for chat in docs_server.chats()]
    deleted_before = len(docs_server.deleted_chat_ids)
    result = _run(example, docs_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the example printed no reply"
    assert len(docs_server.deleted_chat_ids) > deleted_before  # its chat, deleted
    assert [chat["id"] for chat in docs_server.chats()] == chats_before
