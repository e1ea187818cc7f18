"""Project-wide gates: ruff, ``mypy --strict`` and the shipped ``py.typed`` marker.

They run as tests so that the README's single test command checks everything CI checks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def test_ruff_lint_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "format", "--no-cache", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    # The file list and strictness come from [tool.mypy] in pyproject.toml.
    result = _run(sys.executable, "-m", "mypy", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr


def test_py_typed_marker_ships() -> None:
    assert (ROOT / "oaproto" / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"oaproto" = ["py.typed"]' in pyproject


def test_ci_runs_the_readme_test_command() -> None:
    # The README promises one command for the whole suite; CI must run exactly it.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci.startswith("python3 -m venv .venv && ")
    assert ci in (ROOT / "README.md").read_text(encoding="utf-8")
    assert ci in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
