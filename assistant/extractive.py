"""The no-LLM answerer: quote the retrieved sentences that best answer the question, each with its `[n]`."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.types import Answer, Citation, Passage
from ingest.sentences import sentence_spans

REFUSAL = "The articles in the corpus do not answer this question."

_WORD = re.compile(r"[\w'’-]+")
_STOP = frozenset(
    """a an the of to in on at for by with from and or but is are was were be been being has have had do does did
    what which who whom whose when where why how that this these those it its as into about than then there their
    they them he she his her him i you we our your my me not no yes can could would should will may might must
    did does also after before over under between during per said says""".split()
)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_DATE = re.compile(
    r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|\d{4})\b"
)


def content_words(text: str) -> list[str]:
    """Lower-cased words of `text` without stop words, apostrophes unified."""
    return [w for w in (m.lower().replace("’", "'") for m in _WORD.findall(text)) if w not in _STOP and len(w) > 1]


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, located in its article."""

    passage: Passage
    start: int  # offsets in the cleaned article text
    end: int
    text: str


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every distinct sentence of the passages (overlapping chunks share sentences)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for p in passages:
        for s, e in sentence_spans(p.text):
            key = (p.article_id, p.start + s)
            if key not in seen and e - s >= 12:
                seen.add(key)
                out.append(Candidate(p, p.start + s, p.start + e, p.text[s:e]))
    return out


_NOT_NAMES = frozenset(
    """january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday""".split()
)


def _names(sentence: str) -> set[str]:
    """Capitalised words that are not the sentence's first word, a month or a weekday."""
    words = _WORD.findall(sentence)
    return {w.lower() for w in words[1:] if w[0].isupper() and w.lower() not in _NOT_NAMES}


def _answer_type_factor(question: str, sentence: str) -> float:
    """Down-weight sentences that cannot hold the kind of answer asked for (a person, a date, a number)."""
    q = question.lower()
    if q.startswith(("who ", "whom ", "whose ")):
        return 1.0 if _names(sentence) - set(content_words(question)) else 0.75
    if q.startswith("when ") or "what year" in q or "what date" in q:
        return 1.0 if _DATE.search(sentence) else 0.75
    if q.startswith(("how many", "how much")):
        return 1.0 if _NUMBER.search(sentence) else 0.75
    return 1.0


def score_sentences(
    question: str, question_vector: Sequence[float], cands: Sequence[Candidate], embeddings: Embeddings
) -> list[float]:
    """How well each sentence answers the question: embedding similarity, IDF-weighted word overlap, answer type."""
    if not cands:
        return []
    vectors = np.asarray(embeddings.embed_documents([c.text for c in cands]), dtype=np.float32)
    cosine = vectors @ np.asarray(question_vector, dtype=np.float32)
    words = [set(content_words(c.text)) for c in cands]
    q_words = set(content_words(question))
    n = len(cands)
    idf = {w: math.log(1 + n / (1 + sum(w in ws for ws in words))) for w in q_words}
    total = sum(idf.values()) or 1.0
    scores = []
    for c, cos, ws in zip(cands, cosine, words):
        overlap = sum(idf[w] for w in q_words & ws) / total
        scores.append((0.6 * float(cos) + 0.4 * overlap) * _answer_type_factor(question, c.text))
    return scores


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
                and _answer_type_factor(question, cands[i].text) < 1.0
                and _answer_type_factor(question, cands[nxt].text) == 1.0
            ):
                extra.append(nxt)
        return extra


def citation(n: int, passage: Passage, start: int, end: int, quote: str) -> Citation:
    """A citation of `quote`, which is `article_text[start:end]`."""
    return Citation(
        n=n,
        article_id=passage.article_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        source=passage.source,
        published_at=passage.published_at,
        url=passage.url,
        quote=quote,
        start=start,
        end=end,
    )


NO_ANSWER_IN_PASSAGES = "no retrieved passage states the answer"


def refusal(question: str, answerer: str, reason: str = NO_ANSWER_IN_PASSAGES) -> Answer:
    """The plain statement that the corpus does not hold the answer, with why (`refusal_reason`)."""
    return Answer(question=question, answer=REFUSAL, refused=True, refusal_reason=reason, answerer=answerer)
