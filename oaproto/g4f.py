"""gpt4free compatibility: the drop-in ``OpenAssistant`` provider and the prompt helpers.

Users of gpt4free's provider change one import::

    from oaproto.g4f import OpenAssistant  # was: from g4f.Provider import OpenAssistant

``OpenAssistant`` runs over aiohttp (``pip install 'oaproto[g4f]'``) and is
imported on first use, so importing this module needs neither aiohttp nor
gpt4free. The helpers reproduce the provider's prompt bytes and sampling.
See ``docs/gpt4free.md``.
"""

from __future__ import annotations

# typing under a private name: this module's namespace is its public API.
import typing as _typing

from ._prompt import format_prompt, gpt4free_prompt, wrap_inst
from ._sampling import GPT4FREE_SAMPLING

if _typing.TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from .transports.g4f_provider import OpenAssistant

__all__ = ["GPT4FREE_SAMPLING", "OpenAssistant", "format_prompt", "gpt4free_prompt", "wrap_inst"]


def __getattr__(name: str) -> _typing.Any:
    if name != "OpenAssistant":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Imported on first use: the provider lives with the transports, as it needs aiohttp.
    try:
        from .transports.g4f_provider import OpenAssistant
    except ImportError as exc:
        raise ImportError(
            f"oaproto.g4f.OpenAssistant needs aiohttp: pip install 'oaproto[g4f]' ({exc})"
        ) from exc
    return OpenAssistant


def __dir__() -> list[str]:
    return sorted({*globals(), "OpenAssistant"})
