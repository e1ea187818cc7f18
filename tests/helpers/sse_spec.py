"""A plain transcription of the WHATWG "Server-sent events" parsing algorithm.

No optimisation at all: decode the whole stream, drop one leading BOM, cut it
into lines exactly as the ABNF says, then run "Interpreting an event stream"
line by line. The differential tests compare ``SSEDecoder`` against this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oaproto.sse import ServerSentEvent

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


def limit_offence(stream: bytes, max_line: int | None, max_event: int | None) -> int | None:
    """Where the first line that breaks a limit starts (a byte offset), or None.

    A line breaks ``max_line`` when its bytes (line end excluded) exceed it, an
    unfinished last line included. A ``data`` line breaks ``max_event`` when
    it takes its block's data (lines joined with LF) past the limit; an
    unfinished last ``data`` line does when its bytes alone guarantee that
    (more than ``4 * max_event + 6``: a character takes at most 4 bytes).
    """
    if b"\xef\xbb\xbf".startswith(stream):
        return None  # still possibly a BOM: no line yet
    start = 3 if stream.startswith(b"\xef\xbb\xbf") else 0
    data_size = -1  # the block's data characters, with one LF per line, minus one
    i = start
    while i < len(stream):
        cr, lf = stream.find(b"\r", i), stream.find(b"\n", i)
        ends = [e for e in (cr, lf) if e >= 0]
        end = min(ends) if ends else len(stream)
        line = stream[i:end]
        if max_line is not None and len(line) > max_line:
            return i
        if not ends:  # unfinished
            guard = None if max_event is None else 4 * max_event + 6
            if guard is not None and line.startswith(b"data:") and len(line) > guard:
                return i
            return None
        if not line:
            data_size = -1
        else:
            text = line.decode("utf-8", "replace")
            name, colon, value = text.partition(":")
            if name == "data":
                if colon and value.startswith(" "):
                    value = value[1:]
                data_size += len(value) + 1
                if max_event is not None and data_size > max_event:
                    return i
        i = end + (2 if stream[end : end + 2] == b"\r\n" else 1)
    return None
