"""The HTTP API over real HTTP: a real `assistant serve` process on 127.0.0.1 over the example store."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from assistant.frontends.cli import cli
from assistant.frontends.http_api import failure_message, failure_status
from newsdesk.errors import EmbeddingError
from tests.fixtures.core import SEED_QUESTION
from tests.fixtures.web_server import sse_events

FOLLOW_UP = "Who did he appoint as prime minister?"
MALI = "France Conducts Counter-Terrorism Operation in Mali, Kills 50"


def post(base: str, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{base}{path}", json=body, timeout=60, **kwargs)


def assert_cites_moctar_ouane(answer: dict[str, Any]) -> None:
    cited = [c for c in answer["citations"] if "Moctar Ouane" in c["quote"]]
    assert cited, answer
    assert cited[0]["title"] == MALI
    assert f"[{cited[0]['n']}]" in answer["answer"]


def test_ask_gives_the_same_json_as_the_cli(
    web_server: str, example_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM__MODE", "extractive")
    result = CliRunner().invoke(cli, ["ask", SEED_QUESTION, "--store", str(example_store), "--json"])
    assert result.exit_code == 0, result.output
    response = post(web_server, "/api/ask", {"question": SEED_QUESTION})
    assert response.status_code == 200
    assert response.json() == json.loads(result.stdout)
    assert response.json()["search_query"] == SEED_QUESTION


@pytest.mark.parametrize("form", ["pairs", "messages"])
def test_follow_up_with_history_is_answered_and_cited(web_server: str, form: str) -> None:
    first = post(web_server, "/api/ask", {"question": SEED_QUESTION}).json()
    history: list[Any] = (
        [[SEED_QUESTION, first["answer"]]]
        if form == "pairs"
        else [{"role": "user", "content": SEED_QUESTION}, {"role": "assistant", "content": first["answer"]}]
    )
    answer = post(web_server, "/api/ask", {"question": FOLLOW_UP, "history": history}).json()
    assert answer["question"] == FOLLOW_UP
    assert answer["search_query"] == "Who did Colonel Major Ba N’Daou appoint as prime minister?"
    assert not answer["refused"]
    assert_cites_moctar_ouane(answer)


def test_stream_sends_deltas_then_one_answer(web_server: str) -> None:
    with httpx.stream("POST", f"{web_server}/api/ask/stream", json={"question": SEED_QUESTION}, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and names.count("answer") == 1
    assert set(names[:-1]) == {"delta"}
    final = events[-1][1]
    assert "".join(data["text"] for name, data in events[:-1]) == final["answer"]
    assert final == post(web_server, "/api/ask", {"question": SEED_QUESTION}).json()


@pytest.mark.parametrize("history", [[{"role": "tool", "content": "x"}], [["only a question"]], "Who?"])
def test_stream_validates_the_request_before_streaming(web_server: str, history: Any) -> None:
    response = post(web_server, "/api/ask/stream", {"question": "Who?", "history": history})
    assert response.status_code == 422
    assert response.json()["error"].startswith("history")


def test_retrieve_returns_passages_best_first(web_server: str) -> None:
    response = post(web_server, "/api/retrieve", {"question": "Who leads the interim government?", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "Who leads the interim government?"
    scores = [p["score"] for p in body["passages"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert body["passages"][0]["title"] == MALI
    keys = {"chunk_id", "article_id", "title", "source", "published_at", "text", "start", "end"}
    assert keys <= set(body["passages"][0])


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 422, "question: Field required"),
        ({"question": ""}, 422, "question: String should have at least 1 character"),
        ({"question": "   "}, 400, "the question is empty"),
        ({"question": "Who?", "k": 0}, 422, "k: Input should be greater than or equal to 1"),
        ({"question": "Who?", "llm": "gpt-9"}, 400, "unknown answerer 'gpt-9'; this server offers: extractive"),
    ],
)
def test_bad_requests_get_json_errors(web_server: str, body: dict[str, Any], status: int, error: str) -> None:
    response = post(web_server, "/api/ask", body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"].startswith(error)


def test_a_body_that_is_not_json_is_a_422(web_server: str) -> None:
    response = httpx.post(f"{web_server}/api/ask", content=b"question=hi", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "the request body is not valid JSON"


def test_oversized_requests_get_413(web_server: str) -> None:
    big = {"question": "Who?", "history": [["q" * 40_000, "a" * 40_000]]}
    response = post(web_server, "/api/ask", big)
    assert (response.status_code, response.json()) == (413, {"error": "request body larger than 64000 bytes"})

    def chunks() -> Any:  # no Content-Length: the limit is counted as the body arrives
        yield b'{"question": "Who?", "history": [["'
        for _ in range(100):
            yield b"q" * 1000
        yield b'", "a"]]}'

    streamed = httpx.post(f"{web_server}/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert (streamed.status_code, streamed.json()) == (413, {"error": "request body larger than 64000 bytes"})


def test_healthz_reports_the_store(web_server: str, assistant: Any) -> None:
    body = httpx.get(f"{web_server}/healthz").json()
    assert body["status"] == "ok"
    assert body["chunks"] == assistant.store().count()
    assert body["answerers"][0] == "extractive"


def test_openapi_describes_the_routes(web_server: str) -> None:
    spec = httpx.get(f"{web_server}/api/openapi.json").json()
    assert {"/api/ask", "/api/ask/stream", "/api/retrieve", "/healthz"} <= set(spec["paths"])
    docs = httpx.get(f"{web_server}/api/docs")
    assert docs.status_code == 200 and "/api/docs-assets/swagger-ui-bundle.js" in docs.text


@pytest.mark.parametrize(
    ("method", "path", "status", "error", "allow"),
    [
        ("GET", "/api/ask", 405, "GET is not allowed on /api/ask; use POST", "POST"),
        ("PUT", "/api/retrieve", 405, "PUT is not allowed on /api/retrieve; use POST", "POST"),
        ("GET", "/api/nothing-here", 404, "no API route at /api/nothing-here; see /api/docs", None),
        ("POST", "/api", 404, "no API route at /api; see /api/docs", None),
    ],
)
def test_wrong_methods_and_unknown_api_paths_get_json_errors(
    web_server: str, method: str, path: str, status: int, error: str, allow: str | None
) -> None:
    response = httpx.request(method, f"{web_server}{path}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": error}
    assert response.headers.get("allow") == allow


def test_docs_redirects_to_the_api_docs(web_server: str) -> None:
    response = httpx.get(f"{web_server}/docs")
    assert response.status_code == 307
    assert response.headers["location"] == "/api/docs"
    assert httpx.get(f"{web_server}/docs", follow_redirects=True).url.path == "/api/docs"


def test_twenty_concurrent_sessions_without_errors(web_server: str) -> None:
    def session(_: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=web_server, timeout=120) as client:
            first = client.post("/api/ask", json={"question": SEED_QUESTION})
            statuses.append(first.status_code)
            follow = client.post(
                "/api/ask", json={"question": FOLLOW_UP, "history": [[SEED_QUESTION, first.json()["answer"]]]}
            )
            statuses.append(follow.status_code)
            assert_cites_moctar_ouane(follow.json())
            statuses.append(client.post("/api/retrieve", json={"question": "solar kiosks", "k": 2}).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(session, range(20)))
    assert [s for statuses in results for s in statuses] == [200] * 60


def test_an_embedding_server_failure_is_a_503_with_its_one_line_message() -> None:
    failure = EmbeddingError("the embedding server at http://127.0.0.1:8001/v1 rejected the API key (HTTP 401)")
    assert failure_status(failure) == 503
    assert failure_message(failure) == str(failure)
