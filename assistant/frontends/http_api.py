"""The HTTP API under /api: ask, ask/stream (server-sent events), retrieve. Translates HTTP to `Assistant` calls.

Blocking assistant calls run in the threadpool; at most `server.max_concurrency` run at once, a request waits up
to `server.queue_timeout` seconds for a slot and then gets 429 with Retry-After. With `server.api_token` set every
route needs `Authorization: Bearer <token>`. Errors are JSON: `{"error": "<one line>"}`.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.core import Assistant
from assistant.local_server import server_statuses
from assistant.redact import redact
from ingest.store import StoreError
from newsdesk.errors import AnswererError, EmbeddingError
from newsdesk.settings import ConfigError, ServerSettings
from newsdesk.types import Answer, Passage

log = logging.getLogger(__name__)

SEED = "Who leads the interim government?"


class ChatMessage(BaseModel):
    """One message of an OpenAI-style history."""

    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    """A question, with the conversation so far when it is a follow-up."""

    question: str = Field(min_length=1, max_length=2_000, examples=[SEED])
    history: list[tuple[str, str]] | list[ChatMessage] | None = Field(
        None,
        max_length=100,
        description="Earlier turns: [question, answer] pairs, or {role, content} messages.",
        examples=[[[SEED, "Mali's military junta ... appointed ... Ba N'Daou as Mali's interim president [1]"]]],
    )
    k: int | None = Field(None, ge=1, le=100, description="Passages to retrieve (default: retrieval.k).")
    llm: str | None = Field(None, description="Answerer: extractive, local or openai (default: the server's).")
    passages: bool = Field(False, description="Include every retrieved passage in the answer.")


class RetrieveRequest(BaseModel):
    """A query to search the store with."""

    question: str = Field(min_length=1, max_length=2_000, examples=[SEED])
    k: int | None = Field(None, ge=1, le=100)


class RetrieveResponse(BaseModel):
    """Passages, best first."""

    question: str
    passages: list[Passage]


class ApiError(Exception):
    """A request that gets a JSON error response."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON shape of every API error."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Gate:
    """At most `limit` requests answered at once; a request waits up to `wait` seconds for a slot, else 429."""

    def __init__(self, limit: int, wait: float) -> None:
        self.wait = wait
        self._slots = asyncio.Semaphore(limit)

    async def acquire(self) -> Callable[[], None]:
        """Take a slot; returns its release function (safe to call more than once)."""
        if self.wait <= 0 and self._slots.locked():
            raise self.busy()
        try:
            async with asyncio.timeout(self.wait or None):
                await self._slots.acquire()
        except TimeoutError:
            raise self.busy() from None
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._slots.release()

        return release

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the block."""
        release = await self.acquire()
        try:
            yield
        finally:
            release()

    @staticmethod
    def busy() -> ApiError:
        return ApiError(429, "too many requests at once; retry shortly", {"Retry-After": "1"})


def token_given(authorization: str, token: str, basic: bool = False) -> bool:
    """Whether an Authorization header carries `token`: `Bearer <token>`, or with `basic` also HTTP Basic with any
    user name and the token as the password (what a browser sends after its login prompt)."""
    scheme, _, given = authorization.partition(" ")
    if basic and scheme.lower() == "basic":
        try:
            given = base64.b64decode(given.strip(), validate=True).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def bearer_auth(settings: ServerSettings) -> Callable[[Request], None]:
    """A dependency that checks `Authorization: Bearer <server.api_token>` (a no-op when no token is set)."""
    token = settings.api_token.get_secret_value() if settings.api_token else ""

    def check(request: Request) -> None:
        if token and not token_given(request.headers.get("authorization", ""), token):
            raise ApiError(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})

    return check


def _question(text: str) -> str:
    if not text.strip():
        raise ApiError(400, "the question is empty")
    return text


def _offered(mode: str | None, offered: list[str]) -> str | None:
    """The answerer a request names, if this server offers it (None: the default); else a 400."""
    if mode is not None and mode not in offered:
        raise ApiError(400, f"unknown answerer {mode!r}; this server offers: {', '.join(offered)}")
    return mode


def opened(assistant: Assistant) -> Assistant:
    assistant.store()
    return assistant


def _history(body: AskRequest) -> list[Any] | None:
    if body.history is None:
        return None
    return [m.model_dump() if isinstance(m, ChatMessage) else m for m in body.history]


def api_router(assistant: Assistant, settings: ServerSettings) -> APIRouter:
    """The /api routes (include with prefix="/api"; errors need `install_error_handlers`)."""
    gate = Gate(settings.max_concurrency, settings.queue_timeout)
    offered = assistant.answerer_modes()
    router = APIRouter(dependencies=[Depends(bearer_auth(settings))])

    @router.post("/ask", response_model=Answer)
    async def ask(body: AskRequest) -> JSONResponse:
        """Answer a question (a follow-up when `history` is given), with the same JSON as `assistant ask --json`."""
        question = _question(body.question)
        async with gate.slot():
            llm = _offered(body.llm, offered)
            answer = await threaded(lambda: assistant.ask(question, _history(body), body.k, llm))
        return JSONResponse(answer.public(with_passages=body.passages))

    @router.post(
        "/ask/stream",
        response_class=EventSourceResponse,
        responses={200: {"description": "`delta` events `{text}`, then one `answer` event; `error` on failure"}},
    )
    async def ask_stream(body: AskRequest) -> EventSourceResponse:
        """Answer as server-sent events: `delta` events with text as it is written, then one `answer` event."""
        question = _question(body.question)
        llm = _offered(body.llm, offered)
        # Store problems and an answerer that cannot start are a status (503/502), not an event.
        stream = await threaded(lambda: opened(assistant).stream(question, _history(body), body.k, llm))
        release = await gate.acquire()

        async def events() -> AsyncIterator[ServerSentEvent]:
            try:
                async for text in iterate_in_threadpool(stream):
                    yield ServerSentEvent(json.dumps({"text": text}), event="delta")
                answer = stream.answer()
                yield ServerSentEvent(json.dumps(answer.public(with_passages=body.passages)), event="answer")
            except Exception as exc:  # noqa: BLE001 - the status line is sent: report the failure as an event
                yield ServerSentEvent(json.dumps({"error": failure_message(exc)}), event="error")
            finally:
                release()

        return EventSourceResponse(events(), background=BackgroundTask(release))

    @router.post("/retrieve", response_model=RetrieveResponse)
    async def retrieve(body: RetrieveRequest) -> RetrieveResponse:
        """The passages a question retrieves, best first (no answer is written)."""
        question = _question(body.question)
        async with gate.slot():
            passages = await threaded(lambda: assistant.retrieve(question, body.k))
        return RetrieveResponse(question=question, passages=passages)

    return router


def health_router(assistant: Assistant, settings: ServerSettings) -> APIRouter:
    """GET /healthz: whether the store can be read; problems are reported in the body, the status is always 200.
    With `server.api_token` set, a request without the token gets only the status."""
    router = APIRouter()
    token = settings.api_token.get_secret_value() if settings.api_token else ""

    @router.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        """{"status": "ok", "store", "chunks", "answerers"} or {"status": "degraded", "problem", "answerers"}; plus
        "local_model" when the local answerer is offered. With a token set and not given: {"status"} only."""
        report = await run_in_threadpool(health, assistant)
        if token and not token_given(request.headers.get("authorization", ""), token):
            return {"status": report["status"]}
        return report

    return router


def health(assistant: Assistant) -> dict[str, Any]:
    """The health report; with the local answerer on offer, its model server's state (pid, start-up seconds,
    restarts, how the last child ended)."""
    modes = assistant.answerer_modes()
    report: dict[str, Any] = {"answerers": modes}
    if "local" in modes:
        statuses = server_statuses()
        report["local_model"] = statuses[0] if statuses else {"state": "not started"}
    try:
        store = assistant.store()
        report.update(status="ok", store=store.location, chunks=store.count())
    except Exception as exc:  # noqa: BLE001 - a health check reports, never fails
        report.update(status="degraded", problem=failure_message(exc))
    return report


async def threaded(call: Callable[[], Any]) -> Any:
    """Run a blocking call in the threadpool; its failure becomes an ApiError."""
    try:
        return await run_in_threadpool(call)
    except Exception as exc:  # noqa: BLE001 - every failure gets a JSON answer
        raise ApiError(failure_status(exc), failure_message(exc)) from exc


def failure_message(exc: BaseException) -> str:
    """A one-line message for a failed request: store and configuration problems and bad input are told as they
    are; anything else is logged and reported generically."""
    if isinstance(exc, (StoreError, ConfigError, EmbeddingError, AnswererError, ValueError)):
        return redact(str(exc))
    log.error("request failed", exc_info=exc)
    return "internal error; see the server log"


def failure_status(exc: BaseException) -> int:
    """The HTTP status for a failure from `Assistant`."""
    if isinstance(exc, (StoreError, ConfigError, EmbeddingError)):
        return 503
    if isinstance(exc, AnswererError):
        return 502  # the model failed, not this server
    if isinstance(exc, ValueError):
        return 400
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """JSON errors `{"error": ...}` for ApiError, for request bodies that fail validation (422), and for requests
    under /api that no route takes (404, or 405 for a wrong method)."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, exc.headers)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg')}" if where else str(first.get("msg", "invalid request"))
        if first.get("type") == "json_invalid":
            message = "the request body is not valid JSON"
        detail = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in errors]
        return JSONResponse({"error": message, "detail": detail}, status_code=422)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_middleware(ApiRouteErrors)


class ApiRouteErrors:
    """ASGI middleware: a request under /api that no API route takes gets a JSON error, 405 with `Allow` for a
    wrong method and 404 for an unknown path, instead of falling through to the chat page mounted at /."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/api" and not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        allowed: set[str] = set()
        for route in _flat_routes(scope["app"].router.routes):
            if isinstance(getattr(route, "original_route", route), Mount) and not route.path:
                continue  # the page at /: not an API route
            match, _ = route.matches(scope)
            if match == Match.FULL:
                await self.app(scope, receive, send)
                return
            if match == Match.PARTIAL:
                allowed |= set(getattr(route, "methods", None) or ())
        if allowed:
            methods = ", ".join(sorted(allowed))
            response = error_response(
                405, f"{scope['method']} is not allowed on {path}; use {methods}", {"Allow": methods}
            )
        else:
            response = error_response(404, f"no API route at {path}; see /api/docs")
        await response(scope, receive, send)


def _flat_routes(routes: list[BaseRoute]) -> Any:
    """Every route, those of included routers too (FastAPI >= 0.137 keeps included routers as a tree)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # an older FastAPI copies included routes into the app's list
        return routes
    return iter_route_contexts(routes)
