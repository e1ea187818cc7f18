"""Fixtures and parametrisation of the documentation tests (the rules: ``docs_blocks.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oaproto.transports.server import ThreadedServer

from .docs_blocks import ROOT, RUN_LANGUAGES, CodeBlock, code_blocks, markdown_pages


def _runnable_blocks() -> list[CodeBlock]:
    return [
        block
        for page in markdown_pages()
        for block in code_blocks(page)
        if block.language in RUN_LANGUAGES
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``markdown_page`` and ``code_block`` arguments over the docs."""
    if "markdown_page" in metafunc.fixturenames:
        pages = markdown_pages()
        metafunc.parametrize("markdown_page", pages, ids=[str(p.relative_to(ROOT)) for p in pages])
    if "code_block" in metafunc.fixturenames:
        blocks = _runnable_blocks()
        metafunc.parametrize("code_block", blocks, ids=[block.where for block in blocks])


@pytest.fixture(scope="session")
def docs_server() -> Iterator[ThreadedServer]:
    """The reference server every docs block talks to: open mode, as ``oaproto serve`` starts.

    Every block is the same (open-mode) user, so the per-user rate limit is off.
    """
    with ThreadedServer(
        warn_open_mode=False, token_delay=0.002, pending_interval=0.2, rate_limit=None
    ) as server:
        yield server
