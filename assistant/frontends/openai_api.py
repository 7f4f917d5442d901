"""An OpenAI-compatible chat endpoint under /v1: GET /v1/models and POST /v1/chat/completions (plain or streamed).

Each offered answerer is a model (`extractive`, `local`, `openai`). The last user message is the question and the
earlier user and assistant messages its history (system and tool messages are ignored). The reply's content is the
answer with its `[n]` markers followed by a "Sources" section (or a refusal with its reason); the message (the
final chunk's delta when streamed) also carries the structured `citations` and `refusal_reason`. The bearer token
and the concurrency limit are those of /api (`server.api_token`, `server.max_concurrency`, `server.queue_timeout`);
errors have OpenAI's shape `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool

from assistant.core import Assistant
from assistant.frontends.cited_text import answer_tail, cited_text, without_sources
from assistant.frontends.http_api import (
    ApiError,
    Gate,
    bearer_auth,
    failure_message,
    failure_status,
    opened,
    threaded,
)
from newsdesk.settings import ServerSettings
from newsdesk.types import Answer

log = logging.getLogger(__name__)

PREFIX = "/v1"
_ERROR_KINDS = {  # status -> (type, code) of OpenAI's error JSON
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    502: ("server_error", "upstream_error"),
    503: ("server_error", "service_unavailable"),
}


class TextPart(BaseModel):
    """A text part of a message's content."""

    type: Literal["text"]
    text: str = Field(max_length=20_000)


class Message(BaseModel):
    """One message of the conversation."""

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Annotated[str, Field(max_length=20_000)] | list[TextPart] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatRequest(BaseModel):
    """A chat completion request; fields not listed here (temperature, max_tokens, ...) are ignored."""

    model: str = Field(description="An answerer this server offers (GET /v1/models).", examples=["extractive"])
    messages: list[Message] = Field(min_length=1, max_length=200)
    stream: bool = False


def openai_router(assistant: Assistant, settings: ServerSettings) -> APIRouter:
    """The /v1 routes (include with prefix="/v1", after `install_error_handlers` of http_api, then call
    `install_openai_errors`)."""
    gate = Gate(settings.max_concurrency, settings.queue_timeout)
    created = int(time.time())
    router = APIRouter(dependencies=[Depends(bearer_auth(settings))])

    def models() -> list[dict[str, Any]]:
        offered = assistant.answerer_modes()
        return [{"id": m, "object": "model", "created": created, "owned_by": "news-assistant"} for m in offered]

    @router.get("/models")
    async def list_models() -> dict[str, Any]:
        """One model per answerer this server offers, the default first."""
        return {"object": "list", "data": models()}

    @router.get("/models/{model}")
    async def get_model(model: str) -> dict[str, Any]:
        """One offered answerer as a model."""
        found = [m for m in models() if m["id"] == model]
        if not found:
            raise _unknown_model(model, assistant)
        return found[0]

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(body: ChatRequest) -> JSONResponse | EventSourceResponse:
        """Answer the last user message, with the earlier messages as history; `stream: true` sends
        `chat.completion.chunk` server-sent events ending with `[DONE]`."""
        if body.model not in assistant.answerer_modes():
            raise _unknown_model(body.model, assistant)
        question, history = conversation(body.messages)
        reply = Reply(body.model)
        if not body.stream:
            async with gate.slot():
                answer = await threaded(lambda: assistant.ask(question, history, None, body.model))
            return JSONResponse(reply.completion(answer))
        stream = await threaded(lambda: opened(assistant).stream(question, history, None, body.model))
        release = await gate.acquire()

        async def events() -> AsyncIterator[ServerSentEvent]:
            try:
                yield reply.chunk({"role": "assistant", "content": ""})
                streamed = []
                async for text in iterate_in_threadpool(stream):
                    streamed.append(text)
                    yield reply.chunk({"content": text})
                answer = stream.answer()
                if answer.answer != "".join(streamed).strip():  # markers renumbered or dropped by the check
                    yield reply.chunk({"content": f"\n\nChecked answer: {answer.answer}"})
                if tail := answer_tail(answer):
                    yield reply.chunk({"content": tail})
                yield reply.chunk(reply.extras(answer), finish="stop")
                yield ServerSentEvent("[DONE]")
            except Exception as exc:  # noqa: BLE001 - the status line is sent: report the failure in the stream
                yield ServerSentEvent(json.dumps(error_body(failure_status(exc), failure_message(exc))))
            finally:
                release()

        return EventSourceResponse(events(), background=BackgroundTask(release))

    @router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def unknown(request: Request) -> JSONResponse:
        """Any other path under /v1."""
        message = f"Invalid URL ({request.method} {request.url.path})"
        return JSONResponse(error_body(404, message, code="unknown_url"), status_code=404)

    return router


class Reply:
    """The JSON of one chat completion (or its chunks) for `model`."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())

    def _head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    @staticmethod
    def extras(answer: Answer) -> dict[str, Any]:
        """The structured fields added to the message: its citations and, for a refusal, why."""
        return {"citations": [c.model_dump() for c in answer.citations], "refusal_reason": answer.refusal_reason}

    def completion(self, answer: Answer) -> dict[str, Any]:
        """A `chat.completion` object."""
        message = {"role": "assistant", "content": cited_text(answer), **self.extras(answer)}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        return {**self._head("chat.completion"), "choices": [choice], "usage": None}

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> ServerSentEvent:
        """A `chat.completion.chunk` event."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return ServerSentEvent(json.dumps({**self._head("chat.completion.chunk"), "choices": [choice]}))


def conversation(messages: list[Message]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last message, a user's) and the history (the earlier user and assistant messages, the
    Sources sections of earlier answers left out)."""
    *earlier, last = messages
    if last.role != "user" or not last.text().strip():
        raise ApiError(400, "the last message must be the user's question")
    history = [
        {"role": m.role, "content": without_sources(m.text()) if m.role == "assistant" else m.text()}
        for m in earlier
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    if ignored := len(earlier) - len(history):
        log.debug("ignoring %d system, tool or empty messages", ignored)
    return last.text(), history


def _unknown_model(model: str, assistant: Assistant) -> ApiError:
    offered = ", ".join(assistant.answerer_modes())
    return ApiError(404, f"The model {model!r} does not exist; this server offers: {offered}")


def error_body(status: int, message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error JSON for a status."""
    kind, default_code = _ERROR_KINDS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": message, "type": kind, "param": param, "code": code or default_code}}


def install_openai_errors(app: FastAPI) -> None:
    """OpenAI-shaped errors for requests under /v1: wraps the app's handlers for ApiError and validation errors
    (call after http_api's `install_error_handlers`). A body that fails validation is a 400 there."""
    fallbacks: dict[type[Exception], Any] = {  # http_api's handlers: async, for HTTP requests
        kind: app.exception_handlers[kind] for kind in (ApiError, RequestValidationError)
    }

    async def handler(request: Request, exc: Exception) -> Any:
        if not request.url.path.startswith(PREFIX + "/"):
            fallback = fallbacks[ApiError if isinstance(exc, ApiError) else RequestValidationError]
            return await fallback(request, exc)
        if isinstance(exc, ApiError):
            return JSONResponse(error_body(exc.status, exc.message), status_code=exc.status, headers=exc.headers)
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        param = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
        message = f"{param}: {first.get('msg')}" if param else str(first.get("msg", "invalid request"))
        if first.get("type") == "json_invalid":
            message, param = "the request body is not valid JSON", None
        return JSONResponse(error_body(400, message, param), status_code=400)

    for kind in fallbacks:
        app.add_exception_handler(kind, handler)
