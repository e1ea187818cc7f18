"""Shared pieces of the gpt4free drop-in tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oaproto.g4f import OpenAssistant
from oaproto.transports.server import ThreadedServer

#: The ``oa_server_factory`` fixture's type.
Factory = Callable[..., ThreadedServer]

#: The only session token the servers of these tests accept.
SESSION = "g4f-sess10n-t0ken-3b9a"
#: The browser's cookie dict, as gpt4free's ``get_cookies`` returns it.
COOKIES = {"__Secure-next-auth.session-token": SESSION, "cf_clearance": "unrelated"}
MESSAGES = [{"role": "user", "content": "Hello"}]


def provider_for(server: ThreadedServer) -> type[OpenAssistant]:
    """``OpenAssistant`` aimed at ``server``: a subclass with another ``url``."""

    class Local(OpenAssistant):
        url = server.url + "/chat"

    return Local


def start(factory: Factory, **options: Any) -> tuple[ThreadedServer, type[OpenAssistant]]:
    """A server wanting :data:`SESSION`, no rate limit (``options`` override), and its provider."""
    defaults = {"tokens": [SESSION], "rate_limit": None, "token_delay": 0.005}
    server = factory(**{**defaults, **options})
    return server, provider_for(server)
