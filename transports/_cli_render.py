"""How the command line shows a reply: streamed text, or one JSON object per line.

Writes never raise a traceback at the user: a closed pipe becomes
:class:`OutputClosedError` (the command stops, cleans up and exits quietly), and a
character the output encoding cannot show is replaced (text) or escaped (JSON).
"""

from __future__ import annotations

import codecs
import io
import json
import os
import sys
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, TextIO

from oaproto import (
    ChatSession,
    Pending,
    PluginIntermediate,
    ReplyCompleted,
    ReplyFailed,
    StreamEvent,
    Token,
    UnknownStreamEvent,
)

__all__ = [
    "JsonReply",
    "OutputClosedError",
    "TextReply",
    "prepare_streams",
    "use_colour",
    "write",
    "write_json",
]


class OutputClosedError(Exception):
    """Standard output was closed by its reader (a broken pipe)."""


def prepare_streams() -> None:
    """Let stdout and stderr replace what their encoding cannot show, instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file: nothing to flush into a closed pipe
        pass
    finally:
        os.close(devnull)


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False


def write(text: str, stream: TextIO | None = None) -> None:
    """Write and flush ``text`` to stdout (or ``stream``).

    Raises:
        OutputClosedError: the reader went away.
    """
    out = stream or sys.stdout
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        raise OutputClosedError from None


def _ascii_only(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        return codecs.lookup(encoding).name != "utf-8"
    except LookupError:
        return True


def write_json(value: Mapping[str, Any]) -> None:
    """One JSON object on one line of stdout; non-ASCII escaped unless stdout is UTF-8."""
    line = json.dumps(value, ensure_ascii=_ascii_only(sys.stdout), separators=(", ", ": "))
    write(line + "\n")


def _ids(session: ChatSession) -> dict[str, str | None]:
    return {"chat_id": session.chat_id, "message_id": session.assistant_message_id}


def event_json(event: StreamEvent) -> dict[str, Any]:
    """The ``--json`` object of one stream event; :class:`JsonReply` adds the ids."""
    if isinstance(event, Pending):
        return {
            "type": "pending",
            "queue_position": event.queue_position,
            "queue_size": event.queue_size,
        }
    if isinstance(event, Token):
        return {"type": "token", "text": event.text}
    if isinstance(event, PluginIntermediate):
        return {
            "type": "plugin_intermediate",
            "thought": event.current_plugin_thought,
            "action": event.current_plugin_action_taken,
            "action_input": event.current_plugin_action_input,
            "action_response": event.current_plugin_action_response,
        }
    if isinstance(event, ReplyCompleted):
        return {"type": "completed", "text": event.text}
    if isinstance(event, ReplyFailed):
        return {
            "type": "failed",
            "error": event.error,
            "state": event.state,
            "partial_text": event.partial_text,
        }
    if isinstance(event, UnknownStreamEvent):
        return {"type": "unknown", "event_type": event.event_type, "data": dict(event.data)}
    # ReplyAlreadyFinished: the drivers resolve it before it reaches the caller.
    return {"type": type(event).__name__}


class JsonReply:
    """Shows each event as one JSON line on stdout."""

    def __init__(self, session: ChatSession) -> None:
        self._session = session
        self.ended = False  # a final event was written

    def show(self, event: StreamEvent) -> None:
        """Write ``event``."""
        value = event_json(event)
        self.ended = isinstance(event, ReplyCompleted | ReplyFailed)
        if self.ended:
            value.update(_ids(self._session))
        write_json(value)

    def fail(self, error: str, error_type: str, status: int) -> None:
        """Write the final ``failed`` line for an error that ended the reply."""
        if not self.ended:
            self.ended = True
            write_json(
                {
                    "type": "failed",
                    "error": error,
                    "error_type": error_type,
                    "exit_status": status,
                    **_ids(self._session),
                }
            )


class TextReply:
    """Streams the reply's text to stdout; the queue position on a terminal's stderr."""

    def __init__(self) -> None:
        self.status_line = _is_terminal(sys.stderr)
        self._dim = use_colour(sys.stderr)
        # A dumb terminal knows no escape sequences: overwrite with spaces.
        self._dumb = os.environ.get("TERM") == "dumb"
        self._status = ""  # the status line shown, "" for none
        self.streamed = False  # text was written
        self.ended = False  # the reply's line was ended

    def show(self, event: StreamEvent) -> None:
        """Show ``event``; a failed reply ends the line (the caller reports the error)."""
        if isinstance(event, Pending):
            self._show_status(event)
        elif isinstance(event, Token) and event.text:
            self._clear_status()
            write(event.text)
            self.streamed = True
        elif isinstance(event, ReplyCompleted):
            self._clear_status()
            # Fetched rather than streamed (the reply finished first): nothing shown yet.
            write(event.text + "\n" if not self.streamed else "\n")
            self.ended = True
        elif isinstance(event, ReplyFailed):
            self.end_line()

    def end_line(self) -> None:
        """End a partly shown reply's line (once), e.g. before an error is reported."""
        self._clear_status()
        if self.streamed and not self.ended:
            self.ended = True
            write("\n")

    def _show_status(self, event: Pending) -> None:
        if not self.status_line or self.streamed:
            return
        if event.queue_position > 0:
            text = f"queued: position {event.queue_position} of {event.queue_size}"
        else:
            text = "waiting for a worker"
        if text != self._status:  # unchanged: nothing to redraw
            self._clear_status()
            self._status = text
            self._stderr(f"\x1b[2m{text}\x1b[0m" if self._dim else text)

    def _clear_status(self) -> None:
        if self._status:
            blank = " " * len(self._status) if self._dumb else "\x1b[2K"
            self._status = ""
            self._stderr(f"\r{blank}\r")

    @staticmethod
    def _stderr(text: str) -> None:
        with suppress(OutputClosedError):  # a status line is not worth failing over
            write(text, sys.stderr)
