"""`assistant serve`: one FastAPI app with the HTTP API under /api, the OpenAI-compatible endpoint under /v1,
/healthz, the Slack endpoint (when configured) and the Gradio chat page at /.

Gradio is imported only when the app is built (it takes 5-12 s), never on the CLI's import path.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.core import Assistant
from assistant.frontends.http_api import api_router, health_router, install_error_handlers, token_given
from assistant.frontends.openai_api import install_openai_errors, openai_router
from assistant.redact import RedactingFilter
from newsdesk.settings import ConfigError, Settings


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The whole server as an ASGI app; `assistant` defaults to one built from `settings`."""
    assistant = assistant or Assistant(settings)
    app = FastAPIOffline(  # a FastAPI app whose docs page uses bundled Swagger UI files, not a CDN
        title="News assistant",
        summary="Answers questions over a corpus of news articles with verbatim, checked citations.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        static_url="/api/docs-assets",
    )
    app.add_middleware(BodyLimit, max_bytes=settings.server.max_request_bytes)
    if settings.server.api_token:
        app.add_middleware(DocsLock, token=settings.server.api_token.get_secret_value())
    install_error_handlers(app)
    app.include_router(api_router(assistant, settings.server), prefix="/api", tags=["api"])
    install_openai_errors(app)
    app.include_router(openai_router(assistant, settings.server), prefix="/v1", tags=["openai"])
    app.include_router(health_router(assistant, settings.server), tags=["health"])
    app.add_api_route("/docs", lambda: RedirectResponse("/api/docs"), include_in_schema=False)

    if settings.slack.signing_secret:
        from assistant.frontends.slack import mount_slack

        mount_slack(app, assistant, settings)

    from assistant.frontends.page import mount_page

    mount_page(app, assistant, settings)
    app.state.assistant = assistant
    return app


DOCS_PATHS = ("/api/docs", "/api/openapi.json")


class DocsLock:
    """ASGI middleware: with `server.api_token` set, the API docs (/api/docs*, /api/openapi.json) need the token, as
    a bearer token or as the password of the browser's login prompt (HTTP Basic, any user name)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(DOCS_PATHS):
            authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            if not token_given(authorization, self.token, basic=True):
                body = json.dumps({"error": "the API docs need the API token (any user name, the token as password)"})
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Basic realm="news-assistant API docs"'),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 JSON. A declared Content-Length is checked at
    once (the server delivers no more than it declares); a body without one is read here up to the limit first."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) <= self.max_bytes:
                await self.app(scope, receive, send)
            else:
                await self._too_large(send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._too_large(send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps({"error": f"request body larger than {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve off loopback without `server.api_token`."""
    host = settings.server.host
    token = settings.server.api_token.get_secret_value() if settings.server.api_token else ""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"serving on {host} (not loopback) needs server.api_token: set ASSISTANT_SERVER__API_TOKEN"
        )


def serve(settings: Settings) -> None:
    """Run the server with uvicorn until interrupted."""
    import uvicorn

    check_exposure(settings)
    app = create_app(settings)
    app.state.assistant.start_model()  # the local model's server starts now, not on the first question
    uvicorn.run(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level="info",
        access_log=False,
        log_config=redacting_log_config(uvicorn.config.LOGGING_CONFIG),
    )


def redacting_log_config(base: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging configuration with a `RedactingFilter` on each of its handlers."""
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["redact"] = {"()": RedactingFilter}
    for handler in config.get("handlers", {}).values():
        handler["filters"] = [*handler.get("filters", []), "redact"]
    return config
