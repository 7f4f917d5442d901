"""`assistant eval`: a tiny hand-made QA file over the fictional multi-publisher corpus, figures worked out by hand.

Retrieval ranks used below (asserted in tests/assistant/test_retrieve.py): a question naming Metro Wire and
March 20, 2024 gets that day's Metro Wire article first; one naming Harbor Gazette and April 18, 2024 gets the ferry
article first. The fourth question's only fact is in no article.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.frontends.cli import cli
from tests.fixtures.core import make_settings
from tests.fixtures.rerank_api import StandInReranker

CORPUS = Path(__file__).resolve().parents[1] / "data" / "multisource.jsonl"
QA = [
    {
        "id": "t1",
        "question": "What did Metro Wire publish on March 20, 2024 about the stadium roof?",
        "answer": "It will reopen in April",
        "question_type": "temporal_query",
        "evidence": [{"fact": "Ground staff will test the roof  motors over the Easter weekend."}],  # spacing differs
    },
    {
        "id": "i1",
        "question": "What did Harbor Gazette publish on April 18, 2024 about the harbour ferry?",
        "answer": "every twenty minutes",
        "question_type": "inference_query",
        "evidence": [
            {"fact": "The harbour ferry will run every twenty minutes from May, up from every half hour, the port authority announced."},
            {"fact": "The ferry will be painted blue."},
        ],
    },
    {
        "id": "n1",
        "question": "What did the Daily Planet report about oxygen rationing in the Martian colony?",
        "answer": "Insufficient information.",
        "question_type": "null_query",
        "evidence": [],
    },
    {
        "id": "i2",
        "question": "Did the mayor of the valley resign?",
        "answer": "Yes",
        "question_type": "inference_query",
        "evidence": [{"fact": "The mayor resigned on Friday."}],
    },
]


@pytest.fixture(scope="module")
def eval_store(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    store = tmp_path_factory.mktemp("eval-store")
    assert Assistant(make_settings(store, cache_dir)).ingest([CORPUS]).failed == 0
    return store


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QA), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_eval_scores_retrieval_as_the_paper_does(eval_store: Path, qa_file: Path, tmp_path: Path) -> None:
    out_json = tmp_path / "results.json"
    code, out, _ = run("eval", str(qa_file), "--store", str(eval_store), "--json", str(out_json), "-q")
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["setup"] | {"store": None} == {
        "store": None, "k": 10, "chunk_tokens": 256, "chunk_overlap": 32, "reranker": None, "answer_k": None, "questions": 4,
        "scored_for_retrieval": 3,
    }
    # t1: hit at 1 (1 of 1 fact); i1: hit at 1 (1 of 2 facts); i2: nothing.
    assert report["retrieval"]["overall"] == {
        "hits@4": 0.6667,
        "hits@10": 0.6667,
        "mrr@10": 0.6667,
        "map@10": 0.5,  # (1 + 1/2 + 0) / 3
        "evidence_recall@10": 0.5,  # (1 + 1/2 + 0) / 3
        "all_evidence@10": 0.3333,
    }
    assert report["retrieval"]["by_type"]["inference_query"]["evidence_recall@10"] == 0.25
    assert report["retrieval"]["by_type"]["temporal_query"]["all_evidence@10"] == 1.0
    assert [q["id"] for q in report["questions"]] == ["t1", "i1", "n1", "i2"]
    assert "retrieved" not in report["questions"][2]  # the null query is not scored for retrieval
    assert "chunks of <= 256 tokens (overlap 32), top 10; 3 of 4 questions scored for retrieval" in out
    assert "answers" not in report


def test_eval_with_answers(eval_store: Path, qa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM__MODE", "extractive")  # quoted answers: the figures below follow from them
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__K", "4")
    out_json = tmp_path / "results.json"
    code, out, _ = run("eval", str(qa_file), "--store", str(eval_store), "--answers", "--json", str(out_json), "-q")
    assert code == 0
    answers = json.loads(out_json.read_text())["answers"]
    by_id = {q["id"]: q for q in json.loads(out_json.read_text())["questions"]}
    assert by_id["n1"]["refused"] is True
    assert (answers["null_refusal_rate"], answers["null_questions"]) == (1.0, 1)
    assert "twenty minutes" in by_id["i1"]["answer"]
    answerable = [by_id[i] for i in ("t1", "i1", "i2")]
    assert answers["overall"]["false_refusal"] == round(sum(q["refused"] for q in answerable) / 3, 4)
    assert answers["overall"]["strict"] == 0.0  # quoted sentences are never exactly the short gold answers
    assert "null questions refused: 1.0000 of 1" in out
    assert "answers from the top 4 passages per question (retrieval.k)" in out  # --k (10) is retrieval's alone


def test_eval_bad_file_is_one_line_error(eval_store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "qa.jsonl"
    bad.write_text('{"id": "x", "evidence": []}\n')
    code, _, err = run("eval", str(bad), "--store", str(eval_store))
    assert code == 1
    assert err == f'Error: {bad} line 1: expected a JSON object with "question" and "evidence": [{{"fact": ...}}]\n'
    code, _, err = run("eval", str(tmp_path / "nope.jsonl"), "--store", str(eval_store))
    assert code == 1 and err.startswith("Error: cannot read ")


def test_eval_through_a_configured_reranker(
    eval_store: Path, qa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reranker_server: StandInReranker
) -> None:
    monkeypatch.setenv("ASSISTANT_RERANK__URL", reranker_server.url)
    monkeypatch.setenv("ASSISTANT_RERANK__MODEL", "bge-reranker-v2-m3")
    reranker_server.favourite = "Ferry timetable"
    out_json = tmp_path / "results.json"
    code, out, _ = run("eval", str(qa_file), "--store", str(eval_store), "--json", str(out_json), "-q")
    assert code == 0
    setup = json.loads(out_json.read_text())["setup"]
    assert setup["reranker"] == f"bge-reranker-v2-m3 at {reranker_server.url}"
    assert f"questions scored for retrieval; reranker bge-reranker-v2-m3 at {reranker_server.url}" in out
    # every scored question went through the reranker once; the null query is not retrieved
    assert sorted(r["query"] for r in reranker_server.requests) == sorted(q["question"] for q in QA if q["evidence"])
