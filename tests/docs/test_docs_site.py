"""The documentation site builds with warnings as errors, and documents the whole public API."""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.config import load_config

from .docs_blocks import DOCS, ROOT, missing_document_citations

#: The modules whose ``__all__`` the API reference renders, and their pages.
REFERENCE_PAGES = {
    "oaproto": "reference/oaproto",
    "oaproto.api": "reference/api",
    "oaproto.models": "reference/models",
    "oaproto.sse": "reference/sse",
    "oaproto.state": "reference/state",
    "oaproto.credentials": "reference/credentials",
    "oaproto.g4f": "reference/g4f",
    "oaproto.transports": "reference/transports",
    "oaproto.transports.server": "reference/server",
    "oaproto.testing": "reference/testing",
    "oaproto.testing.conformance": "reference/testing",
    "oaproto.testing.strategies": "reference/strategies",
}
_TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``mkdocs build --strict``."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_site_builds_without_warnings(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "reference" / "oaproto" / "index.html").is_file()


@pytest.mark.parametrize("module", sorted(REFERENCE_PAGES))
def test_every_exported_name_is_documented(site: Path, module: str) -> None:
    page = (site / REFERENCE_PAGES[module] / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="([^"]+)"', page))
    exported = importlib.import_module(module).__all__
    assert [name for name in exported if f"{module}.{name}" not in anchors] == []


def test_no_built_page_cites_a_missing_document(site: Path) -> None:
    # The API reference renders docstrings: they must stand alone too.
    cited = {}
    for page in sorted(site.rglob("*.html")):
        text = html.unescape(_TAG.sub("", page.read_text(encoding="utf-8")))
        if found := missing_document_citations(text):
            cited[str(page.relative_to(site))] = found
    assert cited == {}


def _nav_pages(entries: object) -> Iterator[str]:
    if isinstance(entries, str):
        yield entries
    elif isinstance(entries, list):
        for entry in entries:
            yield from _nav_pages(entry)
    elif isinstance(entries, dict):
        for value in entries.values():
            yield from _nav_pages(value)


def test_every_page_is_in_the_nav() -> None:
    # mkdocs only logs pages left out of the nav; a reader would never find them.
    config = load_config(str(ROOT / "mkdocs.yml"))
    pages = {str(page.relative_to(DOCS)) for page in DOCS.rglob("*.md")}
    assert pages - set(_nav_pages(config["nav"])) == set()


def test_no_sphinx_role_is_shown_raw(site: Path) -> None:
    # docs/griffe_sphinx_roles.py turns :class:`X` in docstrings into code.
    raw = re.compile(r":(?:class|meth|func|attr|data|exc|mod|obj):`")
    pages = [str(p.relative_to(site)) for p in site.rglob("*.html") if raw.search(p.read_text())]
    assert pages == []
