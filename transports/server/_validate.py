"""Request validation that answers like FastAPI 0.88 with pydantic v1.

The inference server validates bodies and query parameters with pydantic v1
models; a failure is a 422 ``{"detail": [{loc, msg, type[, ctx]}]}``. Clients
see these lists verbatim (and wrapped as ``{"message": [...]}`` by the web
API), so the server reproduces pydantic's coercions (``"5"``
is an int, ``1.9`` becomes ``1``, ``""`` is an empty model) and its messages.
Only the types the chat routes use are modelled.
"""

from __future__ import annotations

import copy
import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ANY",
    "BOOL",
    "FLOAT",
    "INT",
    "REQUIRED",
    "STR",
    "ConStr",
    "DictT",
    "EnumT",
    "ErrorList",
    "Field",
    "IntT",
    "ListT",
    "LiteralT",
    "Model",
    "Opt",
    "Type",
    "missing_error",
    "validate",
]

ErrorDict = dict[str, Any]
ErrorList = list[ErrorDict]
Loc = tuple[str | int, ...]


class _Invalid(enum.Enum):
    INVALID = "invalid"


_INVALID = _Invalid.INVALID

_BOOL_TRUE = {1, "1", "on", "t", "true", "y", "yes"}
_BOOL_FALSE = {0, "0", "off", "f", "false", "n", "no"}


def _error(loc: Loc, msg: str, type_: str, ctx: dict[str, Any] | None = None) -> ErrorDict:
    error: ErrorDict = {"loc": list(loc), "msg": msg, "type": type_}
    if ctx is not None:
        error["ctx"] = ctx
    return error


def missing_error(loc: Loc) -> ErrorDict:
    """pydantic's error for an absent required field."""
    return _error(loc, "field required", "value_error.missing")


class Type(Protocol):
    """A pydantic field type: coerce ``value`` or append errors and return the sentinel."""

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any: ...


@dataclass(frozen=True, slots=True)
class _Str:
    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float):  # pydantic v1 str_validator (bool is an int)
            return str(value)
        if isinstance(value, bytes | bytearray):
            try:
                return bytes(value).decode()
            except UnicodeDecodeError:
                pass
        errors.append(_error(loc, "str type expected", "type_error.str"))
        return _INVALID


@dataclass(frozen=True, slots=True)
class ConStr:
    """``constr(max_length=...)``."""

    max_length: int

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        text = STR.check(value, loc, errors)
        if text is _INVALID:
            return _INVALID
        if len(text) > self.max_length:
            errors.append(
                _error(
                    loc,
                    f"ensure this value has at most {self.max_length} characters",
                    "value_error.any_str.max_length",
                    {"limit_value": self.max_length},
                )
            )
            return _INVALID
        return text


@dataclass(frozen=True, slots=True)
class IntT:
    """``int``, optionally with ``gt``/``le`` constraints (``Query(gt=0, le=100)``)."""

    gt: int | None = None
    le: int | None = None

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        number: int
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(value)
            except (TypeError, ValueError, OverflowError):
                errors.append(_error(loc, "value is not a valid integer", "type_error.integer"))
                return _INVALID
        if self.gt is not None and not number > self.gt:
            errors.append(
                _error(
                    loc,
                    f"ensure this value is greater than {self.gt}",
                    "value_error.number.not_gt",
                    {"limit_value": self.gt},
                )
            )
            return _INVALID
        if self.le is not None and not number <= self.le:
            errors.append(
                _error(
                    loc,
                    f"ensure this value is less than or equal to {self.le}",
                    "value_error.number.not_le",
                    {"limit_value": self.le},
                )
            )
            return _INVALID
        return number


@dataclass(frozen=True, slots=True)
class _Float:
    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            # pydantic lets OverflowError (an int beyond a double) escape as a
            # 500; it is the client's mistake, so it gets the float error.
            errors.append(_error(loc, "value is not a valid float", "type_error.float"))
            return _INVALID
        if not math.isfinite(number):
            # "inf"/"nan" strings: the real server would store and echo
            # Infinity, which is not JSON. pydantic's own error for them
            # (``allow_inf_nan=False``).
            errors.append(
                _error(
                    loc,
                    "ensure this value is a finite number",
                    "value_error.number.not_finite_number",
                )
            )
            return _INVALID
        return number


@dataclass(frozen=True, slots=True)
class _Bool:
    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if value is True or value is False:
            return value
        probe = value
        if isinstance(probe, bytes):
            probe = probe.decode(errors="replace")
        if isinstance(probe, str):
            probe = probe.lower()
        try:
            if probe in _BOOL_TRUE:
                return True
            if probe in _BOOL_FALSE:
                return False
        except TypeError:  # unhashable
            pass
        errors.append(_error(loc, "value could not be parsed to a boolean", "type_error.bool"))
        return _INVALID


