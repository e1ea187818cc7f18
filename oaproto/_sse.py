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
* Linear time. A short unfinished line grows by concatenation (cheapest for
  the few bytes a live stream leaves between reads); past 512 bytes it is
  kept as a list of chunks and joined once, when its line end arrives, so a
  long line is never copied again and again.
* Three paths, cheapest first. A chunk holding exactly one event of one
  ``data: `` line (what a live Open Assistant stream delivers per read) is
  recognised with two calls on its bytes, a short text of a few such events
  by one split and one count of its line ends. A chunk that ends between
  the two line ends of such an event leaves its data line unread, so that
  the next chunk holds the whole event again. Text made only of ``data: ``
  lines and single blank lines (a burst of such events, or multi-line data)
  is proved to have that shape by counting line ends, cut into events with
  one ``str.split``, and the events are built by C-level ``map`` calls.
  Anything else goes through a plain loop over the lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import repeat
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING, Any, Final, NoReturn

from ._errors import LocalProtocolError, SSELimitError

__all__ = ["SSEDecoder", "ServerSentEvent", "comment", "encode_sse"]


_tuple_new = tuple.__new__

if TYPE_CHECKING:
    _EventType = type
else:

    class _EventType(type):
        """The metaclass of ServerSentEvent: it holds the keyword constructor.

        Kept out of the class, so that the class keeps tuple's own ``__new__``
        and the decoder can build events from C without a Python frame.
        """

        def __call__(cls, event="message", data="", id="", retry=None):
            return _tuple_new(cls, (event, data, id, retry))


class ServerSentEvent(tuple[str, str, str, int | None], metaclass=_EventType):
    """One dispatched event: an immutable value with four fields.

    Construct it as ``ServerSentEvent(event="message", data="", id="", retry=None)``,
    positionally or by keyword. Fields are read-only; two events are equal (and
    hash alike) when their fields are. Like a named tuple it also unpacks as
    ``event, data, id, retry = sse``, but it never equals a plain tuple and does
    not order. Instances are final; do not subclass.

    Attributes:
        event: the event type: the block's last ``event`` field, else ``"message"``.
        data: the block's ``data`` lines joined with LF (no trailing LF).
        id: the stream's last event ID at dispatch (it persists across events).
        retry: the last valid ``retry`` value (ms) in this event's own block, else ``None``.
    """

    # A tuple underneath because a tuple is the cheapest immutable value to
    # build from C: the decoder creates events with map() and zip() at about
    # half the cost of a frozen slotted dataclass. The constructor below is
    # the metaclass's __call__; tuple's __new__ stays, for _make_event.
    __slots__ = ()
    __match_args__ = ("event", "data", "id", "retry")

    if TYPE_CHECKING:

        def __new__(
            cls,
            event: str = "message",
            data: str = "",
            id: str = "",  # the SSE field name
            retry: int | None = None,
        ) -> ServerSentEvent:
            """Create an event; the arguments become the read-only fields."""

        @property
        def event(self) -> str: ...
        @property
        def data(self) -> str: ...
        @property
        def id(self) -> str: ...
        @property
        def retry(self) -> int | None: ...

    else:
        event = property(itemgetter(0), doc="The event type (``'message'`` by default).")
        data = property(itemgetter(1), doc="The data lines joined with LF.")
        id = property(itemgetter(2), doc="The last event ID at dispatch.")
        retry = property(itemgetter(3), doc="This block's valid retry (ms), else None.")

    def json(self) -> Any:
        """Parse ``data`` as JSON.

        Returns:
            ``json.loads(self.data)``.

        Raises:
            json.JSONDecodeError: ``data`` is not valid JSON.
        """
        return json.loads(self[1])

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self[0]!r}, data={self[1]!r}, "
            f"id={self[2]!r}, retry={self[3]!r})"
        )

    # Equal only to events: a plain tuple with the same items is not an event
    # (returning NotImplemented would let tuple.__eq__ answer for it).
    def __eq__(self, other: object) -> bool:
        if isinstance(other, ServerSentEvent):
            return tuple.__eq__(self, other)
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, ServerSentEvent):
            return tuple.__ne__(self, other)
        return True if isinstance(other, tuple) else NotImplemented

    __hash__ = tuple.__hash__

    # A value, not a sequence to sort: ordering raises TypeError, as it does
    # for a dataclass without order=True.
    def __lt__(self, other: object) -> bool:
        raise TypeError("ServerSentEvent values are not ordered")

    __le__ = __gt__ = __ge__ = __lt__

    def __getnewargs__(self) -> tuple[tuple[str, str, str, int | None]]:
        # pickle and copy rebuild the event with tuple's __new__.
        return ((self[0], self[1], self[2], self[3]),)


