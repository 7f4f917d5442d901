"""`assistant mcp`: the news corpus as tools for MCP clients (Claude Desktop, IDEs, agents), over stdio or
streamable HTTP (at /mcp), with the official `mcp` SDK.

- `search_news(question, k, publisher, published_from, published_to)`: passages, best first, each with its title,
  source, date, URL and text. A publisher (case-insensitive, part of the name will do) or a date range narrows the
  search: the publisher is named in the searched text, so the search looks in its articles first, and the best
  `POOL` passages are then filtered strictly by publisher and publication day.
- `ask_news(question, history)`: the cited answer (or a refusal with its reason), as text with a Sources section
  and as the Answer JSON of `assistant ask --json`.

Over HTTP, `server.api_token` (when set) is required as a bearer token, and a host off loopback needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.core import Assistant
from assistant.frontends.cited_text import cited_text, source_entry, without_sources
from assistant.frontends.http_api import token_given
from assistant.query import fold
from assistant.redact import redact
from newsdesk.errors import AssistantError
from newsdesk.settings import Settings
from newsdesk.types import Answer, Passage

POOL = 100  # passages searched through when a publisher or dates narrow the results
_TOLD = (AssistantError, ValueError)  # failures the client is told as they are


class SearchResults(BaseModel):
    """Passages for a question, best first."""

    question: str
    passages: list[Passage]


class Turn(BaseModel):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


Question = Annotated[str, Field(min_length=1, max_length=2_000, description="The question, in plain words.")]


def build_server(assistant: Assistant) -> MCPServer:
    """An MCP server with the `search_news` and `ask_news` tools over `assistant`."""
    server: MCPServer = MCPServer(
        "news-assistant",
        instructions="Answers questions from a corpus of news articles. ask_news gives a cited answer (each [n] "
        "backed by a verbatim quote) or says that the articles do not answer; search_news finds passages.",
    )
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(annotations=read_only)
    def search_news(
        question: Question,
        k: Annotated[int, Field(ge=1, le=50, description="How many passages.")] = 5,
        publisher: Annotated[str | None, Field(description="Only this publisher, e.g. Reuters.")] = None,
        published_from: Annotated[date | None, Field(description="Only articles published on or after.")] = None,
        published_to: Annotated[date | None, Field(description="Only articles published on or before.")] = None,
    ) -> Annotated[CallToolResult, SearchResults]:
        """Search the news articles: passages, best first, with title, source (publisher), publication date, URL
        and text."""
        with _told():
            passages = search(assistant, question, k, publisher, published_from, published_to)
        found = SearchResults(question=question, passages=passages)
        return CallToolResult(
            content=[TextContent(type="text", text=passages_text(passages))],
            structured_content=found.model_dump(mode="json"),
        )

    @server.tool(annotations=read_only)
    def ask_news(
        question: Question,
        history: Annotated[
            list[Turn] | None, Field(max_length=100, description="Earlier messages, for a follow-up question.")
        ] = None,
    ) -> Annotated[CallToolResult, Answer]:
        """Answer a question from the news articles: the answer with [n] markers and its sources (title, source,
        date, verbatim quote), or a refusal with its reason when the articles do not answer it."""
        turns = [
            {"role": t.role, "content": without_sources(t.content) if t.role == "assistant" else t.content}
            for t in history or []
        ]
        with _told():
            answer = assistant.ask(question, turns)
        return CallToolResult(
            content=[TextContent(type="text", text=cited_text(answer))], structured_content=answer.public()
        )

    return server


def search(
    assistant: Assistant,
    question: str,
    k: int,
    publisher: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[Passage]:
    """The top-k passages for `question`, only from `publisher` and published within `first`..`last` when given."""
    if not question.strip():
        raise ValueError("the question is empty")
    if publisher is None and first is None and last is None:
        return assistant.retrieve(question, k)
    wanted = fold(publisher or "")
    pool = assistant.retrieve(f"{question} ({publisher})" if publisher else question, max(k, POOL))

    def kept(passage: Passage) -> bool:
        day = _day(passage.published_at)
        in_range = (first is None or (day is not None and day >= first)) and (
            last is None or (day is not None and day <= last)
        )
        return wanted in fold(passage.source) and in_range

    return [p for p in pool if kept(p)][:k]


def _day(published_at: str) -> date | None:
    try:
        return date.fromisoformat(published_at)
    except ValueError:
        return None


def passages_text(passages: list[Passage]) -> str:
    """Passages as text: number, title, source and date, URL, then the passage."""
    if not passages:
        return "No passage found."
    entries = (source_entry(n, p.title, p.source, p.published_at, p.url, p.text) for n, p in enumerate(passages, 1))
    return "\n".join(line for entry in entries for line in entry)


@contextmanager
def _told() -> Iterator[None]:
    """Known failures (no store, a model server down, bad input) become a tool error with their one line."""
    try:
        yield
    except _TOLD as exc:
        raise ToolError(redact(str(exc))) from exc


class BearerGuard:
    """ASGI middleware: every HTTP request needs `Authorization: Bearer <token>`, else 401 JSON."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            if not token_given(authorization, self.token):
                response = JSONResponse(
                    {"error": "missing or wrong bearer token"}, 401, headers={"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(server: MCPServer, host: str, token: str = "") -> ASGIApp:
    """The streamable HTTP app (endpoint /mcp), behind the bearer token when one is given."""
    app = server.streamable_http_app(host=host)
    return BearerGuard(app, token) if token else app


def serve_mcp(settings: Settings, transport: Literal["stdio", "http"], port: int) -> None:
    """Run the MCP server until interrupted: over stdin/stdout, or over HTTP on `settings.server.host`:`port`."""
    if transport == "stdio":
        build_server(Assistant(settings)).run("stdio")
        return
    import uvicorn

    from assistant.frontends.web import check_exposure, redacting_log_config

    check_exposure(settings)
    token = settings.server.api_token.get_secret_value() if settings.server.api_token else ""
    host = settings.server.host
    uvicorn.run(
        http_app(build_server(Assistant(settings)), host, token),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        log_config=redacting_log_config(uvicorn.config.LOGGING_CONFIG),
    )
