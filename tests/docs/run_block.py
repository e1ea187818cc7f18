"""Run one ``python`` code block of the docs as a program (see ``conftest.py`` for the rules).

Usage: ``python run_block.py BLOCK_FILE LABEL BASE_URL TOKEN``. The block runs as
``__main__`` with ``base_url``, ``token`` and ``config`` already defined; top-level
``await`` is allowed and runs the block in ``asyncio.run()``.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import sys
from pathlib import Path
from typing import Any

from oaproto import ClientConfig, Dialect


def main(block_file: str, label: str, base_url: str, token: str) -> None:
    source = Path(block_file).read_text(encoding="utf-8")
    code = compile(source, label, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "base_url": base_url,
        "token": token,
        "config": ClientConfig(base_url=base_url, dialect=Dialect.INFERENCE, token=token),
    }
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))
    else:
        exec(code, namespace)


if __name__ == "__main__":
    main(*sys.argv[1:])
