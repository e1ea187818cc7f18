"""The ``oaproto`` command line: ``chat``, ``models``, ``chats`` and ``serve``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from oaproto import __version__

from ._cli_chat import add_chat_command
from ._cli_listing import add_chats_command, add_models_command
from ._cli_serve import add_serve_command

# One line per sub-command: each adds its parser and sets ``handler``.
COMMANDS = (
    add_chat_command,
    add_models_command,
    add_chats_command,
    add_serve_command,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="oaproto",
        description="Open Assistant chat API client and reference server.",
        epilog="Run 'oaproto COMMAND --help' for a command's options and exit statuses.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"oaproto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_command in COMMANDS:
        add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
