"""The drivers' idle and reply timeouts hold during a read, whatever the adapter's own timeout.

A silent stall (the server stops sending mid-reply) must end at the driver's
deadline with its ``TransportTimeoutError``, not at the adapter's longer read
timeout: the asynchronous drivers cancel the read, the blocking ones end it
through the adapter's ``interrupt``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from oaproto import ReplyCompleted, Token, TransportTimeoutError
from tests.helpers.transport_harness import Harness, assert_deleted


@pytest.mark.parametrize("timeout", ["idle_timeout", "reply_timeout"])
def test_a_silent_stall_ends_at_the_drivers_deadline(harness: Harness, timeout: str) -> None:
    # The server goes silent after three tokens for far longer than either
    # deadline; the adapter would wait 30 s for a byte.
    harness.server.faults.add("stall=60;after=3")
    received: list[object] = []
    deadline: dict[str, Any] = {timeout: 0.7}
    with (
        pytest.raises(TransportTimeoutError) as raised,
        harness.chat(transport_timeout=30.0, **deadline) as chat,
        chat.reply("Hello") as events,
    ):
        received.extend(events)
    assert f"{timeout}=0.7" in str(raised.value)
    assert [type(event) for event in received] == [Token] * 3
    assert_deleted(harness.server, harness.session.chat_id)


def test_the_idle_timeout_bounds_the_server_not_the_caller(harness: Harness) -> None:
    # The caller dwells on events for longer than idle_timeout (the rest of the
    # reply waits in the socket meanwhile): the stream goes on, since the idle
    # wait starts again at each read after progress.
    with harness.chat(idle_timeout=0.3) as chat, chat.reply("Hello") as events:
        tokens = 0
        for event in events:
            if isinstance(event, Token):
                tokens += 1
                if tokens <= 2:
                    time.sleep(0.5)
        assert isinstance(events.outcome, ReplyCompleted)
    assert tokens > 2
    assert_deleted(harness.server, harness.session.chat_id)
