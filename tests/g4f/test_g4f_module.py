"""``oaproto.g4f`` imports without aiohttp or gpt4free; the provider comes on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import oaproto
import oaproto.g4f


def test_the_module_offers_the_provider_and_the_helpers() -> None:
    assert oaproto.g4f.__all__ == [
        "GPT4FREE_SAMPLING",
        "OpenAssistant",
        "format_prompt",
        "gpt4free_prompt",
        "wrap_inst",
    ]
    assert set(oaproto.g4f.__all__) <= set(dir(oaproto.g4f))
    assert oaproto.g4f.gpt4free_prompt([{"role": "user", "content": "Hi"}]) == (
        oaproto.g4f.wrap_inst(oaproto.g4f.format_prompt([{"role": "user", "content": "Hi"}]))
    )


def test_open_assistant_is_the_provider_class() -> None:
    from oaproto.transports.g4f_provider import OpenAssistant

    assert oaproto.g4f.OpenAssistant is OpenAssistant


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = oaproto.g4f.Nope


def test_without_aiohttp_the_provider_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "oaproto.transports.g4f_provider", None)
    with pytest.raises(ImportError, match=r"pip install 'oaproto\[g4f\]'"):
        _ = oaproto.g4f.OpenAssistant


def test_the_module_imports_without_aiohttp_or_gpt4free() -> None:
    code = (
        "import sys\n"
        "sys.modules['aiohttp'] = None\n"  # any import of it fails
        "import oaproto.g4f\n"
        "assert 'g4f' not in sys.modules\n"
        "print(oaproto.g4f.gpt4free_prompt([{'role': 'user', 'content': 'Hi'}]))\n"
        "try:\n"
        "    oaproto.g4f.OpenAssistant\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[:3] == ["<s>[INST]", "Hi", "[/INST]"]
    assert "pip install 'oaproto[g4f]'" in done.stdout
