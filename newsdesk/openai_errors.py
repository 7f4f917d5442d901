"""One-line messages for failed requests to an OpenAI-compatible server, for answers and embeddings alike.

The messages name the server (its URL without credentials) and never hold the API key.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import openai

OPENAI_HOST = "api.openai.com"

# First match wins: subclasses come before their bases (a timeout is a connection error; every HTTP error is an
# APIStatusError). Fields: what ("model", "embedding"), where, timeout, model, status, details.
_MESSAGES: tuple[tuple[type[openai.OpenAIError], str], ...] = (
    (openai.APITimeoutError, "the {what} server at {where} did not answer within {timeout:g} s"),
    (openai.APIConnectionError, "cannot reach the {what} server at {where}"),
    (openai.AuthenticationError, "the {what} server at {where} rejected the API key (HTTP 401)"),
    (openai.PermissionDeniedError, "the {what} server at {where} refused access with this API key (HTTP 403)"),
    (openai.NotFoundError, "the {what} server at {where} has no model {model!r} (HTTP 404)"),
    (openai.RateLimitError, "the {what} server at {where} is rate-limiting requests (HTTP 429); try again later"),
    (openai.APIStatusError, "the {what} server at {where} answered HTTP {status}: {details}"),
    (openai.OpenAIError, "the {what} request to {where} failed: {details}"),
)


def failure_message(
    exc: openai.OpenAIError, *, what: str, where: str, model: str, timeout: float, api_key: str | None
) -> str:
    """One line telling what went wrong with a request for `what` ("model", "embedding"); `api_key` is masked."""
    template = next(text for kind, text in _MESSAGES if isinstance(exc, kind))
    message = template.format(
        what=what,
        where=where,
        timeout=timeout,
        model=model,
        status=getattr(exc, "status_code", None),
        details=_first_line(exc.message if isinstance(exc, openai.APIStatusError) else str(exc)),
    )
    return message.replace(api_key, "***") if api_key else message


def server_name(base_url: str | None) -> str:
    """How messages name the server: `base_url` without credentials, or the OpenAI API's host."""
    return display_url(base_url) if base_url else OPENAI_HOST


def display_url(url: str) -> str:
    """`url` without any user name or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _first_line(text: str, limit: int = 200) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "no details")
    return line if len(line) <= limit else line[: limit - 1] + "…"
