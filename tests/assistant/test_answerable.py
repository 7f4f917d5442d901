"""The answerability check (assistant/answerable.py): each rule refuses what it should and lets answerable
questions through, on a small fictional corpus (tests/data/answerable/articles.jsonl)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.answerable import absent_names, names, unanswerable_reason, unknown_publishers
from assistant.core import Assistant
from assistant.extractive import REFUSAL
from assistant.keyword import KeywordIndex
from assistant.settings import RetrievalSettings
from assistant.types import Passage
from tests.fixtures.core import make_settings

ARTICLES = Path(__file__).parents[1] / "data" / "answerable" / "articles.jsonl"
SOURCES = ["Harbor Gazette", "The Valley Times", "Metro Wire"]


def _passages() -> list[Passage]:
    rows = [json.loads(line) for line in ARTICLES.read_text().splitlines()]
    return [
        Passage(chunk_id=f"c{i}", article_id=f"a{i}", title=r["title"], source=r["source"],
                published_at=r["published_at"], url=r["url"], text=r["body"], start=0, end=len(r["body"]),
                relevance=0.5)
        for i, r in enumerate(rows)
    ]


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex.build(_passages(), "test")


@pytest.fixture(scope="module")
def ferry_assistant(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Assistant:
    assistant = Assistant(make_settings(tmp_path_factory.mktemp("answerable-store"), cache_dir))
    assistant.ingest([ARTICLES])
    return assistant


# ---- rule 1: a publisher the store does not hold ------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("What did a Bloomberg article say about Tessaly Marine?", ["Bloomberg"]),
        ("Considering an article by Harbor Gazette and another by Forbes, who builds the ferries?", ["Forbes"]),
        ("Did the Reuters report and an article in The Wall Street Journal agree?", ["Wall Street Journal", "Reuters"]),
        ("Was the Quarry Bay line covered, as reported by The Daily Lantern?", ["Daily Lantern"]),
    ],
)
def test_a_publisher_missing_from_the_store_is_found(question: str, unknown: list[str]) -> None:
    assert sorted(unknown_publishers(question, SOURCES)) == sorted(unknown)


@pytest.mark.parametrize(
    "question",
    [
        "What did a Harbor Gazette article say about Tessaly Marine?",
        "Did an article by The Valley Times and another by Metro Wire name the chair?",
        "Was the report in May about the Quarry Bay ferry line?",  # a month, not a publisher
        "What does the article on Tessaly Marine say about welders?",  # "on": a topic, not a publisher
    ],
)
def test_known_publishers_and_topics_are_not_unknown_publishers(question: str) -> None:
    assert unknown_publishers(question, SOURCES) == []


def test_a_short_form_of_a_known_source_is_known() -> None:
    sources = ["BBC News - Technology", "The Independent - Sports"]
    assert unknown_publishers("Did a BBC article and an article by The Independent agree?", sources) == []
    assert unknown_publishers("Did a BBC Sport article say so?", sources) == ["BBC Sport"]


# ---- rule 2: a name no chunk contains ------------------------------------------------------------------------
def test_names_skip_sentence_starts_and_known_publishers() -> None:
    question = "Did Odile Marchetti tell Metro Wire that Tessaly Marine would hire? Rufus Adeyemi said so."
    assert names(question, SOURCES) == ["Odile Marchetti", "Tessaly Marine", "Adeyemi"]


def test_chunks_with_counts_chunks_holding_every_word(index: KeywordIndex) -> None:
    assert index.chunks_with("Tessaly Marine") == 2
    assert index.chunks_with("Odile Marchetti's") == 2  # stemmed and tokenised as indexed
    assert index.chunks_with("Rufus Marchetti") == 0  # both words occur, never in one chunk
    assert index.chunks_with("Zanzibar") == 0
    assert index.chunks_with("the of") is None  # stop words only


def test_absent_names_are_those_in_at_most_max_chunks(index: KeywordIndex) -> None:
    question = "Did Tessaly Marine hire Rufus Adeyemi before Ingrid Vasquez joined Port Venn?"
    assert absent_names(question, index, 0) == ["Ingrid Vasquez"]
    assert absent_names(question, index, 1) == ["Rufus Adeyemi", "Ingrid Vasquez", "Port Venn"]


# ---- the combined decision ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What did a Bloomberg article say about the Quarry Bay ferry?",
         "names a publisher the store does not hold: Bloomberg"),
        ("How many welders will Ingrid Vasquez hire at the shipyard?", "names what no article contains: Ingrid Vasquez"),
    ],
)
def test_each_rule_gives_its_reason(index: KeywordIndex, question: str, reason: str) -> None:
    assert unanswerable_reason(question, _passages(), index, RetrievalSettings()) == reason


def test_low_relevance_is_still_refused(index: KeywordIndex) -> None:
    passages = [p.model_copy(update={"relevance": 0.1}) for p in _passages()]
    reason = unanswerable_reason("How much is a monthly pass?", passages, index, RetrievalSettings())
    assert reason == "best passage relevance 0.10 < 0.2"


def test_rules_can_be_turned_off(index: KeywordIndex) -> None:
    off = RetrievalSettings(check_publishers=False, max_name_chunks=-1)
    for question in ("What did a Bloomberg article say about the ferry?", "Did Ingrid Vasquez buy a ferry?"):
        assert unanswerable_reason(question, _passages(), index, off) is None


@pytest.mark.parametrize(
    "question",
    [
        "Who builds the electric boats for the Quarry Bay ferry line?",
        "According to a Harbor Gazette article, what did Odile Marchetti say about the crossing?",
        "Did The Valley Times report that Tessaly Marine would hire welders?",
    ],
)
def test_answerable_questions_pass(index: KeywordIndex, question: str) -> None:
    assert unanswerable_reason(question, _passages(), index, RetrievalSettings()) is None


# ---- through Assistant: every answerer is guarded ------------------------------------------------------------
def test_assistant_refuses_with_the_unchanged_message_and_logs_why(
    ferry_assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="assistant.core"):
        answer = ferry_assistant.ask("What did a Bloomberg article say about Tessaly Marine's new order?")
    assert answer.refused and answer.answer == REFUSAL
    assert "names a publisher the store does not hold: Bloomberg" in caplog.text
    absent = ferry_assistant.ask("How many welders will Ingrid Vasquez hire at Tessaly Marine?")
    assert absent.refused and absent.answer == REFUSAL


def test_assistant_answers_an_answerable_question(ferry_assistant: Assistant) -> None:
    answer = ferry_assistant.ask("How many welders will Tessaly Marine hire this summer?")
    assert not answer.refused
    assert answer.citations[0].title == "Tessaly Marine wins second harbour order"
    assert "forty welders" in answer.citations[0].quote
