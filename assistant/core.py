"""`Assistant`: the one object every front end talks to (ingest, retrieve, ask, stream, stats)."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from langchain_core.tools import StructuredTool

from assistant import entities
from assistant.answerable import unanswerable_reason
from assistant.condense import condense
from assistant.keyword import KeywordView
from assistant.keyword_sync import indexes
from assistant.lc import AnswerChain, NewsRetriever, NewsVectorStore, search_tool
from assistant.llm import MODES, Answerer, choose_mode, describe_answerer, make_answerer, offered_modes
from assistant.redact import register_secrets
from assistant.refusal import refusal
from assistant.rerank import Reranker
from assistant.retrieve import Retriever, with_sequels
from assistant.stream import AnswerStream
from assistant.typed_question import recased, spell_out
from ingest.embed import CachedEmbeddings, make_embeddings
from ingest.pipeline import IngestReport, run_ingest
from ingest.store import Store
from ingest.watch import Watcher
from newsdesk.errors import AnswererError
from newsdesk.settings import Settings, load_settings
from newsdesk.types import Answer, Passage

log = logging.getLogger(__name__)

History = Sequence[tuple[str, str]] | Sequence[dict[str, str]]


class _Search(NamedTuple):
    question: str  # as read: recased when typed in lower case
    passages: list[Passage]
    vector: list[float]
    view: KeywordView


class Assistant:
    """Question answering over an ingested news corpus, with verbatim citations."""

    def __init__(self, settings: Settings | None = None, *, store: str | Path | None = None) -> None:
        """`settings` default to `load_settings()`; `store` names a local store directory instead of the one the
        settings name (the caller's settings object is not changed)."""
        settings = settings or load_settings()
        if store is not None:
            if not str(store).strip():
                raise ValueError("the store path is empty: give a directory, or none for the default (store.path)")
            place = settings.store.model_copy(update={"path": Path(store), "host": None})
            settings = settings.model_copy(update={"store": place})
        self.settings = settings
        register_secrets(self.settings)  # masked wherever the entry points' log filter or `redact` sees them
        emb = self.settings.embedding
        inner, self.model_id = make_embeddings(
            emb.kind,
            openai_model=emb.openai_model,
            openai_api_key=self.settings.llm.api_key.get_secret_value() if self.settings.llm.api_key else None,
            openai_base_url=self.settings.llm.base_url,
            openai_timeout=self.settings.llm.timeout,
            openai_max_retries=self.settings.llm.max_retries,
            max_length=emb.max_length,
            cache_dir=emb.cache_dir,
        )
        self.embeddings = CachedEmbeddings(
            inner, self.model_id, emb.cache_dir / "vectors.sqlite", max_vectors=emb.cache_max_vectors
        )
        self._store: Store | None = None
        self._answerers: dict[str, Answerer] = {}
        self._modes: list[str] | None = None
        self._reranker: Reranker | None = None
        self._lock = threading.Lock()

    # ---- the store -----------------------------------------------------------------------------
    def store(self, create: bool = False) -> Store:
        """The opened store (raises StoreError with a one-line reason when it cannot be used)."""
        opened = self._store
        # Checked outside the lock: against a Chroma server the check is a network round trip, which must not hold
        # up every other question (or the answerer) in this process.
        # Stale: another process ingested meanwhile. A reader goes on while the new vectors load in the background;
        # a writer (`create`) waits for a client that holds them.
        if opened is not None and (not opened.stale() or (not create and opened.catch_up())):
            return opened
        with self._lock:
            if self._store is opened or self._store is None:  # not reopened by another thread meanwhile
                self._store = Store(self.settings.store, self.model_id, create=create)
            return self._store

    def ingest(self, paths: Iterable[str | Path], prune: bool = False, progress: bool = False) -> IngestReport:
        """Ingest files or folders; only new or changed articles are embedded. A path that does not exist is a
        ValueError, before anything is read or a store is made."""
        files = [Path(p) for p in paths]
        if missing := [str(p) for p in files if not p.exists()]:
            raise ValueError(f"nothing ingested: no such file or directory: {', '.join(missing)}")
        store = self.store(create=True)
        report = run_ingest(files, store, self.embeddings, self.settings.ingest, prune, progress)
        indexes.update(store)  # the keyword index takes in the changes now, not at the next question
        return report

    def watcher(self, folders: Iterable[str | Path]) -> Watcher:
        """A Watcher that keeps the store in step with `folders` (ingest/watch.py): `poll()` for one look, `run(stop)`
        to keep looking. A path that is not a folder is a ValueError, before a store is made."""
        dirs = [Path(p) for p in folders]
        return Watcher(dirs, lambda: self.store(create=True), self.embeddings, self.settings.ingest, indexes.update)

    # ---- questions -----------------------------------------------------------------------------
    def answerer(self, llm: str | None = None) -> Answerer:
        """The answerer `llm` names ("openai", "local", "extractive"; default: `llm.mode`), made once per name. An
        unknown name is a ValueError; one that cannot run here an AnswererError."""
        mode = llm or choose_mode(self.settings)
        if mode not in MODES:
            raise ValueError(f"unknown answerer {mode!r} (expected one of {', '.join(MODES)})")
        with self._lock:
            if mode not in self._answerers:
                self._answerers[mode] = make_answerer(self.settings, self.embeddings, mode)
            return self._answerers[mode]

    def answerer_modes(self) -> list[str]:
        """The answerers that can run here, the default first (what a server offers; see `offered_modes`). Found
        once: the settings and the installed packages do not change while the assistant runs."""
        if self._modes is None:
            self._modes = offered_modes(self.settings)
        return list(self._modes)

    def start_model(self) -> None:
        """Start the answerer's model if it runs one (the local model's server), and load the entity recogniser in
        the background, so the first question does not wait for them; a failure is logged and left for the first
        question to report."""
        threading.Thread(target=entities.load, name="entities", daemon=True).start()
        try:
            answerer = self.answerer()
            start = getattr(answerer, "start", None)
            if start is not None:
                start()
        except AnswererError as exc:
            log.warning("the %s answerer cannot start: %s", self.settings.llm.mode, exc)

    def retriever(self) -> Retriever:
        """A retriever over the current store, with the reranker `rerank.url` configures (made once). A store
        without articles is a StoreError saying how to fill it."""
        store = self.store()
        view = indexes.get(store, store.checked_generation)  # the generation `store()` has just read, if it did
        if not len(view) and store.count() == 0:  # counting a big collection takes Chroma a while
            raise store.empty()
        with self._lock:
            if self._reranker is None and self.settings.rerank.url:
                self._reranker = Reranker(self.settings.rerank)
        return Retriever(store, self.embeddings, self.settings.retrieval, self._reranker, view)

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        """Ranked passages for a question, best first, read as `ask` reads it (shorthand spelled out, a question
        typed in lower case recased)."""
        return self._search(spell_out(" ".join(question.split())), k).passages

    def _search(self, question: str, k: int | None) -> _Search:
        """The question as read, its ranked passages, its vector and the keyword view they came from. A question
        typed in lower case is recased from the passages first retrieved (assistant/typed_question.py) and
        retrieved again."""
        retriever = self.retriever()
        vector = retriever.query_vector(question)
        passages = retriever.retrieve(question, k, vector=vector)
        view = retriever.keyword_view()
        cased = recased(question, passages, view) if self.settings.retrieval.recase else question
        if cased != question:  # the vector of the question as typed stands (MiniLM reads no case)
            passages = retriever.retrieve(cased, k, vector=vector)
        return _Search(cased, passages, vector, view)

    def ask(
        self, question: str, history: History | None = None, k: int | None = None, llm: str | None = None
    ) -> Answer:
        """Answer with inline `[n]` citations, or refuse when the corpus does not hold the answer. `history` holds
        the earlier (question, answer) turns of a conversation, `k` how many passages to retrieve, `llm` which
        answerer writes (default: `llm.mode`)."""
        return self.stream(question, history, k, llm).answer()

    def stream(
        self, question: str, history: History | None = None, k: int | None = None, llm: str | None = None
    ) -> AnswerStream:
        """The answer as it is written: iterate for text, then `.answer()` for the final Answer (as `ask`).

        A follow-up is first rewritten into a standalone question (assistant/condense.py: by the answerer's
        model when it has one, else by rules); that is what is searched and answered, and the Answer carries it
        as `search_query`. An empty question or an unknown answerer is a ValueError here, before anything runs.
        """
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        answerer = self.answerer(llm)
        return AnswerStream(self._items(question, history, k, answerer))

    def _items(
        self, question: str, history: History | None, k: int | None, answerer: Answerer
    ) -> Iterator[str | Answer]:
        # LLM answerers expose their LangChain model as `llm`; it rewrites follow-ups (the rules are the fallback).
        query = spell_out(condense(question, history, llm=getattr(answerer, "llm", None) if history else None))
        for item in self._standalone(query, k, answerer):
            if isinstance(item, Answer):
                item.question = question
                item.answered_by = describe_answerer(answerer.name, self.settings)
            yield item

    def _standalone(self, question: str, k: int | None, answerer: Answerer) -> Iterator[str | Answer]:
        """Text deltas, then the Answer, for a question that needs no history; the Answer carries the question as
        read (`_search`) as `search_query`."""
        question, passages, vector, view = self._search(question, k)
        reason = unanswerable_reason(question, passages, view, self.settings.retrieval)
        if reason is not None:
            log.debug("refused %r: %s", question, reason)
            answer = refusal(question, answerer.name, reason)
            answer.passages, answer.search_query = passages, question
            yield answer.answer
            yield answer
            return
        read = with_sequels(passages, view, self.settings.retrieval.sequels)
        for item in answerer.stream(question, read, vector):
            if isinstance(item, Answer):
                item.passages, item.search_query = passages, question
            yield item

    def stats(self) -> dict[str, Any]:
        """What the store holds (no secrets)."""
        store = self.store()
        articles = store.articles()
        sources = Counter(str(meta.get("source") or "(unknown)") for meta in articles.values())
        dates = sorted(str(m.get("published_at", ""))[:10] for m in articles.values() if m.get("published_at"))
        return {
            "store": store.location,
            "embedding_model": self.model_id,
            "articles": len(articles),
            "chunks": store.count(),
            "files": len(store.files()),
            "sources": dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
            "published_from": dates[0] if dates else None,
            "published_to": dates[-1] if dates else None,
        }

    def summary(self) -> dict[str, Any]:
        """What the store holds, read from its keyword index (quick at any size; `stats` reads every article's
        record): articles, chunks, sources (name: chunks, most first), first and last publication day."""
        view = indexes.get(self.store())
        span = view.date_span()
        return {
            "articles": view.article_count(),
            "chunks": len(view),
            "sources": view.source_chunks(),
            "published_from": span[0].isoformat() if span else None,
            "published_to": span[1].isoformat() if span else None,
        }

    # ---- LangChain (assistant/lc.py, docs/langchain.md) ----------------------------------------------------------
    def as_retriever(self, k: int | None = None) -> NewsRetriever:
        """`retrieve` as a LangChain retriever: one Document per passage, the citation fields as its metadata; `k`
        passages per query (default: `retrieval.k`)."""
        return NewsRetriever(assistant=self, k=k)

    def as_runnable(self) -> AnswerChain:
        """`ask` and `stream` as a LangChain Runnable: a question or {"question", "history", "k", "llm"} in, the
        Answer out (streamed as str deltas, then the Answer)."""
        return AnswerChain(self)

    def as_vectorstore(self) -> NewsVectorStore:
        """The store's chunks as a langchain-chroma vector store (read only; see `assistant.lc.NewsVectorStore`)."""
        return NewsVectorStore(self.store(), self.embeddings)

    def as_tool(self, k: int | None = None) -> StructuredTool:
        """A `search_news(question, k)` tool for LangChain agents over `as_retriever(k)`."""
        return search_tool(self.as_retriever(k))
