"""The inference server's request models, as validation schemas.

Field order, types and defaults follow OA ``inference/server/.../schemas/chat.py``
and ``oasst_shared/schemas/inference.py``; validated output keeps that order,
which is the order the values are serialised in ``work_parameters``.
"""

from __future__ import annotations

from ._validate import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    REQUIRED,
    STR,
    ConStr,
    DictT,
    EnumT,
    Field,
    ListT,
    LiteralT,
    Model,
    Opt,
)

__all__ = [
    "ASSISTANT_MESSAGE",
    "CHAT_UPDATE",
    "CREATE_CHAT",
    "MESSAGE_EVAL",
    "PLUGIN_ENTRY",
    "PROMPTER_MESSAGE",
    "REPORT",
    "REPORT_TYPES",
    "SAMPLING_PARAMETERS",
    "VOTE",
]

SAMPLING_PARAMETERS = Model(
    (
        Field("top_k", Opt(INT)),
        Field("top_p", Opt(FLOAT)),
        Field("typical_p", Opt(FLOAT)),
        Field("temperature", Opt(FLOAT)),
        Field("repetition_penalty", Opt(FLOAT)),
        # Not Optional: an explicit null is a 422.
        Field("max_new_tokens", INT, 1024),
    )
)

_PLUGIN_API = Model(
    (
        Field("type", STR, REQUIRED),
        Field("url", STR, REQUIRED),
        Field("has_user_authentication", Opt(BOOL), False),
        Field("is_user_authenticated", Opt(BOOL), False),
    )
)

_PLUGIN_PARAMETER = Model(
    (
        Field("name", STR, REQUIRED),
        Field("in_", STR, REQUIRED),
        Field("description", STR, REQUIRED),
        Field("required", BOOL, REQUIRED),
        Field("schema_", ANY, REQUIRED),
    )
)

_PLUGIN_ENDPOINT = Model(
    (
        Field("path", STR, REQUIRED),
        Field("type", STR, REQUIRED),
        Field("summary", STR, REQUIRED),
        Field("operation_id", STR, REQUIRED),
        Field("url", STR, REQUIRED),
        Field("params", ListT(_PLUGIN_PARAMETER), REQUIRED),
        Field("payload", Opt(DictT())),
    )
)

_PLUGIN_CONFIG = Model(
    (
        Field("schema_version", STR, REQUIRED),
        Field("name_for_model", STR, REQUIRED),
        Field("name_for_human", STR, REQUIRED),
        Field("description_for_human", STR, REQUIRED),
        Field("description_for_model", STR, REQUIRED),
        Field("api", _PLUGIN_API, REQUIRED),
        Field("auth", Model((Field("type", STR, REQUIRED),)), REQUIRED),
        Field("logo_url", Opt(STR)),
        Field("contact_email", Opt(STR)),
        Field("legal_info_url", Opt(STR)),
        Field("endpoints", Opt(ListT(_PLUGIN_ENDPOINT))),
    )
)

PLUGIN_ENTRY = Model(
    (
        Field("url", STR, REQUIRED),
        Field("enabled", BOOL, True),
        Field("plugin_config", Opt(_PLUGIN_CONFIG)),
        Field("trusted", Opt(BOOL), False),
    )
)

_PLUGIN_USED = Model(
    (
        Field("name", Opt(STR)),
        Field("url", Opt(STR)),
        Field("trusted", Opt(BOOL)),
        Field(
            "execution_details",
            Model(
                (
                    Field("inner_monologue", ListT(STR), REQUIRED),
                    Field("final_tool_output", STR, REQUIRED),
                    Field("final_prompt", STR, REQUIRED),
                    Field("final_generation_assisted", BOOL, REQUIRED),
                    Field("achieved_depth", Opt(INT)),
                    Field("error_message", Opt(STR)),
                    Field("status", LiteralT(("success", "failure")), REQUIRED),
                )
            ),
            REQUIRED,
        ),
    )
)

PROMPTER_MESSAGE = Model(
    (
        Field("parent_id", Opt(STR)),
        Field("content", STR, REQUIRED),
    )
)

ASSISTANT_MESSAGE = Model(
    (
        Field("parent_id", STR, REQUIRED),
        Field("model_config_name", STR, REQUIRED),
        Field(
            "sampling_parameters",
            SAMPLING_PARAMETERS,
            factory=lambda: SAMPLING_PARAMETERS.check({}, (), []),  # every default
        ),
        Field("system_prompt", Opt(STR)),
        Field("user_profile", Opt(STR)),
        Field("user_response_instructions", Opt(STR)),
        Field("plugins", ListT(PLUGIN_ENTRY), factory=list),
        Field("used_plugin", Opt(_PLUGIN_USED)),
    )
)

VOTE = Model((Field("score", INT, REQUIRED),))

MESSAGE_EVAL = Model((Field("inferior_message_ids", ListT(STR), REQUIRED),))

#: ``ReportType`` values, in enum order.
REPORT_TYPES = ("spam", "offensive", "feedback")

REPORT = Model(
    (
        Field("report_type", EnumT(REPORT_TYPES), REQUIRED),
        Field("reason", STR, REQUIRED),
    )
)

CREATE_CHAT = Model(())

CHAT_UPDATE = Model(
    (
        Field("title", Opt(ConStr(100))),
        Field("hidden", Opt(BOOL)),
        Field("allow_data_use", Opt(BOOL)),
        Field("active_thread_tail_message_id", Opt(STR)),
    )
)
