"""Text generation behind the model configs: the backend interface and two fakes.

A backend turns a :class:`GenerationRequest` into a stream of token texts; the
simulated worker (``_worker.py``) does the rest, as the real worker does: it
joins the tokens into the generated text, strips it for LLaMA models
 and reports the result. A real engine can be plugged
in by implementing :class:`Backend` and passing it in ``ServerConfig.backends``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Backend",
    "EchoBackend",
    "GenerationRequest",
    "LoremBackend",
    "ThreadMessage",
    "is_llama",
]


def is_llama(model_id: str) -> bool:
    """The worker's ``ModelConfig.is_llama``: its final text is ``.strip()``-ped."""
    return "llama" in model_id.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadMessage:
    """One message of the thread being answered."""

    role: str  # "prompter" or "assistant"
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRequest:
    """What a worker receives for one assistant message (``WorkRequest``).

    Attributes:
        model_config_name: the requested model config, e.g. ``"_lorem"``.
        model_id: that config's model id, e.g. ``"OpenAssistant/oasst-sft-6-llama-30b"``.
        thread: the conversation from the first message to the prompter parent.
        sampling_parameters: the six sampling values as validated.
        seed: ``work_parameters.seed`` (0 .. 2**64-2).
        system_prompt, user_profile, user_response_instructions: as sent.
        plugins: the plugin entries as validated.
    """

    model_config_name: str
    model_id: str
    thread: tuple[ThreadMessage, ...]
    sampling_parameters: Mapping[str, Any]
    seed: int
    system_prompt: str | None = None
    user_profile: str | None = None
    user_response_instructions: str | None = None
    plugins: tuple[Mapping[str, Any], ...] = ()


@runtime_checkable
class Backend(Protocol):
    """Generates one answer as a stream of token texts.

    The concatenated tokens are the generated text. The worker paces nothing:
    a backend sleeps between tokens itself if it wants a token rate. It may
    raise to simulate an engine failure (the message is then aborted).
    """

    def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        """Yield the answer's tokens in order."""
        ...


def words_to_tokens(words: Sequence[str], model_id: str) -> list[str]:
    """Tokens the way OA's lorem worker cuts text: ``"word "`` each, the last bare.

    For LLaMA model ids the last token keeps its space too, so the joined
    tokens end in whitespace that the final, stripped content lacks: the
    token/content difference clients must expect.
    """
    if not words:
        return [""]
    tokens = [word + " " for word in words]
    if not is_llama(model_id):
        tokens[-1] = words[-1]
    return tokens


async def _paced(tokens: Sequence[str], delay: float) -> AsyncIterator[str]:
    for index, token in enumerate(tokens):
        if index:
            # sleep(0) still yields, so many generations interleave fairly.
            await asyncio.sleep(delay)
        yield token


_LOREM_TEXT = """
lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt
ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco
laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate
velit esse cillum eu fugiat nulla pariatur excepteur sint occaecat cupidatat non proident
sunt culpa qui officia deserunt mollit anim id est laborum numquam eius modi tempora
quaerat voluptatem neque porro
"""
_LOREM_WORDS = tuple(_LOREM_TEXT.split())


def lorem_words(seed: int) -> list[str]:
    """35 to 60 words of lorem ipsum in sentences, determined by ``seed``."""
    rng = random.Random(seed)
    total = rng.randint(35, 60)
    words: list[str] = []
    while len(words) < total:
        length = min(rng.randint(6, 14), total - len(words))
        sentence = [rng.choice(_LOREM_WORDS) for _ in range(length)]
        sentence[0] = sentence[0].capitalize()
        sentence[-1] += "."
        words.extend(sentence)
    return words


class LoremBackend:
    """The fake ``_lorem`` worker: a lorem-ipsum paragraph, one word per token.

    Deterministic: the words depend only on ``work_parameters.seed``.
    """

    def __init__(self, token_delay: float = 0.0) -> None:
        self.token_delay = token_delay

    def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        tokens = words_to_tokens(lorem_words(request.seed), request.model_id)
        return _paced(tokens, self.token_delay)

    def __repr__(self) -> str:
        return f"LoremBackend(token_delay={self.token_delay!r})"


class EchoBackend:
    """Repeats the last prompter message word by word (capped by ``max_new_tokens``)."""

    def __init__(self, token_delay: float = 0.0) -> None:
        self.token_delay = token_delay

    def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        prompt = next((m.content for m in reversed(request.thread) if m.role == "prompter"), "")
        words = prompt.split()
        cap = request.sampling_parameters.get("max_new_tokens")
        if isinstance(cap, int) and cap > 0:
            words = words[:cap]
        return _paced(words_to_tokens(words, request.model_id), self.token_delay)

    def __repr__(self) -> str:
        return f"EchoBackend(token_delay={self.token_delay!r})"
