"""A griffe extension for the API reference: Sphinx roles in docstrings shown as code.

The docstrings use Sphinx cross-reference roles (``:class:`~oaproto.ChatAPI```,
``:meth:`fetch_message```), which mkdocstrings would print literally. This turns
each into inline code showing the name as Sphinx would (``~`` keeps the last part).
mkdocs.yml loads it for the mkdocstrings python handler.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|exc|mod|obj|const):`(?P<target>[^`]+)`")


def _as_code(match: re.Match[str]) -> str:
    target = match["target"].strip()
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target}`"


def replace_roles(text: str) -> str:
    """``text`` with every Sphinx cross-reference role replaced by inline code."""
    return _ROLE.sub(_as_code, text)


class SphinxRoles(griffe.Extension):
    """Rewrite each loaded object's docstring (the sources stay as they are)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = replace_roles(obj.docstring.value)
