"""What the API returns: chats, messages, model configs and plugins, as typed values."""

from __future__ import annotations

from ._models import (
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
from ._sampling import DEFAULT_MODEL_CONFIG_NAME, MODEL_CONFIGS, ModelConfig

__all__ = [
    "DEFAULT_MODEL_CONFIG_NAME",
    "MODEL_CONFIGS",
    "Chat",
    "ChatPage",
    "ChatSummary",
    "Message",
    "MessageState",
    "ModelConfig",
    "ModelConfigInfo",
    "ParameterConfig",
    "PluginEntry",
    "Report",
    "Role",
    "TokenPair",
]
