"""Wire fixtures and drivers for the chat-session tests.

Every body is the reference's exact bytes (docs: oa-protocol.md): JSON
responses compact as both servers send them, SSE frames as
sse-starlette writes them, ``data: <pydantic json>\\r\\n\\r\\n`` with ``", "``
and ``": "`` separators and ASCII escapes, pings in both forms.

``reach(name, dialect)`` drives a fresh session to a named situation (a
state, sometimes reached by a particular path) using only the public API.
Import as ``from tests.helpers.session_fixtures import ...``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from oaproto import (
    NEED_DATA,
    ChatSession,
    ChatState,
    ClientConfig,
    Dialect,
    Event,
    HttpResponse,
    ReplyOptions,
)

WEB = Dialect.WEB
INFERENCE = Dialect.INFERENCE
DIALECTS = (WEB, INFERENCE)

# A credential that must never show up in a repr or an error message.
SECRET = "s3cret-session-token-value"
BASE_URL = "https://oa.test"

CHAT_ID = "0656a1a9-4bb3-7d8a-8000-6ac5c8e1b2f0"
PROMPTER_ID = "0656a1a9-5a10-7e41-8000-2f3c9d1e0a11"
ASSISTANT_ID = "0656a1a9-6b22-7f02-8000-8a4b7c6d5e22"
PROMPTER_2_ID = "0656a1a9-7c33-7013-8000-1b2c3d4e5f33"
ASSISTANT_2_ID = "0656a1a9-8d44-7124-8000-9a8b7c6d5e44"
ASSISTANT_RETRY_ID = "0656a1a9-9e55-7235-8000-7f6e5d4c3b55"
BIG_SEED = 18446744073709551614

FINAL_TEXT = "Hello world \u00e9"


def config(dialect: Dialect) -> ClientConfig:
    """A config for ``dialect`` carrying :data:`SECRET`."""
    return ClientConfig(base_url=BASE_URL, dialect=dialect, token=SECRET)


def new_session(
    dialect: Dialect, options: ReplyOptions | None = None, **limits: int
) -> ChatSession:
    """A fresh session in ``IDLE``; ``limits``: ``max_line_size``, ``max_event_size``."""
    return ChatSession(config(dialect), options, **limits)


# --- JSON objects, field order as serialised ---


def chat_list_read() -> dict[str, Any]:
    """ChatListRead as create returns it."""
    return {
        "id": CHAT_ID,
        "created_at": "2023-08-28T12:00:00.123456",
        "modified_at": "2023-08-28T12:00:00.123456",
        "title": None,
        "hidden": False,
        "allow_data_use": True,
        "active_thread_tail_message_id": None,
    }


def work_parameters() -> dict[str, Any]:
    """WorkParameters with the k50 preset and the largest seed."""
    return {
        "model_config": {
            "model_id": "OpenAssistant/oasst-sft-6-llama-30b",
            "max_input_length": 1024,
            "max_total_length": 1792,
            "quantized": False,
        },
        "sampling_parameters": {
            "top_k": 50,
            "top_p": 0.95,
            "typical_p": None,
            "temperature": 0.75,
            "repetition_penalty": 1.2,
            "max_new_tokens": 1024,
        },
        "do_sample": True,
        "seed": BIG_SEED,
        "system_prompt": None,
        "user_profile": None,
        "user_response_instructions": None,
        "plugins": [],
        "plugin_max_depth": 4,
    }


def message_read(
    *,
    id: str = ASSISTANT_ID,
    parent_id: str | None = PROMPTER_ID,
    content: str | None = FINAL_TEXT,
    role: str = "assistant",
    state: str = "complete",
) -> dict[str, Any]:
    """A MessageRead with every field, in the server's order."""
    return {
        "id": id,
        "parent_id": parent_id,
        "content": content,
        "chat_id": CHAT_ID,
        "created_at": "2023-08-28T12:00:00.123456",
        "role": role,
        "state": state,
        "score": 0,
        "reports": [],
        "work_parameters": work_parameters() if role == "assistant" else None,
        "safe_content": None,
        "safety_level": None,
        "safety_label": None,
        "safety_rots": None,
        "used_plugin": None,
    }


def prompter_read(*, id: str = PROMPTER_ID, parent_id: str | None = None) -> dict[str, Any]:
    """The stored prompter message (state ``manual``)."""
    return message_read(id=id, parent_id=parent_id, content="Hi", role="prompter", state="manual")


