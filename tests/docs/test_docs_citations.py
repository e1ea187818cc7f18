"""README.md and docs/ cite only what a reader of this repository has.

Research notes outside the repository (with their numbered sections) are not
shipped: a page that says "see section 2.3" or links a file that is not here
leaves the reader with nothing. Write the fact itself, or link a page that exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from .docs_blocks import ROOT, code_blocks, missing_document_citations

_INLINE_LINK = re.compile(r"\[[^\]]*\]\((?P<target><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(?P<target>\S+)", re.MULTILINE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


def local_link_targets(text: str) -> list[str]:
    """Relative link targets (files, not URLs or same-page anchors) of a markdown text."""
    targets = [m["target"] for m in _INLINE_LINK.finditer(text)]
    targets += [m["target"] for m in _REFERENCE_LINK.finditer(text)]
    return [t.strip("<>") for t in targets if not _EXTERNAL.match(t.strip("<>"))]


def _prose(page: Path) -> str:
    """The page without its code blocks (code may show any text, e.g. a test's data)."""
    text = page.read_text(encoding="utf-8")
    for block in code_blocks(page):
        text = text.replace(block.source, "")
    return text


def test_page_cites_no_missing_document(markdown_page: Path) -> None:
    assert missing_document_citations(markdown_page.read_text(encoding="utf-8")) == []


def test_page_links_only_existing_files(markdown_page: Path) -> None:
    missing = []
    for target in local_link_targets(_prose(markdown_page)):
        path = unquote(target.split("#", 1)[0])
        if path and not (markdown_page.parent / path).exists():
            missing.append(target)
    assert missing == [], f"{markdown_page.relative_to(ROOT)} links files that do not exist"


@pytest.mark.parametrize(
    "line",
    [
        "the joined tokens can differ (reference §2.3).",
        "as observed (section 11)",
        "see reference section 7.6 item 3",
        "described in `oa-protocol.md`",
        "facts from /work/shared/reference/",
        "serves both APIs of the protocol reference",
    ],
)
def test_citation_marks_are_recognised(line: str) -> None:
    assert missing_document_citations(f"fine\n{line}\nfine") == [line]


def test_plain_prose_is_not_a_citation() -> None:
    text = "A section of this page.\nSections below: errors, SSE.\nSee [errors](errors.md#status)."
    assert missing_document_citations(text) == []


def test_local_links_are_found_and_urls_are_not() -> None:
    text = (
        "[a](errors.md) [b](<examples/x y.py>) [c](https://example.org/x.md) [d](#top)\n"
        '[e](server.md#faults "title") [f](mailto:someone@example.org)\n'
        "[ref]: protocol.md\n"
    )
    assert local_link_targets(text) == [
        "errors.md",
        "examples/x y.py",
        "server.md#faults",
        "protocol.md",
    ]
