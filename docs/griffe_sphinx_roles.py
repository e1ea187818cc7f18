"""A griffe extension for the API reference: the sources' Sphinx conventions, rendered.

* The docstrings use Sphinx cross-reference roles (``:class:`~oaproto.ChatAPI```,
  ``:meth:`fetch_message```), which mkdocstrings would print literally. Each becomes
  inline code showing the name as Sphinx would (``~`` keeps the last part).
* Constants and enum members are documented by ``#:`` comments above them, which
  griffe does not read. They become the attribute's docstring.

mkdocs.yml loads it for the mkdocstrings python handler; the sources stay as they are.
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


def comment_docstring(lines: list[str], lineno: int) -> str | None:
    """The ``#:`` comment lines right above line ``lineno`` (1-based), joined, or None."""
    found: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#:"):
        found.append(lines[index].lstrip()[2:].strip())
        index -= 1
    return "\n".join(reversed(found)) or None


class SphinxRoles(griffe.Extension):
    """Rewrite each loaded object's docstring; give ``#:``-commented attributes theirs."""

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        if attr.docstring is None and attr.lineno is not None:
            text = comment_docstring(attr.module.lines, attr.lineno)
            if text is not None:
                attr.docstring = griffe.Docstring(text, lineno=attr.lineno, parent=attr)

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = replace_roles(obj.docstring.value)
