"""The citation check on recorded model outputs: bad markers, runs, lists, none at all, markers inside quotes,
renumbering, refusals; every quote verbatim from the cleaned article (real store, real MiniLM embedder)."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.cite import check_citations, find_markers, is_refusal, parse_numbers
from assistant.refusal import REFUSAL
from ingest.load import parse_file
from newsdesk.types import Answer, Passage
from tests.fixtures.core import EXAMPLES, SEED_QUESTION

MALI = "mali-takuba-2020-11-04.txt"
NDAOU = "Mali’s military junta, headed by Assimi Goïta, appointed former defence minister Colonel Major Ba N’Daou as Mali’s interim president for 18 months."
WHITLOCK = "Lumen Robotics, a fictional warehouse-automation company invented for this project's examples, said on Monday that its chief operating officer, Dana Whitlock, will lead the company as interim chief executive."
# What Gemma 3 270M wrote for the seed question from the completion prompt (llama.cpp, greedy).
RECORDED_GEMMA = "According to [1], the interim government is led by the former minister of defence, Colonel Major Ba N’Daou."


@pytest.fixture(scope="module")
def passages(assistant: Assistant) -> list[Passage]:
    """Five passages as a model would be shown them: [1] the Mali chunk naming Ba N'Daou, [2] the Lumen article,
    [3] Harborview, [4]-[5] other Mali chunks."""
    found = assistant.retrieve(SEED_QUESTION, k=20)
    mali = [p for p in found if p.title.startswith("France Conducts")]
    first = next(p for p in mali if NDAOU in p.text)
    lumen = next(p for p in found if p.title.startswith("Lumen"))
    harbor = next(p for p in found if p.title.startswith("Harborview"))
    others = [p for p in mali if p.chunk_id != first.chunk_id][:2]
    assert len(others) == 2
    return [first, lumen, harbor, *others]


def check(draft: str, passages: list[Passage], assistant: Assistant) -> Answer:
    return check_citations(SEED_QUESTION, draft, passages, assistant.embeddings, "test", min_support=0.3)


def article_text(name: str) -> str:
    return parse_file(EXAMPLES / name, (EXAMPLES / name).read_bytes()).articles[0].text


def assert_verbatim(answer: Answer) -> None:
    texts = {name: article_text(name) for name in (MALI, "lumen-robotics-interim-ceo.html")}
    for c in answer.citations:
        text = texts[MALI] if c.title.startswith("France") else texts["lumen-robotics-interim-ceo.html"]
        assert text[c.start : c.end] == c.quote


def test_recorded_gemma_answer_is_cited_with_the_verbatim_sentence(passages: list[Passage], assistant: Assistant) -> None:
    answer = check(RECORDED_GEMMA, passages, assistant)
    assert answer.answer == RECORDED_GEMMA
    assert [(c.n, c.quote) for c in answer.citations] == [(1, NDAOU)]
    assert (answer.unsupported, answer.dropped_markers, answer.refused) == (False, 0, False)
    assert_verbatim(answer)


def test_marker_beyond_the_passages_is_dropped_and_counted(passages: list[Passage], assistant: Assistant) -> None:
    answer = check("Colonel Major Ba N’Daou leads the interim government [7].", passages, assistant)
    assert answer.answer == "Colonel Major Ba N’Daou leads the interim government."
    assert answer.citations == [] and answer.dropped_markers == 1 and answer.unsupported


def test_run_keeps_the_supporting_marker_and_drops_the_other(passages: list[Passage], assistant: Assistant) -> None:
    answer = check("Colonel Major Ba N’Daou leads the interim government [1][2].", passages, assistant)
    assert answer.answer == "Colonel Major Ba N’Daou leads the interim government [1]."
    assert [c.quote for c in answer.citations] == [NDAOU]
    assert answer.dropped_markers == 1 and not answer.unsupported


def test_list_marker_cites_each_passage(passages: list[Passage], assistant: Assistant) -> None:
    draft = "Ba N’Daou leads Mali's interim government and Dana Whitlock leads Lumen Robotics as interim chief executive [1, 2]."
    answer = check(draft, passages, assistant)
    assert answer.answer.endswith("as interim chief executive [1][2].")
    assert [c.quote for c in answer.citations] == [NDAOU, WHITLOCK]
    assert_verbatim(answer)


def test_citations_are_renumbered_by_first_appearance(passages: list[Passage], assistant: Assistant) -> None:
    draft = "Dana Whitlock will lead Lumen Robotics as interim chief executive [2]. Colonel Major Ba N’Daou leads Mali's interim government [1][7]."
    answer = check(draft, passages, assistant)
    assert answer.answer == (
        "Dana Whitlock will lead Lumen Robotics as interim chief executive [1]. "
        "Colonel Major Ba N’Daou leads Mali's interim government [2]."
    )
    assert [(c.n, c.quote) for c in answer.citations] == [(1, WHITLOCK), (2, NDAOU)]
    assert answer.dropped_markers == 1


def test_marker_after_the_full_stop_belongs_to_the_sentence_before(passages: list[Passage], assistant: Assistant) -> None:
    draft = "Colonel Major Ba N’Daou leads Mali's interim government. [1] Dana Whitlock leads Lumen Robotics. [2]"
    assert [m.claim for m in find_markers(draft)] == [
        "Colonel Major Ba N’Daou leads Mali's interim government.",
        "Dana Whitlock leads Lumen Robotics.",
    ]
    answer = check(draft, passages, assistant)
    assert [c.quote for c in answer.citations] == [NDAOU, WHITLOCK] and answer.dropped_markers == 0


def test_no_markers_at_all_is_unsupported(passages: list[Passage], assistant: Assistant) -> None:
    draft = "The interim government is led by the former minister of defence, Colonel Major Ba N’Daou."
    answer = check(draft, passages, assistant)
    assert answer.answer == draft
    assert (answer.citations, answer.unsupported, answer.dropped_markers, answer.refused) == ([], True, 0, False)


def test_marker_inside_a_quotation(passages: list[Passage], assistant: Assistant) -> None:
    draft = 'The junta "appointed former defence minister Colonel Major Ba N’Daou [1]" as interim president.'
    answer = check(draft, passages, assistant)
    assert answer.answer == draft
    assert [c.quote for c in answer.citations] == [NDAOU]


def test_marker_on_an_unrelated_passage_is_dropped(passages: list[Passage], assistant: Assistant) -> None:
    answer = check("Colonel Major Ba N’Daou leads the interim government [3].", passages, assistant)
    assert answer.citations == [] and answer.dropped_markers == 1 and answer.unsupported


def test_two_claims_on_one_passage_get_their_own_quotes(passages: list[Passage], assistant: Assistant) -> None:
    draft = "Ba N’Daou was appointed interim president [1]. Moctar Ouane became the new prime minister [1]."
    answer = check(draft, passages, assistant)
    assert answer.answer == draft  # one article, one number: both quotes are [1]
    assert [c.n for c in answer.citations] == [1, 1]
    assert answer.citations[0].quote == NDAOU
    assert "Moctar Ouane" in answer.citations[1].quote and "Ba N’Daou as" not in answer.citations[1].quote
    assert_verbatim(answer)


@pytest.mark.parametrize("draft", [REFUSAL, f"  {REFUSAL.upper()} [3]", f"I am sorry. {REFUSAL[:-1]}"])
def test_refusals_are_recognised(draft: str, passages: list[Passage], assistant: Assistant) -> None:
    answer = check(draft, passages, assistant)
    assert (answer.refused, answer.answer, answer.citations, answer.unsupported) == (True, REFUSAL, [], False)


def test_marker_forms() -> None:
    assert parse_numbers("1, 2") == (1, 2)
    assert parse_numbers("2-4") == (2, 3, 4)
    assert parse_numbers("3; 3 and 1") == (3, 1)
    assert [m.numbers for m in find_markers("A [passage 2]. B [Sources 1 & 3]. C [2020]. D [x].")] == [(2,), (1, 3)]  # [2020] is no marker
    assert not is_refusal("The articles in the corpus do not answer this question in full, but [1] says more.")


def test_passages_of_one_article_share_its_number(passages: list[Passage], assistant: Assistant) -> None:
    k = next(i for i, p in enumerate(passages, 1) if i > 3 and "Marc Conruyt" in p.text)
    draft = (
        "Ba N’Daou was appointed interim president [1]. Dana Whitlock leads Lumen Robotics [2]. "
        f"General Marc Conruyt became the new commander of the Barkhane force [{k}]."
    )
    answer = check(draft, passages, assistant)
    assert answer.answer == (
        "Ba N’Daou was appointed interim president [1]. Dana Whitlock leads Lumen Robotics [2]. "
        "General Marc Conruyt became the new commander of the Barkhane force [1]."
    )
    assert [(c.n, c.title[:6]) for c in answer.citations] == [(1, "France"), (1, "France"), (2, "Lumen ")]
    assert "Marc Conruyt" in answer.citations[1].quote
    assert_verbatim(answer)
