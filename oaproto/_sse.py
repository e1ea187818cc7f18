"""Server-Sent Events: an incremental, bounded decoder and the matching encoder.

The decoder follows the WHATWG HTML Standard, section "Server-sent events",
subsections "Parsing an event stream" and "Interpreting an event stream",
byte for byte. It works on raw bytes: a transport feeds whatever chunks it
reads and gets back the events those chunks completed.

How it stays exact and fast (the why behind the code below):

* Line ends. CR, LF and CRLF all end a line. Each chunk has its CRs folded
  into LFs with two ``bytes.replace`` calls (CRLF first, then lone CR). A CR
  that ends a chunk ends its line at once, as the spec says; a LF at the start
  of the next chunk is then the second half of that CRLF and is dropped.
* Decoding. CR and LF are ASCII, so they never occur inside a UTF-8 sequence,
  and the "replace" error handler never lets an invalid sequence swallow them.
  Decoding each run of complete lines on its own therefore gives exactly the
  text that decoding the whole stream at once gives (with U+FFFD for each
  maximal invalid subpart). A character split across chunks sits in the
  unfinished line, which is only decoded once it is complete.
* Linear time. The unfinished line is kept as a list of chunks and joined
  once, when its line end arrives; nothing buffered is ever scanned twice.
* Fast path. A run of blocks that are each a single ``data: ...`` line (the
  shape of every Open Assistant event) is recognised with two ``str.count``
  calls and cut apart with one ``str.split``; the events are then built by
  C-level ``map`` calls. Everything else goes through a plain loop over lines.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Final

from ._errors import LocalProtocolError, SSELimitError

__all__ = ["SSEDecoder", "ServerSentEvent", "comment", "encode_sse"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event: an immutable value, compared and hashed by its fields.

    Instances are final; do not subclass. ``ServerSentEvent("message", "x")``
    and ``ServerSentEvent(data="x")`` are equal.
    """

    event: str = "message"
    """The event type: the block's last ``event`` field, or ``"message"``."""

    data: str = ""
    """The ``data`` lines of the block, joined with LF (no trailing LF)."""

    id: str = ""
    """The stream's last event ID at dispatch (it persists across events)."""

    retry: int | None = None
    """The last valid ``retry`` value (ms) in this event's own block, else ``None``."""

    def json(self) -> Any:
        """Parse ``data`` as JSON.

        Returns:
            ``json.loads(self.data)``.

        Raises:
            json.JSONDecodeError: ``data`` is not valid JSON.
        """
        return json.loads(self.data)


# The decoder builds events without calling the dataclass ``__init__``, whose
# four frozen ``object.__setattr__`` calls cost about three times as much as
# setting the slots directly. The result is indistinguishable from a normally
# constructed instance: same class, same slots, same values.
_new = object.__new__
_set_event: Any = ServerSentEvent.__dict__["event"].__set__
_set_data: Any = ServerSentEvent.__dict__["data"].__set__
_set_id: Any = ServerSentEvent.__dict__["id"].__set__
_set_retry: Any = ServerSentEvent.__dict__["retry"].__set__
# Runs an iterator to its end, keeping nothing (the itertools "consume" recipe).
_consume: Any = deque(maxlen=0).extend


def _make_event(event: str, data: str, id_: str, retry: int | None) -> ServerSentEvent:
    ev: ServerSentEvent = _new(ServerSentEvent)
    _set_event(ev, event)
    _set_data(ev, data)
    _set_id(ev, id_)
    _set_retry(ev, retry)
    return ev


def _make_events(values: list[str], id_: str) -> list[ServerSentEvent]:
    # Message events with no retry, one per data value, all built in C loops.
    count = len(values)
    events: list[ServerSentEvent] = list(map(_new, repeat(ServerSentEvent, count)))
    _consume(map(_set_event, events, repeat("message", count)))
    _consume(map(_set_data, events, values))
    _consume(map(_set_id, events, repeat(id_, count)))
    _consume(map(_set_retry, events, repeat(None, count)))
    return events