def pending_read(*, id: str = ASSISTANT_ID, parent_id: str = PROMPTER_ID) -> dict[str, Any]:
    """A freshly queued assistant message (state ``pending``, content null)."""
    return message_read(id=id, parent_id=parent_id, content=None, state="pending")


# --- complete HTTP responses ---


def compact(value: object) -> bytes:
    """JSON as both servers answer: compact, raw UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


JSON_HEADERS = (("content-type", "application/json; charset=utf-8"),)


def json_response(value: object, status: int = 200) -> HttpResponse:
    """A JSON response."""
    return HttpResponse(status=status, headers=JSON_HEADERS, body=compact(value))


def empty_response(status: int) -> HttpResponse:
    """A response with an empty body and no content type (web 403/404, DELETE 200)."""
    return HttpResponse(status=status, headers=(("content-length", "0"),), body=b"")


def text_response(status: int, body: bytes) -> HttpResponse:
    """A plain-text response, e.g. Next.js' ``Internal Server Error``."""
    return HttpResponse(status=status, headers=(("content-type", "text/plain"),), body=body)


CREATED_RESPONSE = json_response(chat_list_read())
PROMPTER_RESPONSE = json_response(prompter_read())
QUEUED_RESPONSE = json_response(pending_read())
FETCHED_COMPLETE = json_response(message_read())
DELETED_RESPONSE = empty_response(200)
GONE_RESPONSE = empty_response(404)
FORBIDDEN = empty_response(403)
INTERNAL_SERVER_ERROR = text_response(500, b"Internal Server Error")
PYDANTIC_ERRORS = [
    {"loc": ["body", "content"], "msg": "field required", "type": "value_error.missing"}
]
BUSY_TEXT = "The server is currently busy. Please try again later."


def error_json(dialect: Dialect, detail: object, status: int) -> HttpResponse:
    """The web API's ``{"message": x}`` or the inference server's ``{"detail": x}``."""
    key = "message" if dialect is WEB else "detail"
    return json_response({key: detail}, status=status)


# --- SSE bytes ---


def frame(value: dict[str, Any]) -> bytes:
    """One sse-starlette event: pydantic v1 ``.json()`` (ASCII, ``", "``) in a data line."""
    return b"data: " + json.dumps(value).encode() + b"\r\n\r\n"


PENDING = b'data: {"event_type": "pending", "queue_position": 1, "queue_size": 3}\r\n\r\n'
PENDING_HEAD = b'data: {"event_type": "pending", "queue_position": 0, "queue_size": 0}\r\n\r\n'
PING = b": ping - 2023-07-14 13:28:17.735145\r\n\r\n"
OLD_PING = b"event: ping\r\ndata: 2023-07-14 13:28:17.735145\r\n\r\n"
TOKENS = ("Hello", " world", " \u00e9")


def token(text: str) -> bytes:
    """A token frame; non-ASCII arrives as ``\\uXXXX`` escapes."""
    return frame({"event_type": "token", "text": text})


TOKEN_FRAMES = b"".join(token(text) for text in TOKENS)


def message_frame(**changes: Any) -> bytes:
    """The final ``message`` event with the whole MessageRead."""
    return frame({"event_type": "message", "message": message_read(**changes)})


def error_frame(error: str, state: str) -> bytes:
    """A terminal ``error`` event, its message in ``state`` with null content."""
    return frame(
        {"event_type": "error", "error": error, "message": message_read(content=None, state=state)}
    )


ABORTED_FRAME = error_frame("Aborted due to worker error.", "aborted_by_worker")
TIMEOUT_FRAME = error_frame("Timeout", "timeout")
PLUGIN_FRAME = frame(
    {
        "event_type": "plugin_intermediate",
        "current_plugin_thought": "I should search",
        "current_plugin_action_taken": "search",
        "current_plugin_action_input": "weather",
        "current_plugin_action_response": "sunny",
        "message": None,
    }
)
# The generator falls through after a plugin event.
EMPTY_TOKEN = token("")

# A successful reply with a pending phase, pings of both forms and tokens.
HAPPY_STREAM = PENDING + PING + OLD_PING + PENDING_HEAD + TOKEN_FRAMES + message_frame()

INFERENCE_SSE_HEADERS = (
    ("date", "Mon, 28 Aug 2023 12:00:00 GMT"),
    ("server", "uvicorn"),
    ("cache-control", "no-cache"),
    ("connection", "keep-alive"),
    ("x-accel-buffering", "no"),
    ("content-type", "text/event-stream; charset=utf-8"),
    ("transfer-encoding", "chunked"),
)
# The website pipes the body but copies no upstream header.
WEB_SSE_HEADERS = (("transfer-encoding", "chunked"),)
# 204 for a finished message: only date and server.
NO_CONTENT_HEADERS = (("date", "Mon, 28 Aug 2023 12:00:00 GMT"), ("server", "uvicorn"))


