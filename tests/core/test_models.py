"""The JSON models: exact parsing of the reference's bodies, and typed errors for anything else."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import pytest

from oaproto import PRESETS, RemoteProtocolError, SamplingParameters
from oaproto.models import (
    Chat,
    ChatPage,
    ChatSummary,
    Message,
    MessageState,
    ModelConfigInfo,
    ParameterConfig,
    PluginEntry,
    Report,
    Role,
    TokenPair,
)
from tests.helpers.api_fixtures import (
    ASSISTANT_ID,
    ASSISTANT_MESSAGE,
    BIG_SEED,
    CHAT_ID,
    CHAT_LIST_READ,
    CHAT_PAGE,
    CHAT_READ,
    CREATED,
    MODEL_CONFIGS_JSON,
    MODIFIED,
    PENDING_MESSAGE,
    PLUGINS_JSON,
    PROMPTER_ID,
    PROMPTER_MESSAGE,
    SECRET,
    TOKEN_PAIR_JSON,
)


def _obj(body: bytes) -> dict[str, Any]:
    value = json.loads(body)
    assert isinstance(value, dict)
    return value


def _message(**changes: Any) -> Message:
    data = _obj(ASSISTANT_MESSAGE)
    data.update(changes)
    return Message.from_json(data)


# --- Message ---


def test_assistant_message_parses_every_field() -> None:
    data = _obj(ASSISTANT_MESSAGE)
    message = Message.from_json(data)
    assert message.id == ASSISTANT_ID
    assert message.parent_id == PROMPTER_ID
    assert message.content == "Hello world \u00e9"
    assert message.chat_id == CHAT_ID
    assert message.created_at == CREATED
    assert message.role is Role.ASSISTANT
    assert message.state is MessageState.COMPLETE
    assert message.score == 1
    assert message.reports == (Report(id="r1", report_type="feedback", reason="too short"),)
    assert message.work_parameters is not None
    assert message.work_parameters["model_config"]["max_total_length"] == 1792
    assert (message.safe_content, message.safety_level, message.safety_label) == (None, None, None)
    assert (message.safety_rots, message.used_plugin) == (None, None)
    assert message.raw is data


def test_seed_above_two_to_the_63_stays_an_exact_int() -> None:
    message = Message.from_json(_obj(ASSISTANT_MESSAGE))
    assert message.work_parameters is not None
    seed = message.work_parameters["seed"]
    assert type(seed) is int
    assert seed == BIG_SEED == 2**64 - 2


def test_prompter_message_is_finished_but_not_assistant() -> None:
    message = Message.from_json(_obj(PROMPTER_MESSAGE))
    assert message.role is Role.PROMPTER
    assert message.state is MessageState.MANUAL
    assert message.is_prompter
    assert not message.is_assistant
    assert message.is_finished
    assert not message.can_be_replied_to
    assert message.parent_id is None
    assert message.work_parameters is None


def test_pending_message_has_no_content() -> None:
    message = Message.from_json(_obj(PENDING_MESSAGE))
    assert message.content is None
    assert message.state == "pending"
    assert not message.is_finished
    assert not message.is_complete
    assert not message.is_failed


@pytest.mark.parametrize(
    ("state", "finished", "complete", "failed"),
    [
        ("manual", True, False, False),
        ("pending", False, False, False),
        ("in_progress", False, False, False),
        ("complete", True, True, False),
        ("aborted_by_worker", True, False, True),
        ("cancelled", False, False, True),
        ("timeout", False, False, True),
    ],
)
def test_state_properties_follow_the_servers_has_finished(
    state: str, finished: bool, complete: bool, failed: bool
) -> None:
    message = _message(state=state)
    assert message.state is MessageState(state)
    assert (message.is_finished, message.is_complete, message.is_failed) == (
        finished,
        complete,
        failed,
    )


def test_unknown_state_and_role_are_kept_as_strings() -> None:
    message = _message(state="paused", role="system")
    assert message.state == "paused"
    assert not isinstance(message.state, MessageState)
    assert message.role == "system"
    assert not isinstance(message.role, Role)
    assert not message.is_finished
    assert not message.is_failed
    assert not message.is_assistant
    assert not message.is_prompter


def test_unknown_keys_are_ignored_and_kept_on_raw() -> None:
    message = _message(future_field={"x": 1})
    assert message.raw["future_field"] == {"x": 1}
    assert message == Message.from_json(_obj(ASSISTANT_MESSAGE))


def test_missing_optional_keys_take_the_servers_defaults() -> None:
    data = {
        "id": "m",
        "chat_id": "c",
        "created_at": CREATED,
        "role": "assistant",
        "state": "pending",
    }
    message = Message.from_json(data)
    assert message.parent_id is None
    assert message.content is None
    assert message.score == 0
    assert message.reports == ()
    assert message.work_parameters is None


@pytest.mark.parametrize("key", ["id", "chat_id", "created_at", "role", "state"])
def test_missing_required_key_is_a_remote_protocol_error(key: str) -> None:
    data = _obj(ASSISTANT_MESSAGE)
    del data[key]
    with pytest.raises(RemoteProtocolError, match=f"Message.{key}: expected a string"):
        Message.from_json(data)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("id", 5, "a string"),
        ("parent_id", 5, "a string or null"),
        ("content", ["x"], "a string or null"),
        ("score", "1", "an integer"),
        ("score", True, "an integer"),
        ("safety_level", False, "an integer or null"),
        ("safety_level", "high", "an integer or null"),
        ("work_parameters", [], "an object or null"),
        ("used_plugin", "plugin", "an object or null"),
    ],
)
def test_wrong_field_types_are_remote_protocol_errors(
    key: str, value: object, expected: str
) -> None:
    with pytest.raises(RemoteProtocolError, match=f"Message.{key}: expected {expected}"):
        _message(**{key: value})


def test_reports_must_be_a_list_of_report_objects() -> None:
    with pytest.raises(RemoteProtocolError, match=r"Message.reports: expected a JSON array"):
        _message(reports={"id": "r"})
    with pytest.raises(RemoteProtocolError, match="Report: expected a JSON object"):
        _message(reports=["spam"])
    with pytest.raises(RemoteProtocolError, match=r"Report.reason: expected a string"):
        _message(reports=[{"id": "r", "report_type": "spam"}])


@pytest.mark.parametrize("value", [None, [], "message", 1, 1.5, True])
def test_non_object_message_is_a_remote_protocol_error(value: object) -> None:
    with pytest.raises(RemoteProtocolError, match="Message: expected a JSON object"):
        Message.from_json(value)


def test_long_bad_values_are_shortened_in_the_message() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        _message(score="9" * 500)
    assert len(str(info.value)) < 150
    assert str(info.value).endswith("...")


def test_message_is_frozen_hashable_and_hides_raw() -> None:
    message = Message.from_json(_obj(ASSISTANT_MESSAGE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.content = "changed"  # type: ignore[misc]
    assert hash(message) == hash(Message.from_json(_obj(ASSISTANT_MESSAGE)))
    assert "raw=" not in repr(message)
    assert "Hello world" in repr(message)


def test_message_can_be_built_without_raw() -> None:
    message = Message(id="m", chat_id="c", created_at=CREATED, role=Role.PROMPTER, state="manual")
    assert message.raw == {}
    assert message.is_finished


def test_created_at_datetime_is_naive_utc() -> None:
    message = Message.from_json(_obj(ASSISTANT_MESSAGE))
    assert message.created_at_datetime == datetime(2023, 8, 28, 12, 0, 0, 123456)
    assert message.created_at_datetime.tzinfo is None
    with pytest.raises(RemoteProtocolError, match="not an ISO 8601 timestamp"):
        _ = _message(created_at="yesterday").created_at_datetime


# --- ChatSummary, Chat, ChatPage ---


def test_chat_summary_parses_the_list_read_shape() -> None:
    chat = ChatSummary.from_json(_obj(CHAT_LIST_READ))
    assert chat == ChatSummary(id=CHAT_ID, created_at=CREATED, modified_at=MODIFIED)
    assert chat.title is None
    assert chat.hidden is False
    assert chat.allow_data_use is True
    assert chat.active_thread_tail_message_id is None
    assert chat.created_at_datetime == datetime(2023, 8, 28, 12, 0, 0, 123456)


def test_chat_summary_defaults_and_errors() -> None:
    minimal = {"id": "c", "created_at": CREATED, "modified_at": MODIFIED}
    chat = ChatSummary.from_json(minimal)
    assert (chat.hidden, chat.allow_data_use) == (False, True)
    with pytest.raises(RemoteProtocolError, match=r"ChatSummary.hidden: expected a boolean"):
        ChatSummary.from_json({**minimal, "hidden": "false"})
    with pytest.raises(RemoteProtocolError, match=r"ChatSummary.modified_at"):
        ChatSummary.from_json({"id": "c", "created_at": CREATED})
    with pytest.raises(RemoteProtocolError, match="ChatSummary: expected a JSON object"):
        ChatSummary.from_json([minimal])
    with pytest.raises(RemoteProtocolError, match="not an ISO 8601"):
        _ = ChatSummary.from_json({**minimal, "created_at": "x"}).created_at_datetime


def test_chat_read_parses_messages_in_server_order() -> None:
    chat = Chat.from_json(_obj(CHAT_READ))
    assert isinstance(chat, ChatSummary)
    assert chat.id == CHAT_ID
    assert [m.id for m in chat.messages] == [PROMPTER_ID, ASSISTANT_ID]
    assert chat.find_message(ASSISTANT_ID) is chat.messages[1]
    assert chat.find_message("nope") is None


def test_chat_errors() -> None:
    data = _obj(CHAT_READ)
    with pytest.raises(RemoteProtocolError, match=r"Chat.messages: expected a JSON array"):
        Chat.from_json({**data, "messages": None})
    with pytest.raises(RemoteProtocolError, match=r"Message.state"):
        Chat.from_json({**data, "messages": [{**data["messages"][0], "state": None}]})
    with pytest.raises(RemoteProtocolError, match="Chat: expected a JSON object"):
        Chat.from_json("chat")
    assert Chat.from_json({k: v for k, v in data.items() if k != "messages"}).messages == ()


def _tree_chat(tail: str | None = None) -> Chat:
    # p1 -> a1 (complete) -> p2 -> a2 (aborted); p2 -> a3 (complete, latest)
    def msg(mid: str, parent: str | None, role: str, state: str, minute: int) -> Message:
        return Message(
            id=mid,
            parent_id=parent,
            chat_id="c",
            created_at=f"2023-08-28T12:{minute:02d}:00.000001",
            role=role,
            state=state,
        )

    messages = (
        msg("a3", "p2", "assistant", "complete", 5),
        msg("p1", None, "prompter", "manual", 1),
        msg("a1", "p1", "assistant", "complete", 2),
        msg("p2", "a1", "prompter", "manual", 3),
        msg("a2", "p2", "assistant", "aborted_by_worker", 4),
    )
    return Chat(
        id="c",
        created_at=CREATED,
        modified_at=MODIFIED,
        messages=messages,
        active_thread_tail_message_id=tail,
    )


def test_thread_walks_parents_to_the_root() -> None:
    chat = _tree_chat()
    assert [m.id for m in chat.thread("a2")] == ["p1", "a1", "p2", "a2"]
    assert [m.id for m in chat.thread("p1")] == ["p1"]
    assert chat.thread("unknown") == ()


def test_thread_stops_at_missing_parents_and_cycles() -> None:
    orphan = Message(
        id="x", parent_id="gone", chat_id="c", created_at=CREATED, role="prompter", state="manual"
    )
    loop_a = Message(
        id="a", parent_id="b", chat_id="c", created_at=CREATED, role="prompter", state="manual"
    )
    loop_b = dataclasses.replace(loop_a, id="b", parent_id="a")
    chat = Chat(id="c", created_at=CREATED, modified_at=MODIFIED, messages=(orphan, loop_a, loop_b))
    assert [m.id for m in chat.thread("x")] == ["x"]
    assert [m.id for m in chat.thread("a")] == ["b", "a"]


def test_active_tail_and_resume_point() -> None:
    assert _tree_chat().active_tail is None
    assert _tree_chat(tail="missing").active_tail is None
    # The active tail wins when it can be replied to, even if not the latest.
    chat = _tree_chat(tail="a1")
    assert chat.active_tail is not None
    assert chat.active_tail.id == "a1"
    last = chat.last_complete_assistant_message()
    assert last is not None
    assert last.id == "a1"
    # An aborted or prompter tail falls back to the latest complete answer.
    for tail in ("a2", "p2", None):
        fallback = _tree_chat(tail=tail).last_complete_assistant_message()
        assert fallback is not None
        assert fallback.id == "a3"


def test_resume_point_is_none_without_a_complete_answer() -> None:
    empty = Chat(id="c", created_at=CREATED, modified_at=MODIFIED)
    assert empty.last_complete_assistant_message() is None
    only_prompt = Chat.from_json(
        {**_obj(CHAT_LIST_READ), "messages": [_obj(PROMPTER_MESSAGE), _obj(PENDING_MESSAGE)]}
    )
    assert only_prompt.last_complete_assistant_message() is None


def test_chat_page_parses_cursors() -> None:
    page = ChatPage.from_json(_obj(CHAT_PAGE))
    assert [c.id for c in page.chats] == [CHAT_ID]
    assert page.next == "MDY1NmExYTktNGJiMy03ZDhh"
    assert page.prev is None
    with pytest.raises(RemoteProtocolError, match=r"ChatPage.chats: expected a JSON array"):
        ChatPage.from_json({"next": None})
    with pytest.raises(RemoteProtocolError, match=r"ChatPage.prev: expected a string or null"):
        ChatPage.from_json({"chats": [], "prev": 3})


# --- model configs and plugins ---


def test_model_configs_carry_the_eight_presets_exactly() -> None:
    value = json.loads(MODEL_CONFIGS_JSON)
    info = ModelConfigInfo.from_json(value[0])
    assert info.name == "OA_SFT_Llama_30B_6"
    assert info.description == ""
    assert [p.name for p in info.parameter_configs] == list(PRESETS)
    for preset in info.parameter_configs:
        assert preset.sampling == PRESETS[preset.name]
    plugins_preset = info.preset("k50-Plugins")
    assert plugins_preset is not None
    assert plugins_preset.repetition_penalty == 1.1111111111111112
    assert info.preset("k99") is None


def test_model_config_shapes_and_errors() -> None:
    assert ModelConfigInfo.from_json({"name": "m", "description": None}).parameter_configs == ()
    with pytest.raises(RemoteProtocolError, match="parameter_configs: expected a JSON array"):
        ModelConfigInfo.from_json({"name": "m", "parameter_configs": {}})
    with pytest.raises(RemoteProtocolError, match="ModelConfigInfo: expected a JSON object"):
        ModelConfigInfo.from_json(None)
    with pytest.raises(RemoteProtocolError, match="sampling_parameters is not an object"):
        ParameterConfig.from_json({"name": "k50"})
    with pytest.raises(RemoteProtocolError, match="unusable sampling_parameters"):
        ParameterConfig.from_json({"name": "k50", "sampling_parameters": {"max_new_tokens": None}})
    preset = ParameterConfig.from_json({"name": "p", "sampling_parameters": {}})
    assert preset.sampling == SamplingParameters()


def test_plugin_entry_parses_and_round_trips() -> None:
    value = json.loads(PLUGINS_JSON)
    plugin = PluginEntry.from_json(value[0])
    assert plugin == PluginEntry(url="https://plugins.example/ai-plugin.json", trusted=True)
    assert plugin.to_json() == value[0]
    assert list(plugin.to_json()) == ["url", "enabled", "plugin_config", "trusted"]


def test_plugin_entry_defaults_and_config() -> None:
    plugin = PluginEntry.from_json({"url": "u", "trusted": None, "plugin_config": {"a": [1]}})
    assert (plugin.enabled, plugin.trusted) == (True, None)
    assert plugin.to_json() == {
        "url": "u",
        "enabled": True,
        "plugin_config": {"a": [1]},
        "trusted": None,
    }
    assert PluginEntry.from_json({"url": "u"}).trusted is False
    assert hash(plugin) == hash(PluginEntry(url="u", trusted=None, plugin_config={"b": 2}))
    with pytest.raises(RemoteProtocolError, match=r"PluginEntry.enabled: expected a boolean"):
        PluginEntry.from_json({"url": "u", "enabled": 1})
    with pytest.raises(RemoteProtocolError, match=r"PluginEntry.trusted: expected a boolean"):
        PluginEntry.from_json({"url": "u", "trusted": "yes"})


# --- TokenPair ---


def test_token_pair_parses_and_never_shows_tokens() -> None:
    pair = TokenPair.from_json(json.loads(TOKEN_PAIR_JSON))
    assert pair.access_token == "acc-" + SECRET
    assert pair.refresh_token == "ref-" + SECRET
    assert SECRET not in repr(pair)
    assert SECRET not in str(pair)


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"access_token": "acc-" + SECRET},
        {"access_token": {"access_token": "acc-" + SECRET}},
        {"access_token": {"access_token": 1}, "refresh_token": {"access_token": SECRET}},
    ],
)
def test_token_pair_errors_never_contain_tokens(value: object) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        TokenPair.from_json(value)
    assert SECRET not in str(info.value)
    assert "TokenPair" in str(info.value)
