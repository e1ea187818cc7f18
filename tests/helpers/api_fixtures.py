"""Wire fixtures for the model, response and API tests, copied from the protocol reference.

Bodies are bytes exactly as a server sends them: the inference server's compact
JSON in the model's field order, and the web API's error
shapes. Import as ``from tests.helpers.api_fixtures import ...``.
"""

from __future__ import annotations

from oaproto import ClientConfig, Dialect, HttpResponse

# A credential the tests look for in every repr and error message.
SECRET = "s3cret-session-token-value"
BASE_URL = "https://oa.test"

CHAT_ID = "0656a1a9-4bb3-7d8a-8000-6ac5c8e1b2f0"
PROMPTER_ID = "0656a1a9-5a10-7e41-8000-2f3c9d1e0a11"
ASSISTANT_ID = "0656a1a9-6b22-7f02-8000-8a4b7c6d5e22"
# The largest seed the server draws; above 2**63, so it must stay an int.
BIG_SEED = 18446744073709551614

CREATED = "2023-08-28T12:00:00.123456"
MODIFIED = "2023-08-28T12:00:01.654321"

# ChatListRead as create_chat returns it, fields in model order.
CHAT_LIST_READ = (
    b'{"id":"0656a1a9-4bb3-7d8a-8000-6ac5c8e1b2f0","created_at":"2023-08-28T12:00:00.123456",'
    b'"modified_at":"2023-08-28T12:00:01.654321","title":null,"hidden":false,'
    b'"allow_data_use":true,"active_thread_tail_message_id":null}'
)

WORK_PARAMETERS = (
    b'{"model_config":{"model_id":"OpenAssistant/oasst-sft-6-llama-30b","max_input_length":1024,'
    b'"max_total_length":1792,"quantized":false},"sampling_parameters":{"top_k":50,"top_p":null,'
    b'"typical_p":null,"temperature":0.35,"repetition_penalty":1.1111111111111112,'
    b'"max_new_tokens":1024},"do_sample":true,"seed":18446744073709551614,"system_prompt":null,'
    b'"user_profile":null,"user_response_instructions":null,"plugins":[],"plugin_max_depth":4}'
)

# MessageRead, all fields in the server's order, as the final ``message`` of a reply.
ASSISTANT_MESSAGE = (
    b'{"id":"0656a1a9-6b22-7f02-8000-8a4b7c6d5e22",'
    b'"parent_id":"0656a1a9-5a10-7e41-8000-2f3c9d1e0a11","content":"Hello world \xc3\xa9",'
    b'"chat_id":"0656a1a9-4bb3-7d8a-8000-6ac5c8e1b2f0","created_at":"2023-08-28T12:00:00.123456",'
    b'"role":"assistant","state":"complete","score":1,'
    b'"reports":[{"id":"r1","report_type":"feedback","reason":"too short"}],'
    b'"work_parameters":' + WORK_PARAMETERS + b',"safe_content":null,"safety_level":null,'
    b'"safety_label":null,"safety_rots":null,"used_plugin":null}'
)

# A freshly queued assistant message: state pending, content null.
PENDING_MESSAGE = ASSISTANT_MESSAGE.replace(b'"Hello world \xc3\xa9"', b"null").replace(
    b'"complete"', b'"pending"'
)

PROMPTER_MESSAGE = (
    b'{"id":"0656a1a9-5a10-7e41-8000-2f3c9d1e0a11","parent_id":null,"content":"Hi",'
    b'"chat_id":"0656a1a9-4bb3-7d8a-8000-6ac5c8e1b2f0","created_at":"2023-08-28T11:59:59.000001",'
    b'"role":"prompter","state":"manual","score":0,"reports":[],"work_parameters":null,'
    b'"safe_content":null,"safety_level":null,"safety_label":null,"safety_rots":null,'
    b'"used_plugin":null}'
)

# ChatRead: the summary fields plus every message.
CHAT_READ = (
    CHAT_LIST_READ[:-1] + b',"messages":[' + PROMPTER_MESSAGE + b"," + ASSISTANT_MESSAGE + b"]}"
)

CHAT_PAGE = b'{"chats":[' + CHAT_LIST_READ + b'],"next":"MDY1NmExYTktNGJiMy03ZDhh","prev":null}'

# One model config with the eight presets, values as the server serialises them.
_PRESET_ROWS = (
    (b"k50", b"50", b"0.95", b"null", b"0.75", b"1.2"),
    (b"k50-Creative", b"50", b"0.95", b"null", b"0.85", b"1.2"),
    (b"k50-Precise", b"50", b"0.95", b"null", b"0.1", b"1.2"),
    (b"k50-Original", b"50", b"0.95", b"null", b"0.9", b"1.2"),
    (b"k50-Plugins", b"50", b"null", b"null", b"0.35", b"1.1111111111111112"),
    (b"nucleus9", b"null", b"0.9", b"null", b"0.8", b"1.2"),
    (b"typical2", b"null", b"null", b"0.2", b"0.8", b"1.2"),
    (b"typical3", b"null", b"null", b"0.3", b"0.8", b"1.2"),
)
MODEL_CONFIGS_JSON = (
    b'[{"name":"OA_SFT_Llama_30B_6","description":"","parameter_configs":['
    + b",".join(
        b'{"name":"%s","description":"","sampling_parameters":{"top_k":%s,"top_p":%s,'
        b'"typical_p":%s,"temperature":%s,"repetition_penalty":%s,"max_new_tokens":1024}}' % row
        for row in _PRESET_ROWS
    )
    + b"]}]"
)

PLUGINS_JSON = (
    b'[{"url":"https://plugins.example/ai-plugin.json","enabled":true,"plugin_config":null,'
    b'"trusted":true}]'
)

TOKEN_PAIR_JSON = (
    b'{"access_token":{"access_token":"acc-' + SECRET.encode() + b'","token_type":"bearer"},'
    b'"refresh_token":{"access_token":"ref-' + SECRET.encode() + b'","token_type":"refresh"}}'
)

# --- error bodies ---
EMPTY = b""
INTERNAL_SERVER_ERROR = b"Internal Server Error"
INVALID_SCORE = b"Invalid score"
WEB_BUSY = b'{"message":"The server is currently busy. Please try again later."}'
INFERENCE_BUSY = b'{"detail":"The server is currently busy. Please try again later."}'
PYDANTIC_ERRORS = (
    b'[{"loc":["body","content"],"msg":"field required","type":"value_error.missing"}]'
)
WEB_422 = b'{"message":' + PYDANTIC_ERRORS + b"}"
INFERENCE_422 = b'{"detail":' + PYDANTIC_ERRORS + b"}"
WEB_SOMETHING_WRONG = b'{"message":"Something went wrong"}'


def config(dialect: Dialect) -> ClientConfig:
    """A config for ``dialect`` carrying :data:`SECRET` as its credential."""
    return ClientConfig(base_url=BASE_URL, dialect=dialect, token=SECRET)


def response(status: int = 200, body: bytes = b"") -> HttpResponse:
    """A response with a JSON content type when the body looks like JSON."""
    headers: tuple[tuple[str, str], ...] = ()
    if body[:1] in (b"{", b"[", b'"'):
        headers = (("content-type", "application/json"),)
    return HttpResponse(status=status, headers=headers, body=body)
