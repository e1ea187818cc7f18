"""gpt4free's ``OpenAssistant`` provider on oaproto, over aiohttp: ``OpenAssistant``.

Import it as ``oaproto.g4f.OpenAssistant``. It sends gpt4free's requests, in
gpt4free's order, with gpt4free's prompt and sampling, and yields the reply's
text as it streams; the differences are the provider's bugs, fixed (see
``docs/gpt4free.md``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from oaproto import (
    ClientConfig,
    LocalProtocolError,
    ReplyCompleted,
    ReplyFailed,
    ReplyOptions,
    SamplingParameters,
    Token,
)
from oaproto.g4f import GPT4FREE_SAMPLING, gpt4free_prompt
from oaproto.models import DEFAULT_MODEL_CONFIG_NAME

from ._async import AsyncChatClient
from ._proxy import parse_proxy_url
from ._util import IDLE_TIMEOUT, REPLY_TIMEOUT
from .aiohttp import AiohttpTransport

__all__ = ["G4F_DEFAULT_MODEL_ALIASES", "G4F_IGNORED_KEYWORDS", "OpenAssistant", "ReplyTokens"]

#: Model names of gpt4free's registry that mean "the provider's default model":
#: ``ChatCompletion.create(model="gpt-3.5-turbo", provider=OpenAssistant)`` passes them on.
G4F_DEFAULT_MODEL_ALIASES = frozenset(
    {
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-0613",
        "gpt-3.5-turbo-16k",
        "gpt-3.5-turbo-16k-0613",
        "gpt-4",
        "gpt-4-0613",
        "gpt-4-32k",
        "gpt-4-32k-0613",
    }
)

#: Keywords gpt4free itself passes to every provider (``stream``) and to those
#: with ``needs_auth`` (``auth``); accepted and ignored, as the server ignored them.
G4F_IGNORED_KEYWORDS = frozenset({"stream", "auth"})

_SAMPLING_NAMES = tuple(GPT4FREE_SAMPLING.to_json())

#: The browser gpt4free's provider presented itself as.
G4F_USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/111.0.0.0 Safari/537.36"
)


def api_origin(url: str) -> str:
    """The API's base URL for a provider ``url``: ``https://host/chat`` -> ``https://host``.

    A final ``/chat`` path segment is removed; any path before it is kept as a prefix.
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/").removesuffix("/chat")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True, slots=True)
class _Reply:
    """Everything one call needs, checked before any request is sent."""

    config: ClientConfig
    prompt: str
    model: str
    sampling: SamplingParameters
    proxy: str | None
    timeouts: tuple[float | None, float | None]  # (idle, reply)


class ReplyTokens:
    """The text of one reply as it streams: an async iterator of ``str``, also awaitable.

    Both gpt4free usages work: ``async for token in create_async_generator(...)``
    and ``gen = await create_async_generator(...)`` followed by ``async for``.
    Leave early with ``aclose()`` (or ``contextlib.aclosing``) to delete the
    chat at once; an abandoned stream is closed, and its chat deleted, when the
    event loop finalizes it.

    Attributes:
        text: the reply's authoritative final text once it completed, else ``None``.
    """

    def __init__(self, reply: _Reply) -> None:
        self.text: str | None = None
        self._tokens = _stream(self, reply)

    def __repr__(self) -> str:
        return f"<ReplyTokens completed={self.text is not None}>"

    def __aiter__(self) -> ReplyTokens:
        return self

    async def __anext__(self) -> str:
        return await anext(self._tokens)

    async def aclose(self) -> None:
        """Stop the reply: close its stream and delete its chat."""
        await self._tokens.aclose()

    def __await__(self) -> Generator[Any, None, ReplyTokens]:
        return self._itself().__await__()

    async def _itself(self) -> ReplyTokens:
        return self


async def _stream(result: ReplyTokens, reply: _Reply) -> AsyncGenerator[str, None]:
    # Trailing whitespace of the streamed text is held back until more text
    # follows: the final text is often the streamed text stripped (LLaMA
    # models), and what was yielded cannot be taken back.
    held = ""
    sent: list[str] = []
    async with (
        AiohttpTransport(proxy=reply.proxy) as transport,
        AsyncChatClient(
            transport,
            reply.config,
            ReplyOptions(model_config_name=reply.model, sampling=reply.sampling),
            idle_timeout=reply.timeouts[0],
            reply_timeout=reply.timeouts[1],
        ) as chat,
        chat.reply(reply.prompt) as events,
    ):
        async for event in events:
            if isinstance(event, Token):
                text = held + event.text
                body = text.rstrip()
                held = text[len(body) :]
                if body:
                    sent.append(body)
                    yield body
            elif isinstance(event, ReplyCompleted):
                result.text = event.text
                streamed = "".join(sent)
                # The final text rules: what it adds is yielded; if it contradicts
                # what streamed, nothing more is (it stays readable as .text).
                if event.text.startswith(streamed) and len(event.text) > len(streamed):
                    yield event.text[len(streamed) :]
            elif isinstance(event, ReplyFailed):
                raise event.to_exception()


