"""How the documentation harness finds and reads code blocks, and the rules a block follows.

Conventions for a code block (fenced with three backticks) in ``README.md`` or ``docs/**/*.md``:

* Every fence names its language. ``python`` and ``console`` blocks are run; any other
  language (``text`` for output and diagrams, ``sh`` for install commands, ``mermaid``,
  ``toml``, ``json``...) is an illustration and is not run.
* A ``python`` block is a complete program, run on its own in a fresh interpreter
  (``tests/docs/run_block.py``) from an empty temporary directory, and must exit 0.
  Top-level ``await`` / ``async with`` / ``async for`` are allowed: such a block runs in
  ``asyncio.run()``.
* The harness runs one reference server for all blocks, in open mode as ``oaproto serve``
  starts by default (any credential, or none, is accepted, so a block may show a
  placeholder credential), and fills in these names when a block uses them without
  defining them:

  - ``base_url``: the server's URL;
  - ``token``: a credential to send (bearer token or web session cookie value);
  - ``config``: ``ClientConfig(base_url=base_url, dialect=Dialect.INFERENCE, token=token)``.

  The address ``http://127.0.0.1:8000`` (where ``oaproto serve`` listens by default) is
  replaced by the server's URL in every block.
* A ``python`` block that defines ``test_*`` functions is a pytest module: it is run with
  pytest, so the ``oa_server`` fixtures are available, and every test must pass.
* A ``console`` block: each line starting with ``$ `` is a command (a trailing ``\\``
  continues it on the next line). The commands run in order as one bash session
  (``export``, variables and ``cd`` carry over) in a temporary directory, with this
  environment's ``oaproto`` first on ``PATH``, ``OAPROTO_TOKEN`` set to the harness's
  ``token``, ``NO_COLOR=1`` and no proxy variables. Other lines are the output shown to
  the reader and are not compared. Each command must exit 0, except one followed by
  ``$ echo $?``: it must exit with the number shown on the line after that.
* An HTML comment right before a block changes that, ``<!-- docs-test: ... -->``:

  - ``exit-code=N``: the block's last command must exit with ``N`` instead of 0;
  - ``until=TEXT``: the block's last command is a server that runs until stopped (in
    a shell of its own); the harness waits until its output contains ``TEXT``, then
    stops it with SIGINT.

A failing block is reported as ``page.md:LINE`` with its output.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: The credential blocks send (``token``, ``$OAPROTO_TOKEN``); the open-mode server takes any.
DOCS_TOKEN = "docs-token"
#: Where ``oaproto serve`` listens by default; blocks may use it as the server's address.
DEFAULT_SERVE_URL = "http://127.0.0.1:8000"
#: Fence languages that are run; every other named language is an illustration.
RUN_LANGUAGES = frozenset({"python", "console"})

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^<!--\s*docs-test:(?P<options>.*?)-->\s*$")
_OPTION = re.compile(r'(?P<key>[a-z-]+)=(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))')


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    source: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def markdown_pages() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def code_blocks(page: Path) -> Iterator[CodeBlock]:
    """Every fenced block of ``page``, with the ``docs-test`` options written before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    options: dict[str, str] = {}
    while index < len(lines):
        line = lines[index]
        directive = _DIRECTIVE.match(line.strip())
        opening = _FENCE.match(line)
        if directive:
            options = _parse_options(directive["options"])
        elif opening:
            fence, indent = opening["fence"], len(opening["indent"])
            body: list[str] = []
            start = index
            index += 1
            while index < len(lines) and not lines[index].strip().startswith(fence):
                body.append(
                    lines[index][indent:] if lines[index][:indent].isspace() else lines[index]
                )
                index += 1
            language = opening["info"].strip().split(" ")[0].strip("{}.")
            yield CodeBlock(page, start + 1, language, "\n".join(body) + "\n", options)
            options = {}
        elif line.strip():
            options = {}  # a directive applies only to the block right after it
        index += 1


def _parse_options(text: str) -> dict[str, str]:
    return {
        m["key"]: m["quoted"] if m["quoted"] is not None else m["bare"]
        for m in _OPTION.finditer(text)
    }


#: Marks of a citation of a document that is not in the repository.
MISSING_DOCUMENT = re.compile(
    r"§|\bsections? \d|\breference section|\bprotocol reference\b"
    r"|oa-protocol|shared/reference|style-anchors",
    re.IGNORECASE,
)


def missing_document_citations(text: str) -> list[str]:
    """The lines of ``text`` that cite a document by a mark this repository cannot resolve."""
    return [line.strip() for line in text.splitlines() if MISSING_DOCUMENT.search(line)]


def harness_environment() -> dict[str, str]:
    """The environment blocks and examples run in (see the rules above)."""
    # The machine's OAPROTO_* and proxy settings must not change what a block does.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OAPROTO_") and not key.lower().endswith("_proxy")
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        OAPROTO_TOKEN=DOCS_TOKEN,
        NO_COLOR="1",
        NO_MKDOCS_2_WARNING="1",
        PYTHONUNBUFFERED="1",
    )
    return env
