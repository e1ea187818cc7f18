"""Every code block of docs/gpt4free.md and docs/proxies.md runs against a reference server.

The blocks name the server ``http://127.0.0.1:8000``; each runs in its own
interpreter with that address replaced by a fresh reference server's (open
mode: any session cookie is accepted).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oaproto.transports.server import ThreadedServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
PLACEHOLDER = "http://127.0.0.1:8000"


def blocks(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


BLOCKS = [(name, block) for name in ("gpt4free.md", "proxies.md") for block in blocks(name)]


def test_the_docs_have_their_examples() -> None:
    assert len(blocks("gpt4free.md")) >= 8
    assert len(blocks("proxies.md")) >= 1
    assert all(PLACEHOLDER in block for _, block in BLOCKS)


@pytest.mark.oa_server(token_delay=0.002, rate_limit=None)
@pytest.mark.parametrize(
    ("name", "block"), BLOCKS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(BLOCKS)]
)
def test_the_block_runs(name: str, block: str, oa_server: ThreadedServer) -> None:
    code = block.replace(PLACEHOLDER, oa_server.url)
    # The machine's proxy settings must not reroute the examples.
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "Traceback" not in done.stderr
    assert oa_server.chats() == []  # every example's chat was deleted
