"""question -> ranked passages: news-aware parts, keyword search per part and clause, a dense re-rank, merged so
every named publisher is seen.

1. The question is read for the publishers and dates it names and split into clauses (assistant/query.py). Each
   named publisher is a part with a metadata restriction; a question that names none is one unrestricted part.
2. Each part ranks its publisher's chunks by BM25 (assistant/keyword.py): a chunk scores the best of its BM25 for
   the whole question and for each clause, each normalised by that query's best score over all named publishers
   (the whole question weighs `question_weight` times a clause). A clause is so found in the publisher that
   reported it, and the best match for any clause rises to the top of its publisher. The whole question is also
   searched with the other form of its acronyms and roles (`acronyms`: "CFO" for "chief financial officer").
3. In `hybrid` mode the part's candidates are re-ranked with the question's cosine similarity to their stored
   vectors (weight `dense_weight`); `dense` mode ranks by the vectors alone (Chroma, restricted the same way).
   With a reranker configured (`rerank.url`, assistant/rerank.py), the first `rerank.candidates` of every part
   are then re-ordered by its scores, all parts in one request (`keyword` and `hybrid` modes).
4. A part's date is a preference, not a wall: chunks from that day come first, then the rest of the publisher
   (questions often date one article and draw evidence from another).
5. The parts' rankings are interleaved (the best of each part in the order named, then each one's second, ...), so
   every named publisher is represented in the top k. When fewer than k chunks share a word with the question, the
   nearest vectors fill the remaining places (`hybrid`).

`Passage.score` is the merged rank score 1/position (higher is better). When a query vector is at hand,
`Passage.relevance` is the chunk's cosine similarity to the question: the scale the refusal threshold
(`retrieval.min_relevance`) is set on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.keyword import KeywordView, indexed_text, top
from assistant.keyword_sync import indexes
from assistant.query import QueryPart, QueryPlan, plan_query, with_aliases
from assistant.rerank import Reranker
from ingest.sentences import sentence_spans
from ingest.store import Store
from newsdesk.dates import day_ts
from newsdesk.settings import RetrievalSettings
from newsdesk.types import Passage

log = logging.getLogger(__name__)
_BACKGROUND = ThreadPoolExecutor(max_workers=4, thread_name_prefix="question-vector")


class Retriever:
    """Finds the passages most likely to answer a question."""

    def __init__(
        self,
        store: Store,
        embeddings: Embeddings,
        settings: RetrievalSettings,
        reranker: Reranker | None = None,
        view: KeywordView | None = None,
    ) -> None:
        """`view`: the store's keyword index as every question to this retriever sees it (default: as it stands at
        each question)."""
        self.store = store
        self.view = view
        self.embeddings = embeddings
        self.settings = settings
        self.reranker = reranker

    def keyword_view(self) -> KeywordView:
        """The store's keyword index as this retriever's questions see it (`view`, else as it stands now)."""
        return self.view or indexes.get(self.store)

    def query_vector(self, query: str) -> list[float]:
        """The query's embedding."""
        return self.embeddings.embed_query(query)

    def _vector_later(self, query: str, vector: Sequence[float] | None) -> Callable[[], np.ndarray | None]:
        """The question's unit vector when asked for (None in `keyword` mode): embedded in a background thread
        meanwhile, so the keyword search does not wait for the embedder."""
        if vector is not None or self.settings.mode == "keyword":
            q = None if vector is None else _unit(vector)
            return lambda: q
        pending = _BACKGROUND.submit(self.query_vector, query)
        return functools.cache(lambda: _unit(pending.result()))

    def plan(self, query: str, index: KeywordView) -> QueryPlan:
        """How `query` is searched: its parts (none when it names no known publisher or date) and clauses."""
        if not self.settings.news_filters:
            return QueryPlan(query)
        return plan_query(query, index.sources(), index.date_span())

    def retrieve(self, query: str, k: int | None = None, vector: Sequence[float] | None = None) -> list[Passage]:
        """The top-k passages for `query`, best first."""
        k = k or self.settings.k
        vector_of = self._vector_later(query, vector)
        index = self.keyword_view()
        plan = self.plan(query, index)
        log.debug("parts: %s; clauses: %s", "; ".join(p.label() for p in plan.parts) or "-", plan.clauses)
        if self.settings.mode == "dense":
            q = vector_of()
            assert q is not None
            rankings = [self._dense(part, q) for part in plan.parts or (QueryPart(query),)]
            rankings = [r for r in rankings if r] or [self._dense(QueryPart(query), q)]
            return interleave(rankings, k)
        ranked, cosine, chunks = self._keyword_rankings(plan, index, vector_of)
        q = vector_of()
        for i, passage in chunks.items():  # read for this question alone: set in place, not copied
            passage.relevance = cosine.get(i)
        rankings = [[chunks[i] for i in r] for r in ranked]
        passages = interleave(rankings, k)
        if len(passages) < k and self.settings.mode == "hybrid" and q is not None:
            # Too few chunks share a word with the question (a typo, another language): the vectors fill the rest.
            nearest = [p.model_copy(update={"relevance": p.score}) for p in self.store.search(q.tolist(), k)]
            passages = interleave([*rankings, nearest], k)
        if q is not None and any(p.relevance is None for p in passages):
            self._set_relevance(passages, q)
        return passages

    # ---- keyword (+ dense re-rank) -----------------------------------------------------------------------
    def _keyword_rankings(
        self, plan: QueryPlan, index: KeywordView, vector_of: Callable[[], np.ndarray | None]
    ) -> tuple[list[list[int]], dict[int, float], dict[int, Passage]]:
        """Each part's ranking (chunk numbers in the index), the candidates' cosines (hybrid mode), and the
        candidates."""
        parts = plan.parts or (QueryPart(plan.question),)
        named = sorted({s for p in parts for s in p.sources})
        scope = index.mask(named) if all(p.sources for p in parts) else None
        units = self._unit_scores(plan, index, scope)
        candidates = [self._candidates(part, index, units) for part in parts]
        if not any(candidates) and plan.parts:  # nothing under any restriction: search the whole store
            parts = (QueryPart(plan.question),)
            candidates = [self._candidates(parts[0], index, self._unit_scores(QueryPlan(plan.question), index, None))]
        docs = sorted({i for c in candidates for i, _ in c})
        chunks = dict(zip(docs, index.passages(docs)))
        hybrid = self.settings.mode == "hybrid"
        cosine = self._cosines(chunks, vector_of()) if hybrid else {}
        kept = [(part, self._fuse_dense(found, cosine)) for part, found in zip(parts, candidates) if found]
        ranked = [r for _, r in kept]
        if self.reranker is not None and ranked:
            ranked = self.reranker.reorder(plan.question, ranked, lambda i: indexed_text(chunks[i]))
        rankings = []
        for (part, _), order in zip(kept, ranked):
            if part.dates is not None:
                window = part.dates.widened(self.settings.date_window_days)
                on_day = index.mask((), window.start_ts, window.end_ts)
                assert on_day is not None
                order = [i for i in order if on_day[i]] + [i for i in order if not on_day[i]]
            rankings.append(order)
        return rankings, cosine, chunks

    def _unit_scores(self, plan: QueryPlan, index: KeywordView, scope: np.ndarray | None) -> np.ndarray | None:
        """Per chunk, its keyword score: the best of its normalised BM25 scores for the whole question and each
        clause, blended with the same over its best-matching sentence (weight `sentence_weight`). Sentences are
        scored only in the `sentence_pool` chunks that score best so far."""
        question = with_aliases(plan.question) if self.settings.acronyms else plan.question
        queries = [(question, self.settings.question_weight)]
        if self.settings.clauses:
            queries += [(c, 1.0) for c in plan.clauses]
        texts, weights = [t for t, _ in queries], [w for _, w in queries]
        share, pool = self.settings.sentence_weight, self.settings.sentence_pool
        if share >= 1:
            return _best_of([index.sentence_scores(t) for t in texts], weights, scope)
        chunk_level = _best_of(index.scores_of(texts), weights, scope)
        if chunk_level is None or share <= 0:
            return chunk_level
        if not pool:
            sentence_level = _best_of([index.sentence_scores(t) for t in texts], weights, scope)
            return chunk_level if sentence_level is None else (1 - share) * chunk_level + share * sentence_level
        among = _best_chunks(chunk_level, pool)  # the sentence level is worked out over these chunks alone
        in_scope = None if scope is None else scope[among]
        pooled = _best_of(index.sentence_scores_among(texts, among), weights, in_scope)
        blended = chunk_level * (1 - share)
        if pooled is not None:
            blended[among] += share * pooled
        return blended

    def _candidates(self, part: QueryPart, index: KeywordView, units: np.ndarray | None) -> list[tuple[int, float]]:
        if units is None:
            return []
        allowed = index.mask(part.sources)
        return [(h.doc, h.score) for h in top(units, self.settings.candidates, allowed)]

    def _cosines(self, chunks: dict[int, Passage], q: np.ndarray | None) -> dict[int, float]:
        """Cosine similarity of the question to each candidate's stored vector (one Chroma read)."""
        if q is None or not chunks:
            return {}
        vectors = self._vectors(list(chunks.values()))
        return {i: float(vectors[p.chunk_id] @ q) for i, p in chunks.items() if p.chunk_id in vectors}

    def _fuse_dense(self, found: list[tuple[int, float]], cosine: dict[int, float]) -> list[int]:
        if not cosine:
            return [i for i, _ in found]
        weight = self.settings.dense_weight
        peak = max(s for _, s in found) or 1.0
        fused = {i: (1 - weight) * s / peak + weight * cosine.get(i, 0.0) for i, s in found}
        return sorted(fused, key=lambda i: -fused[i])

    # ---- dense only ------------------------------------------------------------------------------------------
    def _dense(self, part: QueryPart, q: np.ndarray) -> list[Passage]:
        where = QueryPart(part.text, part.sources).where()
        found = self.store.search(q.tolist(), self.settings.candidates, where=where)
        for p in found:
            p.relevance = p.score
        if part.dates is not None:
            window = part.dates.widened(self.settings.date_window_days)
            first, last = window.start_ts, window.end_ts
            on_day = [p for p in found if first <= day_ts(p.published_at) <= last]
            found = on_day + [p for p in found if p not in on_day]
        return found

    # ---- relevance ------------------------------------------------------------------------------------------
    def _vectors(self, passages: Sequence[Passage]) -> dict[str, np.ndarray]:
        """The passages' stored unit vectors by chunk id. A chunk the store's client does not hold yet (another
        process wrote it moments ago and the vectors are still loading here) is embedded from the text ingest
        embedded, `indexed_text` (usually a hit in the shared embedding cache), so it ranks as it will after."""
        stored = dict(self.store.vectors([p.chunk_id for p in passages]))
        if missing := [p for p in passages if p.chunk_id not in stored]:
            texts = [indexed_text(p) for p in missing]
            stored.update(zip([p.chunk_id for p in missing], self.embeddings.embed_documents(texts)))
        return {i: _unit(v) for i, v in stored.items()}

    def _set_relevance(self, passages: list[Passage], q: np.ndarray) -> None:
        """Cosine similarity of each passage to the question, from the vectors stored in Chroma."""
        vectors = self._vectors([p for p in passages if p.relevance is None])
        for p in passages:
            if p.chunk_id in vectors:
                p.relevance = float(vectors[p.chunk_id] @ q)


