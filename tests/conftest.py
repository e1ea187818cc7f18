"""Test-suite set-up: the reference-server fixtures, installed or not.

An installed oaproto registers its pytest plugin (the ``oa_server`` fixtures)
through the ``pytest11`` entry point; from a plain checkout the suite loads
the same module itself, so ``python -m pytest`` works either way.
"""

from __future__ import annotations

import signal
from importlib.metadata import entry_points


def _plugin_installed() -> bool:
    return any(point.name == "oaproto" for point in entry_points(group="pytest11"))


pytest_plugins = [] if _plugin_installed() else ["oaproto.transports.pytest_plugin"]


def _interruptible_children() -> None:
    # A suite started as a background job of a non-interactive shell
    # (``bash -c '... &'``) inherits SIGINT ignored, and so would every
    # process it starts: Python then installs no KeyboardInterrupt handler,
    # and the tests that press Ctrl-C on the CLI would wait on a child that
    # never hears it. A handled signal is reset to its default by exec.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_interruptible_children()
