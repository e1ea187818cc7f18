"""200 concurrent streaming chats on one server: every token arrives, in order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import pytest

from oaproto.transports.server import ThreadedServer

CHATS = 200
WORDS = 40


async def _exchange(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: list[tuple[str, str]] | None = None,
) -> tuple[int, bytes, bool]:
    """One request on its own connection: status, body, and whether it completed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = h11.Connection(h11.CLIENT)
    data = b"" if body is None else json.dumps(body).encode()
    all_headers = [("host", f"127.0.0.1:{port}"), ("content-length", str(len(data)))]
    all_headers += [("content-type", "application/json")] if body is not None else []
    all_headers += headers or []
    writer.write(conn.send(h11.Request(method=method, target=path, headers=all_headers)) or b"")
    writer.write(conn.send(h11.Data(data=data)) or b"")
    writer.write(conn.send(h11.EndOfMessage()) or b"")
    status = 0
    body_parts: list[bytes] = []
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body_parts.append(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return status, b"".join(body_parts), isinstance(event, h11.EndOfMessage)
    finally:
        writer.close()


async def _one_chat(port: int, index: int) -> tuple[list[str], dict[str, Any], bool]:
    words = [f"w{index}-{n}" for n in range(WORDS)]
    # Each chat is its own user: a user's new message cancels their others.
    user = [("authorization", f"Bearer user-{index}")]
    _, created, _ = await _exchange(port, "POST", "/chats", {}, user)
    chat_id = json.loads(created)["id"]
    _, prompt, _ = await _exchange(
        port, "POST", f"/chats/{chat_id}/prompter_message", {"content": " ".join(words)}, user
    )
    # The message waits a moment in the queue so that its stream opens in time.
    _, reply, _ = await _exchange(
        port,
        "POST",
        f"/chats/{chat_id}/assistant_message",
        {"parent_id": json.loads(prompt)["id"], "model_config_name": "_echo"},
        [*user, ("x-oaproto-fault", "queue=1.5")],
    )
    message_id = json.loads(reply)["id"]
    status, body, complete = await _exchange(
        port, "GET", f"/chats/{chat_id}/messages/{message_id}/events", None, user
    )
    assert status == 200
    frames = [f for f in body.split(b"\r\n\r\n") if f.startswith(b"data: ")]
    events = [json.loads(f[6:]) for f in frames]
    tokens = [e["text"] for e in events if e["event_type"] == "token"]
    return [t.strip() for t in tokens], {"words": words, "last": events[-1]}, complete


@pytest.mark.timeout(60)
@pytest.mark.oa_server(
    workers=64,
    token_delay=0.001,
    pending_interval=0.2,
    tokens={f"user-{n}": f"user-{n}" for n in range(CHATS)},
    rate_limit=None,
)
def test_200_concurrent_streams_keep_order_and_lose_nothing(oa_server: ThreadedServer) -> None:
    async def run_all() -> list[tuple[list[str], dict[str, Any], bool]]:
        async with asyncio.timeout(50):
            return await asyncio.gather(*(_one_chat(oa_server.port, n) for n in range(CHATS)))

    results = asyncio.run(run_all())
    assert len(results) == CHATS
    for tokens, info, complete in results:
        assert complete
        assert tokens == info["words"]
        assert info["last"]["event_type"] == "message"
        assert info["last"]["message"]["content"] == " ".join(info["words"])
    states = [m["state"] for chat in oa_server.chats() for m in chat["messages"]]
    assert states.count("complete") == CHATS