def _best_of(
    found: Sequence[np.ndarray | None], weights: Sequence[float], scope: np.ndarray | None
) -> np.ndarray | None:
    """Per chunk, the best over the queries' scores (`found`, each a new array: scaled in place) of weight × score /
    (the query's best score within `scope`)."""
    best: np.ndarray | None = None
    for scores, weight in zip(found, weights):
        if scores is None:
            continue
        if scope is not None:
            scores *= scope
        peak = float(scores.max())
        if peak <= 0:
            continue
        scores *= weight / peak
        best = scores if best is None else np.maximum(best, scores, out=best)
    return best


def _best_chunks(scores: np.ndarray, n: int) -> np.ndarray:
    """The numbers (ascending) of the `n` best-scoring chunks with a positive score."""
    chosen = np.flatnonzero(scores > 0)
    if chosen.size > n:
        chosen = np.sort(chosen[np.argpartition(-scores[chosen], n - 1)[:n]])
    return chosen


def _unit(vector: Sequence[float] | np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


def interleave(rankings: Sequence[Sequence[Passage]], k: int) -> list[Passage]:
    """Round-robin over the rankings (each one's best, then each one's second, ...), without repeats, up to k.
    Each passage is a copy whose `score` is the merged rank score 1 / position."""
    out: list[Passage] = []
    seen: set[str] = set()
    depth = max((len(r) for r in rankings), default=0)
    for rank in range(depth):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].chunk_id not in seen:
                seen.add(ranking[rank].chunk_id)
                out.append(ranking[rank].model_copy(update={"score": 1.0 / (len(out) + 1)}))
                if len(out) == k:
                    return out
    return out


def with_sequels(passages: list[Passage], view: KeywordView, n: int) -> list[Passage]:
    """`passages` and, after them, the first sentence of the chunk that follows each of the first `n` in its article
    when that chunk was not retrieved: news prose often ends a chunk on "... said he didn't pick up the phone" and
    gives the reason at the start of the next ("It was ringing during the night, but I didn't answer it because
    ..."). Such a sentence has the least relevance of `passages`."""
    have = {p.chunk_id for p in passages}
    least = min((p.relevance or 0.0 for p in passages), default=0.0)
    out = list(passages)
    for p in passages[:n]:
        after = view.following(p)
        if after is None or after.chunk_id in have or not (spans := sentence_spans(after.text)):
            continue
        end = spans[0][1]
        out.append(after.model_copy(update={"text": after.text[:end], "end": after.start + end, "relevance": least}))
        have.add(after.chunk_id)
    return out
