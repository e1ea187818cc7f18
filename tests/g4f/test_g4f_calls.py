"""What a call accepts, checked before any request: the seed API and its fixed argument bugs."""

from __future__ import annotations

import asyncio
import copy
import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oaproto import LocalProtocolError
from oaproto.g4f import OpenAssistant
from oaproto.transports.g4f_provider import (
    G4F_DEFAULT_MODEL_ALIASES,
    ReplyTokens,
    api_origin,
)
from oaproto.transports.server import ThreadedServer
from tests.helpers.g4f_fixtures import COOKIES, MESSAGES


def test_the_seed_class_attributes() -> None:
    assert OpenAssistant.url == "https://open-assistant.io/chat"
    assert OpenAssistant.needs_auth is True
    assert OpenAssistant.working is False
    assert OpenAssistant.model == "OA_SFT_Llama_30B_6"
    assert OpenAssistant.supports_stream is True


def test_the_seed_signature() -> None:
    parameters = inspect.signature(OpenAssistant.create_async_generator).parameters
    assert list(parameters) == ["model", "messages", "proxy", "cookies", "kwargs"]
    assert parameters["proxy"].default is None
    assert parameters["cookies"].default is None
    assert parameters["kwargs"].kind is inspect.Parameter.VAR_KEYWORD


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://open-assistant.io/chat", "https://open-assistant.io"),
        ("https://open-assistant.io/chat/", "https://open-assistant.io"),
        ("http://127.0.0.1:8000/chat", "http://127.0.0.1:8000"),
        ("http://host/prefix/chat", "http://host/prefix"),
        ("http://host:81", "http://host:81"),
        ("http://host/chats", "http://host/chats"),
    ],
)
def test_the_api_origin_follows_the_url(url: str, origin: str) -> None:
    assert api_origin(url) == origin


def call(**overrides: Any) -> ReplyTokens:
    arguments: dict[str, Any] = {"model": None, "messages": MESSAGES, **overrides}
    return OpenAssistant.create_async_generator(**arguments)


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"foo": 1}, "foo"),
        ({"top_k": 5, "seed": 1, "timeout": 3}, "seed, timeout"),
        ({"sampling_parameters": {}}, "sampling_parameters"),
    ],
)
def test_an_unknown_keyword_is_refused_and_named(keywords: dict[str, Any], named: str) -> None:
    with pytest.raises(LocalProtocolError, match=f"unknown keyword argument\\(s\\) {named};"):
        call(**keywords)


def test_stream_and_auth_are_accepted_because_gpt4free_passes_them() -> None:
    assert isinstance(call(stream=True, auth="whatever"), ReplyTokens)


@pytest.mark.parametrize(
    "keywords",
    [{"max_new_tokens": None}, {"temperature": 0}, {"top_k": "50"}, {"top_p": 1.5}],
)
def test_a_bad_sampling_value_is_refused_before_any_request(keywords: dict[str, Any]) -> None:
    with pytest.raises(LocalProtocolError):
        call(**keywords)


@pytest.mark.parametrize(
    "messages", [[], "Hello", [{"role": "user"}], [{"role": "user", "content": 1}], [1]]
)
def test_unusable_messages_are_refused(messages: Any) -> None:
    with pytest.raises(LocalProtocolError):
        call(messages=messages)


def test_a_model_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="model must be a string or None, not int"):
        call(model=3)


def test_cookies_without_a_session_cookie_are_refused_without_their_values() -> None:
    with pytest.raises(LocalProtocolError, match="cf_clearance") as raised:
        call(cookies={"cf_clearance": "s3cret-value"})
    assert "s3cret-value" not in str(raised.value)


def test_an_unusable_proxy_is_refused_without_its_password() -> None:
    with pytest.raises(LocalProtocolError) as raised:
        call(proxy="socks5://user:pr0xy-s3cret@127.0.0.1:1080")
    assert "pr0xy-s3cret" not in str(raised.value)


def test_a_refused_call_sends_nothing(oa_server: ThreadedServer) -> None:
    class Local(OpenAssistant):
        url = oa_server.url + "/chat"

    with pytest.raises(LocalProtocolError):
        Local.create_async_generator(None, MESSAGES, cookies=COOKIES, bogus=1)
    assert oa_server.requests == []


@given(
    st.lists(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["user", "assistant", "system"]), "content": st.text()}
        ),
        min_size=1,
        max_size=4,
    )
)
def test_the_callers_messages_are_never_modified(messages: list[dict[str, str]]) -> None:
    before = copy.deepcopy(messages)
    tokens = call(messages=messages)
    assert messages == before
    asyncio.run(tokens.aclose())  # never started: nothing was sent


@pytest.mark.parametrize("model", [None, "", *sorted(G4F_DEFAULT_MODEL_ALIASES)])
def test_gpt4free_model_names_mean_the_default(model: str | None) -> None:
    class Custom(OpenAssistant):
        model = "OA_SFT_Llama_30B_7"

    assert Custom._model_name(model) == "OA_SFT_Llama_30B_7"
    assert OpenAssistant._model_name(model) == "OA_SFT_Llama_30B_6"


def test_other_model_names_are_sent_as_given() -> None:
    assert OpenAssistant._model_name("OA_SFT_Llama2_70B_10") == "OA_SFT_Llama2_70B_10"
    assert OpenAssistant._model_name("gpt-3.5-turbo-instruct") == "gpt-3.5-turbo-instruct"
