"""Reply options, argument checks, reprs and the event value types."""

from __future__ import annotations

import dataclasses
import enum
import json
import typing

import pytest

from oaproto import (
    NEED_DATA,
    PRESETS,
    AssistantMessageQueued,
    ChatCreated,
    ChatDeleted,
    ChatState,
    Dialect,
    Event,
    LifecycleEvent,
    LocalProtocolError,
    Pending,
    PluginIntermediate,
    PrompterMessagePosted,
    ReplyAlreadyFinished,
    ReplyCompleted,
    ReplyFailed,
    ReplyOptions,
    ReplyUnfinished,
    SamplingParameters,
    StreamEvent,
    Token,
    UnknownStreamEvent,
)
from oaproto.models import PluginEntry
from oaproto.state import BEFORE_COMMAND, TRANSITIONS, Revert, SessionInput
from tests.helpers.session_fixtures import (
    CREATED_RESPONSE,
    DIALECTS,
    INFERENCE,
    PROMPTER_RESPONSE,
    SECRET,
    WEB,
    new_session,
    public_attributes,
    reach,
)

PLUGIN = PluginEntry(url="https://plugins.example/ai-plugin.json")


def test_reply_option_defaults() -> None:
    options = ReplyOptions()
    assert options.model_config_name == "OA_SFT_Llama_30B_6"
    assert options.sampling == PRESETS["k50"]
    assert options.plugins == ()
    assert (options.system_prompt, options.user_profile, options.user_response_instructions) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model_config_name": ""},
        {"model_config_name": 3},
        {"sampling": {"top_k": 50}},
        {"plugins": "https://x"},
        {"plugins": [1]},
        {"plugins": 5},
        {"system_prompt": 5},
        {"user_profile": b"x"},
    ],
)
def test_reply_options_are_validated(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        ReplyOptions(**kwargs)  # type: ignore[arg-type]


def test_reply_options_change_through_dataclasses_replace() -> None:
    options = ReplyOptions(plugins=[PLUGIN])  # type: ignore[arg-type]
    assert options.plugins == (PLUGIN,)
    changed = dataclasses.replace(options, model_config_name="_lorem", system_prompt="Be brief")
    assert (changed.model_config_name, changed.system_prompt) == ("_lorem", "Be brief")
    assert options.model_config_name == "OA_SFT_Llama_30B_6"
    with pytest.raises(TypeError, match="temperature"):
        dataclasses.replace(options, temperature=0.5)  # type: ignore[call-arg]
    with pytest.raises(LocalProtocolError):
        dataclasses.replace(options, sampling=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_session_options_and_per_call_overrides_reach_the_body(dialect: Dialect) -> None:
    session = new_session(
        dialect,
        ReplyOptions(
            model_config_name="_lorem",
            sampling=PRESETS["typical2"],
            plugins=(PLUGIN,),
            system_prompt="sys",
            user_profile="profile",
            user_response_instructions="be kind",
        ),
    )
    session.create_chat()
    session.receive_response(CREATED_RESPONSE)
    session.post_prompter_message("Hi")
    session.receive_response(PROMPTER_RESPONSE)

    body = json.loads(session.request_assistant_message().body)
    assert body["model_config_name"] == "_lorem"
    assert body["sampling_parameters"]["typical_p"] == 0.2
    assert body["plugins"] == [PLUGIN.to_json()]
    assert (body["system_prompt"], body["user_profile"], body["user_response_instructions"]) == (
        "sys",
        "profile",
        "be kind",
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_overrides_apply_to_one_request_only(dialect: Dialect) -> None:
    session = reach("PROMPTED", dialect)
    sampling = SamplingParameters(temperature=0.1)
    body = json.loads(
        session.request_assistant_message(
            ReplyOptions(sampling=sampling, system_prompt="x", plugins=())
        ).body
    )
    assert body["sampling_parameters"]["temperature"] == 0.1
    assert body["system_prompt"] == "x"
    assert session.options == ReplyOptions()
    plain = reach("PROMPTED", dialect).request_assistant_message()
    assert "system_prompt" not in json.loads(plain.body)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "options",
    [{"stream": True}, {"model_config_name": "_lorem"}, "k50", ReplyOptions],
)
def test_bad_options_change_nothing(dialect: Dialect, options: object) -> None:
    session = reach("PROMPTED", dialect)
    before = public_attributes(session)
    with pytest.raises(LocalProtocolError, match="options must be a ReplyOptions"):
        session.request_assistant_message(options)  # type: ignore[arg-type]
    assert public_attributes(session) == before


@pytest.mark.parametrize(
    "options", [{"model_config_name": "_lorem"}, PRESETS["k50"]], ids=["dict", "sampling"]
)
def test_the_constructor_refuses_what_is_not_reply_options(options: object) -> None:
    with pytest.raises(LocalProtocolError, match="options must be a ReplyOptions"):
        new_session(Dialect.WEB, options)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("content", [None, 5, b"bytes"])
def test_post_rejects_non_string_content(dialect: Dialect, content: object) -> None:
    session = reach("READY", dialect)
    before = public_attributes(session)
    with pytest.raises(LocalProtocolError):
        session.post_prompter_message(content)  # type: ignore[arg-type]
    assert public_attributes(session) == before


@pytest.mark.parametrize("dialect", DIALECTS)
def test_bad_session_options_are_refused(dialect: Dialect) -> None:
    with pytest.raises(LocalProtocolError):
        new_session(dialect, ReplyOptions(sampling={"top_k": 1}))  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        new_session(dialect, ReplyOptions(plugins=["x"]))  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", ["IDLE", "STREAMING", "REPLIED", "ERROR/stream-broken"])
def test_repr_shows_ids_but_never_the_credential(dialect: Dialect, name: str) -> None:
    session = reach(name, dialect)
    text = repr(session)
    assert SECRET not in text
    assert session.state.name in text
    assert f"chat_id={session.chat_id!r}" in text
    assert f"assistant_message_id={session.assistant_message_id!r}" in text


@pytest.mark.parametrize("dialect", DIALECTS)
def test_requests_carry_the_credential_only_in_headers(dialect: Dialect) -> None:
    session = reach("REPLIED", dialect)
    request = session.delete_chat()
    assert SECRET not in request.url
    assert SECRET not in repr(request)
    assert any(SECRET in value for _, value in request.headers)


# --- events ---

EVENT_TYPES = [
    ChatCreated,
    PrompterMessagePosted,
    AssistantMessageQueued,
    ReplyUnfinished,
    ChatDeleted,
    Pending,
    Token,
    PluginIntermediate,
    ReplyCompleted,
    ReplyFailed,
    UnknownStreamEvent,
    ReplyAlreadyFinished,
]


@pytest.mark.parametrize("cls", EVENT_TYPES)
def test_events_are_frozen_slotted_keyword_only_values(cls: type[Event]) -> None:
    assert issubclass(cls, Event)
    assert vars(cls)["__dataclass_params__"].frozen  # raises KeyError if not a dataclass
    fields: tuple[dataclasses.Field[object], ...] = dataclasses.fields(cls)  # type: ignore[arg-type]
    assert all(f.kw_only for f in fields)
    assert "__slots__" in cls.__dict__
    assert not hasattr(Token(text="x"), "__dict__")


def test_event_unions_cover_the_right_types() -> None:
    assert set(typing.get_args(LifecycleEvent)) == {
        ChatCreated,
        PrompterMessagePosted,
        AssistantMessageQueued,
        ReplyCompleted,
        ReplyFailed,
        ReplyUnfinished,
        ChatDeleted,
    }
    assert set(typing.get_args(StreamEvent)) == {
        Pending,
        Token,
        PluginIntermediate,
        ReplyCompleted,
        ReplyFailed,
        UnknownStreamEvent,
        ReplyAlreadyFinished,
    }


def test_events_reject_positional_arguments_and_mutation() -> None:
    with pytest.raises(TypeError):
        Token("x")  # type: ignore[call-arg]
    token = Token(text="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.text = "y"  # type: ignore[misc]
    assert token == Token(text="x")
    assert hash(token) == hash(Token(text="x"))


def test_need_data_is_a_one_member_enum() -> None:
    kind: type[enum.Enum] = type(NEED_DATA)
    assert list(kind) == [NEED_DATA]


def test_outcome_inputs_are_marked() -> None:
    outcomes = {i for i in SessionInput if i.is_outcome}
    assert SessionInput.REMOTE_ERROR in outcomes
    assert SessionInput.CHAT_CREATED in outcomes
    assert SessionInput.RECEIVE_RESPONSE not in outcomes
    assert SessionInput.DELETE_CHAT not in outcomes
    # Every outcome the table uses is marked as one, and only receive calls are self-loops.
    for (state, event), target in TRANSITIONS.items():
        if target is state and event is not SessionInput.DELETE_CHAT:
            assert event.name.startswith(("RECEIVE_", "NEXT_")), (state, event)


def test_every_state_is_reachable_and_used() -> None:
    states = {s for s, _ in TRANSITIONS} | set(TRANSITIONS.values())
    assert states == {*ChatState, BEFORE_COMMAND}
    assert {i for _, i in TRANSITIONS} == set(SessionInput)


def test_only_a_rejection_goes_back_to_before_the_command() -> None:
    undone = {(s, i) for (s, i), target in TRANSITIONS.items() if target is BEFORE_COMMAND}
    assert {i for _, i in undone} == {SessionInput.REQUEST_REJECTED}
    # Every request in flight can be refused; only a refused delete is not undone.
    rejected = {s for s, i in TRANSITIONS if i is SessionInput.REQUEST_REJECTED}
    assert rejected == {s for s, _ in undone} | {ChatState.DELETING}
    assert TRANSITIONS[(ChatState.DELETING, SessionInput.REQUEST_REJECTED)] is ChatState.ERROR
    assert list(Revert) == [BEFORE_COMMAND]


def test_the_commands_that_send_a_request() -> None:
    sending = {i for i in SessionInput if i.sends_request}
    assert SessionInput.ABANDON_STREAM not in sending
    assert not any(i.is_outcome or i.name.startswith(("RECEIVE_", "NEXT_")) for i in sending)
    assert len(sending) == 6


@pytest.mark.parametrize("dialect", [WEB, INFERENCE])
def test_dialect_is_exposed(dialect: Dialect) -> None:
    assert new_session(dialect).dialect is dialect