def sse_headers(dialect: Dialect) -> tuple[tuple[str, str], ...]:
    """The stream headers each dialect really sends."""
    return INFERENCE_SSE_HEADERS if dialect is INFERENCE else WEB_SSE_HEADERS


def already_finished(dialect: Dialect) -> tuple[int, tuple[tuple[str, str], ...]]:
    """Status and headers of the stream of a finished message."""
    return (204, NO_CONTENT_HEADERS) if dialect is INFERENCE else (200, WEB_SSE_HEADERS)


# --- feeding ---


def chunkings(body: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """The body whole, one byte at a time, and in uneven pieces (h11's ``tr()`` idea)."""
    yield "whole", [body] if body else []
    yield "bytewise", [body[i : i + 1] for i in range(len(body))]
    yield "uneven", [body[i : i + 7] for i in range(0, len(body), 7)]


def drain(session: ChatSession) -> list[Event]:
    """Every event ``next_event()`` has ready, stopping at NEED_DATA or a terminal event."""
    events: list[Event] = []
    while session.is_streaming:
        event = session.next_event()
        if event is NEED_DATA:
            break
        events.append(event)
    return events


def stream(
    session: ChatSession,
    body: bytes,
    *,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] | None = None,
    pieces: list[bytes] | None = None,
) -> list[Event]:
    """Feed a whole stream response as a driver would and return all events."""
    if headers is None:
        headers = sse_headers(session.dialect)
    session.receive_stream_start(status, headers)
    events: list[Event] = []
    for piece in [body] if pieces is None else pieces:
        if not session.is_streaming:
            break  # a terminal event ended the stream; a driver closes it here
        session.receive_data(piece)
        events += drain(session)
    if session.is_streaming:
        session.receive_eof()
        events += drain(session)
    return events


# --- reaching situations through the public API ---


def _created(dialect: Dialect, **limits: int) -> ChatSession:
    session = new_session(dialect, None, **limits)
    session.create_chat()
    session.receive_response(CREATED_RESPONSE)
    return session


def _prompted(dialect: Dialect, **limits: int) -> ChatSession:
    session = _created(dialect, **limits)
    session.post_prompter_message("Hi")
    session.receive_response(PROMPTER_RESPONSE)
    return session


def _queued(dialect: Dialect, **limits: int) -> ChatSession:
    session = _prompted(dialect, **limits)
    session.request_assistant_message()
    session.receive_response(QUEUED_RESPONSE)
    return session


def queued_with_limits(dialect: Dialect, **limits: int) -> ChatSession:
    """A session in ``QUEUED`` whose SSE decoder has ``limits`` (``max_line_size``...)."""
    return _queued(dialect, **limits)


def _streaming(dialect: Dialect) -> ChatSession:
    session = _queued(dialect)
    session.open_event_stream()
    session.receive_stream_start(200, sse_headers(dialect))
    session.receive_data(PENDING + token("Hel"))
    drain(session)
    return session


def _replied(dialect: Dialect) -> ChatSession:
    session = _queued(dialect)
    session.open_event_stream()
    stream(session, HAPPY_STREAM)
    return session


def _then(base: Callable[[Dialect], ChatSession], step: Callable[[ChatSession], object]) -> Any:
    def build(dialect: Dialect) -> ChatSession:
        session = base(dialect)
        step(session)
        return session

    return build


def _fail(session: ChatSession, response: HttpResponse) -> None:
    try:
        session.receive_response(response)
    except Exception:  # noqa: BLE001 - the point is to end in ERROR
        return
    raise AssertionError("expected the response to fail")


def _stream_broken(session: ChatSession) -> None:
    session.receive_data(b"data: {not json\r\n\r\n")
    try:
        drain(session)
    except Exception:  # noqa: BLE001
        return
    raise AssertionError("expected the stream to fail")


def _stream_already_finished(session: ChatSession) -> None:
    session.open_event_stream()
    status, headers = already_finished(session.dialect)
    stream(session, b"", status=status, headers=headers)


def _stream_failed(session: ChatSession) -> None:
    session.open_event_stream()
    stream(session, token("Hel") + ABORTED_FRAME)


def _post(session: ChatSession) -> None:
    session.post_prompter_message("Hi")


