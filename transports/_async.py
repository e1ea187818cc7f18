"""The chat driver ``AsyncChatClient``, over any :class:`AsyncTransport`.

All protocol decisions are the core's (:class:`~oaproto.ChatSession`); this
file only moves requests, responses and body chunks between it and the
transport. ``_sync.py`` and ``_async.py`` mirror each other line for line: a
test turns this file's twin into this file by unasync-style substitutions.
"""

from __future__ import annotations

import math
import time
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TypeVar

from oaproto import (
    NEED_DATA,
    ChatSession,
    ChatState,
    ClientConfig,
    HttpRequest,
    IncompleteReplyError,
    LifecycleEvent,
    LocalProtocolError,
    OAProtoError,
    Pending,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    ReplyOptions,
    ReplyUnfinished,
    StreamEvent,
    Token,
    TransportError,
    TransportTimeoutError,
)
from oaproto.api import Call, ChatAPI

from ._bounded_async import BodyReader, DeferredCancellation, close_bounded, send_bounded
from ._protocols import AsyncTransport
from ._util import CLEANUP_TIMEOUT, IDLE_TIMEOUT, REPLY_TIMEOUT, cleanup_failure_noted_on

__all__ = ["AsyncChatClient", "AsyncReplyStream"]

T = TypeVar("T")


class AsyncChatClient:
    """One chat, deleted when the ``with`` block ends.

    Usage::

        async with AsyncChatClient(transport, config) as chat:
            print(await chat.ask("Hello"))
            async with chat.reply("And then?") as events:
                async for event in events:
                    ...

    The chat is created by the first reply and deleted on leaving the block,
    whatever ends it: an exception, ``break``, ``KeyboardInterrupt`` or
    cancellation. A cleanup failure never replaces the original exception;
    it is attached to it as a note.

    Args:
        transport: moves the bytes; the client does not close it.
        config: where and how to reach the API.
        idle_timeout: see :data:`IDLE_TIMEOUT`; ``None`` waits forever.
        reply_timeout: see :data:`REPLY_TIMEOUT`; ``None`` waits forever.
        cleanup_timeout: see :data:`CLEANUP_TIMEOUT`.
        options: how replies are generated (default: ``ReplyOptions()``).
    """

    def __init__(
        self,
        transport: AsyncTransport,
        config: ClientConfig,
        options: ReplyOptions | None = None,
        *,
        idle_timeout: float | None = IDLE_TIMEOUT,
        reply_timeout: float | None = REPLY_TIMEOUT,
        cleanup_timeout: float = CLEANUP_TIMEOUT,
    ) -> None:
        self.session = ChatSession(config, options)
        self.api = ChatAPI(config)
        self._transport = transport
        self._timeouts = (_seconds(idle_timeout), _seconds(reply_timeout))  # (idle, reply)
        self._cleanup_timeout = cleanup_timeout
        self._stream: AsyncExitStack | None = None  # the open reply stream's response

    def __repr__(self) -> str:
        return f"<AsyncChatClient {self.session!r}>"

    async def __aenter__(self) -> AsyncChatClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with cleanup_failure_noted_on(exc):
            await self.close()

    async def close(self) -> None:
        """Close an open reply stream, then delete the chat if this client created it.

        A failed delete is tried once more if the core's policy allows it
        (:meth:`~oaproto.ChatSession.retry_delete`); the tries share
        ``cleanup_timeout``. If the chat may remain, the error raised says so,
        with its id. Safe to call again after a failure: ``session.needs_cleanup``
        stays ``True`` until the server confirmed the deletion (2xx or 404).
        """
        stream, self._stream = self._stream, None
        # The core's transition comes first and cannot be interrupted (httpcore#927).
        request = self.session.delete_chat() if self.session.needs_cleanup else None
        if request is None and self.session.is_streaming:
            self.session.abandon_stream()
        with DeferredCancellation() as deferred:
            try:
                if stream is not None:
                    await close_bounded(stream, self._cleanup_timeout, deferred)
            finally:
                if request is not None:
                    await self._delete(request, deferred)

    async def _delete(self, request: HttpRequest, deferred: DeferredCancellation) -> None:
        # Whether to try again is the core's decision; each try gets an equal share.
        timeout = self._cleanup_timeout / ChatSession.DELETE_TRIES
        while True:
            try:
                response = await send_bounded(self._transport, request, timeout, deferred)
                self.session.receive_response(response)
            except OAProtoError as error:
                retry = self.session.retry_delete(error)
                if retry is None:
                    raise
                request = retry
            else:
                return

    async def call(self, call: Call[T]) -> T:
        """Run any API call, e.g. ``chat.call(chat.api.list_chats())``.

        Raises:
            APIError: an error status (typed: ``NotFoundError``, ``BusyError``...).
            TransportError: the request could not be sent or answered.
        """
        return call.parse(await self._transport.send(call.request))

    def reply(self, content: str, options: ReplyOptions | None = None) -> AsyncReplyStream:
        """Post ``content`` (creating the chat first) and stream the assistant's reply.

        A later ``reply()`` continues the chat after a completed reply.

        Args:
            content: the user's message.
            options: the reply options of this reply only (default: the client's).

        Returns:
            A context manager to iterate; see :class:`AsyncReplyStream`.
        """
        return AsyncReplyStream(self, content, options)

    def retry(self, options: ReplyOptions | None = None) -> AsyncReplyStream:
        """Stream a new reply to the last message (after ``ReplyFailed``, or to regenerate)."""
        return AsyncReplyStream(self, None, options)

    async def ask(self, content: str, options: ReplyOptions | None = None) -> str:
        """Post ``content`` and return the reply's authoritative final text.

        Raises:
            ReplyError: the server ended generation with an error event.
            IncompleteReplyError: the stream ended (or broke) before the reply did.
            APIError: an error status (typed: ``BusyError``, ``AuthenticationError``...).
            TransportTimeoutError: a timeout expired; TransportError: the connection failed.
        """
        async with self.reply(content, options) as events:
            return await events.text()

    async def _send(self, request: HttpRequest) -> LifecycleEvent:
        return self.session.receive_response(await self._transport.send(request))


