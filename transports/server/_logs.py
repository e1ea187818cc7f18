"""The server's log: one line per malformed request, tracebacks only for its own bugs.

aiohttp logs a full traceback at ERROR for every request it cannot parse
(a bad request line, an oversized header, broken chunked encoding). Those
are the client's mistakes, so the logger handed to aiohttp's connection
handlers turns each into one INFO line naming the exception. The server's
own failures still get their traceback, from the dispatcher.
"""

from __future__ import annotations

import logging

__all__ = ["LOGGER_NAME", "protocol_logger", "server_logger"]

#: The server's logger; aiohttp's protocol messages go to ``<name>.http``.
LOGGER_NAME = "oaproto.server"


class _OneLine(logging.Filter):
    """Rewrites a record with a traceback into one INFO line with the exception's text."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            exc = exc_info[1]
            text = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
            record.msg = " ".join(text.split())  # aiohttp's messages span lines
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.INFO
            record.levelname = logging.getLevelName(logging.INFO)
        # The level was checked before the rewrite: check it again.
        return record.levelno >= self._logger.getEffectiveLevel()


def server_logger() -> logging.Logger:
    """The ``oaproto.server`` logger."""
    return logging.getLogger(LOGGER_NAME)


def protocol_logger() -> logging.Logger:
    """The logger for aiohttp's connection handlers (``oaproto.server.http``)."""
    logger = logging.getLogger(f"{LOGGER_NAME}.http")
    if not any(isinstance(f, _OneLine) for f in logger.filters):
        logger.addFilter(_OneLine(logger))
    return logger