_BOM: Final = b"\xef\xbb\xbf"
# Python refuses to convert longer digit strings to int (sys.get_int_max_str_digits);
# a reconnection time of 10**4300 ms is beyond any use, so such values are ignored.
_MAX_RETRY_DIGITS: Final = 4300
# A limit of None is stored as a number no length can reach.
_UNLIMITED: Final = 1 << 62
# Below this many characters of complete lines, the per-line loop beats the fast
# path's fixed cost (measured with benchmarks/bench_sse.py, 1-64 byte chunks).
_FAST_PATH_MIN: Final = 128


def _check_limit(name: str, value: int | None) -> int:
    if value is None:
        return _UNLIMITED
    if isinstance(value, bool) or not isinstance(value, int):
        raise LocalProtocolError(f"{name} must be an int or None, not {type(value).__name__}")
    if value < 0:
        raise LocalProtocolError(f"{name} must be >= 0, got {value}")
    return value


class SSEDecoder:
    """Incremental decoder for a ``text/event-stream`` body (WHATWG HTML, "Server-sent events").

    Feed it the body's bytes in chunks of any size; each :meth:`feed` returns
    the events those bytes completed, and the events never depend on how the
    body was chunked. Call :meth:`close` at the end of the body.

    Limits (keyword-only, ``None`` for no limit):

    * ``max_line_size``: bytes in one line, line end and BOM excluded.
    * ``max_event_size``: characters of one event's data, ``len(event.data)``.

    Both are enforced while data is still arriving, so the memory held is
    bounded by the limits whatever the server sends: an unfinished line is
    rejected as soon as it exceeds ``max_line_size``, and an unfinished
    ``data`` line as soon as its bytes alone guarantee that its event exceeds
    ``max_event_size`` (each character takes at most 4 bytes). With
    ``max_line_size=None`` a line that is not a ``data`` line is unbounded.

    Errors: a limit violation raises :class:`~oaproto.SSELimitError` (a
    ``RemoteProtocolError``); events completed earlier in the same chunk are
    discarded with it. After any error, and after :meth:`close`, the decoder
    is unusable: :meth:`feed` and :meth:`close` raise ``LocalProtocolError``.

    Attributes:
        last_event_id: the spec's "last event ID string". It takes the value of
            the last ``id`` field (without U+0000) when the block's blank line
            is processed, whether or not that block dispatches an event, not
            when the ``id`` line is read. A block discarded at the end of the
            stream leaves it unchanged.
        retry: the reconnection time in milliseconds from the last valid
            ``retry`` field (ASCII digits only), or ``None``. It changes as soon
            as the field is read.
    """

    __slots__ = (
        "_data",
        "_dsize",
        "_ev_retry",
        "_event",
        "_guard",
        "_head",
        "_id_buf",
        "_last_id",
        "_max_event",
        "_max_line",
        "_pieces",
        "_plen",
        "_retry",
        "_skip_lf",
        "_status",
    )

    def __init__(
        self,
        *,
        max_line_size: int | None = 64 * 1024 * 1024,
        max_event_size: int | None = 64 * 1024 * 1024,
    ) -> None:
        """Create a decoder at the start of a stream.

        Args:
            max_line_size: the most bytes one line may hold, or ``None``.
            max_event_size: the most characters one event's data may hold, or ``None``.

        Raises:
            LocalProtocolError: a limit is negative or not an int.
        """
        self._max_line = _check_limit("max_line_size", max_line_size)
        self._max_event = _check_limit("max_event_size", max_event_size)
        # An unfinished data line longer than this cannot fit max_event_size:
        # "data: " is 6 bytes and every character needs at most 4 more.
        self._guard = 4 * self._max_event + 6 if max_event_size is not None else _UNLIMITED
        # None once the stream start has been checked for a BOM, else the bytes
        # seen so far (a proper prefix of the BOM).
        self._head: bytes | None = b""
        self._skip_lf = False
        self._pieces: list[bytes] = []  # the unfinished line
        self._plen = 0  # its length in bytes
        # The block being built: data lines, data size (len(data) + 1 per
        # line), event type buffer, retry of this block, last event ID buffer.
        self._data: list[str] = []
        self._dsize = 0
        self._event = ""
        self._ev_retry: int | None = None
        self._id_buf = ""
        self._last_id = ""
        self._retry: int | None = None
        self._status: str | None = None  # why the decoder is unusable, or None

    @property
    def last_event_id(self) -> str:
        """The last event ID string (see the class docstring)."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in ms from the last valid ``retry`` field, or ``None``."""
        return self._retry

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode the next chunk of the body.

        Args:
            data: the next bytes, of any length (``b""`` is a no-op).

        Returns:
            The events dispatched by this chunk, in order.

        Raises:
            SSELimitError: a line or an event exceeded its limit.
            LocalProtocolError: the decoder was closed or has failed.
        """
        if self._status is not None:
            raise LocalProtocolError(self._status)
        if not data:
            return []
        if type(data) is not bytes:
            data = bytes(data)
        try:
            return self._feed(data)
        except BaseException:
            self._status = "the SSE decoder failed on earlier input and cannot be used"
            raise

    def close(self) -> list[ServerSentEvent]:
        """Signal the end of the body.

        The spec discards an unfinished line and an event whose block did not
        end with a blank line, so this never dispatches anything; it returns a
        list for symmetry with :meth:`feed`.

        Returns:
            An empty list.

        Raises:
            LocalProtocolError: the decoder was already closed or has failed.
        """
        if self._status is not None:
            raise LocalProtocolError(self._status)
        self._status = "the SSE decoder is closed"
        self._pieces = []
        self._plen = 0
        self._data = []
        self._dsize = 0
        return []

    def _feed(self, data: bytes) -> list[ServerSentEvent]:
        if self._skip_lf:
            # The previous chunk ended with a CR, which already ended its line.
            self._skip_lf = False
            if data[0] == 10:
                data = data[1:]
                if not data:
                    return []
        head = self._head
        if head is not None:
            # "Parsing an event stream": one leading U+FEFF is dropped. Its
            # three bytes may arrive in separate chunks.
            if head:
                data = head + data
            if len(data) < 3 and _BOM.startswith(data):
                self._head = data
                return []
            self._head = None
            if data.startswith(_BOM):
                data = data[3:]
                if not data:
                    return []
        if b"\r" in data:
            if data[-1] == 13:
                self._skip_lf = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

        pieces = self._pieces
        last = data.rfind(b"\n")
        if last < 0:
            pieces.append(data)
            self._plen += len(data)
            if self._plen > self._max_line or self._plen > self._guard:
                self._check_partial()
            return []

        end = last + 1
        size = len(data)
        if pieces:
            pieces.append(data[:end] if end < size else data)
            buf = b"".join(pieces)
            pieces.clear()
        elif end < size:
            buf = data[:end]
        else:
            buf = data
        if end < size:
            pieces.append(data[end:])
            self._plen = size - end
        else:
            self._plen = 0
        del data

        # Lines in buf are at most len(buf) - 1 bytes long, so only a buffer
        # longer than the limit needs its lines measured.
        too_long = False
        if len(buf) > self._max_line:
            lines_b = buf.split(b"\n")
            if max(map(len, lines_b)) > self._max_line:
                # Process the lines before the first long one, then fail, so the
                # error is the same whatever the chunking.
                kept = 0
                for line_b in lines_b:
                    if len(line_b) > self._max_line:
                        break
                    kept += len(line_b) + 1
                buf = buf[:kept]
                too_long = True
            del lines_b

        # Interpret the complete lines ("Interpreting an event stream"). This
        # stays inline rather than in a helper so that no caller frame keeps the
        # decoded text alive: with a 32 MiB line, peak memory stays near twice
        # the line instead of three times.
        text = buf.decode("utf-8", "replace")
        del buf
        events: list[ServerSentEvent] = []
        max_event = self._max_event
        pos = -1
        if len(text) >= _FAST_PATH_MIN:
            if text[0] == "\n":
                pos = 1
            elif not (self._data or self._event or self._ev_retry is not None) and (
                self._id_buf == self._last_id
            ):
                pos = 0
        if pos >= 0 and text.startswith("data: ", pos):
            # The fast path: text[pos:] is n blocks of one "data: X" line each,
            # separated by "\n\ndata: ", and ends either with "\n\n" (every
            # block complete) or with a single "\n" (the last block still open).
            # The counts prove that no other line end occurs anywhere.
            blocks = text.count("\n\ndata: ", pos) + 1
            newlines = text.count("\n", pos)
            open_block = newlines == 2 * blocks - 1
            if open_block or (newlines == 2 * blocks and text.endswith("\n\n")):
                if pos:
                    # The leading blank line ends the block that the previous
                    # chunk left open.
                    self._dispatch(events)
                # Split before slicing so that a huge single line is copied at
                # most once while the text is still alive.
                values = text.split("\n\ndata: ")
                del text
                values[0] = values[0][pos + 6 :]
                values[-1] = values[-1][: -1 if open_block else -2]
                if max_event < _UNLIMITED and max(map(len, values)) > max_event:
                    raise SSELimitError("max_event_size", max_event)
                if open_block:
                    value = values.pop()
                    self._data = [value]
                    self._dsize = len(value) + 1
                if values:
                    events += _make_events(values, self._last_id)
                text = ""
        if text:
            lines = text.split("\n")
            del text
            lines.pop()  # the empty string after the final LF
            self._interpret(lines, events)
            del lines
        if too_long:
            raise SSELimitError("max_line_size", self._max_line)
        if self._plen > self._max_line or self._plen > self._guard:
            self._check_partial()
        return events

    def _check_partial(self) -> None:
        """Raise if the unfinished line already breaks a limit."""
        if self._plen > self._max_line:
            raise SSELimitError("max_line_size", self._max_line)
        # Past the guard, an unfinished data line is certain to overflow its event.
        prefix = b""
        for piece in self._pieces:
            prefix += piece[:5]
            if len(prefix) >= 5:
                break
        if prefix.startswith(b"data:"):
            raise SSELimitError("max_event_size", self._max_event)

    def _interpret(self, lines: list[str], events: list[ServerSentEvent]) -> None:
        """Interpret complete lines one by one, appending the events dispatched."""
        data = self._data
        dsize = self._dsize
        event = self._event
        ev_retry = self._ev_retry
        id_buf = self._id_buf
        last_id = self._last_id
        max_event = self._max_event
        limit = max_event + 1  # dsize counts one LF per line, the data one fewer
        append = events.append
        try:
            for line in lines:
                if not line:
                    # Dispatch: the last event ID string is set even when no
                    # event fires.
                    last_id = id_buf
                    if data:
                        ev = _new(ServerSentEvent)
                        _set_event(ev, event or "message")
                        _set_data(ev, "\n".join(data))
                        _set_id(ev, last_id)
                        _set_retry(ev, ev_retry)
                        append(ev)
                        data = []
                        dsize = 0
                    event = ""
                    ev_retry = None
                    continue
                if line.startswith("data:"):
                    value = line[6:] if line.startswith(" ", 5) else line[5:]
                    dsize += len(value) + 1
                    if dsize > limit:
                        raise SSELimitError("max_event_size", max_event)
                    data.append(value)
                    continue
                name, colon, value = line.partition(":")
                if colon:
                    if not name:
                        continue  # a comment
                    if value.startswith(" "):
                        value = value[1:]
                if name == "event":
                    event = value
                elif name == "id":
                    if "\0" not in value:
                        id_buf = value
                elif name == "retry":
                    if value.isdigit() and value.isascii():
                        digits = value.lstrip("0")
                        if len(digits) <= _MAX_RETRY_DIGITS:
                            ev_retry = self._retry = int(digits or "0")
                elif name == "data":  # a "data" line without a colon
                    dsize += 1
                    if dsize > limit:
                        raise SSELimitError("max_event_size", max_event)
                    data.append("")
                # Any other field name is ignored, as the spec requires.
        finally:
            self._data = data
            self._dsize = dsize
            self._event = event
            self._ev_retry = ev_retry
            self._id_buf = id_buf
            self._last_id = last_id

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        """Process one blank line outside the line loop."""
        self._last_id = self._id_buf
        if self._data:
            events.append(
                _make_event(
                    self._event or "message",
                    "\n".join(self._data),
                    self._last_id,
                    self._ev_retry,
                )
            )
            self._data = []
            self._dsize = 0
        self._event = ""
        self._ev_retry = None


_LINE_ENDINGS: Final = ("\r\n", "\n", "\r")


def _check_line_ending(line_ending: str) -> None:
    if line_ending not in _LINE_ENDINGS:
        raise LocalProtocolError(
            f"line_ending must be '\\r\\n', '\\n' or '\\r', got {line_ending!r}"
        )


def _check_single_line(name: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise LocalProtocolError(f"{name} must not contain CR or LF: {value!r}")


def encode_sse(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,  # the SSE field name
    retry: int | None = None,
    line_ending: str = "\r\n",
) -> bytes:
    """Encode one event as a ``text/event-stream`` frame, blank line included.

    Every field is written as ``name: value`` with exactly one space, so a value
    that starts with a space survives the decoder's stripping of one space.
    ``encode_sse(text)`` with the defaults gives ``b"data: " + text + b"\\r\\n\\r\\n"``,
    the frame of the Open Assistant inference server.

    ``data`` may span lines: CRLF, CR and LF in it each start a new ``data``
    line, so the decoder gives back ``data`` with every line end turned into LF.
    Decoding the frame gives ``ServerSentEvent(event or "message", data, id, retry)``
    (``id`` being the stream's last event ID, which an absent ``id`` leaves as it was).

    Args:
        data: the event data; ``""`` gives an event with empty data.
        event: the event type, or ``None`` for the default ``"message"``.
        id: the event ID (``""`` resets the last event ID), or ``None`` for no ``id`` field.
        retry: the reconnection time in ms, or ``None`` for no ``retry`` field.
        line_ending: ``"\\r\\n"``, ``"\\n"`` or ``"\\r"``.

    Returns:
        The UTF-8 encoded frame.

    Raises:
        LocalProtocolError: ``event`` or ``id`` contains CR or LF, ``id``
            contains U+0000, ``retry`` is negative or not an int, or
            ``line_ending`` is not a line end.
        UnicodeEncodeError: a value contains a lone surrogate.
    """
    _check_line_ending(line_ending)
    parts: list[str] = []
    if event is not None:
        _check_single_line("event", event)
        parts.append(f"event: {event}{line_ending}")
    if id is not None:
        _check_single_line("id", id)
        if "\0" in id:
            raise LocalProtocolError(f"id must not contain U+0000: {id!r}")
        parts.append(f"id: {id}{line_ending}")
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise LocalProtocolError(f"retry must be an int >= 0, got {retry!r}")
        parts.append(f"retry: {retry}{line_ending}")
    if "\r" in data:
        data = data.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" in data:
        parts.append("data: " + data.replace("\n", line_ending + "data: "))
    else:
        parts.append("data: " + data)
    parts.append(line_ending + line_ending)
    return "".join(parts).encode("utf-8")


def comment(text: str = "", *, line_ending: str = "\r\n") -> bytes:
    """Encode a comment block, e.g. a keep-alive: ``: text`` and a blank line.

    ``comment("ping - 2023-07-14 13:28:17.735145")`` gives the Open Assistant
    server's ping, ``b": ping - 2023-07-14 13:28:17.735145\\r\\n\\r\\n"``. The
    blank line ends the current block, so send comments only between events.
    A multi-line ``text`` becomes one comment line per line.

    Args:
        text: the comment text; ``""`` gives a bare ``:`` line.
        line_ending: ``"\\r\\n"``, ``"\\n"`` or ``"\\r"``.

    Returns:
        The UTF-8 encoded comment block.

    Raises:
        LocalProtocolError: ``line_ending`` is not a line end.
        UnicodeEncodeError: ``text`` contains a lone surrogate.
    """
    _check_line_ending(line_ending)
    if not text:
        return f":{line_ending}{line_ending}".encode()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    body = ": " + text.replace("\n", line_ending + ": ")
    return f"{body}{line_ending}{line_ending}".encode()
