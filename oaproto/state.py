"""The chat session's transition table, public for diagrams, property tests and embedders.

Every legal call and every next state of :class:`~oaproto.ChatSession` comes
from :data:`TRANSITIONS`; nothing outside the table decides legality.
"""

from __future__ import annotations

from ._state import (
    BEFORE_COMMAND,
    REQUIRES,
    TRANSITIONS,
    ChatState,
    Known,
    Revert,
    SessionInput,
    Target,
)

__all__ = [
    "BEFORE_COMMAND",
    "REQUIRES",
    "TRANSITIONS",
    "ChatState",
    "Known",
    "Revert",
    "SessionInput",
    "Target",
]
