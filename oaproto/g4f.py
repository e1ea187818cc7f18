"""gpt4free compatibility: the prompt format and sampling of its OpenAssistant provider."""

from __future__ import annotations

from ._prompt import format_prompt, gpt4free_prompt, wrap_inst
from ._sampling import GPT4FREE_SAMPLING

__all__ = ["GPT4FREE_SAMPLING", "format_prompt", "gpt4free_prompt", "wrap_inst"]
