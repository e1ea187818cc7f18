"""``oaproto chat`` with no message on a terminal: a conversation, through a pseudo-terminal."""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_helpers import Terminal, environment, wait_until

PROMPT = "> "
FAST = {"token_delay": 0, "rate_limit": None}


def converse(url: str, tmp_path: Path, *args: str) -> Terminal:
    """``oaproto chat`` on a terminal, its history under ``tmp_path``; the first prompt read."""
    env = environment(TERM="dumb", XDG_STATE_HOME=str(tmp_path))
    terminal = Terminal(["chat", "--url", url, "--model", "_echo", *args], env)
    banner = terminal.expect(PROMPT)
    assert "/help for commands" in banner
    return terminal


def say(terminal: Terminal, line: str) -> str:
    """Type ``line``; returns what came back before the next prompt (without the echo)."""
    terminal.send(line)
    echoed = terminal.expect(PROMPT)
    assert echoed.startswith(line + "\n")
    return echoed[len(line) + 1 :]


@pytest.mark.oa_server(**FAST)
def test_turns_retry_vote_and_quit_build_one_chat(oa_server: Any, tmp_path: Path) -> None:
    terminal = converse(oa_server.url, tmp_path, "--keep")
    assert say(terminal, "first question") == "first question\n"
    assert say(terminal, "second question") == "second question\n"
    assert say(terminal, "/retry") == "second question\n"
    assert say(terminal, "/vote down") == "oaproto chat: voted down\n"
    assert "/retry" in say(terminal, "/help")
    assert (
        say(terminal, "/frobnicate")
        == "oaproto chat: unknown command /frobnicate; /help lists them\n"
    )
    terminal.send("/quit")
    assert terminal.finish() == 0
    kept = re.search(r"kept chat (\S+) ", terminal.output)
    assert kept is not None

    # The server holds one chat with every message, in one tree.
    (chat,) = oa_server.chats()
    assert chat["id"] == kept[1]
    messages = chat["messages"]
    by_id = {m["id"]: m for m in messages}
    prompters = [m for m in messages if m["role"] == "prompter"]
    replies = [m for m in messages if m["role"] == "assistant"]
    assert [m["content"] for m in prompters] == ["first question", "second question"]
    assert [m["content"] for m in replies] == ["first question", *["second question"] * 2]
    first, second = prompters
    assert first["parent_id"] is None
    assert by_id[second["parent_id"]]["content"] == "first question"  # answers the first reply
    regenerated = [m for m in replies if m["parent_id"] == second["id"]]
    assert len(regenerated) == 2  # the reply and its /retry sibling
    assert regenerated[-1]["score"] == -1  # the vote went to the newest reply
    assert oa_server.deleted_chat_ids == []

    history = (tmp_path / "oaproto" / "history").read_text()
    assert "first question" in history
    assert "/retry" in history


@pytest.mark.oa_server(**FAST)
def test_new_and_ctrl_d_delete_every_chat(oa_server: Any, tmp_path: Path) -> None:
    terminal = converse(oa_server.url, tmp_path)
    assert say(terminal, "one") == "one\n"
    assert say(terminal, "/new") == "oaproto chat: a fresh chat\n"
    assert say(terminal, "two") == "two\n"
    terminal.send_raw(b"\x04")  # Ctrl-D
    assert terminal.finish() == 0
    assert oa_server.chats() == []
    assert len(oa_server.deleted_chat_ids) == 2


@pytest.mark.oa_server(token_delay=0.02, rate_limit=None)
def test_a_failed_reply_is_reported_and_retry_asks_again(oa_server: Any, tmp_path: Path) -> None:
    oa_server.faults.add("error-after-tokens=1", step="assistant_message")
    terminal = converse(oa_server.url, tmp_path)
    failed = say(terminal, "alpha beta gamma")
    error = "ReplyError: reply failed: Aborted due to worker error. (state=aborted_by_worker)"
    assert failed == f"alpha \noaproto chat: {error}\n"
    hint = say(terminal, "another message")
    assert hint.startswith("oaproto chat: the last message has no reply yet")
    assert say(terminal, "/retry") == "alpha beta gamma\n"
    terminal.send("/quit")
    assert terminal.finish() == 0
    assert oa_server.chats() == []


@pytest.mark.oa_server(**FAST)
def test_ctrl_c_mid_reply_ends_the_session_and_deletes_the_chat(
    oa_server: Any, tmp_path: Path
) -> None:
    oa_server.faults.add("never-end", step="assistant_message")
    terminal = converse(oa_server.url, tmp_path)
    terminal.send("hello")
    wait_until(lambda: any(r.step == "events" for r in oa_server.requests), "the stream")
    terminal.process.send_signal(signal.SIGINT)
    assert terminal.finish() == 130
    assert terminal.output.endswith("oaproto chat: interrupted\n")
    assert oa_server.chats() == []
    assert len(oa_server.deleted_chat_ids) == 1


def test_json_needs_a_message_on_a_terminal(tmp_path: Path) -> None:
    env = environment(TERM="dumb", XDG_STATE_HOME=str(tmp_path))
    terminal = Terminal(["chat", "--json"], env)
    assert terminal.finish() == 2
    assert terminal.output == "oaproto chat: --json needs a message (arguments or stdin)\n"


@pytest.mark.oa_server(**FAST)
def test_commands_explain_when_they_cannot_run(oa_server: Any, tmp_path: Path) -> None:
    terminal = converse(oa_server.url, tmp_path)
    assert say(terminal, "/retry") == "oaproto chat: nothing to retry yet: say something first\n"
    assert say(terminal, "/vote up") == "oaproto chat: no reply to vote on yet\n"
    assert say(terminal, "/vote sideways") == "oaproto chat: usage: /vote up or /vote down\n"
    assert say(terminal, "") == ""
    terminal.send("/quit")
    assert terminal.finish() == 0
    assert oa_server.requests == [r for r in oa_server.requests if r.step == "models"]


@pytest.mark.oa_server(**FAST)
def test_a_refused_request_is_reported_and_the_conversation_goes_on(
    oa_server: Any, tmp_path: Path
) -> None:
    oa_server.faults.add("status=503", step="assistant_message")
    terminal = converse(oa_server.url, tmp_path)
    refused = say(terminal, "are you there")
    assert refused.startswith("oaproto chat: BusyError: HTTP 503")
    assert say(terminal, "/retry") == "are you there\n"
    terminal.send("/quit")
    assert terminal.finish() == 0
    assert oa_server.chats() == []