# ServerSentEvent((event, data, id, retry)) through type.__call__ itself, not
# the metaclass's: tuple's __new__ runs in C, with no Python frame.
_make_event: Callable[[tuple[str, str, str, int | None]], ServerSentEvent]
_make_event = type.__call__.__get__(ServerSentEvent)
_split_data_lines = methodcaller("split", "\ndata: ")


def _make_events(datas: list[str], id_: str) -> list[ServerSentEvent]:
    """Message events without retry, one per data value, built in C loops."""
    count = len(datas)
    fields = zip(
        repeat("message", count), datas, repeat(id_, count), repeat(None, count), strict=True
    )
    return list(map(_make_event, fields))


_BOM: Final = b"\xef\xbb\xbf"
# Python refuses to convert longer digit strings to int (sys.get_int_max_str_digits);
# a reconnection time of 10**4300 ms is beyond any use, so such values are ignored.
_MAX_RETRY_DIGITS: Final = 4300
# A limit of None is stored as a number no length can reach.
_UNLIMITED: Final = 1 << 62
# The longest unfinished line grown by concatenation; a longer one is held as
# pieces. Copying up to this many bytes costs less than a list append.
_CONCAT_MAX: Final = 512
# Below this many characters of complete lines, the per-line loop beats the fast
# path's fixed cost (measured with benchmarks/bench_sse.py, 1-64 byte chunks).
_FAST_PATH_MIN: Final = 128


