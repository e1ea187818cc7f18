"""A web session from a browser's cookies, end to end against the reference server."""

from __future__ import annotations

from pathlib import Path

import pytest

from oaproto import AuthenticationError, ClientConfig
from oaproto.credentials import COOKIE_CHUNK_SIZE, SECURE_COOKIE_NAME, load_cookie_file
from oaproto.transports import ChatClient, RequestsTransport
from oaproto.transports.server import ThreadedServer

# Longer than one chunk, so the browser holds it as .0/.1 cookies.
LONG_TOKEN = "t" * COOKIE_CHUNK_SIZE + "-alice"


@pytest.mark.oa_server(tokens={LONG_TOKEN: "alice"})
def test_chunked_cookies_from_a_cookies_txt_reach_the_right_user(
    oa_server: ThreadedServer, tmp_path: Path
) -> None:
    half = COOKIE_CHUNK_SIZE
    lines = [
        f"127.0.0.1\tFALSE\t/\tFALSE\t0\t{SECURE_COOKIE_NAME}.1\t{LONG_TOKEN[half:]}",
        f"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\t{SECURE_COOKIE_NAME}.0\t{LONG_TOKEN[:half]}",
    ]
    path = tmp_path / "cookies.txt"
    path.write_text("# Netscape HTTP Cookie File\n" + "\n".join(lines) + "\n", encoding="utf-8")
    config = ClientConfig.from_cookies(
        load_cookie_file(path, domain="127.0.0.1"), base_url=oa_server.url
    )
    with RequestsTransport() as transport, ChatClient(transport, config) as chat:
        assert chat.ask("Hello")
        assert oa_server.chats()[0]["user_id"] == "alice"


@pytest.mark.oa_server(tokens={"token-alice": "alice"})
def test_no_cookies_against_a_server_that_wants_them_is_an_authentication_error(
    oa_server: ThreadedServer,
) -> None:
    config = ClientConfig.from_cookies(None, base_url=oa_server.url)
    with (
        pytest.raises(AuthenticationError),
        RequestsTransport() as transport,
        ChatClient(transport, config) as chat,
    ):
        chat.ask("Hello")
    assert oa_server.chats() == []
