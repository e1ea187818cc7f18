"""The drop-in against the reference server: gpt4free's requests and usages, its bugs fixed."""

from __future__ import annotations

import asyncio
import gc
import json
from urllib.parse import parse_qs

import pytest

from oaproto import (
    APIError,
    AuthenticationError,
    ReplyError,
    TransportTimeoutError,
    ValidationError,
)
from oaproto.credentials import COOKIE_CHUNK_SIZE, DEV_COOKIE_NAME, SECURE_COOKIE_NAME
from oaproto.g4f import OpenAssistant
from oaproto.transports.g4f_provider import G4F_USER_AGENT, ReplyTokens
from oaproto.transports.server import ThreadedServer
from tests.helpers.g4f_fixtures import COOKIES, MESSAGES, SESSION, Factory, start

STEPS = [
    ("POST", "/api/chat"),
    ("POST", "/api/chat/prompter_message"),
    ("POST", "/api/chat/assistant_message"),
    ("GET", "/api/chat/events"),
    ("DELETE", "/api/chat"),
]


def collect(tokens: ReplyTokens) -> list[str]:
    async def main() -> list[str]:
        return [token async for token in tokens]

    return asyncio.run(main())


def chat_ids(server: ThreadedServer) -> list[str]:
    """Ids of the chats created, from the prompter messages the server received."""
    return [
        json.loads(request.body)["chat_id"]
        for request in server.requests
        if request.step == "prompter_message"
    ]


def assert_nothing_left(server: ThreadedServer) -> None:
    created = chat_ids(server)
    assert created
    assert sorted(server.deleted_chat_ids) == sorted(created)
    assert server.chats() == []


@pytest.mark.parametrize("model", [None, "", "gpt-3.5-turbo"])
def test_the_same_requests_in_the_same_order(oa_server_factory: Factory, model: str | None) -> None:
    server, provider = start(oa_server_factory)
    messages = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    tokens = provider.create_async_generator(
        model, messages, cookies=COOKIES, temperature=0.5, stream=True, auth="ignored"
    )
    collect(tokens)
    requests = server.requests
    assert [(r.method, r.path) for r in requests] == STEPS
    assert requests[0].body == b""
    prompter = json.loads(requests[1].body)
    chat_id = prompter["chat_id"]
    assert prompter == {
        "chat_id": chat_id,
        "parent_id": None,
        "content": "<s>[INST]\nSystem: Be brief\nUser: Hi\nAssistant:\n[/INST]",
    }
    assistant = json.loads(requests[2].body)
    assert list(assistant) == [
        "chat_id",
        "parent_id",
        "model_config_name",
        "sampling_parameters",
        "plugins",
    ]
    assert assistant["chat_id"] == chat_id
    assert isinstance(assistant["parent_id"], str)
    assert assistant["model_config_name"] == "OA_SFT_Llama_30B_6"
    assert assistant["sampling_parameters"] == {
        "top_k": 50,
        "top_p": None,
        "typical_p": None,
        "temperature": 0.5,
        "repetition_penalty": 1.1111111111111112,
        "max_new_tokens": 1024,
    }
    assert assistant["plugins"] == []
    events = parse_qs(requests[3].query_string)
    assert events["chat_id"] == [chat_id]
    assert len(events["message_id"]) == 1
    assert parse_qs(requests[4].query_string) == {"chat_id": [chat_id]}
    for request in requests:
        assert request.header("user-agent") == G4F_USER_AGENT
        # Only the session cookie is sent, not the rest of the browser's jar.
        assert request.header_values("cookie") == [f"{SECURE_COOKIE_NAME}={SESSION}"]
    assert_nothing_left(server)


def test_async_for_on_the_call_yields_the_final_text(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)
    tokens = provider.create_async_generator(None, MESSAGES, cookies=COOKIES)
    streamed = collect(tokens)
    assert len(streamed) > 10  # streamed, not fetched in one piece
    assert all(isinstance(token, str) and token for token in streamed)
    # The default (LLaMA) model's final text is the stream stripped; the
    # trailing whitespace held back never went out, so the join is exact.
    assert tokens.text is not None
    assert "".join(streamed) == tokens.text
    assert repr(tokens) == "<ReplyTokens completed=True>"
    assert_nothing_left(server)


