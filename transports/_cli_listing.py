"""``oaproto models`` and ``oaproto chats``: what a server offers and what a user kept.

Both are meant for a server given with ``--url``: the embedded reference
server lives only as long as the command, so it lists its model configs and
no chats.
"""

from __future__ import annotations

import argparse
from typing import Any

from oaproto import ClientConfig
from oaproto.api import ChatAPI
from oaproto.models import Chat, Message

from ._cli_common import (
    ExitStatus,
    UsageError,
    add_parser,
    connection_options,
    run_command,
    say,
)
from ._cli_render import write, write_json
from ._cli_transport import AdapterRunner

__all__ = ["add_chats_command", "add_models_command", "show_chat"]

# The web API pages 20 chats at a time; a cursor that repeats would loop forever.
_MAX_PAGES = 1000


_CHATS_DESCRIPTION = """\
List your chats (newest first), show one with every message, or delete one.
Meant for --url: the embedded server starts empty with every command.

examples:
  oaproto chats --url https://host --cookies cookies.txt
  oaproto chats show ID
  oaproto chats delete ID
"""


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def add_models_command(subparsers: Any) -> None:
    """Add ``oaproto models``."""
    parser = add_parser(
        subparsers,
        "models",
        parents=[connection_options()],
        help="list the server's model configs",
        description="List the model configs the server serves (names for --model)\n"
        "and their sampling presets (names for --preset).",
    )
    _json_option(parser)
    parser.set_defaults(handler=lambda args: run_command("models", args, _models))


def add_chats_command(subparsers: Any) -> None:
    """Add ``oaproto chats``, ``oaproto chats show ID`` and ``oaproto chats delete ID``."""
    parser = add_parser(
        subparsers,
        "chats",
        parents=[connection_options()],
        help="list, show or delete your chats on the server",
        description=_CHATS_DESCRIPTION,
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=("list", "show", "delete"),
        default="list",
        help="what to do (default: list)",
    )
    parser.add_argument("chat_id", nargs="?", metavar="ID", help="the chat, for show and delete")
    _json_option(parser)
    parser.set_defaults(handler=lambda args: run_command("chats", args, _chats))


def _models(args: argparse.Namespace, runner: AdapterRunner, config: ClientConfig) -> int:
    for info in runner.call(ChatAPI(config).list_model_configs()):
        presets = [preset.name for preset in info.parameter_configs]
        if args.json:
            write_json({"name": info.name, "description": info.description, "presets": presets})
        else:
            write(f"{info.name}\t{info.description}\n" if info.description else f"{info.name}\n")
    return ExitStatus.OK


def _chats(args: argparse.Namespace, runner: AdapterRunner, config: ClientConfig) -> int:
    api = ChatAPI(config)
    if args.action == "list":
        if args.chat_id is not None:
            raise UsageError("chats list takes no ID (did you mean chats show ID?)")
        _list(runner, api, args.json)
        return ExitStatus.OK
    if args.chat_id is None:
        raise UsageError(f"chats {args.action} needs a chat ID (see oaproto chats)")
    if args.action == "show":
        _show(runner.call(api.get_chat(args.chat_id)), args.json)
    elif runner.call(api.delete_chat(args.chat_id)):
        say("chats", f"deleted chat {args.chat_id}")
    else:  # the server answered 404
        say("chats", f"no chat {args.chat_id}")
        return ExitStatus.NOT_FOUND
    return ExitStatus.OK


def _list(runner: AdapterRunner, api: ChatAPI, as_json: bool) -> None:
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        page = runner.call(api.list_chats(after=cursor))
        for chat in page.chats:
            if as_json:
                write_json(
                    {
                        "id": chat.id,
                        "title": chat.title,
                        "created_at": chat.created_at,
                        "modified_at": chat.modified_at,
                        "hidden": chat.hidden,
                    }
                )
            else:
                write(f"{chat.id}\t{chat.created_at}\t{chat.title or ''}\n")
        if page.next is None or page.next == cursor:
            return
        cursor = page.next


def _show(chat: Chat, as_json: bool) -> None:
    if as_json:
        for message in chat.messages:
            write_json(_message_json(message))
    else:
        write("".join(f"{line}\n" for line in show_chat(chat)))


def show_chat(chat: Chat) -> list[str]:
    """The lines of ``oaproto chats show``: a title, then one line per message.

    A thread prints flat; where a message has several answers (a regenerated
    reply, an edited message) each answer is a ``- `` item and its thread is
    indented under it, as in a Markdown list.
    """
    lines = [f"chat {chat.id}: {chat.title or '(untitled)'}"]
    by_time = sorted(chat.messages, key=lambda m: m.created_at)
    known = {m.id for m in by_time}
    answers: dict[str | None, list[Message]] = {}
    for message in by_time:
        parent = message.parent_id if message.parent_id in known else None
        answers.setdefault(parent, []).append(message)
    stack: list[tuple[Message, int, bool]] = []

    def push(messages: list[Message], indent: int) -> None:
        item = len(messages) > 1
        stack.extend((message, indent, item) for message in reversed(messages))

    push(answers.get(None, []), 0)
    while stack:  # a cycle (malformed data) has no root, so it is never reached
        message, indent, item = stack.pop()
        # A reply that did not complete says why; prompter messages are always "manual".
        state = f" [{message.state}]" if message.is_assistant and not message.is_complete else ""
        content = " ".join((message.content or "").split())
        lines.append(f"{' ' * indent}{'- ' if item else ''}{message.role}{state}: {content}")
        push(answers.get(message.id, []), indent + 2 if item else indent)
    return lines


def _message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": str(message.role),
        "state": str(message.state),
        "content": message.content,
        "created_at": message.created_at,
        "score": message.score,
    }
