"""gpt4free-compatible prompt flattening.

gpt4free's ``OpenAssistant`` provider flattens a whole OpenAI-style message
list into one prompter message wrapped in the Llama-2 ``[INST]`` template.
These helpers reproduce its bytes exactly, for callers who need the same
requests. They are opt-in: the server formats real multi-turn chats itself,
so threading prompter/assistant messages keeps more context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._errors import LocalProtocolError

__all__ = ["format_prompt", "gpt4free_prompt", "wrap_inst"]


def _field(message: object, index: int, key: str) -> str:
    if not isinstance(message, Mapping):
        raise LocalProtocolError(
            f"messages[{index}] must be a mapping, not {type(message).__name__}"
        )
    value = message.get(key)
    if not isinstance(value, str):
        raise LocalProtocolError(f"messages[{index}][{key!r}] must be a string, got {value!r:.60}")
    return value


def _require_sequence(messages: object) -> None:
    # A str is a Sequence too; flattening it character by character is never meant.
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise LocalProtocolError(f"messages must be a sequence, not {type(messages).__name__}")


def format_prompt(messages: Sequence[Mapping[str, str]]) -> str:
    """Flatten chat messages into one prompt, exactly as gpt4free does.

    One message gives its content unchanged, whatever its role. Several give
    one ``"<Role>: <content>"`` line each (``role.capitalize()``, so ``user``
    becomes ``User``), joined by ``\\n``, followed by ``"\\nAssistant:"``.
    The input is never modified (gpt4free's first version popped it).

    Args:
        messages: mappings with string ``role`` and ``content``.

    Returns:
        The prompt text.

    Raises:
        LocalProtocolError: ``messages`` is empty (gpt4free raised
            ``IndexError``) or an item lacks a string ``role``/``content``.
    """
    _require_sequence(messages)
    if not messages:
        raise LocalProtocolError("messages must not be empty")
    if len(messages) == 1:
        # gpt4free ignores the role here, even for a lone system message.
        return _field(messages[0], 0, "content")
    lines = [
        f"{_field(message, index, 'role').capitalize()}: {_field(message, index, 'content')}"
        for index, message in enumerate(messages)
    ]
    return "\n".join(lines) + "\nAssistant:"


def wrap_inst(text: str) -> str:
    """Wrap ``text`` in the Llama-2 template as gpt4free sends it: ``<s>[INST]\\n…\\n[/INST]``."""
    return "<s>[INST]\n" + text + "\n[/INST]"


def gpt4free_prompt(messages: Sequence[Mapping[str, str]]) -> str:
    """The prompter-message content gpt4free's provider sends for ``messages``.

    Raises:
        LocalProtocolError: as :func:`format_prompt`.
    """
    return wrap_inst(format_prompt(messages))
