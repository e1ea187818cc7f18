"""docs/state-machine.md is generated from the transition table and must be current."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from oaproto import ChatState
from oaproto.state import BEFORE_COMMAND, TRANSITIONS
from tests.helpers.session_fixtures import SENT_FROM

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
        if target is BEFORE_COMMAND:
            assert generator.origins(state)
            for origin in generator.origins(state):
                assert f"{state.name} --> {origin.name} :" in diagram
                assert f"{event.value} (back)" in _line(diagram, state, origin)
        elif state is not target:
            assert f"{state.name} --> {target.name} :" in diagram
    assert diagram.startswith("```mermaid\nstateDiagram-v2\n    [*] --> IDLE\n")
    assert f"{ChatState.DELETED.name} --> [*]" in diagram
    back = "| outcome | back to the state before the command:"
    assert f"| POSTING | `request rejected` {back} READY or REPLIED |" in table
    assert f"| REQUESTING | `request rejected` {back} PROMPTED, QUEUED or REPLIED |" in table
    assert "| DELETING | `request rejected` | outcome | ERROR |" in table


def _line(diagram: str, state: ChatState, target: ChatState) -> str:
    prefix = f"    {state.name} --> {target.name} :"
    return next(line for line in diagram.splitlines() if line.startswith(prefix))


def test_the_drawn_way_back_is_where_the_session_goes() -> None:
    # The diagram derives from the table where a rejection returns to; the
    # situations (whose rejections test_session_rejected.py checks) send their
    # requests from exactly those states.
    generator = _generator()
    sent_from: dict[ChatState, set[ChatState]] = defaultdict(set)
    for name, origin in SENT_FROM.items():
        sent_from[_state(name)].add(_state(origin))
    drawn = {
        state: set(generator.origins(state))
        for (state, _), target in TRANSITIONS.items()
        if target is BEFORE_COMMAND
    }
    assert drawn == {state: sent_from[state] for state in drawn}
    assert set(drawn) == {
        ChatState.CREATING,
        ChatState.POSTING,
        ChatState.REQUESTING,
        ChatState.STREAMING,
        ChatState.STREAM_ENDED,
        ChatState.FETCHING,
    }


def _state(situation: str) -> ChatState:
    return ChatState[situation.split("/")[0]]


def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = _generator()
    output = tmp_path / "state-machine.md"
    monkeypatch.setattr(generator, "OUTPUT", output)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    output.write_text("stale", encoding="utf-8")
    assert generator.main(["--check"]) == 1
