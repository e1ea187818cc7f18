"""docs/state-machine.md is generated from the transition table and must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from oaproto import TRANSITIONS, ChatState

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_state_diagram", DOCS / "make_state_diagram.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_state_machine_doc_matches_the_table() -> None:
    committed = (DOCS / "state-machine.md").read_text(encoding="utf-8")
    assert committed == _generator().render(), (
        "docs/state-machine.md is stale: run python docs/make_state_diagram.py"
    )


def test_the_doc_lists_every_transition_and_draws_every_state_change() -> None:
    generator = _generator()
    table = generator.table()
    diagram = generator.mermaid()
    for (state, event), target in TRANSITIONS.items():
        assert f"| {state.name} | `{event.value}` |" in table
        if state is not target:
            assert f"{state.name} --> {target.name} :" in diagram
    assert diagram.startswith("```mermaid\nstateDiagram-v2\n    [*] --> IDLE\n")
    assert f"{ChatState.DELETED.name} --> [*]" in diagram


def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = _generator()
    output = tmp_path / "state-machine.md"
    monkeypatch.setattr(generator, "OUTPUT", output)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    output.write_text("stale", encoding="utf-8")
    assert generator.main(["--check"]) == 1
