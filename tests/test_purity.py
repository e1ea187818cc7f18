"""The core stays sans-IO: no module under ``oaproto/`` may import I/O or concurrency.

Every import statement, ``from`` import and string-literal ``importlib.import_module``
or ``__import__`` call is read from the AST of every file under ``oaproto/``.
Besides the denylist, every import must be standard library or relative; the
exceptions are ``hypothesis`` in ``oaproto/testing/strategies.py`` and
``oaproto/testing/conformance.py``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "oaproto"

FORBIDDEN = (
    "asyncio",
    "anyio",
    "trio",
    "socket",
    "ssl",
    "threading",
    "selectors",
    "http.client",
    "urllib.request",
    "h11",
    "httpx",
    "aiohttp",
    "requests",
)
# (file relative to oaproto/, top-level module) pairs allowed beyond the stdlib.
ALLOWED_THIRD_PARTY = {
    ("testing/strategies.py", "hypothesis"),
    ("testing/conformance.py", "hypothesis"),
}
_DYNAMIC = {"import_module", "__import__"}


def imported_modules(source: str) -> list[str]:
    """Every absolute module name ``source`` imports; ``"<dynamic>"`` for a non-literal one.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule,
    as in ``from http import client``). Relative imports yield nothing.
    """
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module is not None:
                found.append(node.module)
                found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in _DYNAMIC:
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append(first.value)
                else:
                    found.append("<dynamic>")
    return found


def is_forbidden(module: str) -> bool:
    """``True`` for a denylisted module or any submodule of one."""
    return any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN)


def violations(relative: str, source: str) -> list[str]:
    """What is wrong with the imports of one file."""
    problems = []
    for module in imported_modules(source):
        top = module.split(".")[0]
        if module == "<dynamic>":
            problems.append("an import whose module name is not a string literal")
        elif is_forbidden(module):
            problems.append(f"forbidden import {module}")
        elif (relative, top) in ALLOWED_THIRD_PARTY:
            continue
        elif top not in sys.stdlib_module_names:
            problems.append(f"non-stdlib import {module}")
    return problems


def _files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_walk_sees_the_core_modules() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in _files()}
    assert {"__init__.py", "_session.py", "_state.py", "_events.py", "_sse.py"} <= names


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_is_sans_io(path: Path) -> None:
    relative = path.relative_to(PACKAGE).as_posix()
    assert violations(relative, path.read_text(encoding="utf-8")) == []


# --- the checker itself must catch every form ---


@pytest.mark.parametrize(
    "source",
    [
        "import asyncio",
        "import socket as s",
        "import os, ssl",
        "import http.client",
        "from http import client",
        "from urllib import request",
        "import urllib.request",
        "from asyncio.tasks import Task",
        "from threading import Lock",
        "import selectors",
        "import trio, anyio",
        "import h11",
        "from httpx import Client",
        "import aiohttp.web",
        "import requests",
        "import importlib\nimportlib.import_module('socket')",
        "from importlib import import_module\nimport_module('asyncio')",
        "__import__('threading')",
        "import importlib\nimportlib.import_module(name)",
        "def f():\n    import ssl",
        "if TYPE_CHECKING:\n    from anyio import Event",
    ],
)
def test_checker_catches_forbidden_imports(source: str) -> None:
    assert violations("_x.py", source)


@pytest.mark.parametrize(
    "source",
    ["import numpy", "from hypothesis import strategies", "import oaproto", "import _pytest"],
)
def test_checker_catches_non_stdlib_imports(source: str) -> None:
    assert violations("_x.py", source)


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "import json, enum",
        "from collections.abc import Mapping",
        "from urllib.parse import quote",
        "from . import _errors",
        "from ._state import ChatState",
        "from .. import x",
    ],
)
def test_checker_allows_stdlib_and_relative_imports(source: str) -> None:
    assert violations("_x.py", source) == []


def test_hypothesis_is_allowed_only_in_the_testing_strategies() -> None:
    source = "from hypothesis import strategies as st"
    assert violations("testing/strategies.py", source) == []
    assert violations("testing/other.py", source)
    assert violations("testing/strategies.py", "import asyncio")
