"""The web session from what people hold: cookie dicts, Cookie headers, cookies.txt files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oaproto import ClientConfig, Dialect, LocalProtocolError
from oaproto.credentials import (
    COOKIE_CHUNK_SIZE,
    DEV_COOKIE_NAME,
    SECURE_COOKIE_NAME,
    find_session_cookie,
    load_cookie_file,
    parse_cookie_header,
)

SECRET = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..secret-value-4242"

# Cookie values as next-auth makes them: base64url and dots.
token_text = st.text(
    alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
    min_size=1,
    max_size=3 * COOKIE_CHUNK_SIZE,
)


def test_whole_secure_cookie_from_a_dict() -> None:
    config = ClientConfig.from_cookies({SECURE_COOKIE_NAME: SECRET, "other": "x"})
    assert config.dialect is Dialect.WEB
    assert config.token == SECRET
    assert config.cookie_name == SECURE_COOKIE_NAME
    assert config.auth_headers() == (("cookie", f"{SECURE_COOKIE_NAME}={SECRET}"),)


def test_plain_http_cookie_name_is_kept() -> None:
    config = ClientConfig.from_cookies({DEV_COOKIE_NAME: SECRET}, base_url="http://127.0.0.1:3000")
    assert config.cookie_name == DEV_COOKIE_NAME
    assert config.token == SECRET
    assert config.base_url == "http://127.0.0.1:3000"


def test_secure_name_wins_over_plain() -> None:
    config = ClientConfig.from_cookies({DEV_COOKIE_NAME: "plain", SECURE_COOKIE_NAME: "secure"})
    assert (config.cookie_name, config.token) == (SECURE_COOKIE_NAME, "secure")


def test_chunks_are_joined_in_index_order_whatever_the_dict_order() -> None:
    cookies = {
        f"{SECURE_COOKIE_NAME}.2": "c",
        f"{SECURE_COOKIE_NAME}.10": "k",
        f"{SECURE_COOKIE_NAME}.0": "a",
        f"{SECURE_COOKIE_NAME}.1": "b",
        **{f"{SECURE_COOKIE_NAME}.{i}": chr(ord("a") + i) for i in range(3, 10)},
    }
    assert ClientConfig.from_cookies(cookies).token == "abcdefghijk"


@given(token_text)
def test_what_the_client_sends_reads_back_as_the_same_token(token: str) -> None:
    sent = ClientConfig(token=token).auth_headers()[0][1]
    assert find_session_cookie(parse_cookie_header(sent)) == (SECURE_COOKIE_NAME, token)
    assert ClientConfig.from_cookies(sent).token == token


@pytest.mark.parametrize(
    "names",
    [[".1"], [".0", ".2"], [".1", ".2"]],
    ids=["no-first-chunk", "gap", "starts-at-one"],
)
def test_incomplete_chunks_are_a_clear_error_without_values(names: list[str]) -> None:
    cookies = {f"{SECURE_COOKIE_NAME}{suffix}": SECRET for suffix in names}
    with pytest.raises(LocalProtocolError, match="chunks are missing") as info:
        ClientConfig.from_cookies(cookies)
    assert SECRET not in str(info.value)


def test_cookies_without_a_session_cookie_name_what_was_found_never_values() -> None:
    with pytest.raises(LocalProtocolError, match="no next-auth session cookie") as info:
        ClientConfig.from_cookies({"__Host-next-auth.csrf-token": SECRET, "theme": "dark"})
    assert "__Host-next-auth.csrf-token, theme" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("cookies", [None, {}, ""])
def test_no_cookies_means_no_credential(cookies: dict[str, str] | str | None) -> None:
    config = ClientConfig.from_cookies(cookies)
    assert config.token is None
    assert config.auth_headers() == ()


def test_empty_session_cookie_counts_as_absent() -> None:
    with pytest.raises(LocalProtocolError, match="no next-auth session cookie"):
        ClientConfig.from_cookies({SECURE_COOKIE_NAME: ""})


def test_cookie_header_as_copied_from_a_browser() -> None:
    header = f'Cookie: theme=dark; {SECURE_COOKIE_NAME}="{SECRET}"; x=%41%42; broken; =v'
    assert parse_cookie_header(header) == {"theme": "dark", SECURE_COOKIE_NAME: SECRET, "x": "AB"}
    assert ClientConfig.from_cookies(header).token == SECRET


def test_first_of_repeated_header_names_wins() -> None:
    assert parse_cookie_header("a=1; a=2") == {"a": "1"}


def test_from_cookies_never_shows_the_token() -> None:
    config = ClientConfig.from_cookies({SECURE_COOKIE_NAME: SECRET})
    assert SECRET not in repr(config)


NETSCAPE = """\
# Netscape HTTP Cookie File
# https://curl.se/docs/http-cookies.html

.open-assistant.io\tTRUE\t/\tTRUE\t0\t__Secure-next-auth.session-token.0\tpart-one-
#HttpOnly_open-assistant.io\tFALSE\t/\tTRUE\t4102444800\t__Secure-next-auth.session-token.1\tpart-two
example.com\tFALSE\t/\tFALSE\t0\t__Secure-next-auth.session-token\tother-site
open-assistant.io\tFALSE\t/\tFALSE\t1000\tstale\told
"""


def test_netscape_file_with_httponly_lines_and_chunks(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(NETSCAPE, encoding="utf-8")
    cookies = load_cookie_file(path, domain="open-assistant.io")
    assert cookies == {
        f"{SECURE_COOKIE_NAME}.0": "part-one-",
        f"{SECURE_COOKIE_NAME}.1": "part-two",
    }
    assert ClientConfig.from_cookies(cookies).token == "part-one-part-two"


def test_netscape_domain_matching_includes_subdomains_only(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(NETSCAPE, encoding="utf-8")
    assert set(load_cookie_file(path, domain="www.open-assistant.io")) == {
        f"{SECURE_COOKIE_NAME}.0",
        f"{SECURE_COOKIE_NAME}.1",
    }
    assert load_cookie_file(path, domain="evil-open-assistant.io") == {}
    assert load_cookie_file(path, domain="example.com") == {SECURE_COOKIE_NAME: "other-site"}


def test_netscape_expired_cookies_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(NETSCAPE, encoding="utf-8")
    assert "stale" not in load_cookie_file(path)
    assert load_cookie_file(path, now=999)["stale"] == "old"
    assert f"{SECURE_COOKIE_NAME}.1" not in load_cookie_file(path, now=4102444801)


def test_cookie_file_holding_a_header_line(tmp_path: Path) -> None:
    path = tmp_path / "cookie"
    path.write_text(f"# my session\nCookie: {SECURE_COOKIE_NAME}={SECRET}\n", encoding="utf-8")
    assert ClientConfig.from_cookies(load_cookie_file(path)).token == SECRET


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (f"a\tb\tc\n{SECRET}\tx\n", "line 1: not a Netscape cookies.txt line"),
        (f"h\tFALSE\t/\tFALSE\tsoon\tname\t{SECRET}\n", "line 1: the expiry is not a whole"),
    ],
)
def test_malformed_cookie_files_name_the_line_never_the_value(
    tmp_path: Path, text: str, match: str
) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LocalProtocolError, match=match) as info:
        load_cookie_file(path)
    assert SECRET not in str(info.value)


def test_unreadable_cookie_files(tmp_path: Path) -> None:
    with pytest.raises(LocalProtocolError, match=r"cannot read cookie file.*No such file"):
        load_cookie_file(tmp_path / "missing.txt")
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00cookie")
    with pytest.raises(LocalProtocolError, match="not UTF-8 text"):
        load_cookie_file(binary)
