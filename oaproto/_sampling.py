"""Sampling parameters, the eight server presets and the model config names.

Values are those of the Open Assistant inference server.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

from ._errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "DEFAULT_MODEL_CONFIG_NAME",
    "GPT4FREE_SAMPLING",
    "MODEL_CONFIGS",
    "PRESETS",
    "ModelConfig",
    "SamplingParameters",
]

JsonNumber = int | float | None

_INT_FIELDS = frozenset({"top_k", "max_new_tokens"})

_FIELD_NAMES = (
    "top_k",
    "top_p",
    "typical_p",
    "temperature",
    "repetition_penalty",
    "max_new_tokens",
)


def _check_int(name: str, value: object, *, minimum: int, allow_none: bool) -> None:
    if value is None:
        if not allow_none:
            raise LocalProtocolError(f"{name} must not be None")
        return
    # bool is an int subclass, but True as a token count is always a caller bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise LocalProtocolError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise LocalProtocolError(f"{name} must be >= {minimum}, got {value}")


def _check_float(name: str, value: object, *, upper: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LocalProtocolError(f"{name} must be a number, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0 or (upper is not None and value > upper):
        bound = f"in (0, {upper}]" if upper is not None else "> 0"
        raise LocalProtocolError(f"{name} must be a finite number {bound}, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplingParameters:
    """Sampling parameters sent with an assistant-message request.

    ``None`` means "let the server choose" and is allowed for every field but
    ``max_new_tokens``, which the server rejects as null (a 422). Ranges are
    checked only where a value can never work (the server itself checks none,
    and an unusable value ends in a worker ``Timeout`` much later):
    ``top_k >= 1``, ``0 < top_p, typical_p <= 1``, ``temperature > 0``,
    ``repetition_penalty > 0``, ``max_new_tokens >= 0`` (0 means "all the
    room the context leaves", as the worker reads it).

    Raises:
        LocalProtocolError: a value has the wrong type or can never work.
    """

    top_k: int | None = None
    top_p: float | None = None
    typical_p: float | None = None
    temperature: float | None = None
    repetition_penalty: float | None = None
    max_new_tokens: int = 1024

    def __post_init__(self) -> None:
        _check_int("top_k", self.top_k, minimum=1, allow_none=True)
        _check_float("top_p", self.top_p, upper=1.0)
        _check_float("typical_p", self.typical_p, upper=1.0)
        _check_float("temperature", self.temperature, upper=None)
        _check_float("repetition_penalty", self.repetition_penalty, upper=None)
        _check_int("max_new_tokens", self.max_new_tokens, minimum=0, allow_none=False)

    @classmethod
    def create(cls, **values: Any) -> SamplingParameters:
        """Build from keyword arguments, rejecting any name the API does not know.

        Unlike gpt4free, which merges every stray keyword (``stream``, ``auth``)
        into the request, an unknown name here is an error naming the valid ones.
        """
        unknown = sorted(set(values) - set(_FIELD_NAMES))
        if unknown:
            raise LocalProtocolError(
                f"unknown sampling parameter(s) {', '.join(unknown)}; "
                f"valid names: {', '.join(_FIELD_NAMES)}"
            )
        return cls(**values)

    def with_changes(self, **values: Any) -> SamplingParameters:
        """A copy with some fields changed; unknown names are rejected as in :meth:`create`."""
        merged = {f.name: getattr(self, f.name) for f in fields(self)}
        merged.update(values)
        return SamplingParameters.create(**merged) if values else replace(self)

    def to_json(self) -> dict[str, JsonNumber]:
        """The JSON object of the API, keys in the server's field order."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_json(cls, obj: object) -> SamplingParameters:
        """Parse the server's JSON object; unknown keys are ignored, as the server does.

        Raises:
            RemoteProtocolError: ``obj`` is not an object or a value is unusable.
        """
        if not isinstance(obj, dict):
            raise RemoteProtocolError(f"sampling_parameters is not an object: {obj!r:.80}")
        known = {name: obj[name] for name in _FIELD_NAMES if name in obj}
        for name in _INT_FIELDS & known.keys():
            known[name] = _integral(known[name])
        try:
            return cls(**known)
        except LocalProtocolError as exc:
            raise RemoteProtocolError(f"server sent unusable sampling_parameters: {exc}") from exc


def _integral(value: object) -> object:
    # pydantic coerces 50.0 to 50 for int fields, so a server may echo either form.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _preset(**values: Any) -> SamplingParameters:
    return SamplingParameters(**values)


# Every model config offers these eight, in this order.
PRESETS: Mapping[str, SamplingParameters] = MappingProxyType(
    {
        "k50": _preset(top_k=50, top_p=0.95, temperature=0.75, repetition_penalty=1.2),
        "k50-Creative": _preset(top_k=50, top_p=0.95, temperature=0.85, repetition_penalty=1.2),
        "k50-Precise": _preset(top_k=50, top_p=0.95, temperature=0.1, repetition_penalty=1.2),
        "k50-Original": _preset(top_k=50, top_p=0.95, temperature=0.9, repetition_penalty=1.2),
        "k50-Plugins": _preset(top_k=50, temperature=0.35, repetition_penalty=1 / 0.9),
        "nucleus9": _preset(top_p=0.9, temperature=0.8, repetition_penalty=1.2),
        "typical2": _preset(typical_p=0.2, temperature=0.8, repetition_penalty=1.2),
        "typical3": _preset(typical_p=0.3, temperature=0.8, repetition_penalty=1.2),
    }
)

#: The sampling gpt4free's provider sends: exactly the ``k50-Plugins`` preset.
GPT4FREE_SAMPLING = PRESETS["k50-Plugins"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelConfig:
    """A model config the inference server knows."""

    name: str
    model_id: str
    max_input_length: int
    max_total_length: int
    quantized: bool = False

    @property
    def compat_hash(self) -> str:
        """``{model_id}-{max_total_length}-{max_input_length}-{q|f}``: the work-queue key."""
        kind = "q" if self.quantized else "f"
        return f"{self.model_id}-{self.max_total_length}-{self.max_input_length}-{kind}"


def _configs(*rows: tuple[str, str, int, int, bool]) -> Mapping[str, ModelConfig]:
    return MappingProxyType(
        {
            name: ModelConfig(
                name=name,
                model_id=model_id,
                max_input_length=max_in,
                max_total_length=max_total,
                quantized=quantized,
            )
            for name, model_id, max_in, max_total, quantized in rows
        }
    )


_OA = "OpenAssistant/"

# In the order of oasst_shared/model_configs.py.
MODEL_CONFIGS: Mapping[str, ModelConfig] = _configs(
    ("_lorem", "_lorem", 128, 256, False),
    ("distilgpt2", "distilgpt2", 512, 1024, False),
    ("OA_SFT_Pythia_12B", _OA + "oasst-sft-1-pythia-12b", 1024, 2048, False),
    ("OA_SFT_Pythia_12Bq", _OA + "oasst-sft-1-pythia-12b", 1024, 2048, True),
    ("OA_SFT_Pythia_12B_4", _OA + "oasst-sft-4-pythia-12b-epoch-3.5", 1024, 2048, False),
    ("OA_SFT_Pythia_12Bq_4", _OA + "oasst-sft-4-pythia-12b-epoch-3.5", 1024, 2048, True),
    ("OA_SFT_Llama_7B", _OA + "oasst_sft_llama_7b_mask_1000", 1024, 2048, False),
    ("OA_SFT_Llama_13B", _OA + "oasst_sft_llama_13b_mask_1500", 1024, 2048, False),
    ("OA_SFT_Llama_13Bq", _OA + "oasst_sft_llama_13b_mask_1500", 1024, 2048, True),
    ("OA_SFT_Llama_30B", _OA + "llama_30b_oasst_latcyr_1000", 1024, 1792, False),
    ("OA_SFT_Llama_30Bq", _OA + "llama_30b_oasst_latcyr_1000", 1024, 1792, True),
    ("OA_SFT_Llama_30B_2", _OA + "llama_30b_oasst_latcyr_400", 1024, 1792, False),
    ("OA_SFT_Llama_30Bq_2", _OA + "llama_30b_oasst_latcyr_400", 1024, 1792, True),
    ("OA_SFT_Llama_30B_5", _OA + "oasst-sft-5-llama-30b-epoch-1", 1024, 1792, False),
    ("OA_SFT_Llama_30Bq_5", _OA + "oasst-sft-5-llama-30b-epoch-1", 1024, 1792, True),
    ("OA_SFT_Llama_30B_6", _OA + "oasst-sft-6-llama-30b", 1024, 1792, False),
    ("OA_SFT_Llama_30Bq_6", _OA + "oasst-sft-6-llama-30b", 1024, 1792, True),
    ("OA_SFT_Llama_30B_7", _OA + "oasst-sft-7-llama-30b", 1024, 1792, False),
    ("OA_SFT_Llama_30Bq_7", _OA + "oasst-sft-7-llama-30b", 1024, 1792, True),
    ("OA_SFT_Llama_30B_7e3", _OA + "oasst-sft-7e3-llama-30b", 1024, 1792, False),
    ("OA_RLHF_Llama_30B_2_7k", _OA + "oasst-rlhf-2-llama-30b-7k-steps", 1024, 1792, False),
    ("Carper_RLHF_13B_1", "CarperAI/vicuna-13b-fine-tuned-rlhf", 1024, 2048, False),
    ("Carper_RLHF_13Bq_1", "CarperAI/vicuna-13b-fine-tuned-rlhf", 1024, 2048, True),
    ("OA_SFT_Llama2_70B_10", _OA + "llama2-70b-oasst-sft-v10", 3072, 4096, False),
    ("OA_SFT_CodeLlama_13B_10", _OA + "codellama-13b-oasst-sft-v10", 8192, 12288, False),
)

#: gpt4free's default and the model most users of open-assistant.io ran.
DEFAULT_MODEL_CONFIG_NAME = "OA_SFT_Llama_30B_6"