class OpenAssistant:
    """gpt4free's ``OpenAssistant`` provider, with its API and requests, without its bugs.

    Change ``from g4f.Provider import OpenAssistant`` to
    ``from oaproto.g4f import OpenAssistant``. A subclass with another
    :attr:`url` talks to another server (``http://127.0.0.1:8000/chat`` ->
    ``http://127.0.0.1:8000/api/chat...``).
    """

    url: ClassVar[str] = "https://open-assistant.io/chat"
    needs_auth: ClassVar[bool] = True
    working: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    model: ClassVar[str] = DEFAULT_MODEL_CONFIG_NAME
    #: The ``User-Agent`` of every request: gpt4free's.
    user_agent: ClassVar[str] = G4F_USER_AGENT
    #: Longest wait for reply progress, in seconds (queue updates do not count;
    #: gpt4free waited up to 300 s on a reply that never came); ``None``: forever.
    idle_timeout: ClassVar[float | None] = IDLE_TIMEOUT
    #: Longest time from opening the reply's stream to its end, in seconds; ``None``: forever.
    reply_timeout: ClassVar[float | None] = REPLY_TIMEOUT

    @classmethod
    def create_async_generator(
        cls,
        model: str | None,
        messages: Sequence[Mapping[str, str]],
        proxy: str | None = None,
        cookies: Mapping[str, str] | str | None = None,
        **kwargs: Any,
    ) -> ReplyTokens:
        """Stream the assistant's answer to ``messages``, token by token.

        Everything is checked here, before any request: a mistake raises at
        once and creates no chat. The chat is deleted however the reply ends.

        Args:
            model: a model config name; ``None``, ``""`` and gpt4free's model
                names (:data:`G4F_DEFAULT_MODEL_ALIASES`) mean :attr:`model`.
            messages: ``[{"role": ..., "content": ...}, ...]``, flattened into
                one prompt as gpt4free does; never modified.
            proxy: an ``http://`` proxy URL; ``None`` (or ``""``) uses the proxy
                environment variables.
            cookies: the browser's cookies for the site (a dict, or a ``Cookie:``
                header value) holding the next-auth session cookie, whole or in
                ``.0``, ``.1``... chunks; only that cookie is sent. ``None``: no credential.
            kwargs: sampling parameters overriding gpt4free's (``temperature``,
                ``max_new_tokens``...); ``stream`` and ``auth`` are ignored.

        Returns:
            The reply's text as it arrives (see :class:`ReplyTokens`).

        Raises:
            LocalProtocolError: an unknown keyword, a bad sampling value,
                unusable messages, cookies or proxy.

        Iterating raises ``AuthenticationError`` (no or an expired session),
        ``ValidationError`` (e.g. an unknown model), other ``APIError``\\ s,
        ``ReplyError`` (the server's ``error`` event), ``IncompleteReplyError``,
        ``TransportError`` and ``TransportTimeoutError`` (see :attr:`idle_timeout`).
        """
        unknown = sorted(set(kwargs) - set(_SAMPLING_NAMES) - G4F_IGNORED_KEYWORDS)
        if unknown:
            raise LocalProtocolError(
                f"{cls.__name__}.create_async_generator() got unknown keyword argument(s) "
                f"{', '.join(unknown)}; it takes the sampling parameters "
                f"{', '.join(_SAMPLING_NAMES)} (and ignores stream and auth, which gpt4free passes)"
            )
        overrides = {name: value for name, value in kwargs.items() if name in _SAMPLING_NAMES}
        proxy = proxy or None  # "" names no proxy, as in gpt4free: the environment decides
        if proxy is not None:
            parse_proxy_url(proxy)  # a mistake shows now, not at the first request
        reply = _Reply(
            config=ClientConfig.from_cookies(
                cookies, base_url=api_origin(cls.url), user_agent=cls.user_agent
            ),
            prompt=gpt4free_prompt(messages),
            model=cls._model_name(model),
            sampling=GPT4FREE_SAMPLING.with_changes(**overrides),
            proxy=proxy,
            timeouts=(cls.idle_timeout, cls.reply_timeout),
        )
        return ReplyTokens(reply)

    @classmethod
    def _model_name(cls, model: object) -> str:
        if model is None:
            return cls.model
        if not isinstance(model, str):
            raise LocalProtocolError(f"model must be a string or None, not {type(model).__name__}")
        return cls.model if model == "" or model in G4F_DEFAULT_MODEL_ALIASES else model
