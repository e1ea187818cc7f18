"""Credentials: next-auth cookies, bearer tokens, TrustedClient, debug login."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from oaproto.transports.server import ServerConfig, ThreadedServer
from tests.helpers.raw_http import expect_head, json_head, new_chat, request

SECURE = "__Secure-next-auth.session-token"
DEV = "next-auth.session-token"
TOKENS = {"token-alice": "alice", "token-bob": "bob"}


def detail(response: Any) -> Any:
    return response.json()["detail"]


@pytest.mark.oa_server(tokens=TOKENS)
@pytest.mark.parametrize(
    "cookie",
    [
        f"{SECURE}=token-alice",
        f"{DEV}=token-alice",
        f"{SECURE}.0=token-; {SECURE}.1=alice",
        f"{DEV}.1=alice; other=x; {DEV}.0=token-",
        f'theme=dark; {SECURE}="token-alice"',
    ],
)
def test_web_session_cookie_variants(oa_server: ThreadedServer, cookie: str) -> None:
    response = request(oa_server.port, "POST", "/api/chat", headers=[("cookie", cookie)])
    assert response.status == 200
    assert oa_server.chats()[0]["user_id"] == "alice"


@pytest.mark.oa_server(tokens=TOKENS)
def test_web_bearer_only_without_a_cookie(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    bearer = [("authorization", "Bearer token-bob")]
    assert request(port, "POST", "/api/chat", headers=bearer).status == 200
    assert (
        request(port, "POST", "/api/chat", headers=[("authorization", "Bearer token%2Dbob")]).status
        == 200
    )
    # A session cookie, even an invalid one, wins over the Authorization header.
    with_cookie = [*bearer, ("cookie", f"{SECURE}=wrong")]
    response = request(port, "POST", "/api/chat", headers=with_cookie)
    expect_head(response, 403, [("content-length", "0")])
    assert (
        request(port, "POST", "/api/chat", headers=[("authorization", "Basic token-bob")]).status
        == 403
    )


@pytest.mark.oa_server(tokens=TOKENS)
def test_users_see_only_their_chats_in_both_dialects(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    alice_cookie = [("cookie", f"{SECURE}=token-alice")]
    chat_id = request(port, "POST", "/api/chat", headers=alice_cookie).json()["id"]
    # The same token as a bearer is the same user on the inference side.
    alice = [("authorization", "Bearer token-alice")]
    bob = [("authorization", "Bearer token-bob")]
    assert request(port, "GET", f"/chats/{chat_id}", headers=alice).status == 200
    assert request(port, "GET", f"/chats/{chat_id}", headers=bob).status == 404
    bob_cookie = [("cookie", f"{DEV}=token-bob")]
    response = request(port, "GET", "/api/chat", params=[("chat_id", chat_id)], headers=bob_cookie)
    expect_head(response, 404, [("content-length", "0")])


@pytest.mark.oa_server(tokens=TOKENS)
@pytest.mark.parametrize(
    ("authorization", "status", "text"),
    [
        (None, 403, "Not authenticated"),
        ("Basic token-alice", 403, "Not authenticated"),
        ("Bearer", 403, "Not authenticated"),
        ("Bearer wrong", 401, "Invalid token"),
    ],
)
def test_inference_auth_failures(
    oa_server: ThreadedServer, authorization: str | None, status: int, text: str
) -> None:
    headers = [("authorization", authorization)] if authorization is not None else []
    response = request(oa_server.port, "GET", "/chats", headers=headers)
    body = json.dumps({"detail": text}, separators=(",", ":")).encode()
    expect_head(response, status, json_head(body))
    assert response.body == body


@pytest.mark.oa_server(tokens=TOKENS, allow_debug_auth=True)
def test_debug_login_flow(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    login = request(port, "GET", "/auth/login/debug", params=[("username", "carol")])
    location = f"{oa_server.url}/auth/callback/debug?code=carol&state={{}}"
    expect_head(
        login,
        302,
        [("location", location), ("content-length", "18"), ("content-type", "application/json")],
    )
    assert login.body == b'{"detail":"Found"}'
    pair = request(port, "GET", "/auth/callback/debug", params=[("code", "carol")]).json()
    assert list(pair) == ["access_token", "refresh_token"]
    assert pair["access_token"]["token_type"] == "bearer"
    assert pair["refresh_token"]["token_type"] == "refresh"
    access = [("authorization", f"Bearer {pair['access_token']['access_token']}")]
    check = request(port, "GET", "/auth/check", headers=access)
    carol = check.json()
    assert isinstance(carol, str)
    assert carol not in ("carol", "alice", "bob")  # a random id of carol's own
    assert request(port, "POST", "/chats", json_body={}, headers=access).status == 200
    assert oa_server.chats()[0]["user_id"] == carol
    # Logging in again is the same user, as with the real server's user rows.
    again_pair = request(port, "GET", "/auth/callback/debug", params=[("code", "carol")]).json()
    again_access = [("authorization", f"Bearer {again_pair['access_token']['access_token']}")]
    assert request(port, "GET", "/auth/check", headers=again_access).json() == carol
    refresh = [("authorization", f"Bearer {pair['refresh_token']['access_token']}")]
    assert detail(request(port, "GET", "/auth/check", headers=refresh)) == "Invalid token type"
    # The real /auth/refresh never succeeds.
    again = request(
        port, "GET", "/auth/refresh", headers=[("refresh", pair["refresh_token"]["access_token"])]
    )
    assert again.status == 401
    assert detail(again) == "Invalid token"
    assert request(port, "GET", "/auth/providers").body == b'["debug"]'
    assert detail(request(port, "GET", "/auth/callback/debug", params=[("code", "")])) == (
        "Username is required"
    )
    missing = request(port, "GET", "/auth/login/debug")
    assert missing.status == 422
    assert detail(missing) == [
        {"loc": ["query", "username"], "msg": "field required", "type": "value_error.missing"}
    ]


@pytest.mark.oa_server(tokens=TOKENS, access_token_ttl=0)
def test_debug_login_is_off_unless_asked_for(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    for code in ("carol", "alice", "user-1"):
        response = request(port, "GET", "/auth/callback/debug", params=[("code", code)])
        assert response.status == 403
        assert detail(response) == "Debug auth is not allowed"
    assert request(port, "GET", "/auth/providers").body == b"[]"
    assert ServerConfig().allow_debug_auth is False


@pytest.mark.oa_server(tokens=["first", "second"], allow_debug_auth=True)
def test_debug_login_never_hands_out_a_configured_users_identity(
    oa_server: ThreadedServer,
) -> None:
    # The attack: with --token set, log in through the debug route as
    # the configured user (user-1) and read or delete that user's chats.
    port = oa_server.port
    owner = [("authorization", "Bearer first")]
    chat_id = new_chat(port, owner)
    for code in ("user-1", "user-2", "oaproto-user", chat_id):
        pair = request(port, "GET", "/auth/callback/debug", params=[("code", code)]).json()
        intruder = [("authorization", f"Bearer {pair['access_token']['access_token']}")]
        assert request(port, "GET", "/auth/check", headers=intruder).json() not in (
            "user-1",
            "user-2",
        )
        assert request(port, "GET", f"/chats/{chat_id}", headers=intruder).status == 404
        assert request(port, "GET", "/chats", headers=intruder).json()["chats"] == []
        assert request(port, "DELETE", f"/chats/{chat_id}", headers=intruder).status == 404
    assert request(port, "GET", f"/chats/{chat_id}", headers=owner).status == 200
    assert oa_server.deleted_chat_ids == []


@pytest.mark.oa_server(tokens=TOKENS, access_token_ttl=0, allow_debug_auth=True)
def test_expired_access_token(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    pair = request(port, "GET", "/auth/callback/debug", params=[("code", "dave")]).json()
    access = [("authorization", f"Bearer {pair['access_token']['access_token']}")]
    response = request(port, "GET", "/chats", headers=access)
    assert response.status == 401
    assert detail(response) == "Token expired"


def trusted(api_key: str, user_id: str = "erin") -> str:
    info = {
        "api_key": api_key,
        "client": "website",
        "user_id": user_id,
        "provider_account_id": "p",
        "username": user_id,
    }
    return base64.b64encode(json.dumps(info).encode()).decode()


@pytest.mark.oa_server(tokens=TOKENS, trusted_client_keys=["site-key"])
def test_trusted_client_header(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    good = [("trustedclient", trusted("site-key"))]
    assert request(port, "POST", "/chats", json_body={}, headers=good).status == 200
    assert oa_server.chats()[0]["user_id"] == "erin"
    bad = request(port, "GET", "/chats", headers=[("trustedclient", trusted("other"))])
    assert bad.status == 401
    assert detail(bad) == "Unauthorized client"
    garbage = request(port, "GET", "/chats", headers=[("trustedclient", "!!!")])
    assert garbage.status == 500
    assert garbage.body == b"Internal Server Error"
    user = request(port, "POST", "/auth/trusted", headers=good).json()
    assert user["id"] == "erin"
    missing = request(port, "POST", "/auth/trusted")
    assert missing.status == 401
    assert detail(missing) == "Missing token"


def test_open_mode_accepts_anything_as_one_user(oa_server: ThreadedServer) -> None:
    port = oa_server.port
    for headers in (
        [],
        [("cookie", f"{SECURE}=whatever")],
        [("authorization", "Bearer nonsense")],
        [("authorization", "Basic x")],
    ):
        assert request(port, "POST", "/api/chat", headers=headers).status == 200
        assert request(port, "POST", "/chats", json_body={}, headers=headers).status == 200
    assert {chat["user_id"] for chat in oa_server.chats()} == {"oaproto-user"}
    assert request(port, "GET", "/auth/check").body == b'"oaproto-user"'


def test_open_mode_warns_at_start(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="oaproto.server"), ThreadedServer():
        pass
    assert "accepting any or no credentials" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="oaproto.server"), ThreadedServer(tokens=["t"]):
        pass
    assert caplog.text == ""


@pytest.mark.oa_server(tokens=TOKENS)
def test_credentials_never_shown(oa_server: ThreadedServer) -> None:
    request(
        oa_server.port,
        "POST",
        "/api/chat",
        headers=[("cookie", f"{SECURE}=token-alice"), ("authorization", "Bearer token-bob")],
    )
    record = oa_server.requests[-1]
    assert record.cookies == {SECURE: "token-alice"}  # kept for assertions ...
    assert record.header("authorization") == "Bearer token-bob"
    shown = repr(record) + repr(oa_server) + repr(ServerConfig(tokens=TOKENS))
    assert "token-alice" not in shown  # ... but never shown
    assert "token-bob" not in shown
