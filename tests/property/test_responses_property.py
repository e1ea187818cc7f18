"""Random statuses and bodies produce only typed oaproto errors (the h11 AFL property).

Bodies mix random bytes, random JSON, the reference's error shapes with random
payloads, and well-formed models with one field replaced or removed, so the
parsers are driven deep into every field reader, not only the JSON decoder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto import (
    PRESETS,
    APIError,
    AuthenticationError,
    BusyError,
    ClientConfig,
    Dialect,
    HttpResponse,
    NotFoundError,
    OAProtoError,
    RemoteProtocolError,
    ValidationError,
)
from oaproto.api import Call, ChatAPI, parse_json, raise_for_status
from oaproto.models import PluginEntry

SETTINGS = settings(max_examples=200, deadline=None)
SECRET = "property-secret-token"

_MESSAGE: dict[str, Any] = {
    "id": "m2",
    "parent_id": "m1",
    "content": "Hello",
    "chat_id": "c",
    "created_at": "2023-08-28T12:00:00.123456",
    "role": "assistant",
    "state": "complete",
    "score": 0,
    "reports": [{"id": "r", "report_type": "spam", "reason": "x"}],
    "work_parameters": {"seed": 18446744073709551614},
    "safe_content": None,
    "safety_level": None,
    "safety_label": None,
    "safety_rots": None,
    "used_plugin": None,
}
_CHAT: dict[str, Any] = {
    "id": "c",
    "created_at": "2023-08-28T12:00:00.123456",
    "modified_at": "2023-08-28T12:00:00.123456",
    "title": None,
    "hidden": False,
    "allow_data_use": True,
    "active_thread_tail_message_id": None,
}
_PRESET = {"name": "k50", "description": "", "sampling_parameters": PRESETS["k50"].to_json()}
_MODEL_SHAPES: list[Any] = [
    _MESSAGE,
    _CHAT,
    {**_CHAT, "messages": [_MESSAGE]},
    {"chats": [_CHAT], "next": None, "prev": "cursor"},
    [{"name": "m", "description": "", "parameter_configs": [_PRESET]}],
    [{"url": "u", "enabled": True, "plugin_config": None, "trusted": True}],
    {"url": "u", "enabled": True, "plugin_config": {"x": 1}, "trusted": None},
    {"access_token": {"access_token": "a"}, "refresh_token": {"access_token": "r"}},
    "user-id",
    "",
    None,
]

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _mutated_model(draw: st.DrawFn) -> Any:
    """A well-formed model body with one field (possibly nested) replaced or removed."""
    value = json.loads(json.dumps(draw(st.sampled_from(_MODEL_SHAPES))))
    target = value
    # Descend into a list element or nested object now and then.
    while isinstance(target, list | dict) and target and draw(st.booleans()):
        key = draw(
            st.sampled_from(range(len(target)) if isinstance(target, list) else sorted(target))
        )
        if not isinstance(target[key], list | dict) or not target[key]:
            break
        target = target[key]
    if isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(_json)
    elif isinstance(target, list) and target:
        target[draw(st.integers(0, len(target) - 1))] = draw(_json)
    return value


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


_bodies = st.one_of(
    st.binary(max_size=120),
    st.sampled_from(
        [
            b"",
            b"Internal Server Error",
            b"Invalid score",
            b"\xff\xfe",
            b"[" * 3000,
            b"9" * 5000,
            b'{"message":"The server is currently busy. Please try again later."}',
        ]
    ),
    _json.map(_encode),
    _json.map(lambda payload: _encode({"message": payload})),
    _json.map(lambda payload: _encode({"detail": payload})),
    _mutated_model().map(_encode),
    st.sampled_from(_MODEL_SHAPES).map(_encode),
)
_statuses = st.one_of(
    st.integers(min_value=100, max_value=599),
    st.sampled_from([200, 204, 302, 400, 401, 403, 404, 413, 422, 429, 500, 503]),
)
_dialects = st.sampled_from(list(Dialect))


def _all_calls(api: ChatAPI) -> list[Call[Any]]:
    calls: list[Call[Any]] = [
        api.create_chat(),
        api.post_prompter_message("c", "hi", None),
        api.request_assistant_message(
            "c",
            "m1",
            model_config_name="m",
            sampling=PRESETS["k50"],
            plugins=[PluginEntry(url="u")],
        ),
        api.get_message("c", "m2"),
        api.delete_chat("c"),
        api.list_chats(),
        api.get_chat("c"),
        api.update_chat("c", title="t"),
        api.vote("c", "m2", 1),
        api.message_eval("c", "m2", ["m3"]),
        api.list_model_configs(),
        api.list_plugins(),
        api.plugin_config(PluginEntry(url="u")),
    ]
    if api.dialect is Dialect.INFERENCE:
        calls += [api.report("c", "m2", "spam", "x"), api.debug_login("u"), api.check_auth()]
    return calls


_CALLS = {
    dialect: _all_calls(
        ChatAPI(ClientConfig(base_url="https://oa.test", dialect=dialect, token=SECRET))
    )
    for dialect in Dialect
}


def _expected_class(status: int) -> type[OAProtoError]:
    if status < 200:
        return RemoteProtocolError
    table: dict[int, type[APIError]] = {
        400: ValidationError,
        401: AuthenticationError,
        403: AuthenticationError,
        404: NotFoundError,
        413: ValidationError,
        422: ValidationError,
        429: BusyError,
        503: BusyError,
    }
    return table.get(status, APIError)


def _raised(action: Callable[[], object]) -> OAProtoError | None:
    """Run ``action``; return the oaproto error it raised, or ``None``.

    Any other exception propagates and fails the test: that is the property.
    """
    try:
        action()
    except OAProtoError as error:
        return error
    return None


@SETTINGS
@given(status=_statuses, body=_bodies, dialect=_dialects)
def test_raise_for_status_raises_only_the_typed_error_of_the_status(
    status: int, body: bytes, dialect: Dialect
) -> None:
    request = _CALLS[dialect][0].request
    response = HttpResponse(status=status, body=body)
    error = _raised(lambda: raise_for_status(response, request=request, dialect=dialect))
    if 200 <= status <= 299:
        assert error is None
        return
    # A 400 may be promoted to an authentication error by its detail.
    assert isinstance(error, (_expected_class(status), AuthenticationError))
    if isinstance(error, APIError):
        assert (error.status, error.body) == (status, body)
        assert SECRET not in str(error)
        assert SECRET not in repr(error)


@SETTINGS
@given(status=_statuses, body=_bodies)
def test_parse_json_returns_or_raises_remote_protocol_error(status: int, body: bytes) -> None:
    error = _raised(lambda: parse_json(HttpResponse(status=status, body=body)))
    assert error is None or isinstance(error, RemoteProtocolError)
    assert error is None or str(error).startswith(f"HTTP {status}")


@SETTINGS
@given(status=_statuses, body=_bodies, dialect=_dialects, data=st.data())
def test_every_call_parser_raises_only_oaproto_errors(
    status: int, body: bytes, dialect: Dialect, data: st.DataObject
) -> None:
    call = data.draw(st.sampled_from(_CALLS[dialect]))
    error = _raised(lambda: call.parse(HttpResponse(status=status, body=body)))
    # Only a success, or the delete call's "already gone" 404, may return.
    assert error is not None or 200 <= status <= 299 or status == 404


@SETTINGS
@given(data=st.data(), dialect=_dialects)
def test_well_formed_models_with_one_broken_field_never_escape_untyped(
    data: st.DataObject, dialect: Dialect
) -> None:
    call = data.draw(st.sampled_from(_CALLS[dialect]))
    body = _encode(data.draw(_mutated_model()))
    error = _raised(lambda: call.parse(HttpResponse(status=200, body=body)))
    assert error is None or isinstance(error, RemoteProtocolError)