def _delete_failed(session: ChatSession) -> None:
    session.delete_chat()
    _fail(session, INTERNAL_SERVER_ERROR)


def _deleted(session: ChatSession) -> None:
    session.delete_chat()
    session.receive_response(DELETED_RESPONSE)


def _resumed(dialect: Dialect) -> ChatSession:
    return ChatSession.resume(config(dialect), chat_id=CHAT_ID, parent_id=ASSISTANT_ID)


# name -> builder; the name's prefix is the state reached.
SITUATIONS: dict[str, Callable[[Dialect], ChatSession]] = {
    "IDLE": new_session,
    "CREATING": _then(new_session, ChatSession.create_chat),
    "READY": _created,
    "READY/resumed": _resumed,
    "POSTING": _then(_created, _post),
    "POSTING/next-turn": _then(_replied, _post),
    "PROMPTED": _prompted,
    "PROMPTED/after-error-event": _then(_queued, _stream_failed),
    "REQUESTING": _then(_prompted, ChatSession.request_assistant_message),
    "REQUESTING/retry": _then(
        _then(_queued, _stream_failed), ChatSession.request_assistant_message
    ),
    "REQUESTING/another-draft": _then(_queued, ChatSession.request_assistant_message),
    "REQUESTING/regenerate": _then(_replied, ChatSession.request_assistant_message),
    "QUEUED": _queued,
    "QUEUED/abandoned": _then(_streaming, ChatSession.abandon_stream),
    "QUEUED/already-finished": _then(_queued, _stream_already_finished),
    "OPENING": _then(_queued, ChatSession.open_event_stream),
    "OPENING/reopened": _then(
        _then(_streaming, ChatSession.abandon_stream), ChatSession.open_event_stream
    ),
    "STREAMING": _streaming,
    "STREAM_ENDED": _then(_streaming, ChatSession.receive_eof),
    "FETCHING": _then(_queued, ChatSession.fetch_message),
    "FETCHING/after-broken-stream": _then(
        _then(_streaming, _stream_broken), ChatSession.fetch_message
    ),
    "REPLIED": _replied,
    "DELETING": _then(_replied, ChatSession.delete_chat),
    "DELETED": _then(_replied, _deleted),
    # An unusable answer leads to ERROR; an error status would undo the command.
    "ERROR/create-failed": _then(
        _then(new_session, ChatSession.create_chat),
        lambda s: _fail(s, text_response(200, b"<html>")),
    ),
    "ERROR/post-failed": _then(
        _then(_created, _post), lambda s: _fail(s, json_response(message_read()))
    ),
    "ERROR/stream-broken": _then(_streaming, _stream_broken),
    "ERROR/delete-failed": _then(_queued, _delete_failed),
}

#: For each situation with a request in flight, the situation that request was
#: sent from: where a rejection of it (an error status) returns, ids included.
SENT_FROM: dict[str, str] = {
    "CREATING": "IDLE",
    "POSTING": "READY",
    "POSTING/next-turn": "REPLIED",
    "REQUESTING": "PROMPTED",
    "REQUESTING/retry": "PROMPTED/after-error-event",
    "REQUESTING/another-draft": "QUEUED",
    "REQUESTING/regenerate": "REPLIED",
    "OPENING": "QUEUED",
    "OPENING/reopened": "QUEUED/abandoned",
    "STREAMING": "QUEUED",
    "STREAM_ENDED": "QUEUED",
    "FETCHING": "QUEUED",
    "FETCHING/after-broken-stream": "ERROR/stream-broken",
    "DELETING": "REPLIED",
}


def reach(name: str, dialect: Dialect) -> ChatSession:
    """A session in situation ``name`` (see :data:`SITUATIONS`)."""
    session = SITUATIONS[name](dialect)
    assert session.state is ChatState[name.split("/")[0]], (name, session.state)
    return session


def state_of(session: ChatSession) -> ChatState:
    """``session.state``, read through a call so type checkers do not narrow it."""
    return session.state


def public_attributes(session: ChatSession) -> dict[str, object]:
    """Every public attribute, to compare before and after an illegal call."""
    return {
        name: getattr(session, name)
        for name in (
            "state",
            "chat_id",
            "parent_id",
            "prompter_message_id",
            "assistant_message_id",
            "token_text",
            "reply_text",
            "needs_cleanup",
            "options",
            "dialect",
        )
    }


def before_sending(name: str, dialect: Dialect) -> dict[str, object]:
    """The public attributes situation ``name``'s session had before its request was sent."""
    return public_attributes(reach(SENT_FROM[name], dialect))
