"""The OpenAI-compatible endpoint (/v1) with the official `openai` client against a real server on 127.0.0.1: the
`assistant serve` process over the example store, and the routes alone in a thread for the token and the limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI

from assistant import Assistant
from assistant.frontends.cited_text import cited_text
from assistant.frontends.http_api import install_error_handlers
from assistant.frontends.openai_api import install_openai_errors, openai_router
from assistant.stream import AnswerStream
from newsdesk.errors import AnswererError
from newsdesk.settings import ServerSettings
from newsdesk.types import Answer
from tests.fixtures.core import SEED_QUESTION, make_settings
from tests.fixtures.web_server import serve_in_thread

FOLLOW_UP = "Who did he appoint as prime minister?"
BLOOMBERG = "What did Bloomberg report about Lumen Robotics?"


def client(base: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=60)


def citations(message: Any) -> list[dict[str, Any]]:
    return message.model_extra["citations"]


def test_models_are_the_offered_answerers(web_server: str, assistant: Assistant) -> None:
    models = client(web_server).models.list()
    assert [m.id for m in models.data] == assistant.answerer_modes()
    assert models.data[0].id == "extractive"  # the server's default first
    assert client(web_server).models.retrieve("extractive").owned_by == "news-assistant"


def test_a_question_is_answered_with_sources_and_citations(web_server: str, assistant: Assistant) -> None:
    expected = assistant.ask(SEED_QUESTION)
    completion = client(web_server).chat.completions.create(
        model="extractive",
        messages=[{"role": "system", "content": "You are terse."}, {"role": "user", "content": SEED_QUESTION}],
    )
    assert completion.object == "chat.completion" and completion.model == "extractive"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    assert content == cited_text(expected)
    assert content.startswith(expected.answer + "\n\nSources:\n[1] ")
    assert "Ba N’Daou" in expected.answer
    assert '    "Mali’s military junta, headed by Assimi Goïta' in content
    assert citations(choice.message) == [c.model_dump() for c in expected.citations]
    assert choice.message.model_extra["refusal_reason"] is None


def test_a_streamed_answer_ends_with_the_citations(web_server: str) -> None:
    plain = client(web_server).chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": SEED_QUESTION}]
    )
    chunks = list(
        client(web_server).chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": SEED_QUESTION}], stream=True
        )
    )
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == plain.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks][-2:] == [None, "stop"]
    assert citations(chunks[-1].choices[0].delta) == citations(plain.choices[0].message)

    body = {"model": "extractive", "messages": [{"role": "user", "content": SEED_QUESTION}], "stream": True}
    with httpx.stream("POST", f"{web_server}/v1/chat/completions", json=body, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        data = [line for line in response.iter_lines() if line.startswith("data:")]
    assert data[-1] == "data: [DONE]"


def test_a_follow_up_uses_the_conversation(web_server: str, assistant: Assistant) -> None:
    first = client(web_server).chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": SEED_QUESTION}]
    )
    messages: list[Any] = [
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},  # Sources section included
        {"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]},
    ]
    follow = client(web_server).chat.completions.create(model="extractive", messages=messages)
    expected = assistant.ask(FOLLOW_UP, [(SEED_QUESTION, assistant.ask(SEED_QUESTION).answer)])
    assert expected.search_query == "Who did Colonel Major Ba N’Daou appoint as prime minister?"
    message = follow.choices[0].message
    assert message.content == cited_text(expected)
    cited = [c for c in citations(message) if "Moctar Ouane" in c["quote"]]
    assert cited and f"[{cited[0]['n']}]" in (message.content or "")


def test_a_refusal_is_ordinary_content_with_its_reason(web_server: str) -> None:
    message = (
        client(web_server)
        .chat.completions.create(model="extractive", messages=[{"role": "user", "content": BLOOMBERG}])
        .choices[0]
        .message
    )
    assert message.content == (
        "The articles in the corpus do not answer this question.\n\n(no article from Bloomberg in the corpus)"
    )
    assert message.model_extra["refusal_reason"] == "no article from Bloomberg in the corpus"
    assert citations(message) == []


def test_an_unknown_model_is_a_404(web_server: str, assistant: Assistant) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client(web_server).chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "Who?"}])
    assert caught.value.code == "model_not_found"
    offered = ", ".join(assistant.answerer_modes())
    assert caught.value.body["message"] == f"The model 'gpt-9' does not exist; this server offers: {offered}"


@pytest.mark.parametrize(
    ("body", "message", "param"),
    [
        (
            {"model": "extractive", "messages": []},
            "messages: List should have at least 1 item after validation, not 0",
            "messages",
        ),
        ({"messages": [{"role": "user", "content": "Who?"}]}, "model: Field required", "model"),
        (
            {"model": "extractive", "messages": [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": "A"}]},
            "the last message must be the user's question",
            None,
        ),
    ],
)
def test_bad_requests_get_openai_errors(web_server: str, body: dict[str, Any], message: str, param: str | None) -> None:
    response = httpx.post(f"{web_server}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 400
    assert response.json() == {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}


def test_an_unknown_path_under_v1_is_a_404(web_server: str) -> None:
    response = httpx.get(f"{web_server}/v1/embeddings")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "message": "Invalid URL (GET /v1/embeddings)", "type": "invalid_request_error", "param": None, "code": "unknown_url"
    }


def v1_app(assistant: Assistant, **server: Any) -> FastAPI:
    """The /v1 routes alone, as `create_app` mounts them."""
    app = FastAPI()
    install_error_handlers(app)
    install_openai_errors(app)
    app.include_router(openai_router(assistant, ServerSettings(**server)), prefix="/v1")
    return app


def test_with_a_token_set_the_endpoint_needs_it(assistant: Assistant) -> None:
    with serve_in_thread(v1_app(assistant, api_token="s3cret-token")) as base:
        with pytest.raises(openai.AuthenticationError) as caught:
            client(base, "wrong").models.list()
        assert caught.value.code == "invalid_api_key"
        assert caught.value.response.headers["www-authenticate"] == "Bearer"
        answer = client(base, "s3cret-token").chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": SEED_QUESTION}]
        )
        assert "Ba N’Daou" in (answer.choices[0].message.content or "")


class HeldAssistant(Assistant):
    """The real assistant whose `ask` waits for the test to let it go (to hold the only slot)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entered, self.go = threading.Event(), threading.Event()

    def ask(self, *args: Any, **kwargs: Any) -> Answer:
        self.entered.set()
        assert self.go.wait(30)
        return super().ask(*args, **kwargs)


