"""The interactive side of ``oaproto chat``: one chat, turn after turn, on a terminal.

Lines are read with ``readline`` (line editing, and a history file under
``$XDG_STATE_HOME/oaproto/history``, by default ``~/.local/state/oaproto/history``).
A line starting with ``/`` is a command (``/help`` lists them); any other line
is the next message. A failed reply or a refused request is reported on one
line and the conversation goes on (``/retry`` asks again). Ctrl-D or ``/quit``
ends it with status 0, Ctrl-C with 130; either way the chat is then deleted
unless ``--keep`` was given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import ModuleType

from oaproto import ChatState, ClientConfig, LocalProtocolError, OAProtoError, ReplyFailed
from oaproto.api import ChatAPI

from ._cli_common import ExitStatus, report_error, say
from ._cli_render import TextReply, write
from ._cli_transport import AdapterRunner, ChatLink
from ._util import cleanup_failure_noted_on

__all__ = ["COMMANDS_HELP", "Conversation", "history_path"]

#: What ``/help`` prints.
COMMANDS_HELP = """\
/retry          regenerate the last reply
/new            start a fresh chat (the current one is deleted unless --keep)
/vote up|down   rate the last reply
/help           this list
/quit           leave (also Ctrl-D); Ctrl-C leaves at once"""

_PROMPT = "> "
_HISTORY_LENGTH = 1000
_VOTES = {"up": 1, "down": -1}


def history_path() -> Path:
    """Where the line history is kept."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "oaproto" / "history"


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline: plain input()
        return None
    return readline


class _History:
    """The readline history file: loaded at the start, saved at the end (private: 0600)."""

    def __init__(self) -> None:
        self._readline = _readline()
        self._path = history_path()
        if self._readline is not None:
            self._readline.set_history_length(_HISTORY_LENGTH)
            with suppress(OSError):  # none yet, or unreadable: start empty
                self._readline.read_history_file(self._path)

    def save(self) -> None:
        if self._readline is None:
            return
        try:
            self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._path.touch(mode=0o600, exist_ok=True)
            self._readline.write_history_file(self._path)
        except OSError as exc:
            say("chat", f"could not save the history in {self._path}: {exc.strerror}")


class Conversation:
    """Reads lines and runs them as messages or commands.

    Args:
        runner: runs the API calls of ``/vote``.
        config: the client configuration.
        link: the chat to continue first.
        new_chat: a new chat, for ``/new``.
        finish: ends a chat (deletes it, or reports it kept).
    """

    def __init__(
        self,
        runner: AdapterRunner,
        config: ClientConfig,
        link: ChatLink,
        new_chat: Callable[[], ChatLink],
        finish: Callable[[ChatLink], None],
    ) -> None:
        self.link = link
        self._runner = runner
        self._api = ChatAPI(config)
        self._new_chat = new_chat
        self._finish = finish
        self._commands: dict[str, Callable[[str], bool]] = {
            "retry": self._retry,
            "new": self._new,
            "vote": self._vote,
            "help": self._help,
            "quit": self._quit,
            "exit": self._quit,
        }

    def run(self, banner: str) -> int:
        """Converse until Ctrl-D or ``/quit``; the last chat is finished on any exit.

        Raises:
            KeyboardInterrupt: Ctrl-C (after the chat was finished).
        """
        history = _History()
        try:
            with suppress(OSError, ValueError):
                print(banner, file=sys.stderr, flush=True)
            while self._step():
                pass
        except BaseException as exc:
            with cleanup_failure_noted_on(exc):
                self._finish(self.link)
            raise
        else:
            self._finish(self.link)
        finally:
            history.save()
        return ExitStatus.OK

    def _step(self) -> bool:
        try:
            line = input(_PROMPT).strip()
        except EOFError:  # Ctrl-D
            write("\n")
            return False
        if not line:
            return True
        if not line.startswith("/"):
            self._reply(line)
            return True
        name, _, argument = line[1:].partition(" ")
        command = self._commands.get(name.lower())
        if command is None:
            say("chat", f"unknown command /{name}; /help lists them")
            return True
        return command(argument.strip())

    def _reply(self, content: str | None) -> None:
        session = self.link.session
        if content is not None and session.state is ChatState.PROMPTED:
            say("chat", "the last message has no reply yet: /retry asks again, /new starts over")
            return
        reply = TextReply()
        try:
            outcome = self.link.turn(content, reply.show)
        except LocalProtocolError as exc:
            reply.end_line()
            say("chat", f"cannot continue this chat ({exc}); /new starts over")
            return
        except OAProtoError as exc:
            reply.end_line()
            report_error("chat", exc)
            return
        if isinstance(outcome, ReplyFailed):
            report_error("chat", outcome.to_exception())

    def _retry(self, argument: str) -> bool:
        if self.link.session.prompter_message_id is None:
            say("chat", "nothing to retry yet: say something first")
        else:
            self._reply(None)
        return True

    def _new(self, argument: str) -> bool:
        link, self.link = self.link, self._new_chat()
        try:
            self._finish(link)
        except OAProtoError as exc:  # the new chat is still good to use
            report_error("chat", exc)
        say("chat", "a fresh chat")
        return True

    def _vote(self, argument: str) -> bool:
        score = _VOTES.get(argument.lower())
        session = self.link.session
        if score is None:
            say("chat", "usage: /vote up or /vote down")
        elif session.state is not ChatState.REPLIED or session.parent_id is None:
            say("chat", "no reply to vote on yet")
        else:
            assert session.chat_id is not None  # a reply exists, so the chat does
            try:
                self._runner.call(self._api.vote(session.chat_id, session.parent_id, score))
            except OAProtoError as exc:
                report_error("chat", exc)
            else:
                say("chat", f"voted {argument.lower()}")
        return True

    def _help(self, argument: str) -> bool:
        write(COMMANDS_HELP + "\n")
        return True

    def _quit(self, argument: str) -> bool:
        return False
