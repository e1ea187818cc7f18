"""Fault injection: what can go wrong, where, and how often.

A :class:`Fault` says what happens; a :class:`FaultRule` says at which step
(and dialect) and how many times. Faults are selected three ways, all merged
per request: rules in ``ServerConfig.faults`` (from the start), rules added at
run time (``server.faults.add(...)``), and the ``x-oaproto-fault`` request
header (this request only). The spec syntax is documented in ``docs/server.md``.
"""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from oaproto import Dialect

__all__ = [
    "FAULT_HEADER",
    "INVALID_JSON_FRAME",
    "MALFORMED_SSE_FRAME",
    "STEPS",
    "UNKNOWN_EVENT_FRAME",
    "Fault",
    "FaultKind",
    "FaultRegistry",
    "FaultRule",
    "FaultSpecError",
    "parse_header",
]

#: The request header that injects faults into that request.
FAULT_HEADER = "x-oaproto-fault"

#: Step names: one per API operation, the same on both dialects.
STEPS = (
    "create_chat",
    "list_chats",
    "get_chat",
    "update_chat",
    "delete_chat",
    "prompter_message",
    "assistant_message",
    "events",
    "message",
    "vote",
    "message_eval",
    "report",
    "models",
    "plugins",
    "plugin_config",
    "auth",
    "other",
)

# The exact bytes the stream faults write (documented in docs/server.md).
#: ``malformed-sse``: no colon after ``data``, so per the SSE rules this is a
#: field named ``data {...}`` that is ignored; naive prefix matching misreads it.
MALFORMED_SSE_FRAME = b'data {"event_type": "token", "text": "malformed"}\r\n\r\n'
#: ``invalid-json``: a well-formed SSE event whose data is truncated JSON.
INVALID_JSON_FRAME = b'data: {"event_type": "token", "text": \r\n\r\n'
#: ``unknown-event``: well-formed JSON with an event type no server sends.
UNKNOWN_EVENT_FRAME = b'data: {"event_type": "oaproto_unknown", "detail": "injected"}\r\n\r\n'


class FaultSpecError(ValueError):
    """A fault spec string or rule is not valid."""


class FaultKind(enum.StrEnum):
    """Every fault the server can inject."""

    #: Answer with an HTTP status (and that dialect's body for it) instead of handling.
    STATUS = "status"
    #: Wait ``value`` seconds before sending the status line.
    SLOW_HEADERS = "slow-headers"
    #: End the event stream after ``value`` token events, without a terminal event.
    CLOSE_AFTER_TOKENS = "close-after-tokens"
    #: Send nothing at all (no pings either) for ``value`` seconds, after ``after`` tokens.
    STALL = "stall"
    #: Write :data:`MALFORMED_SSE_FRAME` after ``after`` tokens.
    MALFORMED_SSE = "malformed-sse"
    #: Write :data:`INVALID_JSON_FRAME` after ``after`` tokens.
    INVALID_JSON = "invalid-json"
    #: Write :data:`UNKNOWN_EVENT_FRAME` after ``after`` tokens.
    UNKNOWN_EVENT = "unknown-event"
    #: After ``value`` tokens the worker aborts: ``error`` event, state ``aborted_by_worker``.
    ERROR_AFTER_TOKENS = "error-after-tokens"
    #: The worker finds the message expired: ``error`` event "Timeout", state ``timeout``.
    TIMEOUT = "timeout"
    #: Keep the message in the work queue ``value`` seconds (``pending`` events meanwhile).
    QUEUE = "queue"
    #: Never end: ``pending`` forever, as for a cancelled message.
    NEVER_END = "never-end"
    #: Send token event number ``value`` (1-based) twice.
    DUPLICATE = "duplicate"
    #: Swap token events number ``value`` and ``value + 1``.
    OUT_OF_ORDER = "out-of-order"


