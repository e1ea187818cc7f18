"""The chat session: the whole chat lifecycle as a sans-IO state machine.

A :class:`ChatSession` builds each request of the lifecycle (through
:class:`~oaproto.api.ChatAPI`, so no request is built twice) and consumes each
response and the reply's event stream. Legality and next states come only
from ``_state.TRANSITIONS``; this module looks them up, validates everything a
call needs, and only then changes anything, so an illegal call leaves the
session exactly as it was. The driver moves the bytes (see ``docs/embedding.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeAlias

from ._api import ChatAPI
from ._config import ClientConfig, Dialect
from ._errors import APIError, LocalProtocolError, OAProtoError, RemoteProtocolError, TransportError
from ._events import (
    NEED_DATA,
    AssistantMessageQueued,
    ChatCreated,
    ChatDeleted,
    LifecycleEvent,
    NeedData,
    PrompterMessagePosted,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    ReplyUnfinished,
    StreamEvent,
)
from ._http import Headers, HttpRequest, HttpResponse
from ._models import MessageState, PluginEntry
from ._reply_stream import (
    MAX_ERROR_BODY_SIZE,
    ReplyStreamReader,
    expect_assistant,
    reply_completed,
)
from ._sampling import DEFAULT_MODEL_CONFIG_NAME, PRESETS, SamplingParameters
from ._sse import SSEDecoder
from ._state import (
    BEFORE_COMMAND,
    REQUIRES,
    TRANSITIONS,
    ChatState,
    Known,
    SessionInput,
    states_allowing,
)

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_LINE_SIZE",
    "MAX_ERROR_BODY_SIZE",
    "ChatSession",
    "ReplyOptions",
]

I = SessionInput  # noqa: E741 - short alias, as in _state.py

#: Default limit on one SSE line of the reply stream, in bytes. A ``message``
#: event is one line holding the whole reply plus its work parameters.
DEFAULT_MAX_LINE_SIZE = 4 * 1024 * 1024
#: Default limit on one SSE event's data, in characters.
DEFAULT_MAX_EVENT_SIZE = 4 * 1024 * 1024

# Error statuses that may not repeat a moment later: a timeout, a rate limit, every 5xx.
_TRANSIENT_STATUSES = frozenset({408, 429, *range(500, 600)})
# Where the per-chunk calls are legal, read once from the table: they are
# checked on every chunk, so they skip the general lookup of ``_check``.
_DATA_STATES = states_allowing(I.RECEIVE_DATA)
_NEXT_EVENT_STATES = states_allowing(I.NEXT_EVENT)
# A reply stream is open wherever it can be abandoned.
_STREAM_OPEN_STATES = states_allowing(I.ABANDON_STREAM)

# A fetched assistant message in one of these states has not finished (§4.3).
_UNFINISHED_STATES = frozenset({MessageState.PENDING, MessageState.IN_PROGRESS})


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyOptions:
    """How the assistant reply is generated; sent with every assistant-message request.

    Build a changed copy with :func:`dataclasses.replace`, which type checkers
    check like the constructor.

    Attributes:
        model_config_name: the server's model config, e.g. ``"OA_SFT_Llama_30B_6"``.
        sampling: the sampling parameters (default: the ``k50`` preset).
        plugins: plugins the model may use.
        system_prompt, user_profile, user_response_instructions: custom
            instructions; ``None`` leaves them out of the request.

    Raises:
        LocalProtocolError: a value has the wrong type.
    """

    model_config_name: str = DEFAULT_MODEL_CONFIG_NAME
    sampling: SamplingParameters = PRESETS["k50"]
    plugins: tuple[PluginEntry, ...] = ()
    system_prompt: str | None = None
    user_profile: str | None = None
    user_response_instructions: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model_config_name, str) or not self.model_config_name:
            raise LocalProtocolError("model_config_name must be a non-empty string")
        if not isinstance(self.sampling, SamplingParameters):
            raise LocalProtocolError("sampling must be a SamplingParameters")
        plugins: object = self.plugins
        if isinstance(plugins, str | bytes) or not isinstance(plugins, Sequence):
            raise LocalProtocolError("plugins must be a sequence of PluginEntry")
        if not all(isinstance(plugin, PluginEntry) for plugin in plugins):
            raise LocalProtocolError("plugins must hold PluginEntry values")
        object.__setattr__(self, "plugins", tuple(plugins))
        for name in ("system_prompt", "user_profile", "user_response_instructions"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise LocalProtocolError(f"{name} must be a string or None")


# What a response handler concludes: the outcome input and the event to return.
_Outcome: TypeAlias = tuple[SessionInput, LifecycleEvent]
_Handler: TypeAlias = Callable[[HttpResponse], _Outcome]


@dataclass(frozen=True, slots=True)
class _Before:
    """The session as a command found it; restored when the server rejects the request."""

    state: ChatState
    prompter_message_id: str | None
    assistant_message_id: str | None
    reply_text: str | None
    token_text: str


_STREAM_OUTCOMES: dict[type, SessionInput] = {
    ReplyCompleted: I.REPLY_COMPLETED,
    ReplyFailed: I.REPLY_FAILED,
    ReplyAlreadyFinished: I.REPLY_ALREADY_FINISHED,
}


_DEFAULT_OPTIONS = ReplyOptions()


def _reply_options(options: object, default: ReplyOptions) -> ReplyOptions:
    # Checked at run time too: an untyped caller's dict or keyword mix-up must
    # fail here, before any request is built.
    if options is None:
        return default
    if not isinstance(options, ReplyOptions):
        raise LocalProtocolError(f"options must be a ReplyOptions, not {type(options).__name__}")
    return options


class ChatSession:
    """One chat, from creation to deletion, as a sans-IO state machine.

    Outbound, each command returns the :class:`~oaproto.HttpRequest` to send.
    Inbound, ``receive_response()`` takes the complete response of the
    request in flight; the event stream is fed with ``receive_stream_start()``,
    ``receive_data()`` and ``receive_eof()`` and read with ``next_event()``.

    Args:
        config: where and how to reach the API.
        options: how replies are generated (default: ``ReplyOptions()``).
        max_line_size: the longest SSE line accepted, in bytes.
        max_event_size: the largest SSE event data accepted, in characters.

    Raises:
        LocalProtocolError: ``options`` is not a :class:`ReplyOptions`, or a limit is invalid.
    """

    #: How many times cleanup sends the delete before it gives up: the first
    #: try and one retry (see :meth:`retry_delete`).
    DELETE_TRIES: ClassVar[int] = 2

    def __init__(
        self,
        config: ClientConfig,
        options: ReplyOptions | None = None,
        *,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        self._options = _reply_options(options, _DEFAULT_OPTIONS)
        # Checked now, so a bad limit fails here rather than mid-chat.
        SSEDecoder(max_line_size=max_line_size, max_event_size=max_event_size)
        self._limits = (max_line_size, max_event_size)
        self._api = ChatAPI(config)
        self._state = ChatState.IDLE
        self._chat_id: str | None = None
        self._parent_id: str | None = None
        self._prompter_message_id: str | None = None
        self._assistant_message_id: str | None = None
        self._reply_text: str | None = None
        self._token_text = ""
        self._needs_cleanup = False
        self._handler: _Handler | None = None
        self._stream: ReplyStreamReader | None = None
        self._before: _Before | None = None  # set by each command that sends a request
        self._delete_tries_left: int | None = None  # set while the last command is a delete

    @classmethod
    def resume(
        cls,
        config: ClientConfig,
        *,
        chat_id: str,
        parent_id: str | None = None,
        prompter_message_id: str | None = None,
        options: ReplyOptions | None = None,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> ChatSession:
        """A session for an existing chat.

        * ``parent_id`` only (or nothing, for an empty chat): ``READY``; the
          next prompter message answers ``parent_id``, which must be a
          complete assistant message.
        * ``prompter_message_id`` only: ``PROMPTED``; request (or retry) the
          assistant reply to that prompter message.
        * both: ``REPLIED``; ``parent_id`` is a complete reply to
          ``prompter_message_id``, so posting and regenerating are legal.

        The server is not consulted: use
        :meth:`~oaproto.models.Chat.last_complete_assistant_message` on a fetched
        chat to find the ids. ``needs_cleanup`` starts ``False``:
        the chat was not created by this session.

        Args:
            config: as for the constructor.
            chat_id: the chat to continue.
            parent_id: the last complete assistant message of the thread.
            prompter_message_id: the last prompter message of the thread.
            options, max_line_size, max_event_size: as for the constructor.

        Raises:
            LocalProtocolError: an id is empty or not a string, or an option is invalid.
        """
        ids = {
            "chat_id": chat_id,
            "parent_id": parent_id,
            "prompter_message_id": prompter_message_id,
        }
        for name, value in ids.items():
            if value is None and name != "chat_id":
                continue
            if not isinstance(value, str) or not value:
                raise LocalProtocolError(f"{name} must be a non-empty string")
        session = cls(config, options, max_line_size=max_line_size, max_event_size=max_event_size)
        session._chat_id = chat_id
        session._parent_id = parent_id
        session._prompter_message_id = prompter_message_id
        if prompter_message_id is None:
            session._state = ChatState.READY
        elif parent_id is None:
            session._state = ChatState.PROMPTED
        else:
            session._state = ChatState.REPLIED
        return session

    # --- public state ---

    @property
    def state(self) -> ChatState:
        """Where the session is in the lifecycle."""
        return self._state

    @property
    def chat_id(self) -> str | None:
        """The chat's id, once created (or resumed)."""
        return self._chat_id

    @property
    def parent_id(self) -> str | None:
        """The last complete assistant message: the next prompter message's parent.

        ``None`` in a new chat (the first prompter message has no parent).
        """
        return self._parent_id

    @property
    def prompter_message_id(self) -> str | None:
        """The current turn's prompter message, once posted."""
        return self._prompter_message_id

    @property
    def assistant_message_id(self) -> str | None:
        """The current turn's assistant message, once requested."""
        return self._assistant_message_id

    @property
    def token_text(self) -> str:
        """The tokens of the current (or last) event stream, joined."""
        if self._stream is not None:
            return self._stream.token_text
        return self._token_text

    @property
    def reply_text(self) -> str | None:
        """The authoritative text of the completed reply (``message.content``), else ``None``."""
        return self._reply_text

    @property
    def is_streaming(self) -> bool:
        """``True`` while a reply stream is open: from :meth:`open_event_stream` to its end.

        Then the driver must close the stream's connection, after
        :meth:`abandon_stream` if it stops reading early.
        """
        return self._state in _STREAM_OPEN_STATES

    @property
    def needs_cleanup(self) -> bool:
        """``True`` from chat creation until a delete succeeded (2xx or 404)."""
        return self._needs_cleanup

    @property
    def options(self) -> ReplyOptions:
        """The default reply options."""
        return self._options

    @property
    def dialect(self) -> Dialect:
        """Which API the session speaks."""
        return self._api.dialect

    def __repr__(self) -> str:
        # Ids only: never the config, whose token is a credential.
        return (
            f"<ChatSession state={self._state.name} chat_id={self._chat_id!r} "
            f"prompter_message_id={self._prompter_message_id!r} "
            f"assistant_message_id={self._assistant_message_id!r}>"
        )

    # --- the table lookups: the only legality checks ---

    def _check(self, event: SessionInput) -> ChatState:
        target = TRANSITIONS.get((self._state, event))
        if target is None:
            raise LocalProtocolError(f"{event.value} is not legal in state {self._state.name}")
        for known in REQUIRES.get(event, ()):
            if self._known(known) is None:
                raise LocalProtocolError(
                    f"{event.value} needs {known.value}, which is unknown in state "
                    f"{self._state.name}"
                )
        assert target is not BEFORE_COMMAND  # only an outcome undoes a command
        return target

    def _known(self, known: Known) -> str | None:
        return {
            Known.CHAT_ID: self._chat_id,
            Known.PROMPTER_MESSAGE_ID: self._prompter_message_id,
            Known.ASSISTANT_MESSAGE_ID: self._assistant_message_id,
        }[known]

    def _apply(self, outcome: SessionInput) -> None:
        # Outcomes are produced only where the table lists them; a KeyError
        # here would be a bug in this module, not a caller's mistake.
        target = TRANSITIONS[(self._state, outcome)]
        if target is BEFORE_COMMAND:
            before = self._before
            assert before is not None  # every request in flight was sent by _begin()
            self._state = before.state
            self._prompter_message_id = before.prompter_message_id
            self._assistant_message_id = before.assistant_message_id
            self._reply_text = before.reply_text
            self._token_text = before.token_text
        else:
            self._state = target

    def _begin(self, target: ChatState, handler: _Handler | None = None) -> None:
        # A command that sends a request: remember what a rejection restores.
        self._before = _Before(
            self._state,
            self._prompter_message_id,
            self._assistant_message_id,
            self._reply_text,
            self.token_text,
        )
        self._handler = handler
        self._state = target
        self._delete_tries_left = None

    def _fail(self, error: OAProtoError) -> None:
        self._handler = None
        self._drop_stream()
        # An error status means the server refused the request; anything else
        # it sent is unusable.
        self._apply(I.REQUEST_REJECTED if isinstance(error, APIError) else I.REMOTE_ERROR)

    def _drop_stream(self) -> None:
        # The stream's tokens stay readable as ``token_text`` after it is gone.
        if self._stream is not None:
            self._token_text = self._stream.token_text
            self._stream = None

    def _id(self, known: Known) -> str:
        value = self._known(known)
        assert value is not None  # guaranteed by _check() and REQUIRES
        return value

    # --- commands ---

    def create_chat(self) -> HttpRequest:
        """Start creating the chat.

        Returns:
            The request to send; feed its response to :meth:`receive_response`.

        Raises:
            LocalProtocolError: not in ``IDLE``.
        """
        target = self._check(I.CREATE_CHAT)
        call = self._api.create_chat()

        def handle(response: HttpResponse) -> _Outcome:
            chat = call.parse(response)
            self._chat_id = chat.id
            self._needs_cleanup = True
            return I.CHAT_CREATED, ChatCreated(chat=chat)

        self._begin(target, handle)
        return call.request

    def post_prompter_message(self, content: str) -> HttpRequest:
        """Post the user's next message, answering :attr:`parent_id`.

        Args:
            content: the message text.

        Returns:
            The request to send; feed its response to :meth:`receive_response`.

        Raises:
            LocalProtocolError: not in ``READY`` or ``REPLIED``, or ``content``
                is not a string.
        """
        target = self._check(I.POST_PROMPTER_MESSAGE)
        call = self._api.post_prompter_message(
            self._id(Known.CHAT_ID), content, parent_id=self._parent_id
        )

        def handle(response: HttpResponse) -> _Outcome:
            message = call.parse(response)
            if not message.is_prompter:
                raise RemoteProtocolError(
                    f"prompter_message: got a message with role {message.role!r}"
                )
            self._prompter_message_id = message.id
            return I.PROMPTER_MESSAGE_POSTED, PrompterMessagePosted(message=message)

        self._begin(target, handle)
        # A new turn: the previous turn's ids no longer describe it.
        self._prompter_message_id = None
        self._assistant_message_id = None
        self._reply_text = None
        self._token_text = ""
        return call.request

    def request_assistant_message(self, options: ReplyOptions | None = None) -> HttpRequest:
        """Request an assistant reply to the current prompter message.

        Legal after posting, after a failed reply (the retry), after a
        complete reply (regenerate), and while an earlier request's outcome
        is unknown (another draft).

        Args:
            options: the options of this request only (default: the session's);
                e.g. ``dataclasses.replace(session.options, sampling=...)``.

        Returns:
            The request to send; feed its response to :meth:`receive_response`.

        Raises:
            LocalProtocolError: not legal in this state, or an unknown or
                invalid option.
        """
        target = self._check(I.REQUEST_ASSISTANT_MESSAGE)
        options = _reply_options(options, self._options)
        call = self._api.request_assistant_message(
            self._id(Known.CHAT_ID),
            self._id(Known.PROMPTER_MESSAGE_ID),
            model_config_name=options.model_config_name,
            sampling=options.sampling,
            plugins=options.plugins,
            system_prompt=options.system_prompt,
            user_profile=options.user_profile,
            user_response_instructions=options.user_response_instructions,
        )

        def handle(response: HttpResponse) -> _Outcome:
            # gpt4free read a 2xx without "id" into an unbound variable
            # (§7.6 item 2); Message.from_json rejects it instead.
            message = call.parse(response)
            expect_assistant(message, None, "assistant_message")
            self._assistant_message_id = message.id
            return I.ASSISTANT_MESSAGE_QUEUED, AssistantMessageQueued(message=message)

        self._begin(target, handle)
        self._assistant_message_id = None
        self._reply_text = None
        self._token_text = ""
        return call.request

    def open_event_stream(self) -> HttpRequest:
        """Open the assistant message's event stream.

        Send the request as a stream; give its status and headers to
        :meth:`receive_stream_start`, its body to :meth:`receive_data` and its
        end to :meth:`receive_eof`, and read :meth:`next_event`.

        Returns:
            The streaming request to send.

        Raises:
            LocalProtocolError: not in ``QUEUED``.
        """
        target = self._check(I.OPEN_EVENT_STREAM)
        message_id = self._id(Known.ASSISTANT_MESSAGE_ID)
        request = self._api.stream_events(self._id(Known.CHAT_ID), message_id)
        max_line_size, max_event_size = self._limits
        self._begin(target)
        self._stream = ReplyStreamReader(
            request=request,
            dialect=self._api.dialect,
            message_id=message_id,
            max_line_size=max_line_size,
            max_event_size=max_event_size,
        )
        self._token_text = ""
        return request

    def fetch_message(self) -> HttpRequest:
        """Fetch the assistant message itself: its stored state and content are authoritative.

        Use it after :class:`~oaproto.ReplyAlreadyFinished`, after
        :meth:`abandon_stream`, or from ``ERROR`` after a broken stream.
        :meth:`receive_response` then returns ``ReplyCompleted``,
        ``ReplyFailed`` or ``ReplyUnfinished``.

        Returns:
            The request to send.

        Raises:
            LocalProtocolError: not legal in this state, or no assistant message is known.
        """
        target = self._check(I.FETCH_MESSAGE)
        message_id = self._id(Known.ASSISTANT_MESSAGE_ID)
        call = self._api.get_message(self._id(Known.CHAT_ID), message_id)

        def handle(response: HttpResponse) -> _Outcome:
            message = call.parse(response)
            expect_assistant(message, message_id, "fetched message")
            if message.is_complete:
                return I.REPLY_COMPLETED, self._complete(
                    reply_completed(message, self._token_text, "fetched message")
                )
            if message.is_failed:
                failed = ReplyFailed(
                    error=str(message.state), message=message, partial_text=self._token_text
                )
                return I.REPLY_FAILED, failed
            if message.state in _UNFINISHED_STATES:
                return I.REPLY_UNFINISHED, ReplyUnfinished(message=message)
            raise RemoteProtocolError(f"fetched assistant message in state {message.state!r}")

        self._begin(target, handle)
        return call.request

    def delete_chat(self) -> HttpRequest:
        """Delete the chat (cleanup). Legal whenever the chat id is known.

        Mid-stream, the stream is dropped: close its connection. While a
        delete is in flight, calling this again re-sends it (e.g. after a
        transport error). A 404 counts as deleted.

        Returns:
            The request to send; feed its response to :meth:`receive_response`.

        Raises:
            LocalProtocolError: no chat id is known, or the chat is already deleted.
        """
        target = self._check(I.DELETE_CHAT)
        chat_id = self._id(Known.CHAT_ID)
        call = self._api.delete_chat(chat_id)

        def handle(response: HttpResponse) -> _Outcome:
            deleted_now = call.parse(response)
            self._needs_cleanup = False
            return I.CHAT_DELETED, ChatDeleted(chat_id=chat_id, already_gone=not deleted_now)

        self._begin(target, handle)
        self._drop_stream()
        self._delete_tries_left = self.DELETE_TRIES - 1
        return call.request

    def retry_delete(self, error: OAProtoError) -> HttpRequest | None:
        """After the delete failed with ``error``: the delete to send again, or ``None``.

        The retry policy of cleanup: one retry per :meth:`delete_chat`, and
        only after a failure that may pass (a transport error or timeout, or
        a 408, 429 or 5xx status); a refusal such as 401 or 403 would only
        repeat. On giving up, ``error`` gets a note that the chat may remain
        on the server, with its id; ``needs_cleanup`` stays ``True``, so
        :meth:`delete_chat` can still be tried later.

        Args:
            error: what the delete raised: the transport's error, or the
                ``APIError`` or ``RemoteProtocolError`` of :meth:`receive_response`.

        Returns:
            The request to send (feed its response to :meth:`receive_response`),
            or ``None``: give up and raise ``error``.

        Raises:
            LocalProtocolError: the last command was not a delete, or it succeeded.
        """
        tries_left = self._delete_tries_left
        if tries_left is None:
            raise LocalProtocolError("retry_delete() is legal only after delete_chat()")
        self._check(I.DELETE_CHAT)
        if tries_left and _may_pass(error):
            request = self.delete_chat()
            self._delete_tries_left = tries_left - 1
            return request
        tries = self.DELETE_TRIES - tries_left
        error.add_note(
            f"the chat {self._chat_id} may remain on the server: deleting it failed "
            f"({tries} {'try' if tries == 1 else 'tries'}); it can be deleted later"
        )
        return None

    def abandon_stream(self) -> None:
        """Stop reading the event stream early (the consumer lost interest).

        Close the stream's connection. The server keeps generating and saves
        the result, so afterwards :meth:`fetch_message`,
        :meth:`open_event_stream`, :meth:`request_assistant_message` and
        :meth:`delete_chat` are legal (state ``QUEUED``).

        Raises:
            LocalProtocolError: no stream is open.
        """
        target = self._check(I.ABANDON_STREAM)
        assert self._stream is not None  # every state with an open stream has one
        self._drop_stream()
        self._state = target

    # --- inbound: complete responses ---

    def receive_response(self, response: HttpResponse) -> LifecycleEvent:
        """Consume the complete response to the request in flight.

        Args:
            response: the response to the last request returned by
                :meth:`create_chat`, :meth:`post_prompter_message`,
                :meth:`request_assistant_message`, :meth:`fetch_message` or
                :meth:`delete_chat`.

        Returns:
            ``ChatCreated``, ``PrompterMessagePosted``, ``AssistantMessageQueued``,
            ``ChatDeleted``, or after a fetch ``ReplyCompleted``,
            ``ReplyFailed`` or ``ReplyUnfinished``.

        Raises:
            LocalProtocolError: no such request is in flight (state unchanged).
            APIError: an error status: the server refused the request, so the
                command is undone: back to the state it was called in, ids
                included (a refused delete: ``ERROR``).
            RemoteProtocolError: a malformed body (state ``ERROR``).
        """
        self._check(I.RECEIVE_RESPONSE)
        handler = self._handler
        assert handler is not None  # set by every command that awaits a response
        try:
            outcome, event = handler(response)
        except OAProtoError as error:
            self._fail(error)
            raise
        self._handler = None
        self._apply(outcome)
        return event

    def _complete(self, event: ReplyCompleted) -> ReplyCompleted:
        self._parent_id = event.message.id
        self._reply_text = event.text
        return event

    # --- inbound: the event stream ---

    def receive_stream_start(self, status: int, headers: Headers) -> None:
        """Give the event stream's status and headers, before any body bytes.

        Nothing is judged yet: an error status or a wrong content type is
        raised from :meth:`next_event` once the body (the error's detail) has
        been fed and :meth:`receive_eof` called.

        Args:
            status: the HTTP status code.
            headers: the response headers.

        Raises:
            LocalProtocolError: not in ``OPENING``.
        """
        target = self._check(I.RECEIVE_STREAM_START)
        assert self._stream is not None
        self._stream.start(status, headers)
        self._state = target

    def receive_data(self, data: bytes) -> None:
        """Feed the next bytes of the event stream's body; they are only buffered.

        Args:
            data: any number of bytes; ``b""`` is ignored (EOF is :meth:`receive_eof`).

        Raises:
            LocalProtocolError: not streaming, or called after :meth:`receive_eof`.
        """
        if self._state not in _DATA_STATES:
            self._check(I.RECEIVE_DATA)  # raises
        assert self._stream is not None
        self._stream.feed(data)

    def receive_eof(self) -> None:
        """Signal that the event stream's body ended.

        Raises:
            LocalProtocolError: not streaming, or called twice.
        """
        target = self._check(I.RECEIVE_EOF)
        assert self._stream is not None
        self._stream.feed_eof()
        self._state = target

    def next_event(self) -> StreamEvent | Literal[NeedData.NEED_DATA]:
        """The next stream event, or :data:`NEED_DATA` when more input is needed.

        ``ReplyCompleted`` (state ``REPLIED``), ``ReplyFailed`` (``PROMPTED``)
        and ``ReplyAlreadyFinished`` (``QUEUED``) end the stream; close its
        connection. Keep-alive pings are skipped; unknown event types are
        returned as ``UnknownStreamEvent``.

        Returns:
            A stream event or ``NEED_DATA``.

        Raises:
            LocalProtocolError: not streaming (state unchanged).
            APIError: the stream was answered with an error status (back to
                ``QUEUED``, as before :meth:`open_event_stream`).
            IncompleteReplyError: the body ended without a terminal event, or
                became unreadable (bad JSON or frame, oversized line); carries
                the partial text (state ``ERROR``).
            RemoteProtocolError: a non-empty 2xx body that is not an event
                stream (state ``ERROR``).
        """
        if self._state not in _NEXT_EVENT_STATES:
            self._check(I.NEXT_EVENT)  # raises
        stream = self._stream
        assert stream is not None
        try:
            event = stream.next_event()
        except OAProtoError as error:
            self._fail(error)
            raise
        if event is NEED_DATA:
            return event
        outcome = _STREAM_OUTCOMES.get(type(event))
        if outcome is not None:
            self._drop_stream()
            if isinstance(event, ReplyCompleted):
                self._complete(event)
            self._apply(outcome)
        return event


def _may_pass(error: OAProtoError) -> bool:
    # A failure that a second try may not meet: worth the retry.
    if isinstance(error, APIError):
        return error.status in _TRANSIENT_STATUSES
    return isinstance(error, TransportError)
