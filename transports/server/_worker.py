"""Simulated GPU workers: take messages off the work queue and generate them.

Mirrors what a client can see of OA's workers:
a cancelled message is dropped silently; one dequeued after
``assistant_message_timeout`` gets the ``Timeout`` error; otherwise it turns
``in_progress``, its tokens are queued one by one, and it ends ``complete``
with a ``message`` event, or ``aborted_by_worker`` with an ``error`` event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ._backends import GenerationRequest, ThreadMessage, is_llama
from ._event_items import (
    TIMEOUT_ERROR,
    WORKER_ABORT_ERROR,
    error_item,
    message_item,
    plugin_intermediate_item,
    token_item,
)
from ._faults import FaultKind
from ._server_state import ServerState
from ._store import MessageState, StoredMessage

__all__ = ["WorkerPool", "abort_message"]

_log = logging.getLogger("oaproto.server")


def abort_message(state: ServerState, message: StoredMessage, error: str) -> None:
    """Fail a message as the server does when its worker fails (``abort_message``)."""
    message.state = MessageState.ABORTED_BY_WORKER
    message.error = error
    channel = state.channels.get(message.id)
    if channel is not None:
        channel.put(error_item(error, message.to_read()))


class WorkerPool:
    """``config.workers`` tasks sharing the work queue."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for index in range(self._state.config.workers):
            self._tasks.append(asyncio.create_task(self._run(), name=f"oaproto-worker-{index}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _run(self) -> None:
        while True:
            message_id = await self._state.work_queue.dequeue()
            try:
                await self._process(message_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a backend bug must not kill the worker
                _log.exception("worker failed on a message")

    async def _process(self, message_id: str) -> None:
        state = self._state
        faults = state.generation_faults.pop(message_id, ())
        message = state.store.messages.get(message_id)
        if message is None or message.state != MessageState.PENDING:
            return  # deleted, or cancelled: dropped without any event
        channel = state.channels[message_id]
        kinds = {fault.kind: fault for fault in faults}
        age = time.monotonic() - message.created_monotonic
        if FaultKind.TIMEOUT in kinds or age > state.config.assistant_message_timeout:
            message.state = MessageState.TIMEOUT
            channel.put(error_item(TIMEOUT_ERROR, message.to_read()))
            return
        message.state = MessageState.IN_PROGRESS
        abort_fault = kinds.get(FaultKind.ERROR_AFTER_TOKENS)
        abort_after = int(abort_fault.value) if abort_fault is not None else None
        request = self._request(message)
        if any(plugin.get("enabled") for plugin in request.plugins):
            # Quirk 1: the plugin step is followed by an empty token.
            channel.put(
                plugin_intermediate_item(
                    "I should look this up with the plugin.",
                    request.plugins[0].get("url", ""),
                    request.thread[-1].content if request.thread else "",
                    "The plugin returned nothing of interest.",
                )
            )
            channel.put(token_item(""))
        tokens: list[str] = []
        stream = state.backend_for(request.model_config_name).generate(request)
        try:
            async for token in stream:
                if (
                    message.state != MessageState.IN_PROGRESS
                    or message_id not in state.store.messages
                ):
                    return  # aborted by a stream fault, or the chat was deleted
                if abort_after is not None and len(tokens) >= abort_after:
                    abort_message(state, message, WORKER_ABORT_ERROR)
                    return
                tokens.append(token)
                channel.put(token_item(token))
        except Exception as exc:  # noqa: BLE001 - an engine failure ends the message
            abort_message(state, message, str(exc) or WORKER_ABORT_ERROR)
            return
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        if message.state != MessageState.IN_PROGRESS or message_id not in state.store.messages:
            return
        if abort_after is not None and len(tokens) >= abort_after:
            abort_message(state, message, WORKER_ABORT_ERROR)
            return
        text = "".join(tokens)
        if is_llama(request.model_id):
            text = text.strip()  # the worker strips LLaMA output
        message.content = text
        message.state = MessageState.COMPLETE
        channel.put(message_item(message.to_read()))

    def _request(self, message: StoredMessage) -> GenerationRequest:
        params: dict[str, Any] = message.work_parameters or {}
        model_config: dict[str, Any] = params.get("model_config") or {}
        thread = self._state.store.thread(message)[:-1]
        return GenerationRequest(
            model_config_name=message.model_config_name or "",
            model_id=str(model_config.get("model_id", "")),
            thread=tuple(
                ThreadMessage(role=m.role, content=m.content or "")
                for m in thread
                if m.content is not None
            ),
            sampling_parameters=dict(params.get("sampling_parameters") or {}),
            seed=int(params.get("seed", 0)),
            system_prompt=params.get("system_prompt"),
            user_profile=params.get("user_profile"),
            user_response_instructions=params.get("user_response_instructions"),
            plugins=tuple(params.get("plugins") or ()),
        )
