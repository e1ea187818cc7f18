"""The SSE event payloads, as pydantic v1 ``.json()`` would write them.

Key order is the pydantic model's field order; the JSON uses the default
``json.dumps`` separators and ``\\uXXXX`` escapes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._json import sse_json

__all__ = [
    "EventItem",
    "error_item",
    "message_item",
    "pending_data",
    "plugin_intermediate_item",
    "token_item",
]

#: The error text of a worker that failed after sending tokens.
WORKER_ABORT_ERROR = "Aborted due to worker error."
#: The error text of a message dequeued after ``assistant_message_timeout``.
TIMEOUT_ERROR = "Timeout"


class EventItem(NamedTuple):
    """One entry of a message's event queue: its type and its SSE data line."""

    event_type: str
    data: str

    @property
    def terminal(self) -> bool:
        """``message`` and ``error`` end the stream."""
        return self.event_type in ("message", "error")


def pending_data(queue_position: int, queue_size: int) -> str:
    return sse_json(
        {"event_type": "pending", "queue_position": queue_position, "queue_size": queue_size}
    )


def token_item(text: str) -> EventItem:
    return EventItem("token", sse_json({"event_type": "token", "text": text}))


def message_item(message: dict[str, Any]) -> EventItem:
    return EventItem("message", sse_json({"event_type": "message", "message": message}))


def error_item(error: str, message: dict[str, Any] | None) -> EventItem:
    return EventItem("error", sse_json({"event_type": "error", "error": error, "message": message}))


def plugin_intermediate_item(
    thought: str, action: str, action_input: str, response: str
) -> EventItem:
    return EventItem(
        "plugin_intermediate",
        sse_json(
            {
                "event_type": "plugin_intermediate",
                "current_plugin_thought": thought,
                "current_plugin_action_taken": action,
                "current_plugin_action_input": action_input,
                "current_plugin_action_response": response,
                "message": None,
            }
        ),
    )
