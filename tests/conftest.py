"""Test-suite set-up: the reference-server fixtures, installed or not.

An installed oaproto registers its pytest plugin (the ``oa_server`` fixtures)
through the ``pytest11`` entry point; from a plain checkout the suite loads
the same module itself, so ``python -m pytest`` works either way.
"""

from __future__ import annotations

from importlib.metadata import entry_points


def _plugin_installed() -> bool:
    return any(point.name == "oaproto" for point in entry_points(group="pytest11"))


pytest_plugins = [] if _plugin_installed() else ["oaproto.transports.pytest_plugin"]
