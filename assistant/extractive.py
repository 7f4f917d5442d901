"""The no-LLM answerer: quote the retrieved sentences that best answer the question, each with its `[n]`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from langchain_core.embeddings import Embeddings

from assistant.cite import citation
from assistant.evidence import Candidate, answer_type_factor, candidates, score_sentences
from assistant.refusal import refusal
from newsdesk.types import Answer, Passage


class ExtractiveAnswerer:
    """Answers by quoting: the best sentences, verbatim, grouped by article in reading order."""

    name = "extractive"

    def __init__(self, embeddings: Embeddings, max_sentences: int = 3, keep_ratio: float = 0.85) -> None:
        self.embeddings = embeddings
        self.max_sentences = max_sentences
        self.keep_ratio = keep_ratio

    def stream(
        self, question: str, passages: Sequence[Passage], question_vector: Sequence[float]
    ) -> Iterator[str | Answer]:
        """Yield the answer text once, then the Answer."""
        answer = self.answer(question, passages, question_vector)
        yield answer.answer
        yield answer

    def answer(self, question: str, passages: Sequence[Passage], question_vector: Sequence[float]) -> Answer:
        """Pick the sentences and cite them."""
        cands = candidates(passages)
        scores = score_sentences(question, question_vector, cands, self.embeddings)
        ranked = sorted(zip(scores, range(len(cands))), reverse=True)
        if not ranked:
            return refusal(question, self.name, "the retrieved passages hold no sentence to quote")
        best = ranked[0][0]
        chosen = [i for s, i in ranked[: self.max_sentences] if s >= best * self.keep_ratio]
        chosen += self._continuations(question, cands, chosen)
        first_seen = {cands[i].passage.article_id: rank for rank, i in reversed(list(enumerate(chosen)))}
        chosen.sort(key=lambda i: (first_seen[cands[i].passage.article_id], cands[i].start))
        parts, citations = [], []
        for n, i in enumerate(chosen, 1):
            c = cands[i]
            parts.append(f"{c.text} [{n}]")
            citations.append(citation(n, c.passage, c.start, c.end, c.text))
        return Answer(question=question, answer=" ".join(parts), citations=citations, answerer=self.name)

    @staticmethod
    def _continuations(question: str, cands: Sequence[Candidate], chosen: list[int]) -> list[int]:
        """A chosen sentence that lacks the kind of answer asked for brings the next sentence when that one has it.

        News prose often sets the scene in one sentence and names the person or date in the next.
        """
        extra = []
        for i in chosen:
            nxt = i + 1
            if (
                nxt < len(cands)
                and nxt not in chosen
                and nxt not in extra
                and cands[nxt].passage.chunk_id == cands[i].passage.chunk_id
                and answer_type_factor(question, cands[i].text) < 1.0
                and answer_type_factor(question, cands[nxt].text) == 1.0
            ):
                extra.append(nxt)
        return extra
