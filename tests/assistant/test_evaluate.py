"""The paper's retrieval and answer scores, on hand-made rankings whose figures are worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluate import (
    EvalSetup,
    QAFileError,
    QAItem,
    contains_gold,
    evaluate,
    first_sentence,
    format_report,
    lenient_match,
    load_qa,
    retrieval_scores,
    squash,
    strict_match,
)
from newsdesk.types import Answer, Passage

F1 = "The council voted 7 to 2 on Tuesday."
F2 = "Work on the barriers is expected to begin in May."
F3 = "Trains would run every thirty minutes."


def test_first_hit_at_rank_three_with_one_of_two_facts() -> None:
    texts = ["nothing here", "still nothing", f"Intro. {F1} More.", "no", F1]
    assert retrieval_scores(texts, [F1, F2]) == {
        "hits@4": 1.0,
        "hits@10": 1.0,
        "mrr@10": pytest.approx(1 / 3),
        "map@10": pytest.approx((1 / 3) / 2),  # one new fact at rank 3, divided by min(2 facts, 10)
        "evidence_recall@10": 0.5,
        "all_evidence@10": 0.0,
    }


def test_every_fact_found_counts_each_fact_once() -> None:
    texts = [F2, "x", F2, "y", "z", f"{F1} {F3}"]
    scores = retrieval_scores(texts, [F1, F2, F3])
    assert scores["hits@4"] == 1.0 and scores["mrr@10"] == 1.0
    assert scores["map@10"] == pytest.approx((1 / 1 + 2 / 6) / 3)  # F2 new at 1; F1 and F3 new at 6
    assert scores["evidence_recall@10"] == 1.0 and scores["all_evidence@10"] == 1.0


def test_hits_beyond_the_cutoffs() -> None:
    texts = ["a", "b", "c", "d", F1] + ["e"] * 5 + [F2]
    scores = retrieval_scores(texts, [F1, F2])
    assert (scores["hits@4"], scores["hits@10"], scores["mrr@10"]) == (0.0, 1.0, 0.2)
    assert scores["evidence_recall@10"] == 0.5  # F2 is 11th
    assert retrieval_scores(texts, [F1, F2], k=4) == {
        "hits@4": 0.0, "mrr@4": 0.0, "map@4": 0.0, "evidence_recall@4": 0.0, "all_evidence@4": 0.0
    }


def test_whitespace_and_unicode_forms_do_not_matter() -> None:
    chunk = "The council\nvoted 7  to 2\u00a0on Tuesday. Next sentence."
    assert retrieval_scores([chunk], ["The council voted 7 to 2 on Tuesday."])["hits@4"] == 1.0
    assert squash("ﬁnal  cut\t") == "finalcut"  # NFKC, as ingest normalises article text
    assert retrieval_scores(["The council voted 7 to 3"], [F1])["hits@10"] == 0.0


def test_a_fact_is_found_as_ingest_stores_it() -> None:
    stored = f"Intro. {F1}"  # ingest cut the live blog's time stamp before the entry
    assert retrieval_scores([stored], [f"6d ago 22.54 GMT {F1}"])["hits@4"] == 1.0
    assert retrieval_scores([stored], [f"Tuesday: {F1}"])["hits@4"] == 0.0


def test_answer_matching() -> None:
    assert lenient_match("It was Sam Bankman-Fried [1]", "Sam Bankman-Fried")
    assert lenient_match("YES it did", "Yes")
    assert not lenient_match("Yes, it did", "Yes")  # the paper splits on whitespace only: "yes," is not "yes"
    assert not lenient_match("Yes it did", "No")
    assert strict_match("Sam Bankman-Fried.", "sam bankman-fried")
    assert not strict_match("It was Sam Bankman-Fried", "Sam Bankman-Fried")


def test_evaluate_averages_by_type_and_leaves_null_queries_out_of_retrieval() -> None:
    items = [
        QAItem("a", "q1", "Harborview", "inference_query", (F1,)),
        QAItem("b", "q2", "No", "comparison_query", (F1, F2)),
        QAItem("c", "q3", "Yes", "comparison_query", (F3,)),
        QAItem("n", "q4", "Insufficient information.", "null_query", ()),
    ]
    ranked = {"q1": [F1], "q2": ["x", F2], "q3": ["y"], "q4": [F1]}
    replies = {"q1": ("Harborview voted [1]", False), "q2": ("No [1]", False), "q3": ("", True), "q4": ("", True)}

    def retrieve(q: str) -> list[Passage]:
        return [Passage(chunk_id=f"{q}:{i}", article_id="a", title="t", text=t, start=0, end=1) for i, t in enumerate(ranked[q])]

    def ask(q: str) -> Answer:
        text, refused = replies[q]
        return Answer(question=q, answer=text, refused=refused)

    report = evaluate(items, retrieve, EvalSetup("mem", 10, 256, 32), ask=ask, progress=False)
    overall = report["retrieval"]["overall"]
    assert overall["hits@10"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert overall["evidence_recall@10"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert overall["all_evidence@10"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["retrieval"]["by_type"]["comparison_query"]["mrr@10"] == 0.25
    assert set(report["retrieval"]["by_type"]) == {"inference_query", "comparison_query"}
    assert report["setup"]["scored_for_retrieval"] == 3
    answers = report["answers"]
    assert answers["overall"]["lenient"] == pytest.approx(2 / 3, abs=1e-4)
    assert answers["overall"]["strict"] == pytest.approx(1 / 3, abs=1e-4)  # citation markers aside, "No [1]" is "No"
    assert answers["overall"]["false_refusal"] == pytest.approx(1 / 3, abs=1e-4)
    assert (answers["null_refusal_rate"], answers["null_questions"]) == (1.0, 1)


def test_gold_strings_are_found_as_whole_words_whatever_the_quotes_and_case() -> None:
    assert contains_gold("Colonel Major Ba N’Daou was appointed [2]", ["Bah N'Daou", "Ba N'Daou"])
    assert contains_gold("It cost 4.2 million\ncrowns.", ["4.2 million crowns"])
    assert not contains_gold("It happened yesterday.", ["Yes"])  # a word, not a piece of one
    assert not contains_gold("Whitlock [1]", [])


def test_the_first_sentence_is_the_splitter_s_first_with_markers_dropped() -> None:
    answer = "The new government came into power on August 18. [1] Ba N’Daou was appointed. [2]"
    assert first_sentence(answer) == "The new government came into power on August 18."
    assert first_sentence("Dr. Ng said so [1]. Then more.") == "Dr. Ng said so ."  # "Dr." ends no sentence
    assert first_sentence("") == ""


def test_answers_are_scored_per_type_with_first_sentence_and_refusals() -> None:
    items = [
        QAItem("w1", "q1", "Whitlock", "who", (F1,), ("Dana Whitlock", "Whitlock")),
        QAItem("w2", "q2", "Farrow", "who", (F1,)),
        QAItem("h1", "q3", "7 to 2", "how-many", (F2,)),
        QAItem("h2", "q4", "forty", "how-many", (F3,)),
        QAItem("u1", "q5", "", "unanswerable", ()),
        QAItem("u2", "q6", "", "unanswerable", ()),
        QAItem("n1", "q7", "Insufficient information.", "null_query", ()),
    ]
    replies = {
        "q1": ("Dana Whitlock will lead the company. [1]", False),  # right, first sentence
        "q2": ("The council voted. [1] Imogen Farrow spoke. [2]", False),  # right, second sentence only
        "q3": ("", True),  # a false refusal
        "q4": ("The yard will hire forty welders. [1]", False),
        "q5": ("", True),
        "q6": ("Someone said something. [1]", False),  # an unanswerable question answered
        "q7": ("", True),
    }

    def ask(q: str) -> Answer:
        text, refused = replies[q]
        return Answer(question=q, answer=text, refused=refused, refusal_reason="no article" if refused else None)

    report = evaluate(items, lambda q: [], EvalSetup("mem", 10, 256, 32), ask=ask, progress=False)
    answers = report["answers"]
    assert answers["by_type"]["who"] | {"lenient": None, "strict": None} == {
        "accuracy": 1.0, "first_sentence": 0.5, "false_refusal": 0.0, "questions": 2, "lenient": None, "strict": None
    }
    assert answers["by_type"]["how-many"]["accuracy"] == 0.5 and answers["by_type"]["how-many"]["false_refusal"] == 0.5
    assert answers["overall"]["first_sentence"] == 0.5 and answers["overall"]["questions"] == 4
    assert answers["null_by_type"] == {
        "null_query": {"refused": 1.0, "questions": 1}, "unanswerable": {"refused": 0.5, "questions": 2}
    }
    assert (answers["null_refusal_rate"], answers["null_questions"]) == (pytest.approx(2 / 3, abs=1e-4), 3)
    rows = {q["id"]: q for q in report["questions"]}
    assert (rows["w2"]["correct"], rows["w2"]["in_first_sentence"]) == (True, False)
    assert rows["h1"]["refusal_reason"] == "no article" and "correct" not in rows["u1"]
    table = format_report(report)
    assert "how-many" in table and "first sentence" in table and "null questions refused: 0.6667 of 3" in table
    who = [line for line in table.splitlines() if line.startswith("who ")][-1]  # the first is retrieval's
    assert who.split() == ["who", "2", "1.0000", "0.5000", "0.0000", "1.0000", "0.0000"]


def test_accepted_answers_are_read_from_the_file(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        '{"question": "Who?", "answers": ["Ba N\'Daou", "Bah N\'Daou"], "question_type": "who", "evidence": [{"fact": "f"}]}\n'
        '{"question": "Old?", "answer": "Yes", "evidence": [{"fact": "f"}]}\n'
    )
    first, second = load_qa(qa)
    assert (first.answer, first.gold, first.question_type) == ("Ba N'Daou", ("Ba N'Daou", "Bah N'Daou"), "who")
    assert (second.gold, second.question_type) == (("Yes",), "unknown")
    qa.write_text('{"question": "Who?", "answers": "Whitlock", "evidence": []}\n')
    with pytest.raises(QAFileError, match='line 1: "answers" must be a list of strings'):
        load_qa(qa)


def test_qa_file_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "qa.jsonl"
    bad.write_text('{"id": "1", "question": "q", "evidence": [{"fact": "f"}]}\n{"id": "2"}\n')
    with pytest.raises(QAFileError, match=r'qa.jsonl line 2: expected a JSON object with "question"'):
        load_qa(bad)
    with pytest.raises(QAFileError, match="cannot read"):
        load_qa(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(QAFileError, match="holds no questions"):
        load_qa(empty)