_STREAM_ONLY = frozenset(
    {
        FaultKind.CLOSE_AFTER_TOKENS,
        FaultKind.STALL,
        FaultKind.MALFORMED_SSE,
        FaultKind.INVALID_JSON,
        FaultKind.UNKNOWN_EVENT,
        FaultKind.DUPLICATE,
        FaultKind.OUT_OF_ORDER,
    }
)
_GENERATION_ONLY = frozenset({FaultKind.TIMEOUT, FaultKind.QUEUE})
# Either on the stream that reads the message or in the worker that makes it.
_EITHER = frozenset({FaultKind.ERROR_AFTER_TOKENS, FaultKind.NEVER_END})
_ANY_STEP = frozenset({FaultKind.STATUS, FaultKind.SLOW_HEADERS})

_NEEDS_VALUE = frozenset(
    {
        FaultKind.STATUS,
        FaultKind.SLOW_HEADERS,
        FaultKind.CLOSE_AFTER_TOKENS,
        FaultKind.STALL,
        FaultKind.QUEUE,
    }
)
_DEFAULT_VALUE = {
    FaultKind.ERROR_AFTER_TOKENS: 0.0,
    FaultKind.DUPLICATE: 1.0,
    FaultKind.OUT_OF_ORDER: 1.0,
}


def default_step(kind: FaultKind) -> str | None:
    """Where a fault applies when no step is given (``None``: every step)."""
    if kind in _ANY_STEP:
        return None
    if kind in _GENERATION_ONLY:
        return "assistant_message"
    return "events"


