"""``oaproto models`` and ``oaproto chats``: against ``oaproto serve`` and the embedded server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from oaproto import PRESETS, ClientConfig, Dialect
from oaproto.api import ChatAPI
from oaproto.transports import RequestsTransport
from oaproto.transports.server import ThreadedServer
from tests.cli.cli_helpers import DIALECTS, environment, json_lines, oaproto, serve

TOKEN = "listing-t0ken-5b1e"


@pytest.fixture(scope="module")
def external_server() -> Iterator[str]:
    """An ``oaproto serve`` process with one token; its URL."""
    with serve("--token", TOKEN, "--rate-limit", "off", "--token-delay", "0") as url:
        yield url


def test_models_on_the_embedded_server() -> None:
    text = oaproto("models")
    assert text.returncode == 0
    names = [line.split("\t")[0] for line in text.stdout.splitlines()]
    assert names[0] == "_lorem"
    assert {"OA_SFT_Llama_30B_6", "_echo"} <= set(names)
    as_json = oaproto("models", "--json", "--transport", "httpx-sync")
    models = json_lines(as_json.stdout)
    assert [model["name"] for model in models] == names
    assert models[0]["presets"] == list(PRESETS)


def test_chats_on_the_embedded_server_is_an_empty_list() -> None:
    result = oaproto("chats")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_list_show_and_delete_a_kept_chat(external_server: str, dialect: str) -> None:
    env = environment(OAPROTO_TOKEN=TOKEN, OAPROTO_URL=external_server)
    where = ["--dialect", dialect, "--transport", "requests"]

    def run(*args: str) -> tuple[int, str, str]:
        result = oaproto(*args, *where, env=env)
        return result.returncode, result.stdout, result.stderr

    status, _, kept = run("chat", "--keep", "--model", "_echo", "tell me")
    match = re.search(r"kept chat (\S+) ", kept)
    assert status == 0
    assert match is not None
    chat_id = match[1]

    status, listed, _ = run("chats", "--json")
    assert status == 0
    (chat,) = json_lines(listed)
    assert (chat["id"], chat["title"]) == (chat_id, "tell me")
    assert run("chats")[1].startswith(f"{chat_id}\t")

    assert run("chats", "show", chat_id) == (
        0,
        f"chat {chat_id}: tell me\nprompter: tell me\nassistant: tell me\n",
        "",
    )
    status, shown, _ = run("chats", "show", chat_id, "--json")
    assert [(m["role"], m["content"]) for m in json_lines(shown)] == [
        ("prompter", "tell me"),
        ("assistant", "tell me"),
    ]

    assert run("chats", "delete", chat_id) == (0, "", f"oaproto chats: deleted chat {chat_id}\n")
    assert run("chats") == (0, "", "")
    status, _, error = run("chats", "delete", chat_id)
    if dialect == "inference":
        assert (status, error) == (4, f"oaproto chats: no chat {chat_id}\n")
    else:  # the website answers 500 to deleting a chat that is not there
        assert status == 1
        assert error.startswith("oaproto chats: APIError: HTTP 500 for DELETE")
    status, _, error = run("chats", "show", chat_id)
    assert status == 4
    assert error.startswith("oaproto chats: NotFoundError: HTTP 404")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chats", "show"], "chats show needs a chat ID"),
        (["chats", "delete"], "chats delete needs a chat ID"),
        (["chats", "list", "x"], "chats list takes no ID"),
        (["chats", "rename", "x"], "invalid choice: 'rename'"),
    ],
)
def test_chats_usage_errors(args: list[str], message: str) -> None:
    result = oaproto(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_listing_with_a_wrong_token_exits_3(external_server: str) -> None:
    env = environment(OAPROTO_TOKEN="wrong-token")
    result = oaproto("chats", "--url", external_server, env=env)
    assert result.returncode == 3
    assert result.stderr.startswith("oaproto chats: AuthenticationError: HTTP 401")


@pytest.mark.oa_server(rate_limit=None)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_chats_lists_every_page(oa_server: ThreadedServer, dialect: str) -> None:
    # More than a page of either dialect (web: 20, inference: 10 by default).
    config = ClientConfig(base_url=oa_server.url, dialect=Dialect(dialect))
    call = ChatAPI(config).create_chat()
    with RequestsTransport() as transport:
        created = [call.parse(transport.send(call.request)).id for _ in range(23)]
    result = oaproto("chats", "--json", "--url", oa_server.url, "--dialect", dialect)
    assert result.returncode == 0
    assert [chat["id"] for chat in json_lines(result.stdout)] == created[::-1]  # newest first
