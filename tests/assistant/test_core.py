"""The Assistant core with the extractive answerer on the example corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.refusal import REFUSAL
from ingest.load import parse_file
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings


def _article_text(title: str) -> str:
    for path in EXAMPLES.iterdir():
        for article in parse_file(path, path.read_bytes()).articles:
            if article.title == title:
                return article.text
    raise AssertionError(title)


def test_seed_question_is_answered_with_a_verbatim_citation(assistant: Assistant) -> None:
    answer = assistant.ask(SEED_QUESTION)
    assert not answer.refused and answer.answerer == "extractive"
    first = next(c for c in answer.citations if "Ba N’Daou" in c.quote)
    assert "Colonel Major Ba N’Daou as Mali’s interim president" in first.quote
    assert (first.title, first.source, first.published_at) == (
        "France Conducts Counter-Terrorism Operation in Mali, Kills 50",
        "Reuters",
        "2020-11-04",
    )
    text = _article_text(first.title)
    for c in answer.citations:
        assert text[c.start : c.end] == c.quote if c.title == first.title else True
        assert f"[{c.n}]" in answer.answer
    assert first.chunk_id.startswith(first.article_id + ":")


def test_retrieval_chooses_the_right_article(assistant: Assistant) -> None:
    hits = assistant.retrieve("Who was named interim chief executive of the robotics company?", k=3)
    assert hits[0].title == "Lumen Robotics names interim chief executive"
    assert hits == sorted(hits, key=lambda p: -p.score)
    assert {"chunk_id", "article_id", "title", "source", "published_at", "text", "score"} <= set(hits[0].model_dump())


@pytest.mark.parametrize(
    "question",
    ["What is the boiling point of tungsten?", "Which team won the 1998 football World Cup final?"],
)
def test_unanswerable_questions_are_refused(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused
    assert answer.answer == REFUSAL
    assert answer.citations == []


def test_empty_question_is_an_error(assistant: Assistant) -> None:
    with pytest.raises(ValueError, match="^the question is empty$"):
        assistant.ask("   ")


def test_stats(assistant: Assistant) -> None:
    stats = assistant.stats()
    assert (stats["articles"], stats["files"], stats["embedding_model"]) == (5, 4, "all-MiniLM-L6-v2-int8")
    assert stats["published_from"] == "2020-11-04"


def test_stats_counts_sources_most_first_then_by_name(store_copy: Path, cache_dir: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra.jsonl"
    records = [
        {"title": "Port strike ends", "body": "Dock workers in the fictional port of Velmar ended a two-week strike "
         "on Monday after agreeing a new pay deal.", "source": "Reuters", "published_at": "2021-05-03"},
        {"title": "Library reopens", "body": "The town library of the fictional Brenfield reopened on Saturday after a "
         "year of repairs to its roof.", "published_at": "2022-01-15"},
    ]
    extra.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assistant = Assistant(make_settings(store_copy, cache_dir))
    assert assistant.ingest([extra]).added == 2
    stats = assistant.stats()
    assert list(stats["sources"].items()) == [
        ("Reuters", 2),
        ("(unknown)", 1),
        ("Amaru Valley Times (fictional example)", 1),
        ("Northgate Business Wire (fictional example)", 1),
        ("Saltmarsh Gazette (fictional example)", 1),
        ("The Harborview Ledger (fictional example)", 1),
    ]
    assert type(stats["sources"]) is dict and stats["articles"] == 7
    # The page's summary, read from the keyword index, agrees (sources counted in chunks, unnamed ones left out).
    summary = assistant.summary()
    assert (summary["articles"], summary["published_from"]) == (7, stats["published_from"])
    assert summary["published_to"] == stats["published_to"] and summary["chunks"] == stats["chunks"]
    assert list(summary["sources"])[0] == "Reuters" and set(summary["sources"]) == set(stats["sources"]) - {"(unknown)"}


def test_the_vector_cache_bound_comes_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING__CACHE_MAX_VECTORS", "1234")
    assistant = Assistant(make_settings(tmp_path / "store", tmp_path / "cache"))
    assert assistant.embeddings.max_vectors == 1234
    assert assistant.embeddings.path == tmp_path / "cache" / "vectors.sqlite"
