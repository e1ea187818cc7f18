"""The ``oaproto`` command line: ``oaproto chat`` and ``oaproto serve``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="oaproto", description="Open Assistant chat API client and reference server."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    from ._cli_chat import add_chat_command
    from ._cli_serve import add_serve_command
    from ._cli_sse_check import add_sse_check_command

    add_serve_command(commands)
    add_chat_command(commands)
    add_sse_check_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    handler = args.handler
    status: int = handler(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
