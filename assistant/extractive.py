"""The no-LLM answerer: quote the retrieved sentences that best answer the question, each with its `[n]`.

The answer comes first: the first quote is the sentence that holds what was asked (a person, a date, a number, a
reason), then at most two more that add something to it. A yes/no or comparison question gets one sentence from
each article instead, and no conclusion. Every article has one `[n]`, with one Citation per quote of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.cite import citation
from assistant.evidence import Candidate, asks_yes_no, content_words, quotes
from assistant.query import SourceMatcher
from assistant.refusal import refusal
from newsdesk.types import Answer, Citation, Passage

PARAPHRASE_COSINE = 0.8  # a sentence this close in meaning to a chosen one says the same thing
MIN_NEW_WORDS = 0.4  # share of a sentence's content words that must be new for it to add something


class ExtractiveAnswerer:
    """Answers by quoting: the answering sentence first, verbatim, then what adds to it."""

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
        cands, scores, vectors, about = quotes(question, question_vector, passages, self.embeddings)
        if not cands:
            return refusal(question, self.name, "the retrieved passages hold no sentence to quote")
        if asks_yes_no(question):
            chosen = self._each_article(question, cands, scores)
            if len(chosen) == 1:  # one article settles it: its best sentences, as for any other question
                chosen = self._answer_first(cands, scores, vectors, about)
            return _cited(question, self.name, cands, chosen, with_source=True)
        return _cited(question, self.name, cands, self._answer_first(cands, scores, vectors, about))

    def _answer_first(
        self, cands: Sequence[Candidate], scores: Sequence[float], vectors: np.ndarray, about: Sequence[float]
    ) -> list[int]:
        """The best sentence, then up to `max_sentences - 1` close runners-up that are neither a paraphrase of a
        chosen one nor overlap it; from another article, only from a passage as much about the question's subject
        (`about`, as `quotes` gives it) as the best one's (naming Binance's founder, not "Each charge carries a
        sentence of ..." in a story on someone else)."""
        ranked = sorted(range(len(cands)), key=lambda i: -scores[i])
        best = scores[ranked[0]]
        chosen = [ranked[0]]
        for i in ranked[1:]:
            if len(chosen) >= self.max_sentences or scores[i] < best * self.keep_ratio:
                break
            if about[i] < about[ranked[0]] and cands[i].passage.article_id != cands[ranked[0]].passage.article_id:
                continue
            if not any(_overlap(cands[i], cands[j]) for j in chosen) and _adds(i, chosen, cands, vectors):
                chosen.append(i)
        return chosen

    def _each_article(self, question: str, cands: Sequence[Candidate], scores: Sequence[float]) -> list[int]:
        """One sentence per article, best article first: those of the publishers the question names ("Did X and Y
        both report ..."), else the articles whose best sentence comes close to the best one."""
        best_of: dict[str, int] = {}
        for i in sorted(range(len(cands)), key=lambda i: -scores[i]):
            best_of.setdefault(cands[i].passage.article_id, i)
        ranked = list(best_of.values())
        named = [m.sources for m in SourceMatcher({c.passage.source for c in cands}).find(question)]
        picked = [next(i for i in ranked if cands[i].passage.source in sources) for sources in named]
        if picked:
            return list(dict.fromkeys(picked))
        best = scores[ranked[0]]
        return [i for i in ranked[: self.max_sentences] if scores[i] >= best * self.keep_ratio]


def _overlap(a: Candidate, b: Candidate) -> bool:
    return a.passage.article_id == b.passage.article_id and a.start < b.end and b.start < a.end


def _adds(i: int, chosen: Sequence[int], cands: Sequence[Candidate], vectors: np.ndarray) -> bool:
    """Whether sentence `i` says something the chosen ones do not: not close in meaning to any of them, and enough
    of its content words are new."""
    if any(float(vectors[i] @ vectors[j]) >= PARAPHRASE_COSINE for j in chosen):
        return False
    words = set(content_words(cands[i].text))
    seen = set().union(*(content_words(cands[j].text) for j in chosen))
    return bool(words) and len(words - seen) / len(words) >= MIN_NEW_WORDS


def _cited(
    question: str, answerer: str, cands: Sequence[Candidate], chosen: Sequence[int], with_source: bool = False
) -> Answer:
    """The answer text of the chosen quotes in order, each with its article's `[n]` (numbered by first appearance),
    and one Citation per quote, grouped by `n`. `with_source` puts the publisher before each article's first quote."""
    numbers: dict[str, int] = {}
    parts: list[str] = []
    citations: list[Citation] = []
    for i in chosen:
        c = cands[i]
        new = c.passage.article_id not in numbers
        n = numbers.setdefault(c.passage.article_id, len(numbers) + 1)
        prefix = f"{c.passage.source}: " if with_source and new and c.passage.source else ""
        parts.append(f"{prefix}{c.text} [{n}]")
        citations.append(citation(n, c.passage, c.start, c.end, c.text))
    citations.sort(key=lambda c: c.n)
    return Answer(question=question, answer=" ".join(parts), citations=citations, answerer=answerer)
