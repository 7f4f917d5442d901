"""The optional reranker (`rerank.url`): it re-orders each publisher's first candidates in one request, and a failing
reranker leaves the ranking as it was with one warning that never holds the key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant import Assistant
from tests.fixtures.core import make_settings
from tests.fixtures.rerank_api import StandInReranker

CORPUS = Path(__file__).resolve().parents[1] / "data" / "multisource.jsonl"
QUESTION = "What happened to the Lakeside Stadium roof?"
KEY = "rk-test-0123456789abcdef"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("rerank-store")
    assert Assistant(make_settings(path, cache_dir)).ingest([CORPUS]).added == 7
    return path


def assistant_for(
    store: Path, cache_dir: Path, url: str | None, candidates: int = 20, retry_after: float = 30.0
) -> Assistant:
    settings = make_settings(store, cache_dir)
    settings.rerank.url, settings.rerank.model, settings.rerank.candidates = url, "bge-reranker-v2-m3", candidates
    settings.rerank.retry_after = retry_after
    settings.rerank.api_key = SecretStr(KEY)
    return Assistant(settings)


def titles(assistant: Assistant, question: str = QUESTION, k: int = 4) -> list[str]:
    return [p.title for p in assistant.retrieve(question, k)]


def test_the_reranker_reorders_the_first_candidates(store: Path, cache_dir: Path, reranker_server: StandInReranker) -> None:
    before = titles(assistant_for(store, cache_dir, None))
    reranker_server.favourite = before[2]  # the stand-in scores the third article's chunk above the rest
    after = titles(assistant_for(store, cache_dir, reranker_server.url))
    assert after == [before[2], before[0], before[1], before[3]]  # ties keep the first-stage order
    [sent] = reranker_server.requests  # one request for the question
    assert sent["model"] == "bge-reranker-v2-m3" and sent["query"] == QUESTION
    assert sent["top_n"] == len(sent["documents"]) >= 4
    assert any(doc.startswith(before[2]) for doc in sent["documents"])  # documents carry title, source and date
    assert reranker_server.keys == [KEY]


def test_only_the_first_candidates_are_sent(store: Path, cache_dir: Path, reranker_server: StandInReranker) -> None:
    before = titles(assistant_for(store, cache_dir, None))
    reranker_server.favourite = before[3]  # outside the two candidates sent: cannot move
    after = titles(assistant_for(store, cache_dir, reranker_server.url, candidates=2))
    assert after == before
    assert [len(r["documents"]) for r in reranker_server.requests] == [2]


def test_each_named_publisher_is_reranked_in_the_same_request(
    store: Path, cache_dir: Path, reranker_server: StandInReranker
) -> None:
    question = "How did Metro Wire and Harbor Gazette report on the Lakeside Stadium roof?"
    reranker_server.favourite = "Ferry timetable"
    passages = assistant_for(store, cache_dir, reranker_server.url).retrieve(question, 2)
    assert [(p.source, p.title) for p in passages] == [
        ("Metro Wire", titles(assistant_for(store, cache_dir, None), question, 2)[0]),
        ("Harbor Gazette", "Ferry timetable changes for spring"),
    ]
    assert len(reranker_server.requests) == 1


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({"status": 500}, "the reranker at {url}/rerank answered HTTP 500"),
        ({"status": 401}, "the reranker at {url}/rerank rejected the API key (HTTP 401)"),
        ({"malformed": True}, "the reranker at {url}/rerank answered something that is not a /rerank response"),
    ],
)
def test_a_failing_reranker_keeps_the_ranking_and_warns_once(
    store: Path, cache_dir: Path, reranker_server: StandInReranker, caplog: pytest.LogCaptureFixture,
    setup: dict[str, object], reason: str,
) -> None:
    before = titles(assistant_for(store, cache_dir, None))
    for name, value in setup.items():
        setattr(reranker_server, name, value)
    reranker_server.favourite = before[2]
    with caplog.at_level(logging.WARNING, logger="assistant.rerank"):
        after = titles(assistant_for(store, cache_dir, reranker_server.url))
    assert after == before
    assert [r.getMessage() for r in caplog.records] == [reason.format(url=reranker_server.url) + "; ranking without it for 30 s"]
    assert KEY not in caplog.text


def test_after_a_failure_the_reranker_rests_then_is_tried_again(
    store: Path, cache_dir: Path, reranker_server: StandInReranker, caplog: pytest.LogCaptureFixture
) -> None:
    before = titles(assistant_for(store, cache_dir, None))
    reranker_server.favourite, reranker_server.status = before[2], 503
    resting = assistant_for(store, cache_dir, reranker_server.url)
    with caplog.at_level(logging.WARNING, logger="assistant.rerank"):
        assert titles(resting) == before
        reranker_server.status = 200  # back up, but within retry_after: not asked
        assert titles(resting) == before
    assert len(reranker_server.requests) == 1 and len(caplog.records) == 1

    eager = assistant_for(store, cache_dir, reranker_server.url, retry_after=0)
    reranker_server.status = 503
    assert titles(eager) == before
    reranker_server.status = 200
    assert titles(eager)[0] == before[2]  # asked again at once, and its order taken
    assert len(reranker_server.requests) == 3


def test_an_unreachable_reranker_keeps_the_ranking(store: Path, cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.fixtures.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    before = titles(assistant_for(store, cache_dir, None))
    with caplog.at_level(logging.WARNING, logger="assistant.rerank"):
        assert titles(assistant_for(store, cache_dir, url)) == before
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot reach the reranker at {url}/rerank (ConnectError); ranking without it for 30 s"
    ]


def test_the_reranker_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdesk.settings import load_settings

    monkeypatch.setenv("ASSISTANT_RERANK__URL", "http://127.0.0.1:8081/v1")
    monkeypatch.setenv("ASSISTANT_RERANK__CANDIDATES", "30")
    settings = load_settings()
    assert (settings.rerank.url, settings.rerank.candidates, settings.rerank.api_key) == ("http://127.0.0.1:8081/v1", 30, None)
