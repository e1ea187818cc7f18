"""Which HTTP proxy a request goes through: one rule for every adapter.

Each HTTP library reads the proxy environment variables its own way (which
names, which case wins, what ``NO_PROXY`` entries mean), so the adapters do
not let them: they ask :class:`ProxyRules` for each request's proxy and hand
the library that answer. The rules:

* an explicit ``proxy=`` URL is used for every request (``NO_PROXY`` does not apply);
* otherwise, with ``trust_env=True``, ``http_proxy`` for ``http://`` targets
  and ``https_proxy`` for ``https://`` ones, each falling back to ``all_proxy``;
  the lower-case name wins over the upper-case one, and ``HTTP_PROXY`` is
  ignored when ``REQUEST_METHOD`` is set (a CGI process, where a client's
  ``Proxy:`` header would arrive as ``HTTP_PROXY``);
* ``no_proxy``/``NO_PROXY``: comma-separated hosts that go direct. ``*``
  means every host; ``example.com`` and ``.example.com`` match that domain
  and its subdomains; an IP address or CIDR block matches addresses;
  ``host:port`` matches only that port.

The environment is read once, when the rules are made (the adapter's constructor).
Only ``http://`` proxies are supported (a scheme-less ``host:port`` means ``http://``);
``user:password@`` in the URL becomes a ``Proxy-Authorization: Basic`` header.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from oaproto import LocalProtocolError

__all__ = ["ProxyRules", "ProxyServer", "parse_proxy_url"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class ProxyServer:
    """An HTTP proxy: its address, and credentials that no ``repr`` shows."""

    host: str
    port: int
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"ProxyServer({self.url!r}, credentials={self.username is not None})"

    @property
    def url(self) -> str:
        """``http://host:port``, without credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url_with_credentials(self) -> str:
        """``http://user:password@host:port`` (quoted), for libraries that want it so."""
        if self.username is None:
            return self.url
        userinfo = quote(self.username, safe="") + ":" + quote(self.password or "", safe="")
        return self.url.replace("http://", f"http://{userinfo}@", 1)

    @property
    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` header value, or ``None`` without credentials."""
        if self.username is None:
            return None
        pair = f"{self.username}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def parse_proxy_url(url: str) -> ProxyServer:
    """Parse ``http://[user:password@]host[:port]`` (the scheme may be left out).

    Raises:
        LocalProtocolError: not an ``http://`` proxy URL with a host and a
            valid port. The message never repeats the URL, which may hold a password.
    """
    text = url.strip()
    parts = urlsplit(text if "://" in text else "http://" + text)
    if parts.scheme.lower() != "http":
        raise LocalProtocolError(
            f"only http:// proxies are supported, not {parts.scheme.lower()}://"
        )
    try:
        port = parts.port or 80
    except ValueError:
        raise LocalProtocolError("the proxy URL's port is not a number in 1-65535") from None
    if not parts.hostname:
        raise LocalProtocolError("the proxy URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise LocalProtocolError("the proxy URL must be http://[user:password@]host[:port]")
    username = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    return ProxyServer(parts.hostname, port, username, password)


@dataclass(frozen=True, slots=True)
class ProxyRules:
    """The proxy for each target URL; see the module docstring for the rules.

    Attributes:
        http: the proxy for ``http://`` targets, if any.
        https: the proxy for ``https://`` targets, if any.
        no_proxy: lower-cased ``NO_PROXY`` entries (empty for an explicit proxy).
    """

    http: ProxyServer | None = None
    https: ProxyServer | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def configure(
        cls, proxy: str | None, *, trust_env: bool, environ: Mapping[str, str] | None = None
    ) -> ProxyRules:
        """The rules for an adapter's ``proxy=`` and ``trust_env=`` arguments.

        Args:
            proxy: an explicit proxy URL for every request, or ``None``.
            trust_env: whether the environment variables apply when ``proxy`` is ``None``.
            environ: the environment (default: ``os.environ``).

        Raises:
            LocalProtocolError: a proxy URL (explicit or from the environment) is unusable.
        """
        if proxy is not None:
            server = parse_proxy_url(proxy)
            return cls(http=server, https=server)
        if not trust_env:
            return cls()
        env = os.environ if environ is None else environ
        fallback = _variable(env, "all_proxy")
        # httpoxy: in a CGI process HTTP_PROXY may come from a client's "Proxy:" header.
        cgi = "REQUEST_METHOD" in env
        http = _variable(env, "http_proxy", upper=not cgi) or fallback
        https = _variable(env, "https_proxy") or fallback
        no_proxy = _variable(env, "no_proxy")
        entries = (no_proxy[1] if no_proxy else "").replace(" ", ",").split(",")
        return cls(
            http=_from_environment(http),
            https=_from_environment(https),
            no_proxy=tuple(entry.lower() for entry in entries if entry),
        )

    def __bool__(self) -> bool:
        return self.http is not None or self.https is not None

    def for_url(self, url: str) -> ProxyServer | None:
        """The proxy for a request to ``url``, or ``None`` to connect directly."""
        if not self:
            return None
        parts = urlsplit(url)
        server = self.https if parts.scheme == "https" else self.http
        if server is None or not self.no_proxy:
            return server
        host = (parts.hostname or "").rstrip(".")
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)
        return None if any(_bypasses(entry, host, port) for entry in self.no_proxy) else server


def _variable(env: Mapping[str, str], name: str, *, upper: bool = True) -> tuple[str, str] | None:
    """``(variable name, value)`` of a set variable; curl and urllib: lower case first."""
    names = (name, name.upper()) if upper else (name,)
    return next(((key, env[key]) for key in names if env.get(key)), None)


def _from_environment(variable: tuple[str, str] | None) -> ProxyServer | None:
    if variable is None:
        return None
    try:
        return parse_proxy_url(variable[1])
    except LocalProtocolError as exc:
        raise LocalProtocolError(
            f"the {variable[0]} environment variable: {exc}; "
            "pass proxy=... or trust_env=False to use no proxy from the environment"
        ) from None


def _bypasses(entry: str, host: str, port: int) -> bool:
    if entry == "*":
        return True
    entry_host, entry_port = _split_port(entry)
    if entry_port is not None and entry_port != port:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        domain = entry_host.removeprefix("*").lstrip(".").rstrip(".")
        return bool(domain) and (host == domain or host.endswith("." + domain))
    try:
        return address in ipaddress.ip_network(entry_host, strict=False)
    except ValueError:
        return False  # a host name entry never matches an address


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [v6]:port or [v6]
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, int(port) if port.isdigit() else None
    return entry, None  # a name, an IPv4 address, or a bare IPv6 address
