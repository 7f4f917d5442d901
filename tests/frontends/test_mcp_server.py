"""`assistant mcp` with the MCP SDK's own client: over stdio (the client starts the command) and over streamable
HTTP (the command serving on 127.0.0.1), both over the example store; plus the search filters in-process."""

from __future__ import annotations

import subprocess
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx2
import pytest
from click.testing import CliRunner
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from assistant import Assistant
from assistant.frontends.cited_text import cited_text
from assistant.frontends.cli import cli
from assistant.frontends.mcp_server import search
from tests.fixtures.core import SEED_QUESTION
from tests.fixtures.servers import BIN, free_port, port_open, stop, wait_until
from tests.fixtures.web_process import clean_env

MALI = "France Conducts Counter-Terrorism Operation in Mali, Kills 50"
T = TypeVar("T")


def run(session: Callable[[Client], Awaitable[T]], server: Any) -> T:
    """Connect a client to `server` (stdio parameters or a transport), run `session` with it, and close it."""

    async def main() -> T:
        async with Client(server) as client:
            return await session(client)

    return anyio.run(main)


def text(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def seed_session(client: Client) -> tuple[list[str], CallToolResult, CallToolResult]:
    """List the tools, ask the seed question, and search for it in Reuters."""
    tools = await client.list_tools()
    ask = await client.call_tool("ask_news", {"question": SEED_QUESTION})
    found = await client.call_tool("search_news", {"question": SEED_QUESTION, "k": 3, "publisher": "Reuters"})
    return sorted(t.name for t in tools.tools), ask, found


def check_seed_session(got: tuple[list[str], CallToolResult, CallToolResult], assistant: Assistant) -> None:
    names, ask, found = got
    assert names == ["ask_news", "search_news"]
    expected = assistant.ask(SEED_QUESTION)
    assert not ask.is_error
    assert ask.structured_content == expected.public()
    assert text(ask) == cited_text(expected)
    assert "Ba N’Daou" in text(ask) and "\n\nSources:\n[1] " + MALI + " — Reuters, 2020-11-04" in text(ask)
    assert ask.structured_content["citations"][0]["title"] == MALI
    assert not found.is_error
    passages = found.structured_content["passages"]  # type: ignore[index]
    assert passages and {p["source"] for p in passages} == {"Reuters"}
    assert passages[0]["title"] == MALI and passages[0]["published_at"] == "2020-11-04"
    assert "Ba N’Daou" in " ".join(p["text"] for p in passages)
    assert text(found).startswith(f"[1] {MALI} — Reuters, 2020-11-04\n")


def test_over_stdio(example_store: Path, cache_dir: Path, tmp_path: Path, assistant: Assistant) -> None:
    params = StdioServerParameters(
        command=str(BIN / "assistant"),
        args=["mcp", "--store", str(example_store)],
        env=clean_env(tmp_path, cache_dir),
        cwd=tmp_path,
    )
    check_seed_session(run(seed_session, params), assistant)


@pytest.fixture(scope="module")
def mcp_http(example_store: Path, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`assistant mcp --transport http` on 127.0.0.1 with a token; yields the endpoint URL."""
    work = tmp_path_factory.mktemp("mcp-http")
    env = clean_env(work, cache_dir, ASSISTANT_SERVER__API_TOKEN="s3cret-token")
    port = free_port()
    with open(work / "mcp.log", "wb") as log:
        args = ["mcp", "--transport", "http", "--port", str(port), "--store", str(example_store)]
        proc = subprocess.Popen([str(BIN / "assistant"), *args], cwd=work, env=env, stdout=log, stderr=log)
    try:
        wait_until(port_open(port), proc, f"assistant mcp ({work / 'mcp.log'})", 120)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(proc)


def over_http(url: str, token: str) -> Any:
    return streamable_http_client(url, http_client=httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}))


def test_over_streamable_http(mcp_http: str, assistant: Assistant) -> None:
    check_seed_session(run(seed_session, over_http(mcp_http, "s3cret-token")), assistant)


def test_follow_ups_refusals_and_filters_over_http(mcp_http: str, assistant: Assistant) -> None:
    first = assistant.ask(SEED_QUESTION)
    history = [{"role": "user", "content": SEED_QUESTION}, {"role": "assistant", "content": cited_text(first)}]

    async def session(client: Client) -> list[CallToolResult]:
        return [
            await client.call_tool("ask_news", {"question": "Who did he appoint as prime minister?", "history": history}),
            await client.call_tool("ask_news", {"question": "What did Bloomberg report about Lumen Robotics?"}),
            await client.call_tool("search_news", {"question": SEED_QUESTION, "publisher": "Bloomberg"}),
            await client.call_tool("search_news", {"question": SEED_QUESTION, "published_from": "not a date"}),
        ]

    follow, refused, nothing, bad = run(session, over_http(mcp_http, "s3cret-token"))
    answer = follow.structured_content or {}
    assert answer["search_query"] == "Who did Colonel Major Ba N’Daou appoint as prime minister?"
    assert any("Moctar Ouane" in c["quote"] for c in answer["citations"])
    assert refused.structured_content["refusal_reason"] == "no article from Bloomberg in the corpus"  # type: ignore[index]
    assert text(refused) == (
        "The articles in the corpus do not answer this question.\n\n(no article from Bloomberg in the corpus)"
    )
    assert nothing.structured_content["passages"] == [] and text(nothing) == "No passage found."  # type: ignore[index]
    assert bad.is_error and "published_from" in text(bad)


def test_over_http_a_wrong_token_is_refused(mcp_http: str) -> None:
    async def session(client: Client) -> Any:
        return await client.list_tools()

    with pytest.raises(Exception, match="unhandled errors"):  # the SDK reports the 401 as a failed session
        run(session, over_http(mcp_http, "wrong"))
    response = httpx2.post(mcp_http, json={}, headers={"Authorization": "Bearer wrong"})
    assert (response.status_code, response.json()) == (401, {"error": "missing or wrong bearer token"})
    assert response.headers["www-authenticate"] == "Bearer"


def test_serving_http_off_loopback_without_a_token_is_refused() -> None:
    result = CliRunner().invoke(cli, ["mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: serving on 0.0.0.0 (not loopback) needs server.api_token: set ASSISTANT_SERVER__API_TOKEN\n"
    )


def test_search_filters_by_publisher_and_dates(assistant: Assistant) -> None:
    reuters = search(assistant, SEED_QUESTION, 5, publisher="reuters")
    assert reuters and {p.source for p in reuters} == {"Reuters"}
    day = date(2020, 11, 4)
    assert search(assistant, SEED_QUESTION, 5, "Reuters", day, day)[0].title == MALI
    assert search(assistant, SEED_QUESTION, 5, "Reuters", first=date(2020, 11, 5)) == []
    dated = search(assistant, "budget", 10, first=date(2024, 1, 1))
    assert dated and all(p.published_at >= "2024-01-01" for p in dated)
    with pytest.raises(ValueError, match="the question is empty"):
        search(assistant, "  ", 5)
