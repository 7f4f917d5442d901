"""The keyword side: BM25 inverted indexes (bm25s, Snowball stemming) derived from the Chroma collection.

Two indexes over the same chunks: one of whole chunks (title, source, date and text, as ingest embeds them) and one
of their single sentences, whose best match stands for the chunk. A question's clause usually paraphrases one
sentence of its evidence; in the chunk index that sentence's words are diluted by the other 250 tokens.

The Chroma collection is the source of truth. The index is rebuilt from it whenever the store's generation changes
(every ingest, update or prune bumps it), so it can never drift for longer than one question. It is saved under
`<home>/<format>-<generation>/`, so a cold start loads it instead of rebuilding: the home is `<store>/keyword-index`
for an embedded store, and `store.index_cache/<host>-<port>-<collection>` on this machine for a server collection.
"""

from __future__ import annotations

import calendar
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from ingest.chunk import embedding_text
from ingest.sentences import sentence_spans
from ingest.store import Store
from newsdesk.types import Article, Chunk, Passage

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import

INDEX_DIR = "keyword-index"
_FORMAT = "bm25s-v2"
_META_FIELDS = ("chunk_id", "article_id", "title", "source", "published_at", "url", "text", "start", "end")


_CAPITALISED_PHRASE = re.compile(r"\b[A-Z][a-z]\w*(?:\s+(?:(?:of|and|for|the|&)\s+)?[A-Z][a-z]\w*)+")


@dataclass(frozen=True)
class KeywordHit:
    """A document of the index (by position) and its BM25 score."""

    doc: int
    score: float


def day_ts(published_at: str) -> int:
    """Epoch seconds at the start of the publication day, as the store's `date_ts` metadata (0 when unknown)."""
    try:
        return calendar.timegm(time.strptime(published_at[:10], "%Y-%m-%d"))
    except ValueError:
        return 0


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

    # ---- building and persistence -------------------------------------------------------------------
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

    def save(self, folder: Path) -> None:
        """Write the index to `folder` (created; replaced atomically if another process did not win the race)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            if self.model is not None:
                self.model.save(str(tmp / "bm25"), show_progress=False)
            if self.sentence_model is not None:
                self.sentence_model.save(str(tmp / "bm25-sentences"), show_progress=False)
                np.save(tmp / "sentence-owner.npy", self.sentence_owner)
            with open(tmp / "passages.jsonl", "w", encoding="utf-8") as out:
                for p in self.passages:
                    out.write(json.dumps([getattr(p, f) for f in _META_FIELDS], ensure_ascii=False) + "\n")
            (tmp / "format.json").write_text(json.dumps({"format": _FORMAT, "generation": self.generation}))
            try:
                os.rename(tmp, folder)
            except OSError:  # another reader saved the same generation first: theirs is as good
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The index saved in `folder`, or None when it is missing or not ours."""
        try:
            info = json.loads((folder / "format.json").read_text())
            if info.get("format") != _FORMAT:
                return None
            passages = []
            with open(folder / "passages.jsonl", encoding="utf-8") as handle:
                for line in handle:
                    passages.append(Passage(**dict(zip(_META_FIELDS, json.loads(line)))))
            model = sentence_model = owner = None
            if passages:
                model = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
                sentence_model = bm25s.BM25.load(str(folder / "bm25-sentences"), show_progress=False)
                owner = np.load(folder / "sentence-owner.npy")
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable keyword index at %s: %s", folder, exc)
            return None
        return cls(passages, model, str(info.get("generation", "")), sentence_model, owner)

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

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[KeywordHit]:
        """The k best chunks for `query` by BM25 (only those `allowed`), best first; chunks with no query word are
        left out."""
        scores = self.scores(query)
        return [] if scores is None else top(scores, k, allowed)


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


class KeywordIndexes:
    """The current keyword index of each store, refreshed when the store's generation changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_location: dict[str, KeywordIndex] = {}

    def get(self, store: Store) -> KeywordIndex:
        """The index for `store`'s current generation: cached, loaded from disk, or built from the collection."""
        generation = store.generation()
        with self._lock:
            current = self._by_location.get(store.location)
            if current is not None and current.generation == generation:
                return current
            index = self._load_or_build(store, generation)
            self._by_location[store.location] = index
            return index

    def _load_or_build(self, store: Store, generation: str) -> KeywordIndex:
        folder = index_home(store) / _folder_name(generation)
        if folder.is_dir():
            loaded = KeywordIndex.load(folder)
            if loaded is not None and loaded.generation == generation:
                return loaded
        started = time.perf_counter()
        index = KeywordIndex.build(store.iter_passages(), generation)
        log.info("keyword index: %d chunks indexed in %.2f s", len(index), time.perf_counter() - started)
        try:
            index.save(folder)
            _remove_other_generations(folder)
        except OSError as exc:  # a read-only store or cache still answers; it just rebuilds next time
            log.warning("could not save the keyword index at %s: %s", folder, exc)
        return index


def index_home(store: Store) -> Path:
    """Where a store's keyword indexes are saved: beside an embedded store; for a server collection, in this
    machine's `store.index_cache`, one folder per server and collection."""
    settings = store.settings
    if not settings.host:
        return Path(settings.path) / INDEX_DIR
    return Path(settings.index_cache) / _safe(f"{settings.host}-{settings.port}-{settings.collection}")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _folder_name(generation: str) -> str:
    """The folder of a generation's index, named with the format too: an index saved by another version of this
    code is never mistaken for the current one (and is removed with the other generations)."""
    return f"{_FORMAT}-{_safe(generation) or 'initial'}"


def _remove_other_generations(keep: Path) -> None:
    for other in keep.parent.iterdir():
        if other != keep and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


indexes = KeywordIndexes()
"""The process-wide cache every Retriever uses."""
