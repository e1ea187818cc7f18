"""Every status and error body of the reference maps to one typed error; JSON decodes exactly."""

from __future__ import annotations

from typing import Any

import pytest

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    Dialect,
    HttpRequest,
    NotFoundError,
    OAProtoError,
    RemoteProtocolError,
    ValidationError,
)
from oaproto.api import ChatAPI, parse_json, raise_for_status
from tests.helpers.api_fixtures import (
    ASSISTANT_MESSAGE,
    BIG_SEED,
    EMPTY,
    INFERENCE_422,
    INFERENCE_BUSY,
    INTERNAL_SERVER_ERROR,
    INVALID_SCORE,
    SECRET,
    WEB_422,
    WEB_BUSY,
    WEB_SOMETHING_WRONG,
    config,
    response,
)

WEB = Dialect.WEB
INF = Dialect.INFERENCE

PYDANTIC_LIST = [
    {"loc": ["body", "content"], "msg": "field required", "type": "value_error.missing"}
]


def _request(dialect: Dialect = WEB) -> HttpRequest:
    return ChatAPI(config(dialect)).post_prompter_message("c1", "hi", None).request


# --- parse_json ---


def test_parse_json_keeps_big_integers_exact_and_text_raw() -> None:
    value = parse_json(response(200, ASSISTANT_MESSAGE))
    assert value["work_parameters"]["seed"] == BIG_SEED
    assert type(value["work_parameters"]["seed"]) is int
    assert value["content"] == "Hello world \u00e9"


def test_parse_json_accepts_the_web_empty_string_and_null() -> None:
    assert parse_json(response(200, b'""')) == ""
    assert parse_json(response(200, b"null")) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"Internal Server Error", "not valid JSON (JSONDecodeError)"),
        (b'{"id": "\xff"}', "not valid JSON (UnicodeDecodeError)"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON (RecursionError)"),
        (b"1" * 5000, "not valid JSON (ValueError)"),
    ],
)
def test_parse_json_rejects_bodies_that_are_not_json(body: bytes, reason: str) -> None:
    request = _request()
    with pytest.raises(RemoteProtocolError, match=r"^HTTP 200 for POST https://oa\.test/") as info:
        parse_json(response(200, body), request)
    message = str(info.value)
    assert reason in message
    assert SECRET not in message
    assert len(message) < 400


def test_parse_json_error_previews_the_body_without_a_request() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse_json(response(502, b"<html>" + b"x" * 500))
    assert str(info.value).startswith("HTTP 502: body is not valid JSON")
    assert "b'<html>xx" in str(info.value)
    assert str(info.value).endswith("...")


# --- raise_for_status: every shape of the reference ---

CASES: list[tuple[Dialect, int, bytes, type[APIError], Any]] = [
    # no, expired or banned session → empty 403
    (WEB, 403, EMPTY, AuthenticationError, None),
    # bearer failures on the inference server
    (INF, 403, b'{"detail":"Not authenticated"}', AuthenticationError, "Not authenticated"),
    (INF, 401, b'{"detail":"Invalid token"}', AuthenticationError, "Invalid token"),
    (INF, 401, b'{"detail":"Token expired"}', AuthenticationError, "Token expired"),
    (INF, 401, b'{"detail":"Unauthorized client"}', AuthenticationError, "Unauthorized client"),
    (INF, 400, b'{"detail":"Invalid token type"}', AuthenticationError, "Invalid token type"),
    (INF, 403, b'{"detail":"Debug auth is not allowed"}', AuthenticationError, None),
    # chat disabled, unknown chat, unknown method → empty 404
    (WEB, 404, EMPTY, NotFoundError, None),
    (INF, 404, b'{"detail":"Chat not found"}', NotFoundError, "Chat not found"),
    (INF, 404, b'{"detail":"User not found"}', NotFoundError, "User not found"),
    # the body parser, the vote route, an empty 400
    (WEB, 400, b"Invalid JSON", ValidationError, "Invalid JSON"),
    (WEB, 400, INVALID_SCORE, ValidationError, "Invalid score"),
    (WEB, 400, EMPTY, ValidationError, None),
    (WEB, 413, b"Body exceeded 1mb limit", ValidationError, "Body exceeded 1mb limit"),
    # the message-creating routes
    (WEB, 400, b'{"message":"Parent message not found"}', ValidationError, None),
    (WEB, 413, b'{"message":"Message content exceeds max length"}', ValidationError, None),
    (WEB, 422, b'{"message":"Model gpt-3.5-turbo not found"}', ValidationError, None),
    (WEB, 422, WEB_422, ValidationError, PYDANTIC_LIST),
    (INF, 422, INFERENCE_422, ValidationError, PYDANTIC_LIST),
    (INF, 400, b'{"detail":"Cannot specify both after and before."}', ValidationError, None),
    # queue full, and a rate limiter that works
    (WEB, 503, WEB_BUSY, BusyError, "The server is currently busy. Please try again later."),
    (INF, 503, INFERENCE_BUSY, BusyError, "The server is currently busy. Please try again later."),
    (INF, 429, b'{"detail":"Too Many Requests"}', BusyError, "Too Many Requests"),
    # uncaught exception, the broken rate limiter, catch-alls
    (WEB, 500, INTERNAL_SERVER_ERROR, APIError, "Internal Server Error"),
    (INF, 500, INTERNAL_SERVER_ERROR, APIError, "Internal Server Error"),
    (WEB, 500, WEB_SOMETHING_WRONG, APIError, "Something went wrong"),
    (INF, 500, EMPTY, APIError, None),
    (WEB, 502, b"<html>Bad Gateway</html>", APIError, "<html>Bad Gateway</html>"),
    # /auth/login/debug answers 302 with a JSON body
    (INF, 302, b'{"detail":"Found"}', APIError, "Found"),
]


