"""A plain transcription of the WHATWG "Server-sent events" parsing algorithm.

No optimisation at all: decode the whole stream, drop one leading BOM, cut it
into lines exactly as the ABNF says, then run "Interpreting an event stream"
line by line. The differential tests compare ``SSEDecoder`` against this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oaproto import ServerSentEvent

# Mirrors the decoder's documented choice: longer retry values are ignored.
MAX_RETRY_DIGITS = 4300


@dataclass
class SpecResult:
    """What a whole stream produced: events and the final stream-level state."""

    events: list[ServerSentEvent] = field(default_factory=list)
    last_event_id: str = ""
    retry: int | None = None


def split_lines(text: str) -> list[str]:
    """Cut text into lines ended by CRLF, LF or CR; an unterminated tail is dropped."""
    lines: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\r":
            lines.append("".join(current))
            current = []
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        elif char == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    return lines


def parse(stream: bytes) -> SpecResult:
    """Run the spec's algorithm over a complete stream."""
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    result = SpecResult()
    data_buffer = ""
    event_type_buffer = ""
    last_event_id_buffer = ""
    block_retry: int | None = None
    for line in split_lines(text):
        if line == "":
            # "Dispatch the event".
            result.last_event_id = last_event_id_buffer
            if data_buffer == "":
                event_type_buffer = ""
                block_retry = None
                continue
            if data_buffer.endswith("\n"):
                data_buffer = data_buffer[:-1]
            result.events.append(
                ServerSentEvent(
                    event_type_buffer if event_type_buffer != "" else "message",
                    data_buffer,
                    result.last_event_id,
                    block_retry,
                )
            )
            data_buffer = ""
            event_type_buffer = ""
            block_retry = None
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type_buffer = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\0" not in value:
                last_event_id_buffer = value
        elif name == "retry" and value != "" and all(c in "0123456789" for c in value):
            digits = value.lstrip("0") or "0"
            if len(digits) <= MAX_RETRY_DIGITS:
                result.retry = block_retry = int(digits)
        # Any other field is ignored.
    return result
