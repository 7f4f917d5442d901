"""The Chroma side: chunk vectors and a manifest of files and articles, embedded on disk or on a `chroma run` server.

Crash safety comes from write order. An article's chunks are written first, then its manifest record (the commit
point); a file's record names the articles it produced. Chunks whose article has no record, and articles no file
names, are garbage and are swept. An `in_progress` flag set for the length of an ingest tells the next run to sweep.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from newsdesk.dates import day_ts
from newsdesk.errors import AssistantError
from newsdesk.settings import StoreSettings
from newsdesk.types import Article, Chunk, Passage

log = logging.getLogger(__name__)

_PAGE = 2000
NO_VECTOR: list[Sequence[float]] = [[1.0]]  # manifest records need a vector; nothing ever searches them


class StoreError(AssistantError):
    """The store cannot be opened or used; the message is one line meant for the user."""


@dataclass(frozen=True)
class FileRecord:
    """What the store remembers of an ingested file."""

    path: str
    sha256: str
    article_ids: tuple[str, ...]


def _client(settings: StoreSettings, create: bool) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.host:
        try:
            client = chromadb.HttpClient(host=settings.host, port=settings.port, settings=chroma_settings)
        except Exception:  # noqa: BLE001 - any transport failure means the same thing to the user
            raise _unreachable(settings) from None
        _heartbeat(client, settings)
        return client
    path = settings.path
    if path.exists() and not path.is_dir():
        raise StoreError(f"store path {path} is a file, not a directory")
    if not create and not (path / "chroma.sqlite3").is_file():  # never leave Chroma files in a folder that is no store
        raise StoreError(f"no store at {path}: run `assistant ingest PATH --store {path}` first")
    try:
        path.mkdir(parents=True, exist_ok=True)
        # Chroma shares one in-memory copy of a directory's vectors per process and never reloads it, so vectors
        # another process adds later stay invisible to it; clearing the cache gives this client a fresh copy.
        SharedSystemClient.clear_system_cache()
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except PermissionError:
        raise StoreError(f"cannot write the store at {path}: permission denied") from None
    except Exception as exc:  # noqa: BLE001
        raise StoreError(f"cannot open the store at {path}: {exc}".splitlines()[0]) from None


def _heartbeat(client: chromadb.ClientAPI, settings: StoreSettings) -> None:
    try:
        client.heartbeat()
    except Exception:  # noqa: BLE001 - refused, reset, timed out: the server does not answer
        raise _unreachable(settings) from None


def _unreachable(settings: StoreSettings) -> StoreError:
    return StoreError(
        f"cannot reach the Chroma server at {settings.host}:{settings.port}: is `chroma run` serving there?"
    )


class Store:
    """One Chroma collection of chunks, one of manifest records, read through langchain-chroma."""

    def __init__(self, settings: StoreSettings, embeddings: Embeddings, model_id: str, create: bool = False) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.model_id = model_id
        self.location = f"chroma://{settings.host}:{settings.port}" if settings.host else str(settings.path)
        self.client = _client(settings, create)
        name = settings.collection
        try:
            existing = {c.name for c in self.client.list_collections()}
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"cannot list collections at {self.location}: {exc}".splitlines()[0]) from None
        if name not in existing and not create:
            raise self.empty()
        self.chunks = self.client.get_or_create_collection(
            name,
            metadata={"embedding_model": model_id},
            configuration={"hnsw": {"space": "cosine", "ef_search": 200}},
            embedding_function=None,
        )
        built_with = (self.chunks.metadata or {}).get("embedding_model")
        if built_with != model_id:
            raise StoreError(
                f"the store at {self.location} was built with embedding model '{built_with}', "
                f"but the settings select '{model_id}': use the same embedding settings or a new store"
            )
        self.manifest = self.client.get_or_create_collection(f"{name}__manifest", embedding_function=None)
        self.vectorstore = Chroma(client=self.client, collection_name=name, embedding_function=embeddings)
        self.opened_at = self.generation()

    # ---- reading ---------------------------------------------------------------------------------
    def empty(self) -> StoreError:
        """The error for a store with nothing to search, saying how to fill it."""
        target = "" if self.settings.host else f" --store {self.location}"
        return StoreError(
            f"the store at {self.location} holds no articles; ingest some first: assistant ingest PATH{target}"
        )

    def count(self) -> int:
        """Number of chunks."""
        return self.chunks.count()

    def generation(self) -> str:
        """Changes whenever an ingest changes the store; readers use it to refresh derived indexes."""
        got: Any = self.manifest.get(ids=["state:ingest"], include=["metadatas"])
        return str(got["metadatas"][0].get("generation", "")) if got["ids"] else ""

    def stale(self) -> bool:
        """Whether the store must be opened again: another process's ingest changed this embedded store since it
        was opened here (the vectors this process loaded are then out of date). A Chroma server is never stale, but
        one that stopped answering raises StoreError, as at opening."""
        if self.settings.host:
            _heartbeat(self.client, self.settings)
            return False
        return self.generation() != self.opened_at

    def search(self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """The k nearest chunks to `vector`, best first, score = cosine similarity."""
        rows = self.vectorstore.similarity_search_by_vector_with_relevance_scores(list(vector), k=k, filter=where)
        return [_passage(doc.id, doc.page_content, doc.metadata, 1.0 - distance) for doc, distance in rows]

    def get_passages(self, ids: Sequence[str]) -> list[Passage]:
        """Chunks by id, in the order asked (unknown ids are left out)."""
        if not ids:
            return []
        got: Any = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: _passage(i, d, m, 0.0) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def iter_passages(self, where: dict[str, Any] | None = None) -> Iterator[Passage]:
        """Every chunk, page by page."""
        offset = 0
        while True:
            got: Any = self.chunks.get(where=where, include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]):
                yield _passage(i, d, m, 0.0)
            if len(got["ids"]) < _PAGE:
                return
            offset += _PAGE

    def files(self) -> dict[str, FileRecord]:
        """Every ingested file by path."""
        out: dict[str, FileRecord] = {}
        for rid, meta in self._manifest_rows("file"):
            out[rid[5:]] = FileRecord(rid[5:], str(meta["sha256"]), tuple(json.loads(str(meta["article_ids"]))))
        return out

    def articles(self) -> dict[str, dict[str, Any]]:
        """Every committed article by id, with its metadata."""
        return {rid[8:]: meta for rid, meta in self._manifest_rows("article")}

    def _manifest_rows(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        offset = 0
        while True:
            got: Any = self.manifest.get(where={"kind": kind}, include=["metadatas"], limit=_PAGE, offset=offset)
            yield from zip(got["ids"], got["metadatas"])
            if len(got["ids"]) < _PAGE:
                return
            offset += _PAGE

    # ---- writing ---------------------------------------------------------------------------------
    def add_chunks(self, article: Article, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Write (upsert) chunks with their vectors; not visible as an article until `commit_article`."""
        if not chunks:
            return
        base: dict[str, Any] = {
            "article_id": article.article_id,
            "title": article.title,
            "source": article.source,
            "published_at": article.published_at,
            "date_ts": day_ts(article.published_at),
            "url": article.url,
        }
        rows: list[Sequence[float]] = [[float(x) for x in v] for v in vectors]
        self.chunks.upsert(
            ids=[c.chunk_id for c in chunks],
            embeddings=rows,
            documents=[c.text for c in chunks],
            metadatas=[{**base, "index": c.index, "start": c.start, "end": c.end} for c in chunks],
        )

    def commit_article(self, article: Article, n_chunks: int, chunker: str) -> None:
        """Mark an article complete: its chunks are all written."""
        self.manifest.upsert(
            ids=[f"article:{article.article_id}"],
            embeddings=NO_VECTOR,
            metadatas=[
                {
                    "kind": "article",
                    "title": article.title,
                    "source": article.source,
                    "published_at": article.published_at,
                    "url": article.url,
                    "n_chunks": n_chunks,
                    "chunker": chunker,
                    "extra": json.dumps(article.extra, ensure_ascii=False),
                }
            ],
        )

    def record_file(self, path: str, sha256: str, article_ids: Iterable[str]) -> None:
        """Remember which articles a file produced."""
        self.manifest.upsert(
            ids=[f"file:{path}"],
            embeddings=NO_VECTOR,
            metadatas=[{"kind": "file", "sha256": sha256, "article_ids": json.dumps(sorted(set(article_ids)))}],
        )

    def forget_file(self, path: str) -> None:
        """Drop a file's record (its articles become garbage unless another file names them)."""
        self.manifest.delete(ids=[f"file:{path}"])

    def delete_articles(self, article_ids: Iterable[str]) -> int:
        """Delete articles and all their chunks; returns how many chunks went."""
        ids = list(article_ids)
        removed = 0
        for i in range(0, len(ids), 100):
            batch = ids[i : i + 100]
            where: dict[str, Any] = {"article_id": {"$in": batch}}
            found = self.chunks.get(where=where, include=[])["ids"]
            if found:
                self.chunks.delete(ids=found)
                removed += len(found)
            self.manifest.delete(ids=[f"article:{a}" for a in batch])
        return removed

    def sweep(self) -> int:
        """Delete chunks of uncommitted articles and articles no file names; returns chunks removed."""
        committed = set(self.articles())
        referenced = {a for record in self.files().values() for a in record.article_ids}
        orphans = {p.article_id for p in self.iter_passages() if p.article_id not in committed}
        unreferenced = committed - referenced
        return self.delete_articles(orphans | unreferenced)

    @contextmanager
    def writing(self) -> Iterator[bool]:
        """Bracket an ingest: yields whether the previous one was interrupted; bumps the generation at the end."""
        got: Any = self.manifest.get(ids=["state:ingest"], include=["metadatas"])
        state = got["metadatas"][0] if got["ids"] else {}
        interrupted = bool(state.get("in_progress"))
        self._set_state(in_progress=True, generation=str(state.get("generation", "")))
        yield interrupted
        self.opened_at = f"{time.time_ns()}-{os.getpid()}"  # this process wrote the changes: its copy is current
        self._set_state(in_progress=False, generation=self.opened_at)

    def _set_state(self, in_progress: bool, generation: str) -> None:
        self.manifest.upsert(
            ids=["state:ingest"],
            embeddings=NO_VECTOR,
            metadatas=[{"kind": "state", "in_progress": in_progress, "generation": generation}],
        )


def _passage(chunk_id: str | None, text: str | None, meta: dict[str, Any] | None, score: float) -> Passage:
    meta = meta or {}
    return Passage(
        chunk_id=str(chunk_id),
        article_id=str(meta.get("article_id", "")),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        published_at=str(meta.get("published_at", "")),
        url=str(meta.get("url", "")),
        text=text or "",
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        score=float(score),
    )