def _retry_value(value: str) -> int | None:
    """The reconnection time a ``retry`` field value sets, or None to ignore the field."""
    if value.isdigit() and value.isascii():  # ASCII digits only, at least one
        if len(value) > _MAX_RETRY_DIGITS:
            value = value.lstrip("0") or "0"
        if len(value) <= _MAX_RETRY_DIGITS:
            return int(value)
    return None


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
    bounded by the limits (plus the chunk being fed) whatever the server
    sends: an unfinished line is rejected as soon as it exceeds
    ``max_line_size``, an event as soon as a chunk takes its data past
    ``max_event_size``, and an unfinished ``data`` line as soon as its bytes
    alone guarantee that its event is too big (a character takes at most 4
    bytes). With ``max_line_size=None`` a line that is not a ``data`` line is
    unbounded.

    Errors: a limit violation raises :class:`~oaproto.SSELimitError` (a
    ``RemoteProtocolError``). The events that the failing chunk completed
    before the offending line are not lost: they are the error's ``events``.
    For every chunking of the same bytes, the events returned before the error
    followed by ``error.events`` are exactly the events a decoder without
    limits dispatches before the offending line, and whether an error is
    raised does not depend on the chunking either. After any error, and after
    :meth:`close`, the decoder is unusable: :meth:`feed` and :meth:`close`
    raise ``LocalProtocolError``.

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
        "_block_retry",
        "_data",
        "_dcount",
        "_dsize",
        "_event",
        "_fast_max",
        "_head",
        "_id_buf",
        "_last_id",
        "_max_event",
        "_max_line",
        "_part",
        "_pieces",
        "_plen",
        "_plimit",
        "_pre",
        "_retry",
        "_room",
        "_skip_lf",
        "_small",
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
        guard = 4 * self._max_event + 6 if max_event_size is not None else _UNLIMITED
        self._plimit = min(self._max_line, guard)
        # Complete lines of at most this many bytes hold no line and no event
        # data (characters never outnumber bytes) that breaks a limit.
        self._small = min(self._max_line, self._max_event)
        # The stream start may still be a BOM: the bytes seen so far (a proper
        # prefix of it), or None once decided.
        self._head: bytes | None = b""
        self._skip_lf = False  # the last chunk ended with CR
        # The unfinished line: its bytes while it is short (concatenation is
        # the cheapest way to grow a short line), then, once longer than
        # _room, a list of pieces with their total length (so that a long
        # line fed in small chunks is copied once, when it is complete).
        self._part = b""
        self._room = min(_CONCAT_MAX, self._plimit)
        self._pieces: list[bytes] = []
        self._plen = 0
        # feed() must go the slow way: a BOM or LF to drop, pieces held, or unusable.
        self._pre = True
        # The block being interpreted: its data lines, the event type buffer,
        # its retry, and the last event ID buffer. _dsize counts the data with
        # one LF per line, over the first _dcount lines.
        self._data: list[str] = []
        self._dsize = 0
        self._dcount = 0
        self._event = "message"  # the event type buffer, "" read as "message"
        self._block_retry: int | None = None
        self._id_buf = ""
        self._last_id = ""
        # The most bytes of complete lines the one-event paths take: _small
        # while the block holds nothing (no data, event type or retry, and the
        # last event ID buffer equals the last event ID string), else -1.
        self._fast_max = self._small
        self._retry: int | None = None
        self._status: str | None = None  # why the decoder is unusable, or None

    def __repr__(self) -> str:
        # State only: buffered bytes and data are counted, never shown.
        limits = ", ".join(
            f"{name}={None if value == _UNLIMITED else value}"
            for name, value in (
                ("max_line_size", self._max_line),
                ("max_event_size", self._max_event),
            )
        )
        if self._status is not None:
            state = "closed" if self._status.endswith("closed") else "failed"
        else:
            buffered = len(self._part) + self._plen
            state = f"last_event_id={self._last_id!r}, retry={self._retry!r}, buffered={buffered}"
        return f"<SSEDecoder {limits}, {state}>"

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
        # The events dispatched so far by this call: a limit error carries them.
        # The empty tuple costs nothing to bind; every path that returns
        # events binds a list first, so it is typed as the list it becomes.
        events: list[ServerSentEvent] = ()  # type: ignore[assignment]
        try:
            # One attribute covers every rare case, so that the common call
            # checks it alone before its work.
            if self._pre:
                data = self._prepare(data)
                if not data:
                    return []
            else:
                if type(data) is not bytes:
                    data = bytes(data)
                cr = data.find(13)  # an int: much faster than b"\r" for bytes.find
                if cr >= 0:
                    size = len(data)
                    if (
                        cr == size - 4
                        and not self._part
                        and size - 2 <= self._fast_max
                        and data.find(10) == size - 3
                        and data.endswith(b"\r\n\r\n")
                        and data.startswith(b"data: ")
                    ):
                        # One whole "data: ...\r\n\r\n" event with no other
                        # line end, within both limits: every event of the real
                        # servers, which end lines with CRLF. Read as the LF
                        # path below would read it folded, without the folding.
                        try:
                            value = data[6:cr].decode()
                        except UnicodeDecodeError:
                            value = data[6:cr].decode("utf-8", "replace")
                        return [_make_event(("message", value, self._last_id, None))]
                    data = self._fold(data)
                if 10 not in data:
                    # What _extend does, inline: most reads of a live stream
                    # come here. b"" included: adding it returns the same object.
                    part = self._part + data
                    self._part = part
                    if len(part) > self._room:
                        self._spill()
                    return []

            # The complete lines are the unfinished line, then data[:end].
            end = data.rfind(b"\n") + 1
            part = self._part
            self._part = tail = data[end:]
            complete = len(part) + end
            # buf holds them and this chunk's tail: one copy fewer than
            # cutting the tail off first, which only the slower paths need.
            buf = part + data
            del data, part
            if (
                complete <= self._fast_max
                and buf.find(b"\n") == complete - 2
                and buf.startswith(b"data: ")
            ):
                # One whole event of one data line (its only LFs are the last
                # two bytes of the complete lines), within both limits: the
                # shape of every Open Assistant event, and of most reads of a
                # live stream. The cut is at ASCII bytes, so decoding the value
                # alone is exact.
                value_b = buf[6 : complete - 2]
                # Only this frame holds the bytes, so that a huge line is never
                # held three times over.
                del buf
                try:
                    value = value_b.decode()  # strict is faster, and valid UTF-8 is the rule
                except UnicodeDecodeError:
                    value = value_b.decode("utf-8", "replace")
                del value_b
                events = [_make_event(("message", value, self._last_id, None))]
                if len(tail) > self._room:
                    self._spill()
                return events
            if (
                not tail
                and complete <= self._fast_max
                and complete <= _CONCAT_MAX
                and buf.find(b"\n") == complete - 1
                and buf.startswith(b"data: ")
            ):
                # The chunk ends a short data line that may be the first of
                # the two line ends after it, and the block holds nothing else.
                # It is held back unread in _part, so that the next chunk finds
                # a whole event on the path above. (A data line has no effect
                # before its block ends, and this one is within the limits.)
                self._part = buf
                return []

            if tail:
                buf = buf[:complete]
            del tail
            too_long = False
            if complete > self._max_line:
                # Only a buffer longer than the limit can hold a line that is.
                lines_b = buf.split(b"\n")
                if max(map(len, lines_b)) > self._max_line:
                    # Interpret the lines before the first long one, then fail:
                    # the error is then the same whatever the chunking.
                    first = next(i for i, line in enumerate(lines_b) if len(line) > self._max_line)
                    complete = sum(map(len, lines_b[:first])) + first
                    buf = buf[:complete]
                    too_long = True
                del lines_b

            # Decoding complete lines only is exact (see the module docstring).
            events = []
            try:
                text = buf.decode()
            except UnicodeDecodeError:
                text = buf.decode("utf-8", "replace")
            del buf
            size = len(text)
            if size < _FAST_PATH_MIN:
                if size <= self._fast_max and text.endswith("\n\n") and text.startswith("data: "):
                    # A few whole events of one data line each (a short
                    # read of a live stream): every LF is in a "\n\ndata: "
                    # separator or the final two when the counts agree.
                    datas = text[6:-2].split("\n\ndata: ")
                    if text.count("\n") == 2 * len(datas):
                        text = ""
                        last_id = self._last_id
                        for value in datas:
                            events.append(_make_event(("message", value, last_id, None)))
            elif not (self._event != "message" or self._block_retry is not None):
                box = [text]
                del text
                text = "" if self._blocks(box, events) else box.pop()
            if text:
                nul = "\0" in text  # one scan, rather than one per id line
                lines = text.split("\n")
                del text
                lines.pop()  # the empty string after the final LF
                self._lines(lines, events, size, nul)
                del lines
            if too_long:
                self._line_too_long()
            if len(self._part) > self._room:
                self._spill()
        except BaseException as exc:
            if self._status is None:
                self._status = "the SSE decoder failed on earlier input and cannot be used"
                self._pre = True
            if isinstance(exc, SSELimitError):
                # Nothing is lost: the events before the offending line go with the error.
                exc.events = tuple(events)
            raise
        else:
            return events

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
        self._pre = True
        self._part = b""
        self._pieces = []
        self._plen = 0
        self._data = []
        return []

    def _would_pass_whole_event(self, size: int) -> bool:
        """Whether :meth:`feed` would take a ``size``-byte chunk of one whole event
        of one data line, ended by CRLF CRLF, on its one-event path.

        Then feeding it returns that one ``message`` event with the stream's last
        event ID and changes nothing else, so a caller that recognized such a
        chunk itself may skip :meth:`feed` for it: a usable decoder with nothing
        held, an empty block, and a line and data within both limits.
        """
        return not self._pre and not self._part and size - 2 <= self._fast_max

    def _line_too_long(self) -> NoReturn:
        raise SSELimitError("max_line_size", self._max_line)

    def _prepare(self, data: bytes) -> bytes:
        """The rare cases of :meth:`feed`: all but the complete lines.

        They are: an unusable decoder, input other than bytes, a stream start
        that may be a BOM, a LF after a chunk-final CR, and a long unfinished
        line held as pieces. Returns the bytes of the complete lines and the
        unfinished line after them, CRs folded, or ``b""`` when no line ends.
        """
        if self._status is not None:
            raise LocalProtocolError(self._status)
        if type(data) is not bytes:
            data = bytes(data)
        head = self._head
        if head is not None and data:
            # "Parsing an event stream": one leading U+FEFF is dropped, and its
            # three bytes may arrive in separate chunks.
            data = head + data
            if len(data) < 3 and _BOM.startswith(data):
                self._head = data
                return b""
            self._head = None
            if data.startswith(_BOM):
                data = data[3:]
        elif self._skip_lf and data:
            self._skip_lf = False
            if data[0] == 10:
                data = data[1:]
        if 13 in data:
            data = self._fold(data)
        pieces = self._pieces
        if 10 not in data:
            if not pieces:
                self._extend(data)
            elif data:
                pieces.append(data)
                self._plen += len(data)
                if self._plen > self._plimit:
                    self._check_partial()
            data = b""
        elif pieces:
            # The long line ends in this chunk: decode on from the joined
            # bytes. Only this chunk was scanned for line ends, so the line
            # is scanned once more in all, by the one-event check.
            pieces.append(data)
            data = b"".join(pieces)
            del pieces
            self._pieces = []
            self._plen = 0
        self._pre = self._head is not None or self._skip_lf or bool(self._pieces)
        return data

    def _fold(self, data: bytes) -> bytes:
        """Turn CRLF and CR into LF ("Parsing an event stream": all three end a line).

        A CR that ends the chunk ends its line now; the LF that may follow it
        is dropped by _prepare.
        """
        if data[-1] == 13:
            self._skip_lf = self._pre = True
        return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    def _extend(self, data: bytes) -> None:
        """Add bytes without a line end to the unfinished line."""
        part = self._part + data
        self._part = part
        if len(part) > self._room:
            self._spill()

    def _spill(self) -> None:
        """Hold the unfinished line as pieces from now on, if it breaks no limit."""
        part = self._part
        held = part.find(b"\n") + 1
        if held:
            # First read the data line that feed() held back.
            line = part[: held - 1].decode("utf-8", "replace")
            self._lines([line], [], len(line), "\0" in line)
            self._part = part = part[held:]
            if len(part) <= self._room:
                return
        self._pieces.append(part)
        self._plen += len(part)
        self._part = b""
        self._pre = True
        if self._plen > self._plimit:
            self._check_partial()

    def _check_partial(self) -> None:
        """Raise if the unfinished line held as pieces breaks a limit."""
        if self._plen > self._max_line:
            raise SSELimitError("max_line_size", self._max_line)
        # Past the guard, an unfinished data line is certain to overflow its event.
        prefix = b""
        pieces = iter(self._pieces)
        while len(prefix) < 5:  # the line is longer than the guard, so this ends
            prefix += next(pieces)[:5]
        if prefix.startswith(b"data:"):
            raise SSELimitError("max_event_size", self._max_event)

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        """Process a blank line outside the line loop ("dispatch the event")."""
        self._last_id = self._id_buf
        if self._data:
            # No size check: an open block was checked when its chunk ended.
            value = "\n".join(self._data)
            events.append(_make_event((self._event, value, self._last_id, self._block_retry)))
            self._data = []
            self._dsize = self._dcount = 0
        self._event = "message"
        self._block_retry = None

    def _blocks(self, box: list[str], events: list[ServerSentEvent]) -> bool:
        """The fast path: interpret text made only of data lines and blank lines.

        ``box`` holds the text, so that this frame can drop the only reference
        to it before copying out the data (a huge line is held twice at most).
        The caller checked that no event type or retry is pending. Returns
        False, with the text back in ``box``, when it must be interpreted line
        by line.
        """
        text = box[0]
        pos = 1 if text[0] == "\n" else 0
        if not text.startswith("data: ", pos) or (pos == 0 and self._id_buf != self._last_id):
            return False
        # A cheap look at the next line or two turns away most text that has
        # other fields (a chunk that starts inside a data line, say) before
        # the full proof below.
        size = len(text)
        second = text.find("\n", pos) + 1
        if second < size:
            if text[second] == "\n":
                second += 1
            if second < size and not text.startswith("data: ", second):
                return False
        # The text (from pos) must be runs of "data: x" lines separated by
        # single blank lines, ending with a blank line (closed) or not (the
        # last block stays open). Each LF must then be followed by "data: "
        # (K of them), or be a blank line followed by "data: " (one per block
        # boundary, S), or be among the last F; the three sets are disjoint,
        # so N == K + S + F proves it. Single-line blocks have K == S.
        final = 2 if text.endswith("\n\n") else 1
        newlines = text.count("\n", pos)
        datas = text.split("\n\ndata: ")
        blocks = len(datas) - 1
        del text
        box.clear()
        if newlines == 2 * blocks + final:
            # Single-line blocks only (K == S): the common case.
            datas[0] = datas[0][pos + 6 :]
            datas[-1] = datas[-1][:-final]
        else:
            # Cut the blocks into lines; their number gives K without another
            # pass over the text. (With pos == 1 the first block starts with
            # "\ndata: ", which is not part of text[pos:].)
            lines = list(map(_split_data_lines, datas))
            if newlines != sum(map(len, lines)) - len(lines) - pos + 2 * blocks + final:
                box.append("\n\ndata: ".join(datas))
                return False
            del datas
            first = lines[0]
            if pos:
                del first[0]
            else:
                first[0] = first[0][6:]
            last = lines[-1]
            last[-1] = last[-1][:-final]
            datas = list(map("\n".join, lines))
            del lines, first, last
        if pos:
            # The leading blank line ends the block the last chunk left open.
            self._dispatch(events)
        # No event can outgrow the limit unless the data already buffered and
        # the new text together do.
        check = size + self._dsize > self._max_event
        pending = self._data
        tail = datas.pop() if final == 1 else None
        if pending and datas:
            # The first block completes the one left open: join it once, now.
            datas[0] = "\n".join([*pending, datas[0]])
            pending = []
        max_event = self._max_event
        if check and datas and max(map(len, datas)) > max_event:
            # The events before the first block that is too big are kept.
            first = next(i for i, value in enumerate(datas) if len(value) > max_event)
            events += _make_events(datas[:first], self._last_id)
            raise SSELimitError("max_event_size", max_event)
        if tail is None:
            self._data = []
            self._dsize = self._dcount = 0
            self._fast_max = self._small
        else:
            # The last block stays open. Its text is added as one more piece
            # (never joined with what came before, so that a huge block fed
            # in many chunks is not copied again and again).
            dsize = (self._dsize if pending else 0) + len(tail) + 1
            if check and dsize - 1 > max_event:
                events += _make_events(datas, self._last_id)
                raise SSELimitError("max_event_size", max_event)
            pending.append(tail)
            self._data = pending
            self._dsize = dsize
            self._dcount = len(pending)
            self._fast_max = -1
        if datas:
            events += _make_events(datas, self._last_id)
        return True

    def _lines(self, lines: list[str], events: list[ServerSentEvent], size: int, nul: bool) -> None:
        """Interpret complete lines one by one ("Interpreting an event stream").

        ``size`` is the length of the text the lines came from, ``nul``
        whether it holds a U+0000 (an ``id`` value with one is ignored).
        """
        # The data lines of the block: None, one str, or (multi) a list of
        # several. Typed Any: mypy cannot follow the flag.
        pending = self._data
        multi = len(pending) > 1
        data: Any = pending if multi else pending[0] if pending else None
        event = self._event
        block_retry = self._block_retry
        id_buf = self._id_buf
        last_id = self._last_id
        max_event = self._max_event
        # Events can only outgrow the limit if the buffered data and the new
        # text together could; otherwise skip the check per event.
        check = self._dsize + size > max_event
        append = events.append
        make = _make_event
        try:
            for line in lines:
                if not line:
                    # Dispatch. The last event ID string is set even when no
                    # event fires.
                    last_id = id_buf
                    if data is not None:
                        if multi:
                            data = "\n".join(data)
                            multi = False
                        if check and len(data) > max_event:
                            raise SSELimitError("max_event_size", max_event)
                        append(make((event, data, last_id, block_retry)))
                        data = None
                    event = "message"
                    block_retry = None
                    continue
                # The common fields with the usual single space come first:
                # removeprefix returns the line itself when it does not match.
                value = line.removeprefix("data: ")
                if value is line:
                    value = line.removeprefix("id: ")
                    if value is not line:
                        if not nul or "\0" not in value:
                            id_buf = value
                        continue
                    value = line.removeprefix("event: ")
                    if value is not line:
                        event = value or "message"
                        continue
                    if line[0] == ":":
                        continue  # a comment
                    value = line.removeprefix("retry: ")
                    if value is not line:
                        number = _retry_value(value)
                        if number is not None:
                            block_retry = self._retry = number
                        continue
                    name, colon, value = line.partition(":")
                    if colon and value[:1] == " ":
                        value = value[1:]
                    if name == "event":
                        event = value or "message"
                        continue
                    if name == "id":
                        if "\0" not in value:
                            id_buf = value
                        continue
                    if name == "retry":
                        number = _retry_value(value)
                        if number is not None:
                            block_retry = self._retry = number
                        continue
                    if name != "data":
                        continue  # any other field is ignored
                if data is None:
                    data = value
                elif multi:
                    data.append(value)
                else:
                    data = [data, value]
                    multi = True
        finally:
            if data is None:
                self._data = []
            elif multi:
                self._data = data
            else:
                self._data = [data]
            self._event = event
            self._block_retry = block_retry
            self._id_buf = id_buf
            self._last_id = last_id
            self._fast_max = (
                self._small
                if data is None and event == "message" and block_retry is None and id_buf == last_id
                else -1
            )
        # Account for the data of the block left open, without rescanning the
        # lines counted by earlier chunks.
        if data is None:
            self._dsize = self._dcount = 0
            return
        stored = self._data
        if stored is pending:
            added = stored[self._dcount :]
            dsize = self._dsize + sum(map(len, added)) + len(added)
        else:
            dsize = sum(map(len, stored)) + len(stored)
        if dsize - 1 > max_event:
            raise SSELimitError("max_event_size", max_event)
        self._dsize = dsize
        self._dcount = len(stored)


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
