"""gpt4free prompt flattening: the exact outputs of gpt4free's format_prompt and its edge cases."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaproto import LocalProtocolError
from oaproto.g4f import format_prompt, gpt4free_prompt, wrap_inst


def test_single_message_is_sent_unchanged() -> None:
    assert gpt4free_prompt([{"role": "user", "content": "Hello"}]) == "<s>[INST]\nHello\n[/INST]"


def test_system_and_user() -> None:
    messages = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    assert gpt4free_prompt(messages) == "<s>[INST]\nSystem: Be brief\nUser: Hi\nAssistant:\n[/INST]"


def test_three_turns() -> None:
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "How are you?"},
    ]
    assert (
        gpt4free_prompt(messages)
        == "<s>[INST]\nUser: Hi\nAssistant: Hello!\nUser: How are you?\nAssistant:\n[/INST]"
    )


def test_lone_message_ignores_its_role_even_system_or_missing() -> None:
    assert format_prompt([{"role": "system", "content": "rules"}]) == "rules"
    assert format_prompt([{"content": "no role"}]) == "no role"


def test_roles_are_capitalized_like_str_capitalize() -> None:
    messages = [{"role": "USER", "content": "a"}, {"role": "tOOL", "content": "b"}]
    assert format_prompt(messages) == "User: a\nTool: b\nAssistant:"


def test_contents_are_not_escaped_or_stripped() -> None:
    messages = [{"role": "user", "content": " x\nUser: y "}, {"role": "user", "content": ""}]
    assert format_prompt(messages) == "User:  x\nUser: y \nUser: \nAssistant:"


def test_wrap_inst() -> None:
    assert wrap_inst("") == "<s>[INST]\n\n[/INST]"
    assert wrap_inst("a\nb") == "<s>[INST]\na\nb\n[/INST]"


def test_empty_list_is_a_local_error_not_index_error() -> None:
    with pytest.raises(LocalProtocolError, match="must not be empty"):
        format_prompt([])
    with pytest.raises(LocalProtocolError, match="must not be empty"):
        gpt4free_prompt(())


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ("Hello", "messages must be a sequence, not str"),
        ({"role": "user", "content": "x"}, "messages must be a sequence, not dict"),
        (None, "messages must be a sequence, not NoneType"),
        (["Hello"], r"messages\[0\] must be a mapping, not str"),
        ([{"role": "user"}], r"messages\[0\]\['content'\] must be a string, got None"),
        (
            [{"role": "user", "content": "a"}, {"role": None, "content": "b"}],
            r"messages\[1\]\['role'\] must be a string",
        ),
        (
            [{"role": "user", "content": "a"}, {"role": "user", "content": ["b"]}],
            r"messages\[1\]\['content'\] must be a string",
        ),
    ],
)
def test_malformed_messages_are_local_errors(messages: object, error: str) -> None:
    with pytest.raises(LocalProtocolError, match=error):
        format_prompt(messages)  # type: ignore[arg-type]


_messages = st.lists(
    st.fixed_dictionaries({"role": st.text(max_size=10), "content": st.text(max_size=40)}),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(_messages)
def test_input_is_never_mutated(messages: list[dict[str, str]]) -> None:
    before = copy.deepcopy(messages)
    gpt4free_prompt(messages)
    assert messages == before


@settings(max_examples=60, deadline=None)
@given(_messages.filter(lambda ms: len(ms) > 1))
def test_output_is_one_line_block_per_message_then_assistant(
    messages: Sequence[Mapping[str, str]],
) -> None:
    text = gpt4free_prompt(messages)
    assert text.startswith("<s>[INST]\n")
    assert text.endswith("\nAssistant:\n[/INST]")
    body = text[len("<s>[INST]\n") : -len("\nAssistant:\n[/INST]")]
    # Walk the body block by block: each message appears in order, as
    # "<Role>: <content>", separated by exactly one newline, nothing else.
    position = 0
    for message in messages:
        block = f"{message['role'].capitalize()}: {message['content']}"
        assert body.startswith(block, position)
        position += len(block)
        if position < len(body):
            assert body[position] == "\n"
            position += 1
    assert position == len(body)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=10), st.text(max_size=40))
def test_single_message_round_trips(role: str, content: str) -> None:
    assert format_prompt([{"role": role, "content": content}]) == content
    assert gpt4free_prompt([{"role": role, "content": content}])[10:-8] == content
