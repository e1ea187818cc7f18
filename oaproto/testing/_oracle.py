"""The events a whole ``text/event-stream`` body must give, computed step by step from the spec.

A literal transcription of the WHATWG HTML Standard ("Server-sent events":
"Parsing an event stream", "Interpreting an event stream", "Dispatch the
event") and of the Encoding Standard's "UTF-8 decode" with its replacement
error mode. It shares no code with :class:`oaproto.SSEDecoder` and is written
for clarity, not speed: every step is a plain loop over characters, so that a
reader can hold it against the spec text line by line. The strategies and the
conformance kit compute every expected event with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .._sse import ServerSentEvent

__all__ = ["SpecOutcome", "interpret_stream", "spec_events", "utf8_decode"]

_REPLACEMENT = "\ufffd"
_LINE_END = re.compile("\r\n|\r|\n")
# Python's int() refuses longer digit strings by default; the oracle, like
# SSEDecoder, ignores a retry value with more significant digits than this.
MAX_RETRY_DIGITS = 4300


@dataclass(frozen=True)
class SpecOutcome:
    """Everything a whole body gives: its events and the stream's state at the end.

    Attributes:
        events: the dispatched events, in order. Each event's ``retry`` is the
            last valid ``retry`` value of its own block, else ``None`` (the
            convention of oaproto, httpx-sse and openai; the spec itself puts
            no retry on an event).
        last_event_id: the "last event ID string" after the last blank line.
        reconnection_time: the last valid ``retry`` value anywhere, else ``None``.
    """

    events: list[ServerSentEvent] = field(default_factory=list)
    last_event_id: str = ""
    reconnection_time: int | None = None


def utf8_decode(body: bytes) -> str:
    """The Encoding Standard's "UTF-8 decode": one leading BOM dropped, errors replaced.

    Each maximal invalid subpart becomes one U+FFFD, and a sequence cut off by
    the end of the body becomes one U+FFFD too.
    """
    queue = body[3:] if body[:3] == b"\xef\xbb\xbf" else body
    if queue.isascii():
        return queue.decode("ascii")  # one byte, one code point: nothing to decide
    out: list[str] = []
    needed = seen = code_point = 0
    lower, upper = 0x80, 0xBF
    i = 0
    while i < len(queue):
        byte = queue[i]
        i += 1
        if needed == 0:
            if byte <= 0x7F:
                out.append(chr(byte))
            elif 0xC2 <= byte <= 0xDF:
                needed, code_point = 1, byte & 0x1F
            elif 0xE0 <= byte <= 0xEF:
                lower = 0xA0 if byte == 0xE0 else 0x80
                upper = 0x9F if byte == 0xED else 0xBF
                needed, code_point = 2, byte & 0x0F
            elif 0xF0 <= byte <= 0xF4:
                lower = 0x90 if byte == 0xF0 else 0x80
                upper = 0x8F if byte == 0xF4 else 0xBF
                needed, code_point = 3, byte & 0x07
            else:
                out.append(_REPLACEMENT)
            continue
        if not lower <= byte <= upper:
            # The byte is not part of the sequence: an error, and the byte is
            # read again as the start of whatever comes next.
            needed = seen = code_point = 0
            lower, upper = 0x80, 0xBF
            out.append(_REPLACEMENT)
            i -= 1
            continue
        lower, upper = 0x80, 0xBF
        code_point = (code_point << 6) | (byte & 0x3F)
        seen += 1
        if seen == needed:
            out.append(chr(code_point))
            needed = seen = code_point = 0
    if needed:
        out.append(_REPLACEMENT)  # the body ended inside a sequence
    return "".join(out)


def _lines(text: str) -> list[str]:
    """The complete lines: ended by CRLF, by LF, or by a CR not followed by LF.

    Text after the last line end is not a line (the end of the file discards it).
    """
    # The alternation tries CRLF first, so a CR is a line end of its own only
    # when no LF follows it.
    return _LINE_END.split(text)[:-1]


def _is_ascii_digits(value: str) -> bool:
    return value != "" and all("0" <= char <= "9" for char in value)


def interpret_stream(body: bytes) -> SpecOutcome:
    """Run "Interpreting an event stream" over a complete body.

    Args:
        body: the whole body, as bytes (chunking never matters).

    Returns:
        The events and the final stream state.
    """
    data_buffer = ""
    event_type_buffer = ""
    last_event_id_buffer = ""
    last_event_id = ""
    reconnection_time: int | None = None
    block_retry: int | None = None
    events: list[ServerSentEvent] = []
    for line in _lines(utf8_decode(body)):
        if line == "":
            # "Dispatch the event". Step 1 happens whatever follows.
            last_event_id = last_event_id_buffer
            if data_buffer == "":
                event_type_buffer = ""
                block_retry = None
                continue
            # "If the data buffer's last character is a LF, remove it" (it always is).
            data_buffer = data_buffer.removesuffix("\n")
            event_type = event_type_buffer if event_type_buffer != "" else "message"
            events.append(ServerSentEvent(event_type, data_buffer, last_event_id, block_retry))
            data_buffer = event_type_buffer = ""
            block_retry = None
            continue
        if line[0] == ":":
            continue  # a comment
        if ":" in line:
            colon = line.index(":")
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == " ":
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type_buffer = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\x00" not in value:
                last_event_id_buffer = value
        elif name == "retry" and _is_ascii_digits(value):
            significant = value.lstrip("0") or "0"
            if len(significant) <= MAX_RETRY_DIGITS:
                reconnection_time = block_retry = int(significant)
        # Any other field name is ignored.
    return SpecOutcome(events, last_event_id, reconnection_time)


def spec_events(body: bytes) -> list[ServerSentEvent]:
    """The events a conforming parser dispatches for ``body``, however it is chunked.

    Args:
        body: the whole body.

    Returns:
        The events, as :class:`oaproto.ServerSentEvent` values.
    """
    return interpret_stream(body).events