@pytest.mark.parametrize(("dialect", "status", "body", "error_class", "detail"), CASES)
def test_every_reference_error_maps_to_its_class(
    dialect: Dialect, status: int, body: bytes, error_class: type[APIError], detail: Any
) -> None:
    request = _request(dialect)
    with pytest.raises(APIError) as info:
        raise_for_status(response(status, body), request=request, dialect=dialect)
    error = info.value
    assert type(error) is error_class
    assert error.status == status
    assert error.body == body
    assert error.method == "POST"
    assert error.url == request.url
    if detail is not None:
        assert error.detail == detail
    if body == EMPTY:
        assert error.detail is None


def test_error_text_has_status_url_and_detail_but_no_credentials() -> None:
    for dialect, status, body, _, _ in CASES:
        request = _request(dialect)
        with pytest.raises(APIError) as info:
            raise_for_status(response(status, body), request=request, dialect=dialect)
        text = str(info.value)
        assert text.startswith(f"HTTP {status} for POST {request.url}")
        assert SECRET not in text
        assert SECRET not in repr(info.value)
        assert not hasattr(info.value, "headers")


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_success_statuses_pass(status: int) -> None:
    raise_for_status(response(status, b"garbage"), request=_request(), dialect=WEB)


@pytest.mark.parametrize("status", [0, 100, 101, 199, 600, 999, -1])
def test_non_final_statuses_are_protocol_errors(status: int) -> None:
    with pytest.raises(RemoteProtocolError, match="not a final response status") as info:
        raise_for_status(response(status), request=_request(), dialect=INF)
    assert not isinstance(info.value, APIError)


@pytest.mark.parametrize("status", [300, 301, 304, 307, 402, 405, 409, 418, 501, 504, 599])
def test_other_statuses_are_plain_api_errors(status: int) -> None:
    with pytest.raises(OAProtoError) as info:
        raise_for_status(response(status, b"nope"), request=_request(), dialect=WEB)
    assert type(info.value) is APIError


# --- APIError.detail: where each dialect keeps the error text ---


@pytest.mark.parametrize(
    ("dialect", "body", "detail"),
    [
        (WEB, b'{"message":"m","detail":"d"}', "m"),
        (INF, b'{"message":"m","detail":"d"}', "d"),
        # Each dialect falls back to the other's key.
        (WEB, b'{"detail":"d"}', "d"),
        (INF, b'{"message":"m"}', "m"),
        (INF, b'{"detail":null}', None),
        # JSON that is not an error object stays text.
        (WEB, b'["a"]', '["a"]'),
        (WEB, b'{"error":"x"}', '{"error":"x"}'),
        (WEB, b'""', '""'),
        (WEB, b"\xffbad", "\ufffdbad"),
        (INF, b"[" * 100_000, "[" * 100_000),
        (INF, EMPTY, None),
    ],
)
def test_error_detail_shapes(dialect: Dialect, body: bytes, detail: Any) -> None:
    with pytest.raises(APIError) as info:
        raise_for_status(response(400, body), request=_request(dialect), dialect=dialect)
    assert info.value.detail == detail
