"""An incremental spec parser and its single-rule mutants, to measure the strategies.

``SpecParser`` is a third, independent transcription of the spec, written the
way real parsers are (bytes fed in reads, an incremental UTF-8 decoder, a CR
remembered across reads). Each entry of ``MUTATIONS`` breaks exactly one rule
of the spec, the way a real parser might; ``parse_with(mutation)`` gives a
``parse(chunks)`` callable for the conformance kit.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable

_BOM = b"\xef\xbb\xbf"
_UNICODE_LINE_BREAKS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"


def _one_fffd_per_byte(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error("oaproto-test-fffd-per-byte", _one_fffd_per_byte)

# Each mutation and the one rule it breaks.
MUTATIONS: dict[str, str] = {
    "retry-isdigit": "retry-invalid",  # str.isdigit(): superscripts, Arabic-Indic digits
    "retry-int": "retry-invalid",  # int(): signs, spaces, underscores, other digits
    "retry-float": "retry-invalid",  # float(): decimal points and exponents
    "retry-empty-is-zero": "retry-invalid",
    "retry-persisted": "retry-per-block",  # every event carries the stream's retry
    "retry-never": "retry-valid",  # retry fields are not read at all
    "no-bom-strip": "bom",
    "bom-split-kept": "bom",  # stripped only when the first read holds all three bytes
    "bom-every-chunk": "bom-once",
    "bom-all-leading": "bom-once",
    "cr-not-line-end": "line-ends",
    "final-cr-pending": "line-ends",  # a CR waits for a LF that never comes
    "lf-cr-pair": "line-ends",  # LF CR read as one line end
    "crlf-split-broken": "crlf-split",  # a LF after a read's final CR is one more line end
    "lf-skip-any": "crlf-split",  # after a read's final CR, the next read loses its first char
    "unicode-line-breaks": "not-line-ends",
    "utf8-ignore": "utf8-invalid",
    "utf8-fffd-per-byte": "utf8-invalid",
    "utf8-per-chunk": "utf8",  # each read decoded alone
    "space-kept": "field-space",
    "spaces-stripped": "field-space",
    "value-rstripped": "field-space",  # trailing spaces removed too
    "colon-split-last": "field-value-colon",
    "field-case-insensitive": "field-names",
    "field-name-stripped": "field-names",
    "whitespace-line-blank": "field-names",  # a line of spaces read as a blank line
    "no-colon-ignored": "field-no-colon",
    "comment-dispatches": "comments",
    "trailing-lf-kept": "data-join",
    "empty-data-no-dispatch": "data-empty",
    "event-not-reset": "event-reset",
    "event-kept-without-data": "event-reset",
    "event-empty-kept": "event-type",  # type "" instead of "message"
    "event-first-wins": "event-type",
    "id-nul-accepted": "id-nul",
    "id-not-persisted": "id-persist",
    "id-empty-ignored": "id-empty",
    "id-dropped-without-data": "id-without-data",  # a block without data forgets its id
    "dispatch-without-data": "no-data-no-dispatch",  # httpx-sse #35: sticky state dispatches
    "unterminated-dispatched": "unterminated",
}

Event = tuple[str, str, str, int | None]


class SpecParser:
    """The spec's event stream processing over reads, with one optional mutation."""

    def __init__(self, mutation: str | None = None) -> None:
        self.mutation = mutation
        errors = {"utf8-ignore": "ignore", "utf8-fffd-per-byte": "oaproto-test-fffd-per-byte"}
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors.get(mutation or "", "replace"))
        self.head: bytes | None = b""  # the stream's first bytes while they may be a BOM
        self.line: list[str] = []
        self.after_cr = False
        self.after_lf = False  # for lf-cr-pair: the pending line end was a LF
        self.data = ""
        self.event_type = ""
        self.id_buffer = ""
        self.last_id = ""
        self.block_retry: int | None = None
        self.retry: int | None = None
        self.events: list[Event] = []

    def feed(self, chunk: bytes) -> None:
        """Take one read."""
        if self.head is None:
            if self.mutation == "bom-every-chunk" and chunk.startswith(_BOM):
                chunk = chunk[3:]
        elif self.mutation == "bom-split-kept":
            self.head = None
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
        else:
            self.head += chunk
            if _BOM.startswith(self.head):
                return
            chunk, self.head = self.head, None
            if self.mutation != "no-bom-strip" and chunk.startswith(_BOM):
                chunk = chunk[3:]
                while self.mutation == "bom-all-leading" and chunk.startswith(_BOM):
                    chunk = chunk[3:]
        if self.mutation == "utf8-per-chunk":
            text = chunk.decode("utf-8", "replace")
        else:
            text = self.decoder.decode(chunk)
        self.take_text(text)

    def take_text(self, text: str) -> None:
        """Cut text into lines; a CR ends its line at once, a LF right after it is skipped."""
        if self.after_cr and text:
            if self.mutation == "crlf-split-broken":
                self.after_cr = False
            elif self.mutation == "lf-skip-any":
                self.after_cr = False
                text = text[1:]
        for char in text:
            if self.after_cr:
                self.after_cr = False
                if char == ("\r" if self.after_lf else "\n"):
                    continue
            if char == "\r" and self.mutation == "cr-not-line-end":
                self.line.append(char)
            elif char == "\r" and self.mutation == "final-cr-pending":
                if self.line[-1:] == ["\r"]:
                    self.line.pop()
                    self.end_line()
                self.line.append(char)  # decided by the next character
            elif char == "\r":
                self.end_line()
                self.after_cr, self.after_lf = True, False
            elif char == "\n" and self.mutation == "lf-cr-pair":
                self.end_line()
                self.after_cr = self.after_lf = True  # a CR right after is part of it
                continue
            elif char == "\n":
                pending_cr = self.mutation in ("cr-not-line-end", "final-cr-pending")
                if pending_cr and self.line[-1:] == ["\r"]:
                    self.line.pop()
                self.end_line()
            elif char in _UNICODE_LINE_BREAKS and self.mutation == "unicode-line-breaks":
                self.end_line()
            else:
                if self.mutation == "final-cr-pending" and self.line[-1:] == ["\r"]:
                    self.line.pop()
                    self.end_line()
                self.line.append(char)

    def end_line(self) -> None:
        line = "".join(self.line)
        self.line = []
        self.interpret(line)

    def interpret(self, line: str) -> None:
        """One line of "Interpreting an event stream"."""
        mutation = self.mutation
        if line == "" or (mutation == "whitespace-line-blank" and line.isspace()):
            self.dispatch()
            return
        if line[0] == ":":
            if mutation == "comment-dispatches":
                self.dispatch()
            return
        if ":" in line:
            if mutation == "colon-split-last":
                name, _, value = line.rpartition(":")
            else:
                name, _, value = line.partition(":")
            if mutation == "spaces-stripped":
                value = value.lstrip(" ")
            elif value[:1] == " " and mutation != "space-kept":
                value = value[1:]
            if mutation == "value-rstripped":
                value = value.rstrip(" ")
        elif mutation == "no-colon-ignored":
            return
        else:
            name, value = line, ""
        if mutation == "field-case-insensitive":
            name = name.lower()
        elif mutation == "field-name-stripped":
            name = name.strip()
        if name == "event":
            if mutation != "event-first-wins" or not self.event_type:
                self.event_type = value
        elif name == "data":
            self.data += value + "\n"
        elif name == "id":
            if "\0" in value and mutation != "id-nul-accepted":
                return
            if value == "" and mutation == "id-empty-ignored":
                return
            self.id_buffer = value
        elif name == "retry" and mutation != "retry-never":
            number = self.retry_value(value)
            if number is not None:
                self.retry = self.block_retry = number

    def retry_value(self, value: str) -> int | None:
        mutation = self.mutation
        if mutation == "retry-empty-is-zero" and value == "":
            return 0
        if mutation == "retry-isdigit":
            if value.isdigit():
                return int("".join(str(unicodedata.digit(char)) for char in value))
            return None
        if mutation in ("retry-int", "retry-float"):
            try:
                number = float(value) if mutation == "retry-float" else int(value)
                whole = int(number)
            except (ValueError, OverflowError):
                return None
            return whole if whole >= 0 and number == whole else None
        if value and all("0" <= char <= "9" for char in value):
            return int(value)
        return None

    def dispatch(self) -> None:
        """ "Dispatch the event"."""
        mutation = self.mutation
        if mutation == "id-dropped-without-data" and not self.data:
            self.id_buffer = self.last_id
        self.last_id = self.id_buffer
        empty = self.data == ""
        if mutation == "dispatch-without-data":
            empty = empty and not (
                self.event_type or self.id_buffer or self.block_retry is not None
            )
        elif mutation == "empty-data-no-dispatch":
            empty = self.data.strip("\n") == ""
        if empty:
            if mutation != "event-kept-without-data":
                self.event_type = ""
            self.data = ""
            self.block_retry = None
            return
        data = self.data
        if data.endswith("\n") and mutation != "trailing-lf-kept":
            data = data[:-1]
        event_type = self.event_type
        if event_type == "" and mutation != "event-empty-kept":
            event_type = "message"
        retry = self.retry if mutation == "retry-persisted" else self.block_retry
        self.events.append((event_type, data, self.last_id, retry))
        self.data = ""
        if mutation not in ("event-not-reset", "event-kept-without-data"):
            self.event_type = ""
        self.block_retry = None
        if mutation == "id-not-persisted":
            self.id_buffer = self.last_id = ""

    def close(self) -> None:
        """The end of the body: pending data is discarded (unless mutated)."""
        head = self.head
        self.head = None
        if head and (self.mutation == "no-bom-strip" or head != _BOM):
            self.take_text(self.decoder.decode(head))
        tail = self.decoder.decode(b"", final=True)
        self.take_text(tail)
        if self.mutation == "unterminated-dispatched":
            if self.line:
                self.end_line()
            self.dispatch()


def parse_with(mutation: str | None) -> Callable[[list[bytes]], list[Event]]:
    """A ``parse(chunks) -> events`` callable for one mutation (``None``: the spec)."""

    def parse(chunks: list[bytes]) -> list[Event]:
        parser = SpecParser(mutation)
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
        return parser.events

    parse.__name__ = parse.__qualname__ = f"parse_{mutation or 'spec'}".replace("-", "_")
    return parse
