"""Retrieval over several publishers (tests/data/multisource.jsonl, fictional articles): named publishers each get a
slot, a named date comes first, unknown names fall back to a plain search, and server mode behaves the same."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.keyword import KeywordIndex
from assistant.retrieve import Retriever, interleave, with_sequels
from newsdesk.types import Passage
from tests.data.harbour import FILLER, FOCUSED, SPREAD
from tests.fixtures.core import make_settings

CORPUS = Path(__file__).resolve().parents[1] / "data" / "multisource.jsonl"


@pytest.fixture(scope="module")
def multisource(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Assistant:
    """The multi-publisher fixture corpus ingested once for this module (read-only)."""
    store = tmp_path_factory.mktemp("multisource")
    assistant = Assistant(make_settings(store, cache_dir))
    assert assistant.ingest([CORPUS]).added == 7
    return assistant


def sources(passages: list[Passage]) -> list[str]:
    return [p.source for p in passages]


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "dense"])
def test_every_named_publisher_gets_a_slot(multisource: Assistant, mode: str) -> None:
    multisource.settings.retrieval.mode = mode
    try:
        hits = multisource.retrieve("How did Metro Wire and Le Petit Echo report on the Lakeside Stadium roof?", k=2)
    finally:
        multisource.settings.retrieval.mode = "hybrid"
    assert sorted(sources(hits)) == ["Le Petit Écho", "Metro Wire"]


def test_without_news_filters_one_publisher_can_take_every_slot(multisource: Assistant) -> None:
    question = "Did The Valley Times and Harbor Gazette say the Lakeside Stadium roof would reopen in April?"
    multisource.settings.retrieval.news_filters = False
    try:
        plain = multisource.retrieve(question, k=2)
    finally:
        multisource.settings.retrieval.news_filters = True
    named = multisource.retrieve(question, k=2)
    assert "Metro Wire" in sources(plain)  # the April article is Metro Wire's
    assert sorted(sources(named)) == ["Harbor Gazette", "The Valley Times"]


@pytest.mark.parametrize(
    ("day", "title"),
    [
        ("March 20, 2024", "Lakeside Stadium roof to reopen in April"),
        ("2024-03-05", "Fans told to expect a noisy spring at Lakeside"),
    ],
)
def test_the_named_day_comes_first_and_the_rest_of_the_publisher_follows(
    multisource: Assistant, day: str, title: str
) -> None:
    hits = multisource.retrieve(f"What did Metro Wire publish on {day} about the stadium roof?", k=3)
    assert hits[0].title == title
    assert sources(hits)[:2] == ["Metro Wire", "Metro Wire"]  # the other Metro Wire article is next


def test_unknown_publishers_and_empty_periods_fall_back_to_a_plain_search(multisource: Assistant) -> None:
    hits = multisource.retrieve("What did the Daily Planet say in July 2019 about the ferry timetable?", k=1)
    assert hits[0].title == "Ferry timetable changes for spring"
    hits = multisource.retrieve("What did Harbor Gazette say in December about the ferry timetable?", k=1)
    assert hits[0].title == "Ferry timetable changes for spring"  # no December article: the date is dropped


def test_scores_rank_and_relevance_is_cosine(multisource: Assistant) -> None:
    retriever = Retriever(multisource.store(), multisource.embeddings, multisource.settings.retrieval)
    question = "How much will the stadium roof repairs cost?"
    vector = retriever.query_vector(question)
    hits = retriever.retrieve(question, 3, vector=vector)
    assert [p.score for p in hits] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert hits[0].title == "Stadium roof bill doubles"
    direct = {p.chunk_id: p.score for p in multisource.store().search(vector, 10)}
    for p in hits:
        assert p.relevance == pytest.approx(direct[p.chunk_id], abs=1e-4)


def test_keyword_mode_needs_no_vector(multisource: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = multisource.settings.retrieval.model_copy(update={"mode": "keyword"})
    retriever = Retriever(multisource.store(), multisource.embeddings, settings)
    monkeypatch.setattr(retriever, "query_vector", lambda q: pytest.fail("embedded the query in keyword mode"))
    hits = retriever.retrieve("apricot blossom frost", 1)
    assert hits[0].title == "Late frost threatens valley orchards"
    assert hits[0].relevance is None


@pytest.fixture
def server_assistant(chroma_server: tuple[str, int], tmp_path: Path, cache_dir: Path) -> Iterator[Assistant]:
    settings = make_settings(tmp_path / "unused", cache_dir)
    settings.store.host, settings.store.port = chroma_server
    settings.store.collection = "retrieve_server"
    assistant = Assistant(settings)
    assistant.ingest([CORPUS])
    yield assistant


def test_server_mode_named_publishers_and_dates(server_assistant: Assistant) -> None:
    hits = server_assistant.retrieve("How did Metro Wire and Le Petit Echo report on the Lakeside Stadium roof?", k=2)
    assert sorted(sources(hits)) == ["Le Petit Écho", "Metro Wire"]
    hits = server_assistant.retrieve("What did Metro Wire publish on March 20, 2024 about the stadium roof?", k=1)
    assert hits[0].title == "Lakeside Stadium roof to reopen in April"


def p(chunk: str) -> Passage:
    return Passage(chunk_id=chunk, article_id="a", title="t", text=chunk, start=0, end=1)


def test_interleave_takes_each_ranking_in_turn_without_repeats() -> None:
    merged = interleave([[p("a1"), p("a2"), p("a3")], [p("b1"), p("a1"), p("b3")], []], 5)
    assert [x.chunk_id for x in merged] == ["a1", "b1", "a2", "a3", "b3"]
    assert [x.score for x in merged] == [1.0, 0.5, pytest.approx(1 / 3), 0.25, 0.2]


def test_vectors_fill_in_when_no_word_matches(multisource: Assistant) -> None:
    hits = multisource.retrieve("Quand le toit du stade rouvrira-t-il ?", k=3)  # French: no English word to match
    assert len(hits) == 3
    assert all(p.relevance is not None for p in hits)


@pytest.mark.parametrize(("share", "first"), [(0.0, "Harbour budget notes"), (1.0, "Storm week")])
def test_a_chunk_whose_one_sentence_matches_the_clause_rises(
    tmp_path: Path, cache_dir: Path, share: float, first: str
) -> None:
    articles = [
        ("Harbour budget notes", SPREAD),
        ("Storm week", FOCUSED),
        *((f"Filler {n}", text) for n, text in enumerate(FILLER)),
    ]
    assistant = _keyword_store(tmp_path, cache_dir, articles, sentence_weight=share)
    assert assistant.retrieve("Which harbour crane collapsed?", k=1)[0].title == first


def test_a_spelled_out_role_finds_its_acronym(tmp_path: Path, cache_dir: Path) -> None:
    articles = [
        ("Brightpath results", "Brightpath's CFO, Marta Quell, said margins improved in the spring."),
        ("Brightpath board", "Brightpath's chief executive told the board the year ended well."),
        *((f"Filler {n}", text) for n, text in enumerate(FILLER)),
    ]
    assistant = _keyword_store(tmp_path, cache_dir, articles)
    assert assistant.retrieve("Who is Brightpath's chief financial officer?", k=1)[0].title == "Brightpath results"
    assert assistant.retrieve("Who is Brightpath's CEO?", k=1)[0].title == "Brightpath board"


def _keyword_store(tmp_path: Path, cache_dir: Path, articles: list[tuple[str, str]], **retrieval: object) -> Assistant:
    """An Assistant on a new store holding `articles` (title, body), searching by keyword alone (plus `retrieval`)."""
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"title": t, "source": "North Post", "published_at": "2024-03-01", "body": b}) + "\n"
            for t, b in articles
        ),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "store", cache_dir)
    settings.retrieval.mode = "keyword"
    for name, value in retrieval.items():
        setattr(settings.retrieval, name, value)
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    return assistant


def test_the_answerer_also_reads_the_sentence_that_opens_the_next_chunk() -> None:
    def chunk(start: int, text: str, relevance: float | None = None) -> Passage:
        return Passage(chunk_id=f"a:{start}", article_id="a", title="Ferry", text=text, start=start,
                       end=start + len(text), relevance=relevance)

    first = chunk(0, "Captain Ana Lima said she did not answer the call from the harbour office.", 0.7)
    second = chunk(77, "It was ringing at night, but I was asleep, she said. The ferry left at dawn.")
    view = KeywordIndex.build([first, second], "test").view()
    other = Passage(chunk_id="b:0", article_id="b", title="Port", text="The port reopened.", start=0, end=18,
                    relevance=0.4)
    read = with_sequels([first, other], view, 1)
    assert [p.text for p in read] == [first.text, other.text, "It was ringing at night, but I was asleep, she said."]
    assert read[2].relevance == 0.4 and read[2].end == 77 + len(read[2].text)  # the least relevance of the retrieved
    assert with_sequels([first, second], view, 1) == [first, second]  # already retrieved
    assert with_sequels([first, other], view, 0) == [first, other]
