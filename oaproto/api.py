"""Every API operation beyond the chat lifecycle, as a request plus its parser.

A :class:`ChatAPI` method returns a :class:`Call`: send ``call.request`` with
any transport and hand the complete response to ``call.parse``, which returns
the typed result or raises the typed error. :func:`raise_for_status` and
:func:`parse_json` are the two steps every parser starts with.
"""

from __future__ import annotations

from ._api import Call, ChatAPI
from ._reply_stream import MAX_ERROR_BODY_SIZE
from ._responses import parse_json, raise_for_status

__all__ = ["MAX_ERROR_BODY_SIZE", "Call", "ChatAPI", "parse_json", "raise_for_status"]
