"""``oaproto chat``: one reply, or a conversation on a terminal.

The message comes from the positional words, or from stdin when stdin is not
a terminal or the message is ``-``. With no message on a terminal, an
interactive session (``_cli_interactive``) continues one chat turn after turn.
Without ``--url`` an embedded reference server answers (model ``_lorem``), so
the command works on a fresh machine with only the ``cli`` extra installed.

The chat is deleted when the command ends, however it ends (an error, Ctrl-C,
a closed pipe), unless ``--keep`` is given; ``--chat ID`` continues a kept
chat and leaves it in place.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from oaproto import (
    PRESETS,
    ChatSession,
    ClientConfig,
    NotFoundError,
    OAProtoError,
    ReplyFailed,
    ReplyOptions,
)
from oaproto.api import ChatAPI

from ._cli_common import (
    ExitStatus,
    UsageError,
    add_parser,
    connection_options,
    describe,
    run_command,
    say,
    sigint_ignored,
    status_for,
)
from ._cli_render import JsonReply, OutputClosedError, TextReply
from ._cli_transport import AdapterRunner, ChatLink
from ._util import cleanup_failure_noted_on

__all__ = ["EMBEDDED_MODEL", "add_chat_command", "finish_chat", "run_chat"]

#: The model the embedded reference server is asked for by default.
EMBEDDED_MODEL = "_lorem"

# --temperature etc.: option dest -> SamplingParameters field (the same names).
_SAMPLING = {
    "temperature": float,
    "top_k": int,
    "top_p": float,
    "typical_p": float,
    "repetition_penalty": float,
    "max_new_tokens": int,
}

_DESCRIPTION = """\
Stream a reply from an Open Assistant chat API. Without --url, an embedded
reference server answers (model _lorem). The credential comes from a file or
the environment, never from the command line.

examples:
  oaproto chat "Hello there"                  one reply, streamed
  echo "Summarise this" | oaproto chat        the message from stdin
  oaproto chat                                a conversation (on a terminal)
  oaproto chat --json hi | jq -r .type        one JSON object per event
  oaproto chat --url https://host --cookies cookies.txt --keep hi
