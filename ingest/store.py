"""The Chroma side: chunk vectors and a manifest of files and articles, embedded on disk or on a `chroma run` server.

Crash safety comes from write order. An article's chunks are written first, then its manifest record (the commit
point); a file's record names the articles it produced. Chunks whose article has no record, and articles no file
names, are garbage and are swept. An `in_progress` flag set for the length of an ingest tells the next run to sweep.

Every Store of this process opened on one embedded store directory shares one Chroma client. Chroma loads a
directory's vectors into memory once per client and never reloads them, so vectors another process adds later stay
invisible to it. When a store is opened after another process changed it (its generation differs from the one the
shared client's vectors are current for), that directory's client alone is closed, once the calls in flight on it
have returned, and replaced by a fresh one. A store already open that finds the change (`stale`, then `catch_up`)
opens the fresh client beside the old one and loads its vectors in a thread while the old one goes on answering
(a question is never held up for the reload: seconds at 100x the benchmark), then swaps them. Stores on other
directories, or on a Chroma server, are not touched.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import chromadb
from chromadb.api.client import Client
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import InternalError

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


class _SharedClient:
    """A Chroma client shared by the Stores of one location. `using` lends it for one call. `renew_if_behind` closes
    it and opens a fresh one once no call is in flight (new calls wait meanwhile); `renew_in_background` opens and
    warms the fresh one beside it while calls go on, then swaps it in and closes the old one when its calls end.
    `connect(spare)` opens a client: `spare` is a second spelling of the location, for Chroma keeps one client per
    spelling in a process and the fresh client must not be the old one."""

    def __init__(self, connect: Callable[[bool], Client], identity: Callable[[], object] = lambda: None) -> None:
        self._connect = connect
        self._identity = identity
        self._changed = threading.Condition()
        self._busy: dict[int, int] = {}  # calls in flight per client (by id)
        self._renewing = False
        self._spare = False  # which spelling the current client was opened under
        self._catching_up = False  # a fresh client is being opened beside the current one
        self._current = [connect(False)]  # closed when the last Store using it is gone
        weakref.finalize(self, _close, self._current)
        self.opened_on = identity()  # the store file the client opened (a store deleted and made again is another)
        self.generation: str | None = None  # the store generation the client's vectors are current for
        self.closed = False

    @property
    def client(self) -> Client:
        """The current client."""
        return self._current[0]

    @contextmanager
    def using(self) -> Iterator[Client]:
        """The current client, not closed until the block ends."""
        with self._changed:
            self._changed.wait_for(lambda: not self._renewing)
            client = self.client
            self._busy[id(client)] = self._busy.get(id(client), 0) + 1
        try:
            yield client
        finally:
            with self._changed:
                self._busy[id(client)] -= 1
                self._changed.notify_all()

    def wrote(self, generation: str) -> None:
        """Record that this process wrote the store's `generation` through the client: its vectors are current."""
        with self._changed:
            self.generation = generation

    def current_for(self, generation: str) -> bool:
        """Whether the client's vectors are those of the store's `generation`, in the store file it opened."""
        return self.generation == generation and self.opened_on == self._identity()

    def behind(self, client: Client, generation: str) -> bool:
        """Whether `client` may lack vectors of the store's `generation`: it is not the current client, or the current
        one is older than that generation, or is still being swapped in (a fresh client can miss the newest vectors
        while the old one closes)."""
        with self._changed:
            return client is not self.client or self._catching_up or not self.current_for(generation)

    def renew_if_behind(self, client: Client, generation: str) -> bool:
        """Replace `client` with a fresh one when its vectors are older than the store's `generation` (another
        process wrote since), or the store file is no longer the one it opened; returns whether it did. The first
        Store opened on a new client records its generation."""
        with self._changed:
            self._changed.wait_for(lambda: not self._catching_up)  # a renewal in the background ends first
            if self.client is not client:
                return False  # already renewed, by a Store opened in another thread
            if self.opened_on == self._identity() and self.generation in (None, generation):
                self.generation = generation
                return False
            log.debug("reopening the Chroma client: the store changed since it was opened (generation %s)", generation)
            self._renewing = True
            try:
                self._changed.wait_for(lambda: self._busy.get(id(client), 0) == 0)
                client.close()  # stops this location's Chroma system alone: the next client loads the vectors afresh
                try:
                    self._current[0] = self._connect(self._spare)
                except StoreError:
                    self.closed = True  # the next Store opened here starts a new shared client
                    raise
                self.opened_on, self.generation = self._identity(), None
            finally:
                self._renewing = False
                self._changed.notify_all()
            return True

    def renew_in_background(self, generation: str, warm: Callable[[Client], None]) -> bool:
        """Start bringing the client up to the store's `generation` without holding up any call: a fresh client is
        opened and `warm`ed (its vectors loaded) in a thread, then swapped in; the old one answers until then.
        Returns False, starting nothing, when the store file is no longer the one the client opened (the store was
        deleted and made again: it must be opened anew)."""
        with self._changed:
            if self.opened_on != self._identity():
                return False
            if self.generation == generation or self._catching_up:
                return True
            self._catching_up = True
        threading.Thread(target=self._catch_up, args=(generation, warm), name="chroma-renew", daemon=True).start()
        return True

    def _catch_up(self, generation: str, warm: Callable[[Client], None]) -> None:
        started = time.perf_counter()
        try:
            fresh = self._connect(not self._spare)
            try:
                warm(fresh)
            except Exception:
                fresh.close()
                raise
            with self._changed:
                old, self._current[0] = self.client, fresh
                self._spare, self.generation = not self._spare, generation
                self._changed.wait_for(lambda: self._busy.get(id(old), 0) == 0)
                self._busy.pop(id(old), None)
            old.close()  # outside the lock (a second at 100x): calls meanwhile go to the fresh client
            log.info("Chroma client renewed for generation %s in %.2f s", generation, time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - the old client keeps answering; the next question tries again
            log.warning("could not renew the Chroma client in the background", exc_info=True)
        finally:
            with self._changed:
                self._catching_up = False  # only now may the next renewal open a client under the old spelling
                self._changed.notify_all()


def _close(current: list[Client]) -> None:
    current[0].close()


_embedded: weakref.WeakValueDictionary[Path, _SharedClient] = weakref.WeakValueDictionary()
_embedded_lock = threading.Lock()


def _shared_client(settings: StoreSettings, create: bool) -> _SharedClient:
    """The client of a Chroma server (one per Store), or this process's client of an embedded store directory."""
    if settings.host:
        return _SharedClient(lambda _: _http_client(settings))  # one per Store, closed when the Store is gone
    path = settings.path
    if path.exists() and not path.is_dir():
        raise StoreError(f"store path {path} is a file, not a directory")
    if not create and not (path / "chroma.sqlite3").is_file():  # never leave Chroma files in a folder that is no store
        raise StoreError(f"no store at {path}: run `assistant ingest PATH --store {path}` first")
    key = path.resolve()
    with _embedded_lock:
        shared = _embedded.get(key)
        if shared is None or shared.closed:
            shared = _embedded[key] = _SharedClient(
                lambda spare: _persistent_client(path, spare), lambda: _file_identity(path)
            )
        return shared


def _http_client(settings: StoreSettings) -> Client:
    try:
        client = chromadb.HttpClient(host=str(settings.host), port=settings.port, settings=_chroma_settings())
    except Exception:  # noqa: BLE001 - any transport failure means the same thing to the user
        raise _unreachable(settings) from None
    _heartbeat(client, settings)
    return cast(Client, client)


def _persistent_client(path: Path, spare: bool = False) -> Client:
    """An embedded client of `path`; `spare` spells the path another way ("path/."), so Chroma opens a second one."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        spelled = os.path.join(path, ".") if spare else str(path)
        return cast(Client, chromadb.PersistentClient(path=spelled, settings=_chroma_settings()))
    except PermissionError:
        raise StoreError(f"cannot write the store at {path}: permission denied") from None
    except Exception as exc:  # noqa: BLE001
        raise StoreError(f"cannot open the store at {path}: {exc}".splitlines()[0]) from None


def _chroma_settings() -> ChromaSettings:
    """New for each client: Chroma writes the client's path into the settings object it is given."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = (path / "chroma.sqlite3").stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


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
    """One Chroma collection of chunks, one of manifest records."""

    def __init__(self, settings: StoreSettings, model_id: str, create: bool = False) -> None:
        self.settings = settings
        self.model_id = model_id
        self.location = f"chroma://{settings.host}:{settings.port}" if settings.host else str(settings.path)
        self._shared = _shared_client(settings, create)
        self._bound: tuple[Client, Collection, Collection] | None = None
        self.checked_generation: str | None = None  # the generation `stale` last read (an embedded store)
        for _ in range(2):  # twice when the shared client was behind the store and has been renewed
            with self._shared.using() as client:
                self._open_collections(client, create)
            self.opened_at = self.generation()
            if settings.host or not self._shared.renew_if_behind(client, self.opened_at):
                break

    def _open_collections(self, client: Client, create: bool) -> None:
        name = self.settings.collection
        try:
            existing = {c.name for c in client.list_collections()}
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"cannot list collections at {self.location}: {exc}".splitlines()[0]) from None
        if name not in existing and not create:
            raise self.empty()
        chunks = client.get_or_create_collection(
            name,
            metadata={"embedding_model": self.model_id},
            configuration={"hnsw": {"space": "cosine", "ef_search": 200}},
            embedding_function=None,
        )
        built_with = (chunks.metadata or {}).get("embedding_model")
        if built_with != self.model_id:
            raise StoreError(
                f"the store at {self.location} was built with embedding model '{built_with}', "
                f"but the settings select '{self.model_id}': use the same embedding settings or a new store"
            )
        manifest = client.get_or_create_collection(f"{name}__manifest", embedding_function=None)
        self._bound = (client, chunks, manifest)

    @contextmanager
    def _collections(self) -> Iterator[tuple[Collection, Collection]]:
        """The chunk and manifest collections of the current client, held for one call."""
        with self._shared.using() as client:
            yield self._bind(client)

    def _bind(self, client: Client) -> tuple[Collection, Collection]:
        bound = self._bound
        if bound is None or bound[0] is not client:  # the client was renewed: the same collections on the new one
            name = self.settings.collection
            chunks = client.get_collection(name, embedding_function=None)
            bound = (client, chunks, client.get_collection(f"{name}__manifest", embedding_function=None))
            self._bound = bound
        return bound[1], bound[2]

    @property
    def client(self) -> Client:
        """The Chroma client (a Chroma server's is never renewed, so its users may keep it)."""
        return self._shared.client

    @property
    def manifest(self) -> Collection:
        """The manifest collection, for the writer lease on a Chroma server."""
        with self._collections() as (_, manifest):
            return manifest

    # ---- reading ---------------------------------------------------------------------------------
    def empty(self) -> StoreError:
        """The error for a store with nothing to search, saying how to fill it."""
        target = "" if self.settings.host else f" --store {self.location}"
        return StoreError(
            f"the store at {self.location} holds no articles; ingest some first: assistant ingest PATH{target}"
        )

    def count(self) -> int:
        """Number of chunks."""
        with self._collections() as (chunks, _):
            return chunks.count()

    def generation(self) -> str:
        """Changes whenever an ingest changes the store; readers use it to refresh derived indexes."""
        return str(self.state().get("generation", ""))

    def stale(self) -> bool:
        """Whether the store must be opened again: another process's ingest changed this embedded store since it
        was opened here (the vectors this process loaded are then out of date). A Chroma server is never stale, but
        one that stopped answering raises StoreError, as at opening."""
        if self.settings.host:
            _heartbeat(self.client, self.settings)
            return False
        self.checked_generation = self.generation()
        if self.checked_generation != self.opened_at and self._shared.current_for(self.checked_generation):
            self.opened_at = self.checked_generation  # the shared client was renewed meanwhile
        return self.checked_generation != self.opened_at

    def catch_up(self) -> bool:
        """After `stale` said so: renew this embedded store's client in the background so that the vectors another
        process wrote become visible, while calls go on with the current one (`vectors` leaves out the chunks it
        does not hold yet). False when the store must be opened anew instead (deleted and made again)."""
        if self.settings.host or self.checked_generation is None:
            return False
        return self._shared.renew_in_background(self.checked_generation, self._warm)

    def _warm(self, client: Client) -> None:
        """Load a fresh client's vectors, so the first question after the swap does not wait for them."""
        chunks = client.get_collection(self.settings.collection, embedding_function=None)
        got: Any = chunks.get(limit=1, include=["embeddings"])
        if len(got["ids"]):
            first: list[Sequence[float]] = [list(got["embeddings"][0])]
            chunks.query(query_embeddings=first, n_results=1, include=[])

    def search(self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """The k nearest chunks to `vector`, best first, score = cosine similarity."""
        with self._collections() as (chunks, _):
            query: list[Sequence[float]] = [list(vector)]
            got: Any = chunks.query(
                query_embeddings=query, n_results=k, where=where, include=["documents", "metadatas", "distances"]
            )
        rows = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        return [_passage(i, d, m, 1.0 - distance) for i, d, m, distance in rows]

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, Sequence[float]]:
        """The stored vectors of chunks by id (unknown ids are left out, and so are chunks another process wrote
        since this process's client loaded its vectors)."""
        with self._shared.using() as client:
            chunks, _ = self._bind(client)
            # Behind what `stale` last read, not a fresh read: that would take the client again from inside this call.
            known = self.checked_generation or self.opened_at
            return _vectors(chunks, list(chunk_ids), lambda: self._shared.behind(client, known))

    def iter_passages(self, where: dict[str, Any] | None = None) -> Iterator[Passage]:
        """Every chunk, page by page."""
        offset = 0
        while True:
            with self._collections() as (chunks, _):
                got: Any = chunks.get(where=where, include=["documents", "metadatas"], limit=_PAGE, offset=offset)
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

    def articles_since(self, committed_at: int) -> dict[str, dict[str, Any]]:
        """The articles committed after `committed_at` (ns since the epoch, the committing machine's clock)."""
        where = {"$and": [{"kind": "article"}, {"committed_at": {"$gt": committed_at}}]}
        return {rid[8:]: meta for rid, meta in self._manifest_rows(where)}

    def article_ids(self) -> set[str]:
        """The id of every committed article (no metadata: cheaper than `articles`)."""
        return {rid[8:] for rid, _ in self._manifest_rows({"kind": "article"}, include=[])}

    def identity(self) -> str:
        """Chroma's id of the chunk collection: a collection deleted and made again under the same name differs."""
        with self._collections() as (chunks, _):
            return str(chunks.id)

    def state(self) -> dict[str, Any]:
        """The ingest state record: `generation`, `in_progress`, `removals` (articles ever deleted)."""
        with self._collections() as (_, manifest):
            got: Any = manifest.get(ids=["state:ingest"], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else {}

    def _manifest_rows(
        self, where: dict[str, Any] | str, include: list[str] | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        where = {"kind": where} if isinstance(where, str) else where
        offset = 0
        while True:
            with self._collections() as (_, manifest):
                fields: Any = ["metadatas"] if include is None else include
                got: Any = manifest.get(where=where, include=fields, limit=_PAGE, offset=offset)
            yield from zip(got["ids"], got["metadatas"] or [{}] * len(got["ids"]))
            if len(got["ids"]) < _PAGE:
                return
            offset += _PAGE

    # ---- writing ---------------------------------------------------------------------------------
    def add_chunks(self, written: Sequence[tuple[Article, Sequence[Chunk], Sequence[Sequence[float]]]]) -> None:
        """Write (upsert) the chunks of one or more articles with their vectors, in one call; they are not visible
        as articles until `commit_articles`."""
        ids: list[str] = []
        rows: list[Sequence[float]] = []
        documents: list[str] = []
        metadatas: list[Any] = []
        for article, chunks, vectors in written:
            base: dict[str, Any] = {
                "article_id": article.article_id,
                "title": article.title,
                "source": article.source,
                "published_at": article.published_at,
                "date_ts": day_ts(article.published_at),
                "url": article.url,
            }
            ids += [c.chunk_id for c in chunks]
            rows += [[float(x) for x in v] for v in vectors]
            documents += [c.text for c in chunks]
            metadatas += [{**base, "index": c.index, "start": c.start, "end": c.end} for c in chunks]
        if not ids:
            return
        with self._collections() as (collection, _):
            collection.upsert(ids=ids, embeddings=rows, documents=documents, metadatas=metadatas)

    def commit_articles(self, committed: Sequence[tuple[Article, int]], chunker: str) -> None:
        """Mark articles complete, each with its number of chunks, all of them written (the commit point)."""
        if not committed:
            return
        now = time.time_ns()
        records: list[Any] = [
            {
                "kind": "article",
                "title": article.title,
                "source": article.source,
                "published_at": article.published_at,
                "url": article.url,
                "n_chunks": n_chunks,
                "chunker": chunker,
                "extra": json.dumps(article.extra, ensure_ascii=False),
                "committed_at": now,
            }
            for article, n_chunks in committed
        ]
        ids = [f"article:{article.article_id}" for article, _ in committed]
        with self._collections() as (_, manifest):
            manifest.upsert(ids=ids, embeddings=NO_VECTOR * len(ids), metadatas=records)

    def record_file(self, path: str, sha256: str, article_ids: Iterable[str]) -> None:
        """Remember which articles a file produced."""
        record: dict[str, Any] = {"kind": "file", "sha256": sha256, "article_ids": json.dumps(sorted(set(article_ids)))}
        with self._collections() as (_, manifest):
            manifest.upsert(ids=[f"file:{path}"], embeddings=NO_VECTOR, metadatas=[record])

    def forget_file(self, path: str) -> None:
        """Drop a file's record (its articles become garbage unless another file names them)."""
        with self._collections() as (_, manifest):
            manifest.delete(ids=[f"file:{path}"])

    def delete_articles(self, article_ids: Iterable[str]) -> int:
        """Delete articles and all their chunks; returns how many chunks went."""
        ids = list(article_ids)
        removed = 0
        for i in range(0, len(ids), 100):
            batch = ids[i : i + 100]
            where: dict[str, Any] = {"article_id": {"$in": batch}}
            with self._collections() as (chunks, manifest):
                found = chunks.get(where=where, include=[])["ids"]
                if found:
                    chunks.delete(ids=found)
                    removed += len(found)
                manifest.delete(ids=[f"article:{a}" for a in batch])
            self._set_state(removals=int(self.state().get("removals", 0)) + len(batch))
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
        interrupted = bool(self.state().get("in_progress"))
        self._set_state(in_progress=True)
        yield interrupted
        self.opened_at = f"{time.time_ns()}-{os.getpid()}"
        self._shared.wrote(self.opened_at)  # this process wrote the changes: its client's copy is current
        self._set_state(in_progress=False, generation=self.opened_at)

    def _set_state(self, **changes: Any) -> None:
        """Change fields of the state record, keeping the others."""
        record: dict[str, Any] = {"generation": "", "removals": 0, **self.state(), **changes, "kind": "state"}
        with self._collections() as (_, manifest):
            manifest.upsert(ids=["state:ingest"], embeddings=NO_VECTOR, metadatas=[record])


def _vectors(chunks: Collection, ids: list[str], behind: Callable[[], bool]) -> dict[str, Sequence[float]]:
    """The vectors of `ids` this client holds. Chroma fails a whole read naming a chunk written since its client
    loaded the vectors (an embedded store another process added to): when the client is `behind` the store, the read
    is split in halves until the chunks it lacks are found and left out; otherwise the failure is raised."""
    try:
        got: Any = chunks.get(ids=ids, include=["embeddings"])
        return dict(zip(got["ids"], got["embeddings"]))
    except InternalError:
        if not behind():
            raise
        if len(ids) == 1:
            return {}
        half = len(ids) // 2
        return {**_vectors(chunks, ids[:half], lambda: True), **_vectors(chunks, ids[half:], lambda: True)}


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