def test_await_then_async_for(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)

    async def main() -> tuple[str, str | None]:
        generator = await provider.create_async_generator(None, MESSAGES, cookies=COOKIES)
        text = "".join([token async for token in generator])
        return text, generator.text

    joined, final = asyncio.run(main())
    assert joined == final
    assert_nothing_left(server)


def test_a_model_whose_final_text_keeps_the_stream_as_is(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)
    tokens = provider.create_async_generator("_lorem", MESSAGES, cookies=COOKIES)
    streamed = collect(tokens)
    assert "".join(streamed) == tokens.text
    assert json.loads(server.requests[2].body)["model_config_name"] == "_lorem"


def test_messages_changed_after_the_call_change_nothing(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)
    messages = [{"role": "user", "content": "Original"}]
    tokens = provider.create_async_generator(None, messages, cookies=COOKIES)
    messages[0]["content"] = "Changed"
    messages.append({"role": "user", "content": "More"})
    collect(tokens)
    assert json.loads(server.requests[1].body)["content"] == "<s>[INST]\nOriginal\n[/INST]"


LONG_SESSION = "s" * COOKIE_CHUNK_SIZE + "-tail"


@pytest.mark.parametrize(
    ("cookies", "sent_name"),
    [
        ({SECURE_COOKIE_NAME: LONG_SESSION[:40]}, SECURE_COOKIE_NAME),
        ({DEV_COOKIE_NAME: LONG_SESSION[:40]}, DEV_COOKIE_NAME),
        (
            {
                f"{SECURE_COOKIE_NAME}.1": LONG_SESSION[COOKIE_CHUNK_SIZE:],
                f"{SECURE_COOKIE_NAME}.0": LONG_SESSION[:COOKIE_CHUNK_SIZE],
                "__Host-next-auth.csrf-token": "x",
            },
            f"{SECURE_COOKIE_NAME}.0",
        ),
        (f"{DEV_COOKIE_NAME}={LONG_SESSION[:40]}; other=1", DEV_COOKIE_NAME),
    ],
    ids=["secure", "plain", "chunked", "cookie-header"],
)
def test_cookies_as_gpt4free_passes_them(
    oa_server_factory: Factory, cookies: dict[str, str] | str, sent_name: str
) -> None:
    server, provider = start(oa_server_factory, tokens=[LONG_SESSION, LONG_SESSION[:40]])
    assert collect(provider.create_async_generator(None, MESSAGES, cookies=cookies))
    assert {(r.header("cookie") or "").partition("=")[0] for r in server.requests} == {sent_name}
    assert_nothing_left(server)


@pytest.mark.parametrize("cookies", [None, {}])
def test_no_cookies_against_a_server_that_wants_them(
    oa_server_factory: Factory, cookies: dict[str, str] | None
) -> None:
    server, provider = start(oa_server_factory)
    with pytest.raises(AuthenticationError):
        collect(provider.create_async_generator(None, MESSAGES, cookies=cookies))
    assert [r.header("cookie") for r in server.requests] == [None]
    assert server.chats() == []


def test_an_error_status_is_a_typed_error_and_the_chat_is_deleted(
    oa_server_factory: Factory,
) -> None:
    server, provider = start(oa_server_factory)
    server.faults.add("status=500", step="prompter_message")
    with pytest.raises(APIError) as raised:
        collect(provider.create_async_generator(None, MESSAGES, cookies=COOKIES))
    assert raised.value.status == 500
    assert [r.step for r in server.requests] == ["create_chat", "prompter_message", "delete_chat"]
    assert server.chats() == []


def test_an_unknown_model_is_a_validation_error_and_the_chat_is_deleted(
    oa_server_factory: Factory,
) -> None:
    server, provider = start(oa_server_factory)
    with pytest.raises(ValidationError):
        collect(provider.create_async_generator("no-such-model", MESSAGES, cookies=COOKIES))
    assert_nothing_left(server)


