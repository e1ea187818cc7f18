"""Every ```python block of docs/fuzzing.md runs as written (each in a fresh namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "fuzzing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_doc_has_its_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("source", BLOCKS, ids=lambda source: source.splitlines()[0][:40])
def test_docs_block_runs(source: str) -> None:
    exec(compile(source, str(DOC), "exec"), {"__name__": "docs_fuzzing"})
