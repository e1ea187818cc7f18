"""CORS on the inference server: Starlette's ``CORSMiddleware`` with
``allow_origins=["*"]`` and credentials allowed, as OA configures it.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["cors_headers", "cors_preflight", "is_preflight", "with_cors"]

_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


def is_preflight(request: web.Request) -> bool:
    """Whether the middleware answers ``request`` itself, before any route."""
    return (
        "origin" in request.headers
        and request.method == "OPTIONS"
        and "access-control-request-method" in request.headers
    )


def cors_preflight(request: web.Request) -> web.Response:
    """The middleware's answer to a preflight: 200 ``OK``, the origin echoed."""
    response = web.Response(status=200, text="OK")
    response.headers["vary"] = "Origin"
    response.headers["access-control-allow-origin"] = request.headers["origin"]
    response.headers["access-control-allow-methods"] = _METHODS
    response.headers["access-control-max-age"] = "600"
    response.headers["access-control-allow-credentials"] = "true"
    requested = request.headers.get("access-control-request-headers")
    if requested:
        response.headers["access-control-allow-headers"] = requested
    return response


def cors_headers(request: web.Request) -> tuple[tuple[str, str], ...]:
    """Headers a simple cross-origin request gets."""
    if "origin" not in request.headers:
        return ()
    return (
        ("access-control-allow-origin", "*"),
        ("access-control-allow-credentials", "true"),
    )


def with_cors(request: web.Request, response: web.Response) -> web.Response:
    """``response`` with the headers of :func:`cors_headers` added."""
    for name, value in cors_headers(request):
        response.headers[name] = value
    return response
