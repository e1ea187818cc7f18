"""Pure helpers of the server: JavaScript JSON, pydantic-like validation, ids, lorem."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from transports.server import _backends, _json, _store, _validate
else:
    from oaproto.transports.server import _backends, _json, _store, _validate


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1.1111111111111112, "1.1111111111111112"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (123.456, "123.456"),
        (2**53, "9007199254740992"),
        (2**53 + 1, "9007199254740992"),
        (18446744073709551614, "18446744073709552000"),
        (-(2**60), "-1152921504606847000"),
        (float("nan"), "null"),
    ],
)
def test_js_numbers(value: float, text: str) -> None:
    assert _json.js_json(value) == text.encode()


def test_js_objects() -> None:
    data = {"b": 1, "1": 2, "0": 3, "01": 4, "x": _json.UNDEFINED, "l": [_json.UNDEFINED, None]}
    assert _json.js_json(data) == b'{"0":3,"1":2,"b":1,"01":4,"l":[null,null]}'
    assert _json.js_json("é\n\ud800") == '"é\\n\\ud800"'.encode()
    assert _json.js_json([True, False, "ü"]) == '[true,false,"ü"]'.encode()


def test_sse_json_is_pydantic_json() -> None:
    assert _json.sse_json({"a": "é", "b": [1, 2]}) == '{"a": "\\u00e9", "b": [1, 2]}'


def check(type_: Any, value: Any) -> tuple[Any, list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    return _validate.validate(type_, value, ("body", "x"), errors), errors


@pytest.mark.parametrize(
    ("type_name", "value", "expected"),
    [
        ("INT", "5", 5),
        ("INT", 1.9, 1),
        ("INT", True, 1),
        ("FLOAT", 1, 1.0),
        ("FLOAT", "2.5", 2.5),
        ("BOOL", "yes", True),
        ("BOOL", "OFF", False),
        ("BOOL", 1.0, True),
        ("STR", 5, "5"),
        ("STR", True, "True"),
    ],
)
def test_pydantic_coercions(type_name: str, value: Any, expected: Any) -> None:
    result, errors = check(getattr(_validate, type_name), value)
    assert errors == []
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("type_name", "value", "message", "kind"),
    [
        ("INT", "1.5", "value is not a valid integer", "type_error.integer"),
        ("INT", [], "value is not a valid integer", "type_error.integer"),
        ("FLOAT", "x", "value is not a valid float", "type_error.float"),
        ("BOOL", "maybe", "value could not be parsed to a boolean", "type_error.bool"),
        ("BOOL", [], "value could not be parsed to a boolean", "type_error.bool"),
        ("STR", [], "str type expected", "type_error.str"),
        ("STR", None, "none is not an allowed value", "type_error.none.not_allowed"),
    ],
)
def test_pydantic_errors(type_name: str, value: Any, message: str, kind: str) -> None:
    _, errors = check(getattr(_validate, type_name), value)
    assert errors == [{"loc": ["body", "x"], "msg": message, "type": kind}]


def test_models_coerce_like_pydantic() -> None:
    model = _validate.Model(
        (
            _validate.Field("a", _validate.INT, _validate.REQUIRED),
            _validate.Field("b", _validate.ListT(_validate.STR), factory=list),
        )
    )
    assert check(model, {"a": "1", "extra": 0}) == ({"a": 1, "b": []}, [])
    assert check(model, [["a", 2]])[0] == {"a": 2, "b": []}  # dict(value), as pydantic v1
    _, errors = check(model, "")
    assert errors == [
        {"loc": ["body", "x", "a"], "msg": "field required", "type": "value_error.missing"}
    ]
    _, errors = check(model, {"a": 1, "b": ["ok", None, 3]})
    assert errors == [
        {
            "loc": ["body", "x", "b", 1],
            "msg": "none is not an allowed value",
            "type": "type_error.none.not_allowed",
        }
    ]
    _, errors = check(model, 5)
    assert errors[0]["type"] == "type_error.dict"


def test_uuid7_ids_sort_in_creation_order() -> None:
    ids = [_store.new_id() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == ids[0]


def test_lorem_is_deterministic() -> None:
    words = _backends.lorem_words(42)
    assert words == _backends.lorem_words(42)
    assert words != _backends.lorem_words(43)
    for seed in range(200):
        assert 35 <= len(_backends.lorem_words(seed)) <= 60
    tokens = _backends.words_to_tokens(["a", "b"], "_lorem")
    assert tokens == ["a ", "b"]
    assert _backends.words_to_tokens(["a", "b"], "x/llama-7b") == ["a ", "b "]
    assert json.dumps(tokens)
