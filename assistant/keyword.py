"""The keyword side: BM25 inverted indexes (bm25s, Snowball stemming) over the store's chunks.

Two indexes over the same chunks: one of whole chunks (title, source, date and text, as ingest embeds them) and one
of their single sentences, whose best match stands for the chunk. A question's clause usually paraphrases one
sentence of its evidence; in the chunk index that sentence's words are diluted by the other 250 tokens.

The index is derived from the Chroma collection: assistant/keyword_cache.py keeps each store's current one,
assistant/keyword_files.py saves it on disk and loads it back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import bm25s
import numpy as np
import Stemmer

from ingest.chunk import embedding_text
from ingest.sentences import sentence_spans
from newsdesk.dates import day_ts
from newsdesk.types import Article, Chunk, Passage

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import

_CAPITALISED_PHRASE = re.compile(r"\b[A-Z][a-z]\w*(?:\s+(?:(?:of|and|for|the|&)\s+)?[A-Z][a-z]\w*)+")


@dataclass(frozen=True)
class KeywordHit:
    """A document of the index (by position) and its BM25 score."""

    doc: int
    score: float


def indexed_text(passage: Passage) -> str:
    """The text a chunk is keyword-indexed by: exactly what ingest embeds (title, source and date, then the text)."""
    article = Article(passage.article_id, passage.title, "", passage.source, passage.published_at, passage.url)
    chunk = Chunk(passage.chunk_id, passage.article_id, 0, passage.text, passage.start, passage.end)
    return embedding_text(article, chunk)


class KeywordIndex:
    """BM25 over chunks, with the per-chunk source and day needed to restrict a search."""

    def __init__(
        self,
        passages: Sequence[Passage],
        model: bm25s.BM25 | None,
        generation: str,
        sentence_model: bm25s.BM25 | None = None,
        sentence_owner: np.ndarray | None = None,
    ) -> None:
        self.passages = list(passages)
        self.model = model
        self.generation = generation
        self.sentence_model = sentence_model
        self.sentence_owner = np.zeros(0, dtype=np.int64) if sentence_owner is None else sentence_owner
        self.stemmer = Stemmer.Stemmer("english")
        self.source_of = np.array([p.source for p in self.passages], dtype=object)
        self.day_of = np.array([day_ts(p.published_at) for p in self.passages], dtype=np.int64)
        self.position = {p.chunk_id: i for i, p in enumerate(self.passages)}
        self._acronyms: frozenset[str] | None = None

    # ---- building ------------------------------------------------------------------------------------
    @classmethod
    def build(cls, passages: Iterable[Passage], generation: str) -> KeywordIndex:
        """Index `passages` (the store's chunks)."""
        docs = list(passages)
        stemmer = Stemmer.Stemmer("english")
        if not docs:
            return cls(docs, None, generation)
        model = _bm25([indexed_text(p) for p in docs], stemmer)
        sentences, owner = [], []
        for position, p in enumerate(docs):
            for start, end in sentence_spans(p.text):
                sentences.append(p.text[start:end])
                owner.append(position)
        sentence_model = _bm25(sentences, stemmer) if sentences else None
        return cls(docs, model, generation, sentence_model, np.asarray(owner, dtype=np.int64))

    # ---- searching --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.passages)

    def sources(self) -> list[str]:
        """Every publisher name in the index."""
        return sorted({s for s in self.source_of if s})

    def acronyms(self) -> frozenset[str]:
        """The initials of every capitalised phrase of two or more words in the chunks ("FTC" for "Federal Trade
        Commission", "NASA" for "National Aeronautics and Space Administration"), made on first use."""
        if self._acronyms is None:
            found = set()
            for p in self.passages:
                for m in _CAPITALISED_PHRASE.finditer(f"{p.title}. {p.text}"):
                    letters = "".join(w[0] for w in m.group().split() if w[0].isupper())
                    found.add(letters)
                    # and of each stretch of three or more ("FTC" in "The Federal Trade Commission Chair")
                    for i in range(len(letters)):
                        found.update(letters[i:j] for j in range(i + 3, len(letters) + 1))
            self._acronyms = frozenset(found)
        return self._acronyms

    def date_span(self) -> tuple[date, date] | None:
        """First and last publication day in the index."""
        days = self.day_of[self.day_of > 0]
        if not days.size:
            return None
        to_date = lambda ts: datetime.fromtimestamp(int(ts), tz=UTC).date()  # noqa: E731
        return to_date(days.min()), to_date(days.max())

    def mask(
        self, sources: Sequence[str] = (), first_ts: int | None = None, last_ts: int | None = None
    ) -> np.ndarray | None:
        """Which chunks a restriction allows (None: all of them)."""
        if not sources and first_ts is None and last_ts is None:
            return None
        allowed = np.ones(len(self.passages), dtype=bool)
        if sources:
            allowed &= np.isin(self.source_of, list(sources))
        if first_ts is not None:
            allowed &= self.day_of >= first_ts
        if last_ts is not None:
            allowed &= self.day_of <= last_ts
        return allowed

    def scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every chunk for `query` (None when no query word is in the index)."""
        return _scores(self.model, self._words(query))

    def sentence_scores(self, query: str) -> np.ndarray | None:
        """Per chunk, the BM25 score of its sentence that best matches `query` (None when no query word is in
        any sentence)."""
        found = _scores(self.sentence_model, self._words(query))
        if found is None:
            return None
        best = np.zeros(len(self.passages), dtype=np.float32)
        np.maximum.at(best, self.sentence_owner, found)
        return best

    def _words(self, text: str) -> list[str]:
        return bm25s.tokenize(text, stemmer=self.stemmer, return_ids=False, show_progress=False)[0]

    def chunks_with(self, phrase: str) -> int | None:
        """How many chunks hold every word of `phrase`, tokenised and stemmed as the index is (None when `phrase`
        has only stop words)."""
        words = self._words(phrase)
        if not words:
            return None
        if self.model is None:
            return 0
        csc = self.model.scores  # per word id, the chunks holding it: indices[indptr[id]:indptr[id + 1]]
        found: np.ndarray | None = None
        for word in words:
            word_id = self.model.vocab_dict.get(word)
            if word_id is None:
                return 0
            docs = csc["indices"][csc["indptr"][word_id] : csc["indptr"][word_id + 1]]
            found = docs if found is None else np.intersect1d(found, docs, assume_unique=True)
        return 0 if found is None else int(found.size)


def _bm25(texts: list[str], stemmer: Stemmer.Stemmer) -> bm25s.BM25:
    model = bm25s.BM25()
    model.index(bm25s.tokenize(texts, stemmer=stemmer, show_progress=False), show_progress=False)
    return model


def _scores(model: bm25s.BM25 | None, words: list[str]) -> np.ndarray | None:
    if model is None:
        return None
    ids = model.get_tokens_ids(words)
    return model.get_scores(ids) if ids else None


def top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[KeywordHit]:
    """The k highest positive scores (only where `allowed`), best first."""
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    k = min(k, len(scores))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [KeywordHit(int(i), float(scores[i])) for i in best if scores[i] > 0]
