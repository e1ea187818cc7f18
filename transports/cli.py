"""The ``oaproto`` command line: ``chat``, ``models``, ``chats``, ``serve`` and ``sse-check``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from oaproto import __version__

# One line per sub-command: its module and the function that adds its parser
# (which sets ``handler``, called with the parsed arguments).
COMMANDS = (
    ("._cli_chat", "add_chat_command"),
    ("._cli_listing", "add_models_command"),
    ("._cli_listing", "add_chats_command"),
    ("._cli_serve", "add_serve_command"),
    ("._cli_sse_check", "add_sse_check_command"),
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
    for module, function in COMMANDS:
        getattr(importlib.import_module(module, __package__), function)(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
