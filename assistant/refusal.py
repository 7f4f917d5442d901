"""The plain statement that the corpus does not hold the answer, and the Answer that carries it with its reason."""

from __future__ import annotations

from newsdesk.types import Answer

REFUSAL = "The articles in the corpus do not answer this question."

NO_ANSWER_IN_PASSAGES = "no retrieved passage states the answer"


def refusal(question: str, answerer: str, reason: str = NO_ANSWER_IN_PASSAGES) -> Answer:
    """The plain statement that the corpus does not hold the answer, with why (`refusal_reason`)."""
    return Answer(question=question, answer=REFUSAL, refused=True, refusal_reason=reason, answerer=answerer)
