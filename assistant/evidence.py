"""Sentences of retrieved passages as candidate evidence, scored by how well each answers the question.

The extractive answerer quotes the best of them; the citation check scores a model's claims with the same scorer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.sentences import sentence_spans
from newsdesk.types import Passage

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


def answer_type_factor(question: str, sentence: str) -> float:
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
        scores.append((0.6 * float(cos) + 0.4 * overlap) * answer_type_factor(question, c.text))
    return scores