@pytest.fixture
def held(assistant: Assistant) -> Iterator[HeldAssistant]:
    holder = HeldAssistant(assistant.settings)
    yield holder
    holder.go.set()


def test_beyond_the_limit_a_request_gets_a_rate_limit_error(held: HeldAssistant) -> None:
    messages: Any = [{"role": "user", "content": SEED_QUESTION}]
    with serve_in_thread(v1_app(held, max_concurrency=1, queue_timeout=0)) as base, ThreadPoolExecutor(1) as pool:
        first = pool.submit(client(base).chat.completions.create, model="extractive", messages=messages)
        assert held.entered.wait(30)
        for stream in (False, True):
            with pytest.raises(openai.RateLimitError) as caught:
                client(base).chat.completions.create(model="extractive", messages=messages, stream=stream)
            assert caught.value.code == "rate_limit_exceeded"
        held.go.set()
        assert "Ba N’Daou" in (first.result().choices[0].message.content or "")


class FailingAssistant(Assistant):
    """The real assistant whose answer breaks off after its first words, as a model server that goes away."""

    def stream(self, *args: Any, **kwargs: Any) -> AnswerStream:
        def broken() -> Iterator[str | Answer]:
            yield "The new interim"
            raise AnswererError("the model server at http://127.0.0.1:9/v1 went away")

        return AnswerStream(broken())


def test_failures_are_openai_errors(assistant: Assistant, tmp_path: Path, cache_dir: Path) -> None:
    messages: Any = [{"role": "user", "content": SEED_QUESTION}]
    with serve_in_thread(v1_app(FailingAssistant(assistant.settings))) as base:
        stream = client(base).chat.completions.create(model="extractive", messages=messages, stream=True)
        with pytest.raises(openai.APIError, match="the model server at http://127.0.0.1:9/v1 went away"):
            for _ in stream:
                pass
    missing = tmp_path / "no-store"
    with serve_in_thread(v1_app(Assistant(make_settings(missing, cache_dir)))) as base:
        for streamed in (False, True):
            with pytest.raises(openai.InternalServerError) as caught:
                client(base).chat.completions.create(model="extractive", messages=messages, stream=streamed)
            assert caught.value.status_code == 503 and caught.value.code == "service_unavailable"
            assert caught.value.body["message"].startswith(f"no store at {missing}: run `assistant ingest")
