"""The API's guards over real HTTP (uvicorn in a thread): bearer token, the concurrency limit with 429 and
Retry-After, store failures as 503 and health reports, and a failure in the middle of a stream."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from assistant import Assistant
from assistant.frontends.http_api import api_router, health_router, install_error_handlers
from assistant.stream import AnswerStream
from newsdesk.settings import ServerSettings
from newsdesk.types import Answer, Passage
from tests.fixtures.core import SEED_QUESTION, make_settings
from tests.fixtures.web_server import serve_in_thread
from tests.frontends.test_http_api import sse_events


def api_app(assistant: Assistant, **server: Any) -> FastAPI:
    """The API routes alone (no page), as `create_app` mounts them."""
    app = FastAPI()
    install_error_handlers(app)
    settings = ServerSettings(**server)
    app.include_router(api_router(assistant, settings), prefix="/api")
    app.include_router(health_router(assistant, settings))
    return app


class GatedAssistant(Assistant):
    """The real assistant, except that `retrieve` waits for the test to open the gate (to hold a slot)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entered = threading.Semaphore(0)
        self.gate = threading.Event()
        self._count = threading.Lock()
        self.running = self.most = 0

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        with self._count:
            self.running += 1
            self.most = max(self.most, self.running)
        self.entered.release()
        try:
            assert self.gate.wait(30)
            return super().retrieve(question, k)
        finally:
            with self._count:
                self.running -= 1


@pytest.fixture(scope="module")
def gated(example_store: Path, cache_dir: Path) -> GatedAssistant:
    return GatedAssistant(make_settings(example_store, cache_dir))


@pytest.fixture
def fresh_gate(gated: GatedAssistant) -> Iterator[GatedAssistant]:
    gated.gate.clear()
    gated.most = 0
    yield gated
    gated.gate.set()


def test_beyond_the_limit_requests_get_429_with_retry_after(fresh_gate: GatedAssistant) -> None:
    app = api_app(fresh_gate, max_concurrency=1, queue_timeout=0)
    with serve_in_thread(app) as base, ThreadPoolExecutor(1) as pool:
        holder = pool.submit(httpx.post, f"{base}/api/retrieve", json={"question": "solar kiosks"}, timeout=60)
        assert fresh_gate.entered.acquire(timeout=30)  # the first request holds the only slot
        for path in ("/api/ask", "/api/retrieve", "/api/ask/stream"):
            busy = httpx.post(f"{base}{path}", json={"question": SEED_QUESTION}, timeout=30)
            assert busy.status_code == 429, path
            assert busy.headers["retry-after"] == "1"
            assert busy.json() == {"error": "too many requests at once; retry shortly"}
        fresh_gate.gate.set()
        assert holder.result().status_code == 200
        assert httpx.post(f"{base}/api/retrieve", json={"question": "rail"}, timeout=60).status_code == 200


def test_within_the_queue_timeout_requests_wait_their_turn(fresh_gate: GatedAssistant) -> None:
    app = api_app(fresh_gate, max_concurrency=1, queue_timeout=60)
    with serve_in_thread(app) as base, ThreadPoolExecutor(3) as pool:
        first = pool.submit(httpx.post, f"{base}/api/retrieve", json={"question": "solar kiosks"}, timeout=90)
        assert fresh_gate.entered.acquire(timeout=30)
        url = f"{base}/api/retrieve"
        waiting = [pool.submit(httpx.post, url, json={"question": q}, timeout=90) for q in ("rail", "kiosks")]
        fresh_gate.gate.set()
        assert [f.result().status_code for f in (first, *waiting)] == [200, 200, 200]
    assert fresh_gate.most == 1


@pytest.fixture(scope="module")
def token_api(assistant: Assistant) -> Iterator[str]:
    with serve_in_thread(api_app(assistant, api_token="s3cret-token")) as base:
        yield base


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic s3cret-token", "s3cret-token"])
def test_with_a_token_set_the_api_needs_it(token_api: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.post(f"{token_api}/api/retrieve", json={"question": "rail"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": "missing or wrong bearer token"}


def test_the_right_token_is_accepted(token_api: str) -> None:
    headers = {"Authorization": "Bearer s3cret-token"}
    response = httpx.post(f"{token_api}/api/ask", json={"question": SEED_QUESTION}, headers=headers, timeout=60)
    assert response.status_code == 200 and "Ba N’Daou" in response.json()["answer"]
    assert httpx.get(f"{token_api}/healthz").json() == {"status": "ok"}  # health needs no token, and tells no more
    full = httpx.get(f"{token_api}/healthz", headers=headers).json()
    assert full["status"] == "ok" and full["chunks"] > 0 and "store" in full


def test_a_missing_store_is_a_503_and_a_degraded_health_report(tmp_path: Path, cache_dir: Path) -> None:
    missing = tmp_path / "no-store"
    with serve_in_thread(api_app(Assistant(make_settings(missing, cache_dir)))) as base:
        expected = {"error": f"no store at {missing}: run `assistant ingest PATH --store {missing}` first"}
        for path in ("/api/ask", "/api/ask/stream", "/api/retrieve"):
            response = httpx.post(f"{base}{path}", json={"question": SEED_QUESTION}, timeout=60)
            assert (response.status_code, response.json()) == (503, expected), path
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["problem"] == expected["error"]


class FailingAssistant(Assistant):
    """The real assistant whose answer breaks off after its first words, as a model server that goes away."""

    def stream(
        self, question: str, history: Any = None, k: int | None = None, llm: str | None = None
    ) -> AnswerStream:
        def broken() -> Iterator[str | Answer]:
            yield "The new interim"
            raise RuntimeError("connection reset by the model server")

        return AnswerStream(broken())


def test_a_failure_mid_stream_ends_with_an_error_event(example_store: Path, cache_dir: Path) -> None:
    app = api_app(FailingAssistant(make_settings(example_store, cache_dir)))
    with serve_in_thread(app) as base, httpx.stream("POST", f"{base}/api/ask/stream", json={"question": "Who?"}) as r:
        assert r.status_code == 200
        events = sse_events(r)
    assert events == [
        ("delta", {"text": "The new interim"}),
        ("error", {"error": "internal error; see the server log"}),
    ]
