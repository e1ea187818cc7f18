"""The aiohttp application: one catch-all route and a header hook.

The dispatcher classifies each request (dialect and step), reads its body
within the size and time limits, records it, picks
its faults (rules plus the ``x-oaproto-fault`` header), applies the ones that
act before any handling (slow headers, injected status) and passes the rest
to the dialect's handler. A client that goes away gets one log line; an
exception of the server's own is logged with its traceback and answered as
the dialect answers an uncaught error.
The header hook makes every response's header block look like the real
servers': lower-case names, ``date`` and ``server`` first, body headers
last, and no content type where Next.js would send none.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from oaproto import Dialect

from . import _inference_routes, _web
from ._faults import FAULT_HEADER, Fault, FaultKind, FaultSpecError, parse_header
from ._limits import BodyTooLargeError, read_body
from ._logs import server_logger
from ._recording import RecordedRequest
from ._replies import (
    inf_detail,
    inf_text500,
    to_response,
    web_body_too_large,
    web_empty,
    web_internal_error,
    web_text,
)
from ._server_state import ServerState
from ._status_faults import inference_status_reply, web_status_reply

__all__ = ["STATE_KEY", "make_app"]

STATE_KEY = web.AppKey("oaproto_state", ServerState)

_log = server_logger()

_FIRST = ("date", "server")
_LAST = ("content-length", "content-type", "transfer-encoding")


def _classify(request: web.Request) -> tuple[Dialect | None, str]:
    """The request's dialect and step; ``None`` for a path neither API has."""
    if request.path in _web.WEB_ROUTES:
        return Dialect.WEB, _web.web_step(request.method, request.path, request.query)
    step, _handler, _params, path_known = _inference_routes.match_route(
        request.method, request.path
    )
    return (Dialect.INFERENCE if path_known else None), step


async def _dispatch(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    dialect, step = _classify(request)
    try:
        return await _answer(request, state, dialect, step)
    except ConnectionError as exc:
        # The client went away (mid-body, or before its answer): nothing to answer.
        _log.info("client went away during %s %s: %s", request.method, step, exc)
        return web.Response(status=400)  # never sent: the connection is gone
    except Exception:
        # A bug of this server, not a client mistake: keep the traceback.
        _log.exception("failed answering %s %s (%s)", request.method, step, dialect)
        if request.writer.output_size > 0:
            raise  # the answer had started; aiohttp closes the connection
        reply = web_internal_error() if dialect is Dialect.WEB else inf_text500()
        return to_response(reply)


def _refusal(dialect: Dialect | None, status: int) -> web.Response:
    """413 or 408, answered without reading the rest of the body.

    aiohttp then drains what is left for a moment (so the client can read
    the answer) and keeps the connection only if the body ended meanwhile;
    a 408 always closes it.
    """
    web_dialect = dialect is Dialect.WEB
    if status == 413:
        reply = web_body_too_large() if web_dialect else inf_detail(413, "Request Entity Too Large")
        return to_response(reply)
    response = to_response(web_empty(408) if web_dialect else inf_detail(408, "Request Timeout"))
    response.force_close()
    return response


async def _answer(
    request: web.Request, state: ServerState, dialect: Dialect | None, step: str
) -> web.StreamResponse:
    # A path of neither API is answered as the inference server answers it.
    web_dialect = dialect is Dialect.WEB
    config = state.config
    limit = config.body_limit if web_dialect else config.max_body_size
    refused: int | None = None
    body = b""
    try:
        async with asyncio.timeout(config.body_timeout):
            body = await read_body(request, limit)
    except BodyTooLargeError as exc:
        _log.info("refused %s %s: body too large (%s)", request.method, step, exc)
        refused = 413
    except TimeoutError:
        _log.info("refused %s %s: body too slow", request.method, step)
        refused = 408
    record = RecordedRequest(
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        headers=tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.raw_headers
        ),
        body=body,
        dialect=dialect,
        step=step,
        time=time.time(),
    )
    state.recorder.add(record)
    if refused is not None:
        record.status = refused
        return _refusal(dialect, refused)
    faults: list[Fault] = state.faults.take(step, dialect)
    header = request.headers.get(FAULT_HEADER)
    if header:
        try:
            faults += parse_header(header, step)
        except FaultSpecError as exc:
            record.status = 400
            return to_response(web_text(400, f"bad {FAULT_HEADER} header: {exc}"))
    record.faults = tuple(f.to_spec() for f in faults)
    delay = sum(f.value for f in faults if f.kind is FaultKind.SLOW_HEADERS)
    if delay:
        await state.sleep_or_close(delay)
    status = next((f for f in faults if f.kind is FaultKind.STATUS), None)
    response: web.StreamResponse
    if status is not None:
        status_reply = web_status_reply if web_dialect else inference_status_reply
        response = to_response(status_reply(step, int(status.value)))
    elif web_dialect:
        response = await _web.handle(request, state, faults, body)
    else:
        response = await _inference_routes.handle(request, state, faults, body)
    record.status = response.status
    return response


async def _shape_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    if getattr(response, "oaproto_no_content_type", False):
        headers.popall("content-type", None)
    items = [(name.lower(), value) for name, value in headers.items()]
    ordered = (
        [item for name in _FIRST for item in items if item[0] == name]
        + [item for item in items if item[0] not in _FIRST and item[0] not in _LAST]
        + [item for name in _LAST for item in items if item[0] == name]
    )
    headers.clear()
    for name, value in ordered:
        headers.add(name, value)


async def _on_shutdown(app: web.Application) -> None:
    app[STATE_KEY].close()  # ends open streams, so shutdown does not wait on them


def make_app(state: ServerState) -> web.Application:
    """The application serving both dialects from ``state``."""
    # Bodies are read by read_body, within body_limit (web) or max_body_size.
    app = web.Application(client_max_size=max(state.config.max_body_size, state.config.body_limit))
    app[STATE_KEY] = state
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    app.on_response_prepare.append(_shape_headers)
    app.on_shutdown.append(_on_shutdown)
    return app