"""


def add_chat_command(subparsers: Any) -> None:
    """Add the ``chat`` sub-command to the ``oaproto`` parser."""
    parser = add_parser(
        subparsers,
        "chat",
        parents=[connection_options()],
        help="stream a reply, or hold a conversation on a terminal",
        description=_DESCRIPTION,
    )
    parser.add_argument(
        "message",
        nargs="*",
        help="what to say; '-' or none on a pipe: read stdin; none on a terminal: converse",
    )
    reply = parser.add_argument_group("reply")
    add = reply.add_argument
    add("--model", help="model config name (default: the server's usual one; see oaproto models)")
    add(
        "--preset",
        choices=list(PRESETS),
        metavar="NAME",
        help=f"sampling preset: {', '.join(PRESETS)} (default: k50)",
    )
    for name, kind in _SAMPLING.items():
        add(
            f"--{name.replace('_', '-')}",
            type=kind,
            metavar="N",
            help=f"sampling parameter {name}, replacing the preset's",
        )
    add("--system", metavar="TEXT", help="a system prompt (custom instructions)")
    chat = parser.add_argument_group("chat")
    chat.add_argument(
        "--keep", action="store_true", help="keep the chat and print its id on stderr"
    )
    chat.add_argument("--chat", metavar="ID", help="continue a kept chat (it stays kept)")
    chat.add_argument(
        "--json", action="store_true", help="one JSON object per line for every event"
    )
    parser.set_defaults(handler=run_chat)


def run_chat(args: argparse.Namespace) -> int:
    """Run ``oaproto chat``; returns the exit status."""
    return run_command("chat", args, _chat)


def _chat(args: argparse.Namespace, runner: AdapterRunner, config: ClientConfig) -> int:
    message = _message(args.message)
    if message is None and args.json:
        raise UsageError("--json needs a message (arguments or stdin)")
    if args.keep and args.url is None:
        raise UsageError("--keep needs --url: the embedded server stops with this command")
    options = reply_options(args)
    if args.model is not None:
        check_model(runner, config, args.model)
    session = None if args.chat is None else resumed_session(runner, config, args.chat, options)

    def new_chat() -> ChatLink:
        return runner.chat(config, options)

    def finish(link: ChatLink) -> None:
        finish_chat(link, keep=args.keep)

    link = runner.chat(config, options, session)
    if message is None:
        from ._cli_interactive import Conversation

        conversation = Conversation(runner, config, link, new_chat, finish)
        return conversation.run(_banner(args, config, options))
    try:
        status = _one_reply(link, message, args.json)
    except BaseException as exc:
        with cleanup_failure_noted_on(exc):
            finish(link)
        raise
    finish(link)
    return status


def _one_reply(link: ChatLink, message: str, as_json: bool) -> int:
    reply: JsonReply | TextReply = JsonReply(link.session) if as_json else TextReply()
    try:
        outcome = link.turn(message, reply.show)
        if isinstance(outcome, ReplyFailed):
            raise outcome.to_exception()
    except (OAProtoError, KeyboardInterrupt) as exc:
        _end_reply(reply, exc)
        raise
    return ExitStatus.OK


def _end_reply(reply: JsonReply | TextReply, error: BaseException) -> None:
    try:
        if isinstance(reply, TextReply):
            reply.end_line()
        else:
            reply.fail(describe(error), type(error).__name__, status_for(error))
    except OutputClosedError:  # the error still goes to stderr
        pass


def finish_chat(link: ChatLink, *, keep: bool) -> None:
    """Delete the chat if this command created it, or say how to continue it with ``--keep``."""
    with sigint_ignored():
        session = link.session
        if not keep:
            link.close()
        elif session.needs_cleanup and session.chat_id is not None:
            chat_id = session.chat_id
            say("chat", f"kept chat {chat_id} (continue it with --chat {chat_id})")


def _message(words: list[str]) -> str | None:
    stdin = sys.stdin
    if words == ["-"] or (not words and (stdin is None or not stdin.isatty())):
        if stdin is None:  # started with stdin closed
            raise UsageError("no message: give it as arguments or on stdin")
        try:
            text = stdin.read()
        except UnicodeDecodeError:
            raise UsageError("the message on stdin is not valid text") from None
        if not text.strip():
            raise UsageError("the message on stdin is empty")
        return text.rstrip("\r\n")
    if not words:
        return None
    message = " ".join(words)
    if not message.strip():
        raise UsageError("the message is empty")
    return message


def reply_options(args: argparse.Namespace) -> ReplyOptions:
    """The reply options from ``--model``, ``--preset``, the sampling options and ``--system``.

    Raises:
        LocalProtocolError: a sampling value that can never work.
    """
    options = ReplyOptions()
    model = args.model or (EMBEDDED_MODEL if args.url is None else None)
    if model is not None:
        options = dataclasses.replace(options, model_config_name=model)
    changes = {name: getattr(args, name) for name in _SAMPLING if getattr(args, name) is not None}
    if args.preset is not None or changes:
        sampling = PRESETS[args.preset or "k50"].with_changes(**changes)
        options = dataclasses.replace(options, sampling=sampling)
    if args.system is not None:
        options = dataclasses.replace(options, system_prompt=args.system)
    return options


def check_model(runner: AdapterRunner, config: ClientConfig, model: str) -> None:
    """Fail with the valid names when the server does not serve ``model``.

    A server without a model list (404) is left to judge the name itself.

    Raises:
        UsageError: an unknown model.
    """
    try:
        configs = runner.call(ChatAPI(config).list_model_configs())
    except NotFoundError:
        return
    names = [info.name for info in configs]
    if model not in names:
        raise UsageError(f"unknown model {model!r}; the server has: {', '.join(names)}")


def resumed_session(
    runner: AdapterRunner, config: ClientConfig, chat_id: str, options: ReplyOptions
) -> ChatSession:
    """A session continuing the chat ``chat_id`` after its last complete reply.

    Raises:
        NotFoundError: no such chat.
        UsageError: the chat has messages but no complete reply to answer.
    """
    chat = runner.call(ChatAPI(config).get_chat(chat_id))
    last = chat.last_complete_assistant_message()
    if last is None:
        if chat.messages:
            raise UsageError(f"chat {chat_id} has no complete reply to continue from")
        return ChatSession.resume(config, chat_id=chat.id, options=options)
    return ChatSession.resume(
        config,
        chat_id=chat.id,
        parent_id=last.id,
        prompter_message_id=last.parent_id,
        options=options,
    )


def _banner(args: argparse.Namespace, config: ClientConfig, options: ReplyOptions) -> str:
    model = options.model_config_name
    where = "the embedded reference server" if args.url is None else config.base_url
    return f"Chatting with {model} on {where}. /help for commands, Ctrl-D or /quit to leave."
