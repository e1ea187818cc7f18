"""The aiohttp application: one catch-all route and a header hook.

The dispatcher classifies each request (dialect and step), records it, picks
its faults (rules plus the ``x-oaproto-fault`` header), applies the ones that
act before any handling (slow headers, injected status) and passes the rest
to the dialect's handler.
The header hook makes every response's header block look like the real
servers' (§11): lower-case names, ``date`` and ``server`` first, body headers
last, and no content type where Next.js would send none.
"""

from __future__ import annotations

import time

from aiohttp import web

from . import _inference_routes, _web
from ._faults import FAULT_HEADER, Fault, FaultKind, FaultSpecError, parse_header
from ._recording import RecordedRequest
from ._replies import to_response, web_text
from ._state import ServerState
from ._status_faults import inference_status_reply, web_status_reply

__all__ = ["STATE_KEY", "make_app"]

STATE_KEY = web.AppKey("oaproto_state", ServerState)

_FIRST = ("date", "server")
_LAST = ("content-length", "content-type", "transfer-encoding")


def _classify(request: web.Request) -> tuple[str, str]:
    if request.path in _web.WEB_ROUTES:
        return "web", _web.web_step(request.method, request.path, request.query)
    step = _inference_routes.match_route(request.method, request.path)[0]
    return "inference", step


async def _dispatch(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    dialect, step = _classify(request)
    body = await request.read()
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
        status_reply = web_status_reply if dialect == "web" else inference_status_reply
        response = to_response(status_reply(step, int(status.value)))
    elif dialect == "web":
        response = await _web.handle(request, state, faults)
    else:
        response = await _inference_routes.handle(request, state, faults)
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
    # Next.js enforces its own 1 MiB limit (as a 413 with its text); the
    # inference server has none, so aiohttp's limit is lifted well above both.
    app = web.Application(client_max_size=max(64 << 20, state.config.body_limit * 2))
    app[STATE_KEY] = state
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    app.on_response_prepare.append(_shape_headers)
    app.on_shutdown.append(_on_shutdown)
    return app
