"""The command line's invariants, checked in-process: one-line errors, statuses, JSON, threads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    IncompleteReplyError,
    LocalProtocolError,
    NotFoundError,
    RemoteProtocolError,
    ReplyError,
    Token,
    TransportError,
    TransportTimeoutError,
    ValidationError,
)
from oaproto.models import Chat
from oaproto.transports._cli_common import (
    EXIT_STATUS_HELP,
    ExitStatus,
    UsageError,
    describe,
    status_for,
)
from oaproto.transports._cli_listing import show_chat
from oaproto.transports._cli_render import event_json
from oaproto.transports._cli_transport import TransportSetupError, transport_options

DOCS = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")


@given(st.text(), st.lists(st.text(), max_size=3))
def test_an_error_is_always_one_line(message: str, notes: list[str]) -> None:
    error = TransportError(message)
    for note in notes:
        error.add_note(note)
    line = describe(error)
    assert len(f"{line}\n".splitlines()) == 1
    assert line.startswith("TransportError:")
    assert line == line.strip()


def _api(kind: type[APIError], status: int) -> APIError:
    return kind(status, body=b"")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UsageError("x"), ExitStatus.USAGE),
        (TransportSetupError("x"), ExitStatus.USAGE),
        (LocalProtocolError("x"), ExitStatus.USAGE),
        (_api(AuthenticationError, 401), ExitStatus.AUTHENTICATION),
        (_api(NotFoundError, 404), ExitStatus.NOT_FOUND),
        (_api(BusyError, 429), ExitStatus.BUSY),
        (_api(ValidationError, 422), ExitStatus.ERROR),
        (_api(APIError, 500), ExitStatus.ERROR),
        (ReplyError("x", state=None, partial_text="", message_id=None), ExitStatus.ERROR),
        (RemoteProtocolError("x"), ExitStatus.PROTOCOL),
        (IncompleteReplyError("x", partial_text="", message_id=None), ExitStatus.PROTOCOL),
        (TransportTimeoutError("x"), ExitStatus.TRANSPORT),
        (KeyboardInterrupt(), ExitStatus.INTERRUPTED),
    ],
)
def test_each_error_has_its_status(error: BaseException, status: ExitStatus) -> None:
    assert status_for(error) is status


@pytest.mark.parametrize("status", list(ExitStatus))
def test_help_and_docs_list_every_status(status: ExitStatus) -> None:
    assert re.search(rf"^  {status.value} +\S", EXIT_STATUS_HELP, flags=re.M)
    assert f"\n| {status.value} | " in DOCS


@given(st.text())
def test_a_token_event_round_trips_through_json(text: str) -> None:
    for ascii_only in (True, False):
        line = json.dumps(event_json(Token(text=text)), ensure_ascii=ascii_only)
        assert "\n" not in line
        assert json.loads(line) == {"type": "token", "text": text}


# A chat's messages as parent indices: message i answers message parents[i]
# (an earlier one), or nothing.
_trees = st.lists(st.integers(min_value=-1, max_value=30), max_size=12).map(
    lambda raw: [p if 0 <= p < i else None for i, p in enumerate(raw)]
)


def _chat(parents: list[int | None]) -> Chat:
    def message(i: int, parent: int | None) -> dict[str, object]:
        return {
            "id": f"m{i}",
            "parent_id": None if parent is None else f"m{parent}",
            "chat_id": "c",
            "created_at": f"2024-01-01T00:00:{i:02d}",
            "role": "prompter" if parent is None or parents[parent] is not None else "assistant",
            "state": "complete",
            "content": f"text {i}\nsecond line",
        }

    return Chat.from_json(
        {
            "id": "c",
            "created_at": "2024-01-01T00:00:00",
            "modified_at": "2024-01-01T00:00:00",
            "title": "t",
            "messages": [message(i, p) for i, p in enumerate(parents)],
        }
    )


@given(_trees)
def test_show_prints_every_message_once_under_its_parent(
    parents: list[int | None],
) -> None:
    lines = show_chat(_chat(parents))
    assert lines[0] == "chat c: t"
    shown = [int(line.rsplit("text ", 1)[1].split()[0]) for line in lines[1:]]
    assert sorted(shown) == list(range(len(parents)))  # each once, on one line
    position = {message: index for index, message in enumerate(shown)}
    for child, parent in enumerate(parents):
        if parent is not None:
            assert position[parent] < position[child]  # a message follows what it answers


@pytest.mark.parametrize("embedded", [False, True])
def test_proxy_options_follow_the_adapter_signature(embedded: bool) -> None:
    both = frozenset({"timeout", "proxy", "trust_env"})
    options = transport_options("x", both, timeout=5.0, proxy="http://p:1", embedded=embedded)
    # The embedded server is on loopback: no proxy from the environment.
    expected = {"timeout": 5.0, "proxy": "http://p:1"} | ({"trust_env": False} if embedded else {})
    assert options == expected
    assert transport_options(
        "x", frozenset({"timeout"}), timeout=5.0, proxy=None, embedded=True
    ) == {"timeout": 5.0}
    with pytest.raises(TransportSetupError, match="--transport x cannot use a proxy"):
        transport_options(
            "x", frozenset({"timeout"}), timeout=5.0, proxy="http://p:1", embedded=False
        )