class AsyncReplyStream:
    """One reply's stream events, as a context manager: leaving it closes the stream.

    Iterating yields ``Pending``, ``Token``, ``PluginIntermediate`` and
    ``UnknownStreamEvent`` as they arrive, and finally exactly one
    ``ReplyCompleted`` or ``ReplyFailed`` (also kept as :attr:`outcome`).
    An empty stream of an already finished reply is resolved by fetching it.
    Leaving early abandons the stream; the chat stays until the client's
    block ends. Iteration raises the errors listed for :meth:`AsyncChatClient.ask`.
    """

    def __init__(
        self, client: AsyncChatClient, content: str | None, options: ReplyOptions | None
    ) -> None:
        self._client = client
        self._content = content
        self._options = options
        self._body: BodyReader | None = None  # the open body
        self._broken: TransportError | None = None  # why the body ended early
        self._stack: AsyncExitStack | None = None  # this stream's response, while open
        self._idle_deadline = self._reply_deadline = math.inf
        self._progressed = False  # an event of progress since the last read
        #: The final event, once seen.
        self.outcome: ReplyCompleted | ReplyFailed | None = None

    async def __aenter__(self) -> AsyncReplyStream:
        client, session = self._client, self._client.session
        if client._stream is not None:
            raise LocalProtocolError("another reply stream of this chat is still open")
        if self._content is not None:
            if session.state is ChatState.IDLE:
                await client._send(session.create_chat())
            await client._send(session.post_prompter_message(self._content))
        await client._send(session.request_assistant_message(self._options))
        request = session.open_event_stream()
        # Registered before opening: a failure below still closes it.
        client._stream = self._stack = stream = AsyncExitStack()
        try:
            response = await stream.enter_async_context(client._transport.open_stream(request))
            session.receive_stream_start(response.status, response.headers)
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        self._body = body = BodyReader(response)
        stream.push_async_callback(body.close)
        idle, total = client._timeouts
        now = time.monotonic()
        self._idle_deadline, self._reply_deadline = now + idle, now + total
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with cleanup_failure_noted_on(exc):
            await self._close()

    async def _close(self) -> None:
        client = self._client
        stream, self._stack = self._stack, None
        if stream is None or client._stream is not stream:
            return  # never opened, or already closed (by the client's cleanup)
        client._stream = None
        if client.session.is_streaming:
            client.session.abandon_stream()  # the core first, then the connection
        with DeferredCancellation() as deferred:
            await close_bounded(stream, client._cleanup_timeout, deferred)

    def __aiter__(self) -> AsyncReplyStream:
        return self

    async def __anext__(self) -> StreamEvent:
        # Runs once per chunk and event: reading and feeding are inline, not
        # helper coroutines (each layer costs as much as decoding an event).
        session = self._client.session
        while self.outcome is None:
            body = self._body
            if body is None:
                raise LocalProtocolError("use the stream in a with block: with chat.reply(...)")
            try:
                event = session.next_event()
            except IncompleteReplyError as exc:
                if self._broken is None:
                    raise
                raise exc from self._broken
            if event is NEED_DATA:
                # The idle wait restarts at the first read after progress (the
                # consumer's own time is no stall of the server's): one clock
                # read per chunk, none per event.
                now = time.monotonic()
                if self._progressed:
                    self._progressed = False
                    self._idle_deadline = now + self._client._timeouts[0]
                deadline = min(self._idle_deadline, self._reply_deadline)
                if deadline <= now:
                    raise self._expired()
                try:
                    chunk = await body.next_chunk(deadline)
                except TimeoutError:
                    raise self._expired() from None
                except TransportTimeoutError:
                    raise
                except TransportError as exc:
                    # A body that breaks off ends the stream: the core decides
                    # whether the reply was complete (an IncompleteReplyError if not).
                    self._broken, chunk = exc, None
                if chunk is None:
                    session.receive_eof()
                else:
                    session.receive_data(chunk)
                continue
            if type(event) is Token:  # the common case first: progress
                self._progressed = True
                return event
            if isinstance(event, ReplyAlreadyFinished):
                event = await self._fetch()
            if isinstance(event, ReplyCompleted | ReplyFailed):
                self.outcome = event
                await self._close()  # release the connection now, not at the end of the block
            elif not isinstance(event, Pending):
                self._progressed = True
            return event
        raise StopAsyncIteration

    async def text(self) -> str:
        """Read the rest of the stream and return the reply's authoritative final text.

        Raises:
            ReplyError: the reply failed; plus the errors of iteration.
        """
        async for _ in self:
            pass
        if isinstance(self.outcome, ReplyFailed):
            raise self.outcome.to_exception()
        assert self.outcome is not None  # iteration ends only after the final event
        return self.outcome.text

    async def _fetch(self) -> ReplyCompleted | ReplyFailed:
        await self._close()
        session = self._client.session
        event = await self._client._send(session.fetch_message())
        if isinstance(event, ReplyCompleted | ReplyFailed):
            return event
        state = event.message.state if isinstance(event, ReplyUnfinished) else None
        raise IncompleteReplyError(
            f"the stream ended but the message is {state}",
            partial_text=session.token_text,
            message_id=session.assistant_message_id,
        )

    def _expired(self) -> TransportTimeoutError:
        idle, total = self._client._timeouts
        if self._reply_deadline <= self._idle_deadline:
            reason = f"the reply took longer than reply_timeout={total} s"
        else:
            reason = f"no reply progress for idle_timeout={idle} s"
        streamed = len(self._client.session.token_text)
        return TransportTimeoutError(f"{reason} ({streamed} characters streamed)")


def _seconds(timeout: float | None) -> float:
    return math.inf if timeout is None else timeout