def test_an_error_event_is_raised_after_the_tokens_before_it(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)
    server.faults.add("error-after-tokens=4")
    streamed: list[str] = []

    async def main() -> None:
        async for token in provider.create_async_generator(None, MESSAGES, cookies=COOKIES):
            streamed.append(token)  # noqa: PERF401 - kept one by one: the loop ends in an error

    with pytest.raises(ReplyError) as raised:
        asyncio.run(main())
    assert len(streamed) == 4
    assert raised.value.partial_text.startswith("".join(streamed))
    assert_nothing_left(server)


def test_a_reply_that_already_finished_still_yields_its_text(
    oa_server_factory: Factory,
) -> None:
    server, provider = start(oa_server_factory, token_delay=0)
    server.faults.add("slow-headers=0.5", step="events")  # the reply ends meanwhile
    tokens = provider.create_async_generator(None, MESSAGES, cookies=COOKIES)
    streamed = collect(tokens)
    assert streamed == [tokens.text]
    assert tokens.text
    assert "message" in [r.step for r in server.requests]  # fetched, not streamed
    assert_nothing_left(server)


def test_a_final_text_that_contradicts_the_stream_is_kept_as_text(
    oa_server_factory: Factory,
) -> None:
    server, provider = start(oa_server_factory)
    server.faults.add("duplicate=2")  # the stream repeats a token the final text has once
    tokens = provider.create_async_generator(None, MESSAGES, cookies=COOKIES)
    streamed = collect(tokens)
    assert tokens.text is not None
    joined = "".join(streamed)
    assert joined != tokens.text
    assert joined.split()[1] == joined.split()[2]
    assert joined.split()[:1] + joined.split()[2:] == tokens.text.split()


def test_aclose_deletes_the_chat_at_once(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)

    async def main() -> None:
        tokens = provider.create_async_generator(None, MESSAGES, cookies=COOKIES)
        async for _ in tokens:
            break
        await tokens.aclose()
        assert server.chats() == []

    asyncio.run(main())
    assert_nothing_left(server)


def test_break_and_drop_deletes_the_chat(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)

    async def main() -> None:
        tokens = provider.create_async_generator(None, MESSAGES, cookies=COOKIES)
        async for _ in tokens:
            break
        del tokens
        gc.collect()
        for _ in range(200):  # the loop runs the generator's finalizer as a task
            if not server.chats():
                return
            await asyncio.sleep(0.05)

    asyncio.run(main())
    assert_nothing_left(server)


def test_a_loop_that_ends_with_the_reply_unfinished_deletes_the_chat(
    oa_server_factory: Factory,
) -> None:
    server, provider = start(oa_server_factory)
    kept: list[ReplyTokens] = []

    async def main() -> None:
        tokens = provider.create_async_generator(None, MESSAGES, cookies=COOKIES)
        kept.append(tokens)  # still referenced: only asyncio.run's shutdown closes it
        async for _ in tokens:
            break

    asyncio.run(main())
    assert_nothing_left(server)


def test_cancellation_deletes_the_chat(oa_server_factory: Factory) -> None:
    server, provider = start(oa_server_factory)

    async def main() -> None:
        first = asyncio.Event()

        async def consume() -> None:
            async for _ in provider.create_async_generator(None, MESSAGES, cookies=COOKIES):
                first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), timeout=10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert_nothing_left(server)


def test_a_reply_that_never_comes_times_out_and_the_chat_is_deleted(
    oa_server_factory: Factory,
) -> None:
    server, _ = start(oa_server_factory, pending_interval=0.05)
    server.faults.add("never-end", step="assistant_message")  # pending forever

    class Impatient(OpenAssistant):
        url = server.url + "/chat"
        idle_timeout = 0.5

    with pytest.raises(TransportTimeoutError, match=r"idle_timeout=0\.5"):
        collect(Impatient.create_async_generator(None, MESSAGES, cookies=COOKIES))
    assert_nothing_left(server)


def test_an_empty_proxy_means_none(oa_server_factory: Factory) -> None:
    _, provider = start(oa_server_factory)
    assert collect(provider.create_async_generator(None, MESSAGES, proxy="", cookies=COOKIES))