@dataclass(frozen=True, slots=True)
class _Any:
    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        return value


@dataclass(frozen=True, slots=True)
class DictT:
    """``dict`` (untyped)."""

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if isinstance(value, dict):
            return value
        try:
            return dict(value)
        except (TypeError, ValueError):
            errors.append(_error(loc, "value is not a valid dict", "type_error.dict"))
            return _INVALID


def _one_of(value: Any, values: tuple[str, ...]) -> bool:
    try:
        return value in values
    except TypeError:
        return False


def _permitted(values: tuple[str, ...]) -> str:
    return ", ".join(repr(v) for v in values)


@dataclass(frozen=True, slots=True)
class EnumT:
    """A ``str`` enum: the value must be one of ``values``."""

    values: tuple[str, ...]

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if _one_of(value, self.values):
            return value
        errors.append(
            _error(
                loc,
                f"value is not a valid enumeration member; permitted: {_permitted(self.values)}",
                "type_error.enum",
                {"enum_values": list(self.values)},
            )
        )
        return _INVALID


@dataclass(frozen=True, slots=True)
class LiteralT:
    """``Literal[...]`` of strings."""

    values: tuple[str, ...]

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if _one_of(value, self.values):
            return value
        errors.append(
            _error(
                loc,
                f"unexpected value; permitted: {_permitted(self.values)}",
                "value_error.const",
                {"given": value, "permitted": list(self.values)},
            )
        )
        return _INVALID


@dataclass(frozen=True, slots=True)
class Opt:
    """``T | None``."""

    inner: Type

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if value is None:
            return None
        return self.inner.check(value, loc, errors)


@dataclass(frozen=True, slots=True)
class ListT:
    """``list[T]``."""

    item: Type

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if not isinstance(value, list | tuple):
            errors.append(_error(loc, "value is not a valid list", "type_error.list"))
            return _INVALID
        result: list[Any] = []
        before = len(errors)
        for index, item in enumerate(value):
            result.append(_check_field(self.item, item, (*loc, index), errors))
        return _INVALID if len(errors) > before else result


class _Required(enum.Enum):
    REQUIRED = "required"


#: Marks a field without default.
REQUIRED = _Required.REQUIRED


@dataclass(frozen=True, slots=True)
class Field:
    """One model field. ``default`` may be :data:`REQUIRED`, a value, or ``factory``."""

    name: str
    type: Type
    default: Any = None
    factory: Callable[[], Any] | None = None

    def make_default(self) -> Any:
        if self.factory is not None:
            return self.factory()
        return copy.deepcopy(self.default)


def _check_field(type_: Type, value: Any, loc: Loc, errors: ErrorList) -> Any:
    # pydantic v1: None is only valid for Optional fields (or Any).
    if value is None and not isinstance(type_, Opt | _Any):
        errors.append(_error(loc, "none is not an allowed value", "type_error.none.not_allowed"))
        return _INVALID
    return type_.check(value, loc, errors)


@dataclass(frozen=True, slots=True)
class Model:
    """A pydantic model: unknown keys are ignored, output keeps field order."""

    fields: Sequence[Field]

    def check(self, value: Any, loc: Loc, errors: ErrorList) -> Any:
        if not isinstance(value, dict):
            try:
                # pydantic v1 BaseModel.validate: dict(value), so "" and [] are {}.
                value = dict(value)
            except (TypeError, ValueError):
                errors.append(_error(loc, "value is not a valid dict", "type_error.dict"))
                return _INVALID
        result: dict[str, Any] = {}
        before = len(errors)
        for field in self.fields:
            if field.name in value:
                result[field.name] = _check_field(
                    field.type, value[field.name], (*loc, field.name), errors
                )
            elif field.default is REQUIRED and field.factory is None:
                errors.append(missing_error((*loc, field.name)))
            else:
                result[field.name] = field.make_default()
        return _INVALID if len(errors) > before else result


STR: Type = _Str()
INT: Type = IntT()
FLOAT: Type = _Float()
BOOL: Type = _Bool()
ANY: Type = _Any()


def validate(type_: Type, value: Any, loc: Loc, errors: ErrorList) -> Any:
    """Validate ``value`` at ``loc``; on failure errors are appended and ``None`` returned."""
    result = _check_field(type_, value, loc, errors)
    return None if result is _INVALID else result
