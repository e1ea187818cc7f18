"""Every ``console`` example of ``docs/cli.md`` runs, and prints what the page shows.

A ``console`` block is a shell session: ``$ command`` lines, each followed by
what it prints (stdout and stderr together). ``...`` in the shown output stands
for any text (ids, times). The commands of one block run in one ``bash``, so
``export`` and variables carry over. The page's server address,
``http://127.0.0.1:8000``, is replaced by a reference server's. Blocks of other
languages (``sh``, ``text``) are shown, not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_helpers import TIMEOUT, environment

PAGE = Path(__file__).parents[2] / "docs" / "cli.md"
PAGE_URL = "http://127.0.0.1:8000"
_MARK = "--- oaproto docs: next command ---"


def console_blocks(text: str) -> list[list[tuple[str, str]]]:
    """Each ``console`` block as its (command, shown output) pairs."""
    blocks = []
    for body in re.findall(r"^```console\n(.*?)^```$", text, flags=re.M | re.S):
        steps: list[tuple[str, str]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], ""))
            else:
                command, shown = steps[-1]
                steps[-1] = (command, shown + line + "\n")
        blocks.append(steps)
    return blocks


def matches(shown: str, printed: str) -> bool:
    """Whether ``printed`` is ``shown``, with ``...`` matching any text."""
    pattern = ".*?".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, printed, flags=re.S) is not None


BLOCKS = console_blocks(PAGE.read_text(encoding="utf-8"))


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 5
    assert matches("a ... b\n", "a 01-x b\n")
    assert not matches("a ... b\n", "a x c\n")


@pytest.mark.oa_server(token_delay=0, rate_limit=None)
@pytest.mark.parametrize("steps", BLOCKS, ids=lambda steps: steps[0][0][:40])
def test_console_example(oa_server: Any, steps: list[tuple[str, str]]) -> None:
    # Each command keeps its exit status for the next one ("echo $?").
    script = "".join(
        f"{command.replace(PAGE_URL, oa_server.url)} 2>&1\n"
        f"__status=$?; echo '{_MARK}'; (exit $__status)\n"
        for command, _ in steps
    )
    env = environment(PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    printed = result.stdout.split(_MARK + "\n")
    assert printed[-1] == ""
    for (command, shown), output in zip(steps, printed, strict=False):
        assert matches(shown, output), f"$ {command}\nshown:\n{shown}\nprinted:\n{output}"
    assert len(printed) == len(steps) + 1, result.stderr
