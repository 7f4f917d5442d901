"""Answers and votes in SQLite: stored with question, answer and citations; a later vote replaces an earlier one."""

from __future__ import annotations

from pathlib import Path

from assistant.feedback import FeedbackStore
from newsdesk.types import Answer, Citation

CITATION = Citation(n=1, article_id="a1", chunk_id="c1", title="Mali", quote="Ba N’Daou as interim president",
                    start=0, end=30)


def test_votes_carry_their_answer(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "sub" / "feedback.sqlite")
    assert store.votes() == []
    first = store.record_answer(Answer(question="Who leads?", answer="Ba N’Daou. [1]", citations=[CITATION]),
                                asked_by="U1", place="C1/1.0")
    second = store.record_answer(Answer(question="Unknown?", answer="No.", refused=True), asked_by="U2", place="D1/2.0")
    store.record_vote(first, "U1", "up")
    store.record_vote(second, "U2", "down")
    store.record_vote(first, "U3", "down")
    store.record_vote(first, "U1", "down")  # U1 changes their mind: one row, the latest rating
    rows = store.votes()
    assert [(r.answer_id, r.user, r.rating) for r in rows] == [(first, "U1", "down"), (first, "U3", "down"),
                                                               (second, "U2", "down")]
    assert rows[0].question == "Who leads?" and rows[0].answer == "Ba N’Daou. [1]" and rows[0].place == "C1/1.0"
    assert rows[0].citations == [CITATION.model_dump()]
    assert [r.user for r in store.votes(limit=1)] == ["U1"]


def test_vote_on_unknown_answer_is_kept(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.record_vote("gone", "U1", "up")
    (row,) = store.votes()
    assert (row.answer_id, row.question, row.citations) == ("gone", "", [])
