"""The one proxy rule set every adapter applies: parsing, environment, NO_PROXY."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oaproto import LocalProtocolError
from oaproto.transports._proxy import ProxyRules, ProxyServer, parse_proxy_url

PROXY = "http://proxy.example:3128"


def rules(**env: str) -> ProxyRules:
    return ProxyRules.configure(None, trust_env=True, environ=env)


def chosen(rule_set: ProxyRules, url: str) -> str | None:
    server = rule_set.for_url(url)
    return None if server is None else server.url


def test_parse_proxy_url_parts() -> None:
    server = parse_proxy_url("http://us%40er:p%3Ass@Proxy.Example:3128/")
    assert (server.host, server.port) == ("proxy.example", 3128)
    assert (server.username, server.password) == ("us@er", "p:ss")
    assert server.url == "http://proxy.example:3128"
    assert server.url_with_credentials == "http://us%40er:p%3Ass@proxy.example:3128"
    assert server.authorization == "Basic " + base64.b64encode(b"us@er:p:ss").decode()
    assert repr(server) == "ProxyServer('http://proxy.example:3128', credentials=True)"


def test_parse_proxy_url_defaults() -> None:
    assert parse_proxy_url("proxy.example") == ProxyServer("proxy.example", 80)
    bare = parse_proxy_url("http://[::1]:8080")
    assert bare.url == "http://[::1]:8080"
    assert bare.url_with_credentials == bare.url
    assert bare.authorization is None
    assert parse_proxy_url("http://user@h:1").authorization == "Basic " + base64.b64encode(
        b"user:"
    ).decode("ascii")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://u:s3cr3t@proxy:443", "only http:// proxies"),
        ("socks5://u:s3cr3t@proxy:1080", "only http:// proxies"),
        ("http://u:s3cr3t@proxy:99999", "port"),
        ("http://u:s3cr3t@proxy:port", "port"),
        ("http://u:s3cr3t@:3128", "no host"),
        ("http://u:s3cr3t@proxy:3128/path", "host\\[:port\\]"),
        ("http://u:s3cr3t@proxy:3128/?q=1", "host\\[:port\\]"),
    ],
)
def test_an_unusable_proxy_url_is_refused_without_its_password(url: str, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message) as raised:
        parse_proxy_url(url)
    assert "s3cr3t" not in str(raised.value)


def test_an_explicit_proxy_serves_every_url() -> None:
    explicit = ProxyRules.configure(PROXY, trust_env=True, environ={"NO_PROXY": "*"})
    assert chosen(explicit, "http://a.example/") == PROXY
    assert chosen(explicit, "https://b.example/") == PROXY
    assert bool(explicit)


def test_without_trust_env_the_environment_is_ignored() -> None:
    ignoring = ProxyRules.configure(None, trust_env=False, environ={"HTTP_PROXY": PROXY})
    assert not ignoring
    assert ignoring.for_url("http://a.example/") is None


def test_each_scheme_has_its_variable_and_all_proxy_is_the_fallback() -> None:
    env = rules(HTTP_PROXY="http://h:1", ALL_PROXY="http://all:3")
    assert chosen(env, "http://a/") == "http://h:1"
    assert chosen(env, "https://a/") == "http://all:3"
    assert chosen(rules(HTTPS_PROXY="http://s:2"), "http://a/") is None
    assert chosen(rules(HTTPS_PROXY="http://s:2"), "https://a/") == "http://s:2"


def test_the_lower_case_name_wins_and_empty_means_unset() -> None:
    assert chosen(rules(http_proxy="http://low:1", HTTP_PROXY="http://up:2"), "http://a/") == (
        "http://low:1"
    )
    assert chosen(rules(http_proxy="", HTTP_PROXY="http://up:2"), "http://a/") == "http://up:2"
    assert not rules(HTTP_PROXY="", ALL_PROXY="")


def test_a_cgi_process_ignores_upper_case_http_proxy_only() -> None:
    cgi = {"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://client-header:1"}
    assert chosen(rules(**cgi), "http://a/") is None
    assert chosen(rules(**cgi, http_proxy="http://mine:2"), "http://a/") == "http://mine:2"


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypassed"),
    [
        ("*", "http://anything.example/", True),
        ("example.com", "http://example.com/", True),
        ("example.com", "http://api.example.com/", True),
        ("example.com", "http://badexample.com/", False),
        (".example.com", "http://example.com/", True),
        ("*.example.com", "http://deep.api.example.com/", True),
        ("Example.COM", "http://api.example.com./", True),
        ("example.com:8080", "http://example.com:8080/", True),
        ("example.com:8080", "http://example.com/", False),
        ("example.com:443", "https://example.com/", True),
        ("10.0.0.1", "http://10.0.0.1/", True),
        ("10.0.0.0/8", "http://10.1.2.3:81/", True),
        ("10.0.0.0/8", "http://11.1.2.3/", False),
        ("::1", "http://[::1]:8000/", True),
        ("[::1]:8000", "http://[::1]:8000/", True),
        ("[::1]:8000", "http://[::1]:9000/", False),
        ("[::1]", "http://[::1]:9000/", True),
        ("fd00::/8", "http://[fd00::5]/", True),
        ("example.com", "http://10.0.0.1/", False),
        ("10.0.0.1", "http://example.com/", False),
        (".", "http://example.com/", False),
        (" a.example , b.example ", "http://b.example/", True),
        ("a.example b.example", "http://b.example/", True),
    ],
)
def test_no_proxy_entries(no_proxy: str, url: str, bypassed: bool) -> None:
    env = rules(HTTP_PROXY=PROXY, HTTPS_PROXY=PROXY, NO_PROXY=no_proxy)
    assert chosen(env, url) == (None if bypassed else PROXY)


def test_no_proxy_lower_case_wins() -> None:
    env = rules(HTTP_PROXY=PROXY, no_proxy="a.example", NO_PROXY="b.example")
    assert chosen(env, "http://a.example/") is None
    assert chosen(env, "http://b.example/") == PROXY


def test_the_environment_default_is_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "all_proxy", "REQUEST_METHOD", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    assert chosen(ProxyRules.configure(None, trust_env=True), "http://a/") == PROXY


_USERINFO = st.text(st.characters(codec="utf-8"), min_size=1)


@given(username=_USERINFO, password=_USERINFO)
def test_credentials_round_trip_and_never_show(username: str, password: str) -> None:
    server = ProxyServer("proxy.example", 3128, username, password)
    assert parse_proxy_url(server.url_with_credentials) == server
    assert repr(server) == "ProxyServer('http://proxy.example:3128', credentials=True)"
    rule_set = ProxyRules.configure(server.url_with_credentials, trust_env=False)
    assert rule_set.for_url("https://a.example/") == server


def test_an_unusable_environment_proxy_names_its_variable_and_the_way_out() -> None:
    with pytest.raises(LocalProtocolError, match="the ALL_PROXY environment variable") as raised:
        rules(ALL_PROXY="socks5://u:s3cr3t@127.0.0.1:1080")
    assert "trust_env=False" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)
    assert not ProxyRules.configure(
        None, trust_env=False, environ={"ALL_PROXY": "socks5://127.0.0.1:1080"}
    )
