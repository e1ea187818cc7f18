"""Text generation behind the model configs: the backend interface and two fakes.

A backend turns a :class:`GenerationRequest` into a stream of token texts; the
simulated worker (``_worker.py``) does the rest, as the real worker does: it
joins the tokens into the generated text, strips it for LLaMA models
(reference §2.3 quirk 4) and reports the result. A real engine can be plugged
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
    token/content difference clients must expect (§2.3 quirk 4).
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


_LOREM_WORDS = (
    "l",
    "o",
    "r",
    "e",
    "m",
    "i",
    "p",
    "s",
    "u",
    "m",
    "d",
    "o",
    "l",
    "o",
    "r",
    "s",
    "i",
    "t",
    "a",
    "m",
    "e",
    "t",
    "c",
    "o",
    "n",
    "s",
    "e",
    "c",
    "t",
    "e",
    "t",
    "u",
    "r",
    "a",
    "d",
    "i",
    "p",
    "i",
    "s",
    "c",
    "i",
    "n",
    "g",
    "e",
    "l",
    "i",
    "t",
    "s",
    "e",
    "d",
    "d",
    "o",
    "e",
    "i",
    "u",
    "s",
    "m",
    "o",
    "d",
    "t",
    "e",
    "m",
    "p",
    "o",
    "r",
    "i",
    "n",
    "c",
    "i",
    "d",
    "i",
    "d",
    "u",
    "n",
    "t",
    "u",
    "t",
    "l",
    "a",
    "b",
    "o",
    "r",
    "e",
    "e",
    "t",
    "d",
    "o",
    "l",
    "o",
    "r",
    "e",
    "m",
    "a",
    "g",
    "n",
    "a",
    "a",
    "l",
    "i",
    "q",
    "u",
    "a",
    "e",
    "n",
    "i",
    "m",
    "a",
    "d",
    "m",
    "i",
    "n",
    "i",
    "m",
    "v",
    "e",
    "n",
    "i",
    "a",
    "m",
    "q",
    "u",
    "i",
    "s",
    "n",
    "o",
    "s",
    "t",
    "r",
    "u",
    "d",
    "e",
    "x",
    "e",
    "r",
    "c",
    "i",
    "t",
    "a",
    "t",
    "i",
    "o",
    "n",
    "u",
    "l",
    "l",
    "a",
    "m",
    "c",
    "o",
    "l",
    "a",
    "b",
    "o",
    "r",
    "i",
    "s",
    "n",
    "i",
    "s",
    "i",
    "a",
    "l",
    "i",
    "q",
    "u",
    "i",
    "p",
    "e",
    "x",
    "e",
    "a",
    "c",
    "o",
    "m",
    "m",
    "o",
    "d",
    "o",
    "c",
    "o",
    "n",
    "s",
    "e",
    "q",
    "u",
    "a",
    "t",
    "d",
    "u",
    "i",
    "s",
    "a",
    "u",
    "t",
    "e",
    "i",
    "r",
    "u",
    "r",
    "e",
    "i",
    "n",
    "r",
    "e",
    "p",
    "r",
    "e",
    "h",
    "e",
    "n",
    "d",
    "e",
    "r",
    "i",
    "t",
    "v",
    "o",
    "l",
    "u",
    "p",
    "t",
    "a",
    "t",
    "e",
    "v",
    "e",
    "l",
    "i",
    "t",
    "e",
    "s",
    "s",
    "e",
    "c",
    "i",
    "l",
    "l",
    "u",
    "m",
    "e",
    "u",
    "f",
    "u",
    "g",
    "i",
    "a",
    "t",
    "n",
    "u",
    "l",
    "l",
    "a",
    "p",
    "a",
    "r",
    "i",
    "a",
    "t",
    "u",
    "r",
    "e",
    "x",
    "c",
    "e",
    "p",
    "t",
    "e",
    "u",
    "r",
    "s",
    "i",
    "n",
    "t",
    "o",
    "c",
    "c",
    "a",
    "e",
    "c",
    "a",
    "t",
    "c",
    "u",
    "p",
    "i",
    "d",
    "a",
    "t",
    "a",
    "t",
    "n",
    "o",
    "n",
    "p",
    "r",
    "o",
    "i",
    "d",
    "e",
    "n",
    "t",
    "s",
    "u",
    "n",
    "t",
    "c",
    "u",
    "l",
    "p",
    "a",
    "q",
    "u",
    "i",
    "o",
    "f",
    "f",
    "i",
    "c",
    "i",
    "a",
    "d",
    "e",
    "s",
    "e",
    "r",
    "u",
    "n",
    "t",
    "m",
    "o",
    "l",
    "l",
    "i",
    "t",
    "a",
    "n",
    "i",
    "m",
    "i",
    "d",
    "e",
    "s",
    "t",
    "l",
    "a",
    "b",
    "o",
    "r",
    "u",
    "m",
    "n",
    "u",
    "m",
    "q",
    "u",
    "a",
    "m",
    "e",
    "i",
    "u",
    "s",
    "m",
    "o",
    "d",
    "i",
    "t",
    "e",
    "m",
    "p",
    "o",
    "r",
    "a",
    "q",
    "u",
    "a",
    "e",
    "r",
    "a",
    "t",
    "v",
    "o",
    "l",
    "u",
    "p",
    "t",
    "a",
    "t",
    "e",
    "m",
    "q",
    "u",
    "i",
    "q",
    "u",
    "i",
    "a",
    "n",
    "e",
    "q",
    "u",
    "e",
    "p",
    "o",
    "r",
    "r",
    "o",
)


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
    """The fake ``_lorem`` worker: a lorem-ipsum paragraph, one word per token (§11).

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
