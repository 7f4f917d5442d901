"""The `openai` answerer's one-line errors for the HTTP failures a real local server cannot be made to produce
(forbidden, unknown model, rate limit, server errors), against a stand-in OpenAI API that answers each with its
status and OpenAI's JSON error body (tests/fixtures/openai_api.py). Server down, timeouts and a rejected key are
checked against the real llama.cpp server in test_llm_openai.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant import Assistant
from newsdesk.errors import AnswererError
from tests.fixtures.core import SEED_QUESTION, make_settings
from tests.fixtures.openai_api import RefusingOpenAI

KEY = "sk-answer-canary-0123456789abcdef"


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (401, "rejected the API key (HTTP 401)"),
        (403, "refused access with this API key (HTTP 403)"),
        (404, "has no model 'gpt-4o-mini' (HTTP 404)"),  # llm.model's default
        (429, "is rate-limiting requests (HTTP 429); try again later"),
        (500, "answered HTTP 500: Error code: 500 - The server had an error while processing your request. Sorry "
              "about that!"),
        (503, "answered HTTP 503: Error code: 503 - The engine is currently overloaded, please try again later"),
    ],
)
def test_each_failure_is_one_line_naming_the_server_never_the_key(
    example_store: Path, cache_dir: Path, refusing_openai: RefusingOpenAI, status: int, problem: str
) -> None:
    url = refusing_openai.url(status)
    settings = make_settings(example_store, cache_dir, mode="openai", base_url=url, api_key=SecretStr(KEY))
    settings.llm.max_retries = 0  # 429 and 5xx are retried with backoff otherwise
    with pytest.raises(AnswererError) as err:
        Assistant(settings).ask(SEED_QUESTION)
    assert str(err.value) == f"the model server at {url} {problem}"
    assert KEY in refusing_openai.keys  # the key was really sent (and a 401 quoted it back)
