"""The three JSON encodings on the wire.

- Inference server bodies: FastAPI's ``json.dumps(..., ensure_ascii=False,
  separators=(",", ":"))``: compact, raw UTF-8.
- Web API bodies: the same data after axios parsed it and Next.js re-serialised
  it with ``JSON.stringify``: compact and raw UTF-8 too, but numbers are
  JavaScript doubles (``1.0`` -> ``1``, integers above 2**53 rounded) and
  integer-like object keys come first.
- SSE data: pydantic v1 ``.json()``: default ``json.dumps`` separators and
  ``ensure_ascii=True``.
"""

from __future__ import annotations

import enum
import json
import math
import re
from decimal import Decimal
from itertools import accumulate
from typing import Any

from oaproto._config import encode_json

__all__ = [
    "MAX_JSON_DEPTH",
    "UNDEFINED",
    "BodyJSONError",
    "BodyParseError",
    "first_lone_surrogate",
    "inference_json",
    "js_double",
    "js_json",
    "loads",
    "sse_json",
    "too_deep",
]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MAX_SAFE = 2**53


class _Undefined(enum.Enum):
    UNDEFINED = "undefined"

    def __repr__(self) -> str:
        return "undefined"


#: JavaScript's ``undefined``: ``JSON.stringify`` drops such object keys
#: and writes ``null`` for such array items.
UNDEFINED = _Undefined.UNDEFINED


#: Request JSON nested deeper than this is refused. The real servers' parsers
#: give up somewhere near a thousand levels (CPython's recursion limit); a
#: fixed, lower bound keeps every later step (validation, re-encoding) far
#: from the stack's end whatever the handler's own depth.
MAX_JSON_DEPTH = 500


class BodyJSONError(ValueError):
    """Raised by :func:`loads` for what FastAPI reports as a ``jsondecode`` 422."""

    def __init__(self, error: json.JSONDecodeError) -> None:
        super().__init__(str(error))
        self.error = error


class BodyParseError(ValueError):
    """Raised by :func:`loads` where FastAPI answers 400 "There was an error parsing the body".

    That is its answer to anything but a decode error while reading the body:
    bytes that are not Unicode, nesting its parser cannot follow, an integer
    with more digits than Python converts.
    """


class _RefusedValueError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # Python accepts NaN/Infinity; no client sends them and echoing them back
    # would produce invalid JSON, so treat them as a decode error.
    raise _RefusedValueError(f"invalid constant {name}")


