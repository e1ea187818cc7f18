"""Sampling parameters, the eight presets and the model config table."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest

from oaproto import PRESETS, LocalProtocolError, RemoteProtocolError, SamplingParameters
from oaproto.g4f import GPT4FREE_SAMPLING
from oaproto.models import DEFAULT_MODEL_CONFIG_NAME, MODEL_CONFIGS, ModelConfig

FIELDS = ["top_k", "top_p", "typical_p", "temperature", "repetition_penalty", "max_new_tokens"]


def test_defaults_let_the_server_choose_except_max_new_tokens() -> None:
    assert SamplingParameters().to_json() == {
        "top_k": None,
        "top_p": None,
        "typical_p": None,
        "temperature": None,
        "repetition_penalty": None,
        "max_new_tokens": 1024,
    }


def _encode(value: object) -> bytes:
    # How the core sends JSON: compact, raw UTF-8 (both servers' own encoding).
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def test_to_json_uses_the_servers_field_order() -> None:
    params = SamplingParameters(
        max_new_tokens=5, repetition_penalty=1.3, temperature=0.5, typical_p=0.2, top_p=0.9, top_k=7
    )
    assert list(params.to_json()) == FIELDS
    assert _encode(params.to_json()) == (
        b'{"top_k":7,"top_p":0.9,"typical_p":0.2,"temperature":0.5,'
        b'"repetition_penalty":1.3,"max_new_tokens":5}'
    )


@pytest.mark.parametrize(
    "values",
    [
        {"top_k": 1},
        {"top_p": 1.0},
        {"top_p": 1},
        {"typical_p": 0.01},
        {"temperature": 2},
        {"temperature": 5.0},
        {"repetition_penalty": 3.0},
        {"max_new_tokens": 0},
        {"max_new_tokens": 2**40},
    ],
)
def test_usable_values_are_accepted(values: dict[str, Any]) -> None:
    params = SamplingParameters(**values)
    for name, value in values.items():
        assert getattr(params, name) == value


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_new_tokens": None}, "max_new_tokens must not be None"),
        ({"max_new_tokens": -1}, "max_new_tokens must be >= 0, got -1"),
        ({"max_new_tokens": 10.0}, "max_new_tokens must be an int, not float"),
        ({"max_new_tokens": True}, "max_new_tokens must be an int, not bool"),
        ({"top_k": 0}, "top_k must be >= 1, got 0"),
        ({"top_k": "50"}, "top_k must be an int, not str"),
        ({"top_k": 1.5}, "top_k must be an int, not float"),
        ({"top_p": 0}, r"top_p must be a finite number in \(0, 1.0\], got 0"),
        ({"top_p": 1.01}, r"top_p must be a finite number in \(0, 1.0\]"),
        ({"typical_p": -0.2}, r"typical_p must be a finite number in \(0, 1.0\]"),
        ({"top_p": True}, "top_p must be a number, not bool"),
        ({"temperature": 0}, "temperature must be a finite number > 0, got 0"),
        ({"temperature": math.nan}, "temperature must be a finite number > 0, got nan"),
        ({"temperature": math.inf}, "temperature must be a finite number > 0, got inf"),
        ({"temperature": "hot"}, "temperature must be a number, not str"),
        ({"repetition_penalty": -1.2}, "repetition_penalty must be a finite number > 0"),
    ],
)
def test_unusable_values_are_local_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        SamplingParameters(**values)


def test_create_rejects_gpt4free_stray_keywords() -> None:
    # gpt4free merges stream= and auth= into sampling_parameters.
    with pytest.raises(LocalProtocolError) as info:
        SamplingParameters.create(temperature=0.5, stream=True, auth="cookie")
    text = str(info.value)
    assert text.startswith("unknown sampling parameter(s) auth, stream;")
    assert "valid names: " + ", ".join(FIELDS) in text
    assert "cookie" not in text


def test_create_accepts_known_keywords() -> None:
    assert SamplingParameters.create(top_k=5, max_new_tokens=9) == SamplingParameters(
        top_k=5, max_new_tokens=9
    )
    with pytest.raises(LocalProtocolError, match="max_new_tokens must not be None"):
        SamplingParameters.create(max_new_tokens=None)


def test_with_changes() -> None:
    base = PRESETS["k50"]
    changed = base.with_changes(temperature=0.2)
    assert changed.temperature == 0.2
    assert changed.top_k == 50
    assert base.temperature == 0.75
    copy = base.with_changes()
    assert copy == base
    with pytest.raises(LocalProtocolError, match="unknown sampling parameter"):
        base.with_changes(seed=1)
    with pytest.raises(LocalProtocolError, match="top_k must be >= 1"):
        base.with_changes(top_k=0)


def test_parameters_are_frozen() -> None:
    params = SamplingParameters()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.top_k = 3  # type: ignore[misc]


def test_from_json_ignores_unknown_keys_like_pydantic() -> None:
    params = SamplingParameters.from_json({"top_k": 50, "stream": True, "auth": "x"})
    assert params == SamplingParameters(top_k=50)
    assert SamplingParameters.from_json({}) == SamplingParameters()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "sampling_parameters is not an object: None"),
        ([1], r"sampling_parameters is not an object: \[1\]"),
        ({"max_new_tokens": None}, "server sent unusable sampling_parameters: max_new_tokens"),
        ({"top_p": "high"}, "server sent unusable sampling_parameters: top_p"),
    ],
)
def test_from_json_errors_are_remote(value: object, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        SamplingParameters.from_json(value)


# --- presets: the server's table, value for value ---

PRESET_TABLE = {
    "k50": (50, 0.95, None, 0.75, 1.2, 1024),
    "k50-Creative": (50, 0.95, None, 0.85, 1.2, 1024),
    "k50-Precise": (50, 0.95, None, 0.1, 1.2, 1024),
    "k50-Original": (50, 0.95, None, 0.9, 1.2, 1024),
    "k50-Plugins": (50, None, None, 0.35, 1.1111111111111112, 1024),
    "nucleus9": (None, 0.9, None, 0.8, 1.2, 1024),
    "typical2": (None, None, 0.2, 0.8, 1.2, 1024),
    "typical3": (None, None, 0.3, 0.8, 1.2, 1024),
}


def test_presets_match_the_reference_table_in_order() -> None:
    assert list(PRESETS) == list(PRESET_TABLE)
    for name, row in PRESET_TABLE.items():
        assert tuple(PRESETS[name].to_json().values()) == row, name


def test_k50_plugins_repetition_penalty_serialises_exactly() -> None:
    encoded = _encode(PRESETS["k50-Plugins"].to_json())
    assert b'"repetition_penalty":1.1111111111111112' in encoded
    assert json.loads(encoded)["repetition_penalty"] == 1 / 0.9


def test_gpt4free_sampling_is_the_k50_plugins_request_body() -> None:
    # The provider's literal defaults.
    assert GPT4FREE_SAMPLING.to_json() == {
        "top_k": 50,
        "top_p": None,
        "typical_p": None,
        "temperature": 0.35,
        "repetition_penalty": 1.1111111111111112,
        "max_new_tokens": 1024,
    }


def test_presets_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        PRESETS["mine"] = SamplingParameters()  # type: ignore[index]


# --- model configs ---


def test_model_config_names_in_reference_order() -> None:
    names = list(MODEL_CONFIGS)
    assert len(names) == 25
    assert names[:2] == ["_lorem", "distilgpt2"]
    assert names[-2:] == ["OA_SFT_Llama2_70B_10", "OA_SFT_CodeLlama_13B_10"]
    assert DEFAULT_MODEL_CONFIG_NAME == "OA_SFT_Llama_30B_6"
    assert DEFAULT_MODEL_CONFIG_NAME in MODEL_CONFIGS


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "_lorem",
            ModelConfig(
                name="_lorem", model_id="_lorem", max_input_length=128, max_total_length=256
            ),
        ),
        (
            "OA_SFT_Llama_30Bq_6",
            ModelConfig(
                name="OA_SFT_Llama_30Bq_6",
                model_id="OpenAssistant/oasst-sft-6-llama-30b",
                max_input_length=1024,
                max_total_length=1792,
                quantized=True,
            ),
        ),
        (
            "Carper_RLHF_13B_1",
            ModelConfig(
                name="Carper_RLHF_13B_1",
                model_id="CarperAI/vicuna-13b-fine-tuned-rlhf",
                max_input_length=1024,
                max_total_length=2048,
            ),
        ),
        (
            "OA_SFT_CodeLlama_13B_10",
            ModelConfig(
                name="OA_SFT_CodeLlama_13B_10",
                model_id="OpenAssistant/codellama-13b-oasst-sft-v10",
                max_input_length=8192,
                max_total_length=12288,
            ),
        ),
    ],
)
def test_model_config_rows(name: str, expected: ModelConfig) -> None:
    assert MODEL_CONFIGS[name] == expected


def test_compat_hash() -> None:
    assert MODEL_CONFIGS["OA_SFT_Llama_30B_6"].compat_hash == (
        "OpenAssistant/oasst-sft-6-llama-30b-1792-1024-f"
    )
    assert MODEL_CONFIGS["OA_SFT_Pythia_12Bq"].compat_hash == (
        "OpenAssistant/oasst-sft-1-pythia-12b-2048-1024-q"
    )


def test_every_quantized_name_has_a_q() -> None:
    for name, model in MODEL_CONFIGS.items():
        assert model.name == name
        assert model.quantized == ("q_" in name or name.endswith("q")), name


def test_from_json_accepts_integral_floats_for_int_fields_only() -> None:
    parsed = SamplingParameters.from_json({"top_k": 50.0, "max_new_tokens": 512.0, "top_p": 1.0})
    assert parsed.top_k == 50
    assert isinstance(parsed.top_k, int)
    assert parsed.max_new_tokens == 512
    assert isinstance(parsed.top_p, float)
