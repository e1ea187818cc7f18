"""HTTP value objects (redaction, header lookup) and the error hierarchy's messages."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from oaproto import (
    APIError,
    AuthenticationError,
    BusyError,
    HttpRequest,
    HttpResponse,
    IncompleteReplyError,
    LocalProtocolError,
    NotFoundError,
    OAProtoError,
    ProtocolError,
    RemoteProtocolError,
    ReplyError,
    SSELimitError,
    TransportError,
    TransportTimeoutError,
    ValidationError,
)

SECRET = "tok-3f9a8b7c6d5e"


def test_reprs_hide_every_credential_header_in_any_case() -> None:
    headers = (
        ("Authorization", f"Bearer {SECRET}"),
        ("cookie", f"a={SECRET}"),
        ("Proxy-Authorization", SECRET),
        ("REFRESH", SECRET),
        ("Set-Cookie", f"s={SECRET}"),
        ("content-type", "application/json"),
    )
    shown = (
        "(('Authorization', '<redacted>'), ('cookie', '<redacted>'),"
        " ('Proxy-Authorization', '<redacted>'), ('REFRESH', '<redacted>'),"
        " ('Set-Cookie', '<redacted>'), ('content-type', 'application/json'))"
    )
    request = HttpRequest(method="GET", url="https://oa.test/", headers=headers)
    response = HttpResponse(status=200, headers=headers)
    for value in (request, response):
        assert SECRET not in repr(value)
        assert f"headers={shown}" in repr(value)


def test_request_repr_hides_credentials_and_body() -> None:
    request = HttpRequest(
        method="POST",
        url="https://oa.test/api/chat",
        headers=(("cookie", f"x={SECRET}"), ("accept", "application/json")),
        body=b'{"content":"private"}',
    )
    text = repr(request)
    assert SECRET not in text
    assert "private" not in text
    assert text == (
        "HttpRequest(method='POST', url='https://oa.test/api/chat', "
        "headers=(('cookie', '<redacted>'), ('accept', 'application/json')), "
        "body=<21 bytes>, stream=False)"
    )
    assert SECRET not in str(request)


def test_response_repr_hides_set_cookie_and_body() -> None:
    response = HttpResponse(status=200, headers=(("Set-Cookie", SECRET),), body=b"abc")
    assert repr(response) == (
        "HttpResponse(status=200, headers=(('Set-Cookie', '<redacted>'),), body=<3 bytes>)"
    )


def test_header_lookup_is_case_insensitive_and_first_wins() -> None:
    response = HttpResponse(
        status=200, headers=(("Content-Type", "text/plain"), ("content-type", "application/json"))
    )
    assert response.header("CONTENT-TYPE") == "text/plain"
    assert response.header("x-missing") is None
    request = HttpRequest(method="GET", url="https://oa.test", headers=(("Accept", "a"),))
    assert request.header("accept") == "a"
    assert request.header("cookie") is None


def test_value_objects_are_frozen_with_defaults() -> None:
    request = HttpRequest(method="GET", url="https://oa.test")
    assert (request.headers, request.body, request.stream) == ((), b"", False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.url = "https://evil.test"  # type: ignore[misc]
    response = HttpResponse(status=204)
    assert (response.headers, response.body) == ((), b"")


# --- error hierarchy ---


@pytest.mark.parametrize(
    ("error_class", "parents"),
    [
        (ProtocolError, (OAProtoError,)),
        (LocalProtocolError, (ProtocolError,)),
        (RemoteProtocolError, (ProtocolError,)),
        (SSELimitError, (RemoteProtocolError,)),
        (IncompleteReplyError, (RemoteProtocolError,)),
        (ReplyError, (OAProtoError,)),
        (APIError, (OAProtoError,)),
        (AuthenticationError, (APIError,)),
        (NotFoundError, (APIError,)),
        (ValidationError, (APIError,)),
        (BusyError, (APIError,)),
        (TransportError, (OAProtoError,)),
        (TransportTimeoutError, (TransportError,)),
    ],
)
def test_hierarchy(error_class: type[Exception], parents: tuple[type[Exception], ...]) -> None:
    for parent in parents:
        assert issubclass(error_class, parent)
    assert issubclass(error_class, OAProtoError)


def test_api_errors_are_not_protocol_errors() -> None:
    assert not issubclass(APIError, ProtocolError)
    assert not issubclass(ReplyError, APIError)


def test_api_error_with_detail() -> None:
    error = NotFoundError(
        404,
        body=b'{"detail":"Chat not found"}',
        detail="Chat not found",
        method="GET",
        url="https://oa.test/chats/c",
    )
    assert str(error) == "HTTP 404 for GET https://oa.test/chats/c: 'Chat not found'"
    assert (error.status, error.method, error.url) == (404, "GET", "https://oa.test/chats/c")
    assert error.body == b'{"detail":"Chat not found"}'


def test_api_error_with_empty_body_and_no_request() -> None:
    error = AuthenticationError(403, body=b"")
    assert str(error) == "HTTP 403: empty body"
    assert error.detail is None
    assert (error.method, error.url) == ("", "")


def test_api_error_shows_a_body_preview_when_there_is_no_detail() -> None:
    error = APIError(500, body=b"x" * 500)
    text = str(error)
    assert text.startswith("HTTP 500: b'xxx")
    assert len(text) < 230


def test_api_error_truncates_a_long_detail() -> None:
    detail = [{"loc": ["body", "content"], "msg": "field required " * 30}]
    error = ValidationError(422, body=b"{}", detail=detail, method="POST", url="u")
    text = str(error)
    assert text.startswith("HTTP 422 for POST u: [{'loc'")
    assert text.endswith("...")
    assert error.detail is detail


def test_sse_limit_error() -> None:
    error = SSELimitError("max_line_size", 1024)
    assert str(error) == "SSE max_line_size of 1024 exceeded"
    assert (error.limit_name, error.limit) == ("max_line_size", 1024)


def test_incomplete_reply_error() -> None:
    error = IncompleteReplyError("stream ended", partial_text="Hello", message_id="m1")
    assert str(error) == "stream ended (5 characters of partial text kept)"
    assert (error.partial_text, error.message_id) == ("Hello", "m1")


def test_reply_error() -> None:
    error = ReplyError("Timeout", state="timeout", partial_text="", message_id=None)
    assert str(error) == "reply failed: Timeout (state=timeout)"
    assert (error.error, error.state, error.partial_text, error.message_id) == (
        "Timeout",
        "timeout",
        "",
        None,
    )


@pytest.mark.parametrize(
    "error",
    [
        SSELimitError("max_line_size", 10),
        IncompleteReplyError("cut off", partial_text="ab", message_id="m1"),
        ReplyError("Timeout", state="timeout", partial_text="a", message_id="m1"),
        BusyError(503, body=b'{"message":"busy"}', detail="busy", method="POST", url="u"),
        LocalProtocolError("misuse"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_survive_pickling_with_their_attributes(error: OAProtoError) -> None:
    error.add_note("a note")
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is type(error)
    assert str(restored) == str(error)
    assert restored.__dict__ == error.__dict__