class _NumberOutOfRangeError(_RefusedValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(f"number out of range {literal}")
        self.literal = literal


def _finite_float(text: str) -> float:
    # 1e309 overflows to inf, which no JSON answer can carry: refused as NaN is.
    value = float(text)
    if math.isinf(value):
        raise _NumberOutOfRangeError(text)
    return value


# A string to its closing quote, or to the end of an unterminated text: every
# attempt that starts succeeds, so the scan stays linear whatever the input.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_NESTING_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``text`` nests arrays and objects more than ``limit`` levels.

    Checked on the text, before parsing, at C speed: brackets inside strings
    are dropped, then the deepest running count of the rest is the depth.
    """
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case: too few brackets to be that deep
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_NESTING_STEP.__getitem__, brackets)), default=0) > limit


def loads(data: bytes | str) -> Any:
    """Parse request JSON as Starlette does (bytes: UTF-8/16/32 detected).

    Raises:
        BodyJSONError: the text is not JSON, or holds NaN, Infinity or a
            number beyond a double's range.
        BodyParseError: the bytes are not Unicode, the nesting is deeper than
            :data:`MAX_JSON_DEPTH`, or an integer has too many digits.
    """
    try:
        # What json.loads does with bytes, done here to check the text first.
        text = (
            data.decode(json.detect_encoding(data), "surrogatepass")
            if isinstance(data, bytes)
            else data
        )
    except UnicodeDecodeError as exc:
        raise BodyParseError(str(exc)) from exc
    if too_deep(text):
        raise BodyParseError("nested too deeply")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise BodyJSONError(exc) from exc
    except _RefusedValueError as exc:
        # The first occurrence of the number's text is where the parser met it
        # (or close enough: the same digits could sit in an earlier string).
        literal = exc.literal if isinstance(exc, _NumberOutOfRangeError) else ""
        position = max(text.find(literal), 0) if literal else 0
        raise BodyJSONError(json.JSONDecodeError(str(exc), text, position)) from exc
    except (ValueError, RecursionError) as exc:
        raise BodyParseError(str(exc)) from exc


def first_lone_surrogate(value: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The location of the first string (or key) in ``value`` with a lone surrogate, if any.

    Python's JSON parser lets ``"\\ud800"`` through, but such a string cannot
    be encoded as UTF-8, so storing it would break every later answer that
    shows it.
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if _LONE_SURROGATE.search(key):
                    return (*where, key)
                stack.append((child, (*where, key)))
        elif isinstance(item, list):
            stack.extend((child, (*where, i)) for i, child in reversed(list(enumerate(item))))
    return None


def inference_json(obj: Any) -> bytes:
    """FastAPI's response encoding.

    Raises:
        UnicodeEncodeError: a string holds a lone surrogate (FastAPI fails the
            same way, which becomes a plain 500).
    """
    # The compact UTF-8 JSON the client core sends is exactly FastAPI's.
    return encode_json(obj)


def sse_json(obj: Any) -> str:
    """pydantic v1 ``.json()``: one line, ``", "``/``": "`` separators, ASCII only."""
    return json.dumps(obj)


def js_double(value: int | float) -> float:
    """A JSON number as JavaScript holds it: integers beyond a double's range are ±Infinity."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _js_number(value: float) -> str:
    # ECMAScript Number::toString, from the shortest round-trip digits.
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits_tuple = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits)
    exponent = digits_tuple.exponent
    assert isinstance(exponent, int)
    k = len(digits)
    n = exponent + k  # value = 0.d1d2...dk * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


def _js_string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    # JSON.stringify escapes lone surrogates (well-formed JSON.stringify, ES2019).
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _js_keys(obj: dict[str, Any]) -> list[str]:
    # JavaScript objects list array-index keys first, ascending, then the rest
    # in insertion order; JSON.parse then JSON.stringify keeps that order.
    index_keys = [k for k in obj if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1]
    index_keys.sort(key=int)
    seen = set(index_keys)
    return index_keys + [k for k in obj if k not in seen]


def _js_encode(obj: Any, out: list[str]) -> None:
    if obj is UNDEFINED:
        out.append("null")
    elif obj is None or obj is True or obj is False:
        out.append("null" if obj is None else ("true" if obj else "false"))
    elif isinstance(obj, int):
        out.append(str(obj) if abs(obj) <= _MAX_SAFE else _js_number(js_double(obj)))
    elif isinstance(obj, float):
        out.append(_js_number(obj))
    elif isinstance(obj, str):
        out.append(_js_string(obj))
    elif isinstance(obj, list | tuple):
        out.append("[")
        for index, item in enumerate(obj):
            if index:
                out.append(",")
            _js_encode(item, out)
        out.append("]")
    elif isinstance(obj, dict):
        out.append("{")
        keys = [key for key in _js_keys(obj) if obj[key] is not UNDEFINED]
        for index, key in enumerate(keys):
            if index:
                out.append(",")
            out.append(_js_string(str(key)))
            out.append(":")
            _js_encode(obj[key], out)
        out.append("}")
    else:  # pragma: no cover - only JSON values reach here
        raise TypeError(f"not a JSON value: {type(obj).__name__}")


def js_json(obj: Any) -> bytes:
    """``JSON.stringify(obj)`` as Node.js would send it (UTF-8)."""
    out: list[str] = []
    _js_encode(obj, out)
    return "".join(out).encode("utf-8")
