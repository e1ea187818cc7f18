"""The public surface: small, typed, and the only thing used from outside the package."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import oaproto

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_MODULES = [
    "oaproto",
    "oaproto.api",
    "oaproto.credentials",
    "oaproto.g4f",
    "oaproto.models",
    "oaproto.sse",
    "oaproto.state",
]


def test_the_top_level_namespace_stays_small() -> None:
    assert len(oaproto.__all__) <= 40
    assert len(set(oaproto.__all__)) == len(oaproto.__all__)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_exported_name_exists_and_nothing_private_leaks(name: str) -> None:
    module = importlib.import_module(name)
    for exported in module.__all__:
        assert hasattr(module, exported), exported
        assert not exported.startswith("_")
    # (pytest adds names such as "@py_builtins" to modules whose asserts it rewrites)
    public = {key for key in vars(module) if key.isidentifier() and not key.startswith("_")}
    submodules = {key for key in public if key in {m.rsplit(".", 1)[-1] for m in PUBLIC_MODULES}}
    extra = public - set(module.__all__) - submodules - {"annotations", "transports", "testing"}
    assert not extra, f"{name} has public names outside __all__: {sorted(extra)}"


def test_the_lint_ban_covers_every_private_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    banned = set(config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"])
    private = {f"oaproto.{path.stem}" for path in (ROOT / "oaproto").glob("_*.py")}
    private.discard("oaproto.__init__")
    assert private <= banned, f"add to banned-api: {sorted(private - banned)}"


def test_docs_use_only_the_public_api() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    offenders = [
        f"{page.relative_to(ROOT)}:{number}"
        for page in pages
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\boaproto\._[a-z]", line)
    ]
    assert not offenders


USER_CODE = """\
from oaproto import ClientConfig, ReplyOptions, SamplingParameters
from oaproto.transports import ChatClient, RequestsTransport

config = ClientConfig(base_url="http://127.0.0.1:8000")
options = ReplyOptions({field}="_lorem", sampling=SamplingParameters(temperature=0.5))
with RequestsTransport() as transport, ChatClient(transport, config, options) as chat:
    print(chat.ask("Hello"))
"""


def _mypy(tmp_path: Path, field: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "user_code.py"
    path.write_text(USER_CODE.format(field=field), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        cwd=tmp_path,
        # Static tools do not run the editable install's import hook.
        env={**os.environ, "MYPYPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_mypy_rejects_a_misspelled_reply_option_in_user_code(tmp_path: Path) -> None:
    good = _mypy(tmp_path, "model_config_name")
    assert good.returncode == 0, good.stdout
    bad = _mypy(tmp_path, "model")
    assert bad.returncode == 1
    assert 'Unexpected keyword argument "model" for "ReplyOptions"' in bad.stdout