def applicable(kind: FaultKind, step: str) -> bool:
    """Whether a fault of ``kind`` can act at ``step``."""
    if kind in _ANY_STEP:
        return True
    if kind in _STREAM_ONLY:
        return step == "events"
    if kind in _GENERATION_ONLY:
        return step == "assistant_message"
    return step in ("events", "assistant_message")


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault. Build with the class methods or :meth:`parse`.

    Attributes:
        kind: what goes wrong.
        value: the status code, seconds, token count or token index (see :class:`FaultKind`).
        after: for ``stall`` and the injected frames: how many token events first.
        close: for ``close-after-tokens``: ``"clean"`` (terminating chunk, then the
            connection stays usable), ``"abrupt"`` (connection closed mid-body) or
            ``"reset"`` (TCP reset).
    """

    kind: FaultKind
    value: float = 0.0
    after: int = 0
    close: str = "clean"

    def __post_init__(self) -> None:
        if self.close not in ("clean", "abrupt", "reset"):
            raise FaultSpecError(f"close must be clean, abrupt or reset, not {self.close!r}")
        if self.value < 0 or self.after < 0 or math.isnan(self.value):
            raise FaultSpecError("fault values must be >= 0")
        if self.kind is FaultKind.STATUS and not 100 <= self.value <= 599:
            raise FaultSpecError(f"status must be an HTTP status code, not {self.value!r}")

    # -- constructors --------------------------------------------------------

    @classmethod
    def status(cls, code: int) -> Fault:
        """Answer ``code`` with the dialect's body for it."""
        return cls(FaultKind.STATUS, float(code))

    @classmethod
    def slow_headers(cls, seconds: float) -> Fault:
        return cls(FaultKind.SLOW_HEADERS, seconds)

    @classmethod
    def close_after_tokens(cls, tokens: int, *, close: str = "clean") -> Fault:
        return cls(FaultKind.CLOSE_AFTER_TOKENS, float(tokens), close=close)

    @classmethod
    def stall(cls, seconds: float, *, after: int = 0) -> Fault:
        return cls(FaultKind.STALL, seconds, after=after)

    @classmethod
    def malformed_sse(cls, *, after: int = 0) -> Fault:
        return cls(FaultKind.MALFORMED_SSE, after=after)

    @classmethod
    def invalid_json(cls, *, after: int = 0) -> Fault:
        return cls(FaultKind.INVALID_JSON, after=after)

    @classmethod
    def unknown_event(cls, *, after: int = 0) -> Fault:
        return cls(FaultKind.UNKNOWN_EVENT, after=after)

    @classmethod
    def error_after_tokens(cls, tokens: int = 0) -> Fault:
        return cls(FaultKind.ERROR_AFTER_TOKENS, float(tokens))

    @classmethod
    def timeout(cls) -> Fault:
        return cls(FaultKind.TIMEOUT)

    @classmethod
    def queue(cls, seconds: float) -> Fault:
        return cls(FaultKind.QUEUE, seconds)

    @classmethod
    def never_end(cls) -> Fault:
        return cls(FaultKind.NEVER_END)

    @classmethod
    def duplicate(cls, index: int = 1) -> Fault:
        return cls(FaultKind.DUPLICATE, float(index))

    @classmethod
    def out_of_order(cls, index: int = 1) -> Fault:
        return cls(FaultKind.OUT_OF_ORDER, float(index))

    # -- spec syntax -----------------------------------------------------------

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse ``kind[=value][;after=N][;abrupt|;reset]``, e.g. ``"stall=2;after=3"``.

        Raises:
            FaultSpecError: unknown kind, missing or bad value, unknown option.
        """
        head, *options = [part.strip() for part in spec.strip().split(";")]
        name, _, raw_value = head.partition("=")
        try:
            kind = FaultKind(name.strip().lower())
        except ValueError:
            known = ", ".join(k.value for k in FaultKind)
            raise FaultSpecError(f"unknown fault {name!r}; known: {known}") from None
        if raw_value.strip():
            try:
                value = float(raw_value)
            except ValueError:
                raise FaultSpecError(f"{kind.value}: bad value {raw_value!r}") from None
        elif kind in _NEEDS_VALUE:
            raise FaultSpecError(f"{kind.value} needs a value, e.g. {kind.value}=1")
        else:
            value = _DEFAULT_VALUE.get(kind, 0.0)
        after = 0
        close = "clean"
        for option in options:
            key, _, option_value = option.partition("=")
            key = key.strip().lower()
            if key == "after" and option_value.strip().isdigit():
                after = int(option_value)
            elif key in ("abrupt", "reset", "clean") and not option_value:
                close = key
            else:
                raise FaultSpecError(f"{kind.value}: unknown option {option!r}")
        return cls(kind, value, after=after, close=close)

    def to_spec(self) -> str:
        """The spec string :meth:`parse` reads back to an equal fault."""
        text = self.kind.value
        if self.value or self.kind in _NEEDS_VALUE:
            text += f"={self.value:g}"
        if self.after:
            text += f";after={self.after}"
        if self.close != "clean":
            text += f";{self.close}"
        return text


@dataclass(slots=True, eq=False)
class FaultRule:
    """A fault bound to a step, a dialect and a number of uses.

    Attributes:
        fault: what happens.
        step: one of :data:`STEPS`, or ``None`` for every step the fault can act at.
        dialect: the :class:`~oaproto.Dialect` it applies to, or ``None`` for both.
        times: uses left; ``None`` is unlimited.
    """

    fault: Fault
    step: str | None = None
    dialect: Dialect | None = None
    times: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.step is not None and self.step not in STEPS:
            raise FaultSpecError(f"unknown step {self.step!r}; known: {', '.join(STEPS)}")
        if self.step is not None and not applicable(self.fault.kind, self.step):
            raise FaultSpecError(f"{self.fault.kind.value} cannot act at step {self.step}")
        if self.dialect is not None and not isinstance(self.dialect, Dialect):
            # A spec string names it as text; code passes the enum.
            raise TypeError(f"dialect must be an oaproto.Dialect or None, not {self.dialect!r}")
        if self.times is not None and self.times < 1:
            raise FaultSpecError("times must be >= 1")

    @classmethod
    def parse(cls, spec: str, *, times: int | None = None) -> FaultRule:
        """Parse ``FAULT[@[DIALECT:]STEP][*TIMES]``, e.g. ``"status=503@web:assistant_message*1"``.

        Without ``@STEP`` the fault's default step applies (see ``docs/server.md``).
        """
        text = spec.strip()
        if "*" in text:
            text, _, raw_times = text.rpartition("*")
            if not raw_times.strip().isdigit():
                raise FaultSpecError(f"bad times in {spec!r}")
            times = int(raw_times)
        fault_text, _, where = text.partition("@")
        fault = Fault.parse(fault_text)
        dialect: Dialect | None = None
        step: str | None = default_step(fault.kind)
        if where.strip():
            if ":" in where:
                dialect_text, _, where = where.partition(":")
                dialect = _parse_dialect(dialect_text)
            step = where.strip().lower()
        return cls(fault, step, dialect, times)

    def matches(self, step: str, dialect: Dialect | None) -> bool:
        """Whether the rule acts on a request at ``step`` of ``dialect``.

        ``dialect`` is ``None`` for a path of neither API; only rules for both dialects match it.
        """
        return (
            (self.step is None or self.step == step)
            and (self.dialect is None or self.dialect is dialect)
            and applicable(self.fault.kind, step)
        )

    def take(self) -> bool:
        """Use the rule once; ``False`` when it is used up."""
        with self._lock:
            if self.times is None:
                return True
            if self.times <= 0:
                return False
            self.times -= 1
            return True


class FaultRegistry:
    """The active fault rules of a running server (thread-safe)."""

    def __init__(self, rules: Iterable[FaultRule] = ()) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = list(rules)

    def add(
        self,
        fault: Fault | str,
        *,
        step: str | None = None,
        dialect: Dialect | None = None,
        times: int | None = 1,
    ) -> FaultRule:
        """Arm a fault, by default for the next one matching request.

        Args:
            fault: a :class:`Fault` or a fault spec such as ``"status=503"``.
            step: where it acts; ``None`` uses the fault's default step.
            dialect: :attr:`Dialect.WEB <oaproto.Dialect.WEB>`,
                :attr:`Dialect.INFERENCE <oaproto.Dialect.INFERENCE>` or ``None`` (both).
            times: how many matching requests it affects; ``None`` for all.

        Returns:
            The rule, which :meth:`remove` accepts.
        """
        parsed = Fault.parse(fault) if isinstance(fault, str) else fault
        rule = FaultRule(
            parsed, step if step is not None else default_step(parsed.kind), dialect, times
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Disarm one rule (no error if it is already gone)."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        """Disarm every rule, including those from the configuration."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """A snapshot of the armed rules."""
        with self._lock:
            return list(self._rules)

    def take(self, step: str, dialect: Dialect | None) -> list[Fault]:
        """The faults for one request at ``step``, using each matching rule once."""
        selected: list[Fault] = []
        with self._lock:
            for rule in list(self._rules):
                if rule.matches(step, dialect) and rule.take():
                    selected.append(rule.fault)
                    if rule.times == 0:
                        self._rules.remove(rule)
        return selected


def _parse_dialect(text: str) -> Dialect:
    """The dialect a spec names (``web`` or ``inference``, any case)."""
    try:
        return Dialect(text.strip().lower())
    except ValueError:
        raise FaultSpecError(
            f"dialect must be web or inference, not {text.strip().lower()!r}"
        ) from None


def parse_header(value: str, step: str) -> list[Fault]:
    """Faults from an ``x-oaproto-fault`` header: comma-separated fault specs.

    A spec may name a step (``@step``); it then applies only to a request at
    that step. Without one, a fault applies if it can act at this request's step.

    Raises:
        FaultSpecError: a spec does not parse.
    """
    faults = []
    for part in value.split(","):
        if not part.strip():
            continue
        text, _, where = part.partition("@")
        fault = Fault.parse(text)
        wanted = where.strip().lower().rpartition(":")[2]
        if (not wanted or wanted == step) and applicable(fault.kind, step):
            faults.append(fault)
    return faults
