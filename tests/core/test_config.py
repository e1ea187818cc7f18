"""ClientConfig and request assembly: credentials per dialect, URL checks, cookie chunking."""

from __future__ import annotations

import dataclasses

import pytest

from oaproto import ClientConfig, Dialect, LocalProtocolError
from oaproto.api import ChatAPI
from oaproto.credentials import COOKIE_CHUNK_SIZE, DEV_COOKIE_NAME, SECURE_COOKIE_NAME

SECRET = "tok-3f9a8b7c6d5e"


def test_defaults_target_the_website() -> None:
    config = ClientConfig()
    assert config.base_url == "https://open-assistant.io"
    assert config.dialect is Dialect.WEB
    assert config.token is None
    assert config.cookie_name == SECURE_COOKIE_NAME == "__Secure-next-auth.session-token"
    assert DEV_COOKIE_NAME == "next-auth.session-token"
    assert config.auth_headers() == ()


def test_repr_never_shows_the_token() -> None:
    config = ClientConfig(token=SECRET, dialect=Dialect.INFERENCE)
    assert SECRET not in repr(config)
    assert SECRET not in str(config)
    assert "dialect=<Dialect.INFERENCE" in repr(config)


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ClientConfig().token = SECRET  # type: ignore[misc]


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("open-assistant.io", "must be an absolute http"),
        ("ftp://open-assistant.io", "must be an absolute http"),
        ("https://", "must be an absolute http"),
        ("https://user:hunter2@oa.test", "must not contain credentials"),
        ("https://user@oa.test", "must not contain credentials"),
        ("https://oa.test/?x=1", "must not have a query or fragment"),
        ("https://oa.test/#top", "must not have a query or fragment"),
    ],
)
def test_base_url_is_validated(base_url: str, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message) as info:
        ClientConfig(base_url=base_url)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000", "https://oa.test/prefix/"])
def test_valid_base_urls(base_url: str) -> None:
    assert ClientConfig(base_url=base_url).base_url == base_url


@pytest.mark.parametrize("token", ["a\nb", "t\u00f6k", "a;b", "a,b", "a\x00b"])
def test_tokens_that_cannot_be_sent_in_a_header_are_rejected_without_echo(token: str) -> None:
    with pytest.raises(LocalProtocolError, match="cannot be sent in a header") as info:
        ClientConfig(token=token)
    assert token not in str(info.value)


def test_web_sends_the_session_cookie() -> None:
    config = ClientConfig(token=SECRET)
    assert config.auth_headers() == (("cookie", f"{SECURE_COOKIE_NAME}={SECRET}"),)
    dev = ClientConfig(base_url="http://localhost:3000", token=SECRET, cookie_name=DEV_COOKIE_NAME)
    assert dev.auth_headers() == (("cookie", f"next-auth.session-token={SECRET}"),)


def test_inference_sends_a_bearer_token() -> None:
    config = ClientConfig(token=SECRET, dialect=Dialect.INFERENCE)
    assert config.auth_headers() == (("authorization", f"Bearer {SECRET}"),)


def _cookie_pairs(token: str) -> list[tuple[str, str]]:
    (header,) = ClientConfig(token=token).auth_headers()
    assert header[0] == "cookie"
    return [tuple(part.split("=", 1)) for part in header[1].split("; ")]  # type: ignore[misc]


def test_token_at_the_chunk_size_is_one_cookie() -> None:
    token = "a" * COOKIE_CHUNK_SIZE
    assert _cookie_pairs(token) == [(SECURE_COOKIE_NAME, token)]


def test_long_tokens_are_chunked_like_next_auth() -> None:
    token = "x" * COOKIE_CHUNK_SIZE + "y" * COOKIE_CHUNK_SIZE + "z"
    pairs = _cookie_pairs(token)
    assert [name for name, _ in pairs] == [
        f"{SECURE_COOKIE_NAME}.0",
        f"{SECURE_COOKIE_NAME}.1",
        f"{SECURE_COOKIE_NAME}.2",
    ]
    assert [len(value) for _, value in pairs] == [COOKIE_CHUNK_SIZE, COOKIE_CHUNK_SIZE, 1]
    assert "".join(value for _, value in pairs) == token


def test_one_character_over_gives_two_chunks() -> None:
    token = "b" * (COOKIE_CHUNK_SIZE + 1)
    assert [name[-2:] for name, _ in _cookie_pairs(token)] == [".0", ".1"]


# --- request assembly (every ChatAPI call goes through the same builder) ---


def test_request_without_body() -> None:
    config = ClientConfig(base_url="https://oa.test/", token=SECRET)
    request = ChatAPI(config).get_chat("a b&c").request
    assert request.method == "GET"
    assert request.url == "https://oa.test/api/chat?chat_id=a+b%26c"
    assert request.headers == (
        ("accept", "application/json"),
        ("user-agent", "oaproto/0.1"),
        ("cookie", f"{SECURE_COOKIE_NAME}={SECRET}"),
    )
    assert request.body == b""
    assert request.stream is False
    assert SECRET not in repr(request)


def test_request_keeps_a_path_prefix_and_skips_an_empty_query() -> None:
    config = ClientConfig(base_url="http://127.0.0.1:8000/oa", dialect=Dialect.INFERENCE)
    request = ChatAPI(config).delete_chat("x").request
    assert (request.method, request.url) == ("DELETE", "http://127.0.0.1:8000/oa/chats/x")
    assert request.header("authorization") is None


def test_request_with_json_body_is_compact_raw_utf8() -> None:
    config = ClientConfig(token=SECRET, dialect=Dialect.INFERENCE, user_agent="test/1")
    request = ChatAPI(config).post_prompter_message("c", "h\u00e9\u2028", None).request
    assert request.body == '{"parent_id":null,"content":"h\u00e9\u2028"}'.encode()
    assert request.headers == (
        ("accept", "application/json"),
        ("user-agent", "test/1"),
        ("content-type", "application/json"),
        ("authorization", f"Bearer {SECRET}"),
    )


def test_stream_request() -> None:
    request = ChatAPI(ClientConfig()).stream_events("c", "m")
    assert request.stream is True
    assert request.header("accept") == "text/event-stream"
    assert request.header("cache-control") == "no-cache"


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("abc-123", "abc-123"),
        ("a/b", "a%2Fb"),
        ("..", ".."),
        ("a b?#", "a%20b%3F%23"),
        ("\u00e9", "%C3%A9"),
    ],
)
def test_ids_are_quoted_as_one_path_segment(value: str, quoted: str) -> None:
    config = ClientConfig(base_url="http://oa.test", dialect=Dialect.INFERENCE)
    assert ChatAPI(config).get_chat(value).request.url == f"http://oa.test/chats/{quoted}"


@pytest.mark.parametrize("name", ["bad;name", "bad name", "a=b", "line\nbreak"])
def test_cookie_name_must_be_a_valid_cookie_name(name: str) -> None:
    with pytest.raises(LocalProtocolError, match="cookie_name"):
        ClientConfig(cookie_name=name)


def test_user_agent_must_be_printable_ascii() -> None:
    with pytest.raises(LocalProtocolError, match="user_agent"):
        ClientConfig(user_agent="evil\r\nx-injected: 1")
