"""Load: twenty chat sessions streaming at once against a real `assistant serve` all get their own correct answers,
and beyond `server.max_concurrency` requests get 429 with Retry-After at once, never a timeout, and the server
recovers. (Latency figures come from bench/load.py, not from here.)"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from assistant import Assistant
from tests.fixtures.core import SEED_QUESTION
from tests.fixtures.web_server import serve_in_thread, sse_events

# (question, follow-up, what the follow-up is searched as, a quote its answer must cite)
CONVERSATIONS = [
    (SEED_QUESTION, "Who did he appoint as prime minister?", "Ba N’Daou", "Moctar Ouane"),
    ("How much will Harborview spend on flood barriers?", "When is work on them expected to begin?", "Harborview",
     "Work on the barriers is expected to begin in May."),
    ("When did the coastal railway reopen?", "How often will trains run on it?", "Saltmarsh",
     "trains would run every thirty minutes from Monday"),
]
SESSIONS = 20


def stream(client: httpx.Client, body: dict[str, Any]) -> tuple[int, list[tuple[str, Any]], httpx.Response]:
    """POST /api/ask/stream: the status, the (event, data) pairs received (or the JSON error body), the response."""
    with client.stream("POST", "/api/ask/stream", json=body) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, [("rejected", response.json())], response
        return response.status_code, sse_events(response), response


def chat_session(base: str, number: int, start: threading.Barrier) -> list[str]:
    """One chat: a question, then a follow-up that needs it; returns the problems found (none expected)."""
    question, follow_up, searched, quote = CONVERSATIONS[number % len(CONVERSATIONS)]
    problems = []
    with httpx.Client(base_url=base, timeout=120) as client:
        start.wait(timeout=60)
        status, events, _ = stream(client, {"question": question})
        answers = [data for name, data in events if name == "answer"]
        if status != 200 or [n for n, _ in events if n == "error"] or len(answers) != 1:
            return [f"session {number}: first turn {status} {events[-1:]}"]
        history = [[question, answers[0]["answer"]]]
        status, events, _ = stream(client, {"question": follow_up, "history": history})
        answer = next((data for name, data in events if name == "answer"), None)
        if status != 200 or answer is None:
            return [f"session {number}: follow-up {status} {events[-1:]}"]
        if searched not in (answer["search_query"] or ""):
            problems.append(f"session {number}: follow-up searched as {answer['search_query']!r}")
        if not any(quote in c["quote"] for c in answer["citations"]):
            problems.append(f"session {number}: follow-up answered {answer['answer']!r}")
    return problems


def test_twenty_streaming_chat_sessions_at_once(web_server: str) -> None:
    start = threading.Barrier(SESSIONS)
    with ThreadPoolExecutor(SESSIONS) as pool:
        problems = [p for ps in pool.map(lambda n: chat_session(web_server, n, start), range(SESSIONS)) for p in ps]
    assert problems == []
    assert httpx.get(f"{web_server}/healthz").json()["status"] == "ok"


@pytest.fixture(scope="module")
def tiny_server(assistant: Assistant) -> Iterator[str]:
    """The whole app (`create_app`, what `assistant serve` runs) with room for 2 requests and no queue."""
    from assistant.frontends.web import create_app

    settings = assistant.settings.model_copy(deep=True)
    settings.server.max_concurrency, settings.server.queue_timeout = 2, 0
    with serve_in_thread(create_app(settings, assistant)) as base:
        yield base


def burst_request(base: str, number: int, start: threading.Barrier) -> tuple[int, str | None, Any]:
    """One request of the burst (every fourth a stream, read to its end): (status, Retry-After, answer or error)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        start.wait(timeout=60)
        if number % 4 == 3:
            status, events, response = stream(client, {"question": SEED_QUESTION})
            final = [data for name, data in events if name in ("answer", "error", "rejected")]
            return status, response.headers.get("retry-after"), final[-1] if final else None
        response = client.post("/api/ask", json={"question": SEED_QUESTION})
        return response.status_code, response.headers.get("retry-after"), response.json()


def test_beyond_the_limit_requests_get_429_at_once_and_the_server_recovers(tiny_server: str) -> None:
    start = threading.Barrier(SESSIONS)
    with ThreadPoolExecutor(SESSIONS) as pool:  # a timed-out request raises here, failing the test
        results = list(pool.map(lambda n: burst_request(tiny_server, n, start), range(SESSIONS)))
    busy = [r for r in results if r[0] == 429]
    served = [r for r in results if r[0] == 200]
    assert len(busy) + len(served) == SESSIONS, [r[:2] for r in results]
    assert served and busy  # 20 at once against 2 slots: some are answered, the rest turned away at once
    assert {(retry_after, json.dumps(body)) for _, retry_after, body in busy} == {
        ("1", json.dumps({"error": "too many requests at once; retry shortly"}))
    }
    for _, _, answer in served:
        assert "error" not in answer and any("Ba N’Daou" in c["quote"] for c in answer["citations"])
    # Every slot came back (streams included): two requests at once are both answered.
    again = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        statuses = [r[0] for r in pool.map(lambda n: burst_request(tiny_server, 0, again), range(2))]
    assert statuses == [200, 200]
