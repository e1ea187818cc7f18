"""What arrived: every request, kept for tests to inspect.

Values are kept as received, credentials included (this is the tester's own
server and a test may need to assert the exact cookie), but ``repr`` and
the server's logs always show credential headers redacted.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from oaproto import Dialect
from oaproto._http import redact_headers

from ._auth import parse_cookies

__all__ = ["RecordedRequest", "Recorder"]


@dataclass(slots=True, kw_only=True, eq=False)
class RecordedRequest:
    """One request as the server received it.

    Attributes:
        method: the request method.
        path: the path, without the query string.
        query_string: the raw query string.
        headers: header pairs in arrival order, names as sent.
        body: the raw body.
        dialect: the :class:`~oaproto.Dialect` whose path it asked for, or
            ``None`` for a path of neither API (answered as the inference server would).
        step: the operation (one of ``STEPS``).
        time: ``time.time()`` at arrival.
        status: the response status once known (``None`` while it is running).
        faults: the specs of the faults applied to it.
    """

    method: str
    path: str
    query_string: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    body: bytes = field(repr=False)
    dialect: Dialect | None
    step: str
    time: float
    status: int | None = None
    faults: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def host(self) -> str | None:
        """The ``Host`` header."""
        return self.header("host")

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies sent, name -> value."""
        return parse_cookies(self.header_values("cookie"))

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string parsed (blank values kept)."""
        return parse_qs(self.query_string, keep_blank_values=True)

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not JSON)."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return (
            f"RecordedRequest({self.method} {self.path}"
            f"{'?' + self.query_string if self.query_string else ''}, step={self.step!r}, "
            f"dialect={self.dialect!r}, status={self.status!r}, "
            f"headers={redact_headers(self.headers)!r}, body=<{len(self.body)} bytes>)"
        )


class Recorder:
    """The request log, bounded (thread-safe appends and snapshots).

    It keeps at most ``max_requests`` requests and ``max_body_bytes`` of
    their bodies, dropping the oldest first, so a long-running server's
    memory does not grow with its traffic. The newest request is always
    kept, whatever its size (bodies are capped by the server's body limits).
    """

    def __init__(self, enabled: bool, max_requests: int, max_body_bytes: int) -> None:
        self.enabled = enabled
        self._max_requests = max_requests
        self._max_body_bytes = max_body_bytes
        self._lock = threading.Lock()
        self._requests: deque[RecordedRequest] = deque()
        self._body_bytes = 0

    def add(self, request: RecordedRequest) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._requests.append(request)
            self._body_bytes += len(request.body)
            while len(self._requests) > 1 and (
                len(self._requests) > self._max_requests or self._body_bytes > self._max_body_bytes
            ):
                self._body_bytes -= len(self._requests.popleft().body)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._body_bytes = 0
