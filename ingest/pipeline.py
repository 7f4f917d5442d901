"""files -> load/clean -> chunk -> embed -> store, idempotently: only new or changed articles are embedded."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from ingest.chunk import chunk_article, embedding_text
from ingest.clean import RULES_ID
from ingest.embed import CachedEmbeddings, MiniLMEmbedder
from ingest.embed_workers import embedded_batches, worker_count
from ingest.lease import WriterLease, busy_message
from ingest.load import LoadError, file_sha256, find_files, parse_file, read_bytes
from ingest.store import Store, StoreError
from ingest.tokens import TokenCounter, cl100k
from newsdesk.settings import IngestSettings
from newsdesk.types import Article, Chunk

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What an ingest did, for the CLI report and for tests.

    `failed` counts what was skipped because it could not be read (a file, or one record of a JSON file), each
    with its reason in `failures`; `ignored` lists the files of other types found in the folders given;
    `encodings` the files read in a legacy encoding (not UTF-8), with that encoding's name.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: int = 0
    removed: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    encodings: list[tuple[str, str]] = field(default_factory=list)
    store: str = ""

    @property
    def chunks_per_second(self) -> float:
        """Chunks written per second of wall time."""
        return self.chunks / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        """One line per file or record that needs a word: skipped (with the reason), ignored, read in a legacy
        encoding."""
        return (
            [f"skipped {where}: {reason}" for where, reason in self.failures]
            + [
                f"ignored {where}: not an article file type ({Path(where).suffix or 'no extension'})"
                for where in self.ignored
            ]
            + [f"read {where} as {encoding} (not UTF-8)" for where, encoding in self.encodings]
        )

    def summary(self) -> str:
        """One line of counts and speed."""
        return (
            f"articles: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.duplicates} duplicates, {self.failed} skipped, {self.removed} removed; "
            f"files: {len(self.ignored)} ignored; "
            f"chunks: {self.chunks} written ({self.embedded} embedded); "
            f"{self.seconds:.1f} s, {self.chunks_per_second:.1f} chunks/s"
        )


@dataclass
class _FileWork:
    path: str
    sha256: str
    articles: list[Article]
    previous: tuple[str, ...]


@dataclass(frozen=True)
class ChunkBudget:
    """How articles are cut: at most `max_tokens` tokens of `tokens` embedded per chunk, `overlap` carried over."""

    tokens: TokenCounter
    max_tokens: int
    overlap: int

    @property
    def signature(self) -> str:
        """Identifies the cleaning and chunking; a change re-reads and re-chunks every article on the next ingest
        (chunks whose text is unchanged come from the vector cache)."""
        return f"{self.tokens.name}/{self.max_tokens}/{self.overlap}/v2/clean-{RULES_ID}"


def chunk_budget(embeddings: Embeddings, settings: IngestSettings) -> ChunkBudget:
    """Chunks are measured with the embedder's own tokenizer, header included (ingest/chunk.py), so the embedder
    sees every chunk whole: `ingest.chunk_tokens` MiniLM WordPiece tokens, never more than the embedder's
    `max_length`, or cl100k_base tokens for any other embedder (OpenAI's models read 8k of them)."""
    inner = embeddings.inner if isinstance(embeddings, CachedEmbeddings) else embeddings
    if isinstance(inner, MiniLMEmbedder):
        return ChunkBudget(inner.token_counter(), min(settings.chunk_tokens, inner.max_length), settings.chunk_overlap)
    return ChunkBudget(cl100k(), settings.chunk_tokens, settings.chunk_overlap)


@contextmanager
def writer_lock(store: Store) -> Iterator[Callable[[], None]]:
    """One ingest at a time per store; a second one stops with a clear message. An embedded store is guarded by a
    file lock beside it, a server collection by a lease in its manifest (ingest/lease.py). Yields `keep`, to call
    between units of work: it renews the lease before it lapses."""
    if store.settings.host:
        with WriterLease(store, store.settings.lease_seconds) as lease:
            yield lease.renew
        return
    lock_path = Path(store.settings.path) / ".ingest.lock"
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreError(busy_message(f" (pid {holder})", store.location)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield _held_until_closed
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _held_until_closed() -> None:
    """A file lock needs no renewal: it lasts until this process closes the file or ends."""


def run_ingest(
    paths: Iterable[Path],
    store: Store,
    embeddings: Embeddings,
    settings: IngestSettings,
    prune: bool | Sequence[Path] = False,
    progress: bool = True,
) -> IngestReport:
    """Ingest files and folders into the store; unchanged files cost a hash, changed ones replace their chunks."""
    started = time.perf_counter()
    report = IngestReport(store=store.location)
    files, rejected, ignored = find_files(Path(p) for p in paths)
    for path, reason in rejected:
        _fail(report, str(path), reason)
    report.ignored = [str(p) for p in ignored]
    budget = chunk_budget(embeddings, settings)
    signature = budget.signature
    max_bytes = int(settings.max_file_mb * 1_000_000)

    with writer_lock(store) as keep, store.writing() as interrupted:
        if interrupted:
            log.warning("the previous ingest was interrupted; removing its partial writes")
            store.sweep()
            keep()
        known_files = store.files()
        committed = {a: meta for a, meta in store.articles().items() if meta.get("chunker") == signature}

        work: list[_FileWork] = []
        seen: set[str] = set()
        sizes = {path: _size(path) for path in files}
        reading = tqdm(
            total=sum(sizes.values()), desc="reading", unit="B", unit_scale=True, disable=not progress or not files
        )
        for path in files:
            keep()
            key = str(path)
            previous = known_files.get(key)
            done_before = reading.n
            try:
                data = read_bytes(path, max_bytes)
            except LoadError as exc:
                _fail(report, key, str(exc))
                reading.update(sizes[path])
                continue
            sha = file_sha256(data)
            if previous and previous.sha256 == sha and all(a in committed for a in previous.article_ids):
                fresh = [a for a in previous.article_ids if a not in seen]
                report.unchanged += len(fresh)
                seen.update(previous.article_ids)
                reading.update(sizes[path])
                continue

            def advance(share: float, start: float = done_before, size: int = sizes[path]) -> None:
                reading.update(max(0, int(start + share * size) - reading.n))

            try:
                loaded = parse_file(path, data, progress=advance if progress else None)
            except LoadError as exc:
                _fail(report, key, str(exc))
                continue
            finally:
                reading.update(max(0, done_before + sizes[path] - reading.n))
            if loaded.encoding not in ("UTF-8", "UTF-16"):
                report.encodings.append((key, loaded.encoding))
            for where, problem in loaded.problems:
                _fail(report, f"{key} {where}", problem)
            unique: list[Article] = []
            for article in loaded.articles:
                if article.article_id in seen:
                    report.duplicates += 1  # the same article again (another file or record)
                    continue
                seen.add(article.article_id)
                unique.append(article)
            work.append(_FileWork(key, sha, unique, previous.article_ids if previous else ()))

        reading.close()
        misses_before = int(getattr(embeddings, "misses", 0))
        to_embed = [a for w in work for a in w.articles if a.article_id not in committed]
        pending = {
            a.article_id: chunk_article(a, budget.max_tokens, budget.overlap, budget.tokens)
            for a in tqdm(to_embed, desc="chunking", unit="article", disable=not progress or not to_embed)
        }
        total = sum(len(c) for c in pending.values())
        batches = list(_batches(to_embed, pending, settings.batch_size * 4))
        texts_of = ((batch, [embedding_text(a, c) for a in batch for c in pending[a.article_id]]) for batch in batches)
        workers = min(worker_count(settings.workers), len(batches))  # one batch: embedded here, no pool started
        with (
            tqdm(total=total, desc="embedding", unit="chunk", disable=not progress or total == 0) as bar,
            closing(embedded_batches(embeddings, texts_of, workers)) as embedded,
        ):
            for batch, texts, vectors in embedded:  # in order; with workers > 1 the next batches embed meanwhile
                written, offset = [], 0
                for article in batch:
                    chunks = pending[article.article_id]
                    written.append((article, chunks, vectors[offset : offset + len(chunks)]))
                    offset += len(chunks)
                store.add_chunks(written)  # the batch's chunks, then its articles' records: the commit point
                store.commit_articles([(article, len(chunks)) for article, chunks, _ in written], signature)
                for article, chunks, _ in written:
                    log.debug("committed article %s (%d chunks)", article.article_id, len(chunks))
                    committed[article.article_id] = {}
                keep()
                report.chunks += len(texts)
                bar.update(len(texts))
        report.embedded = int(getattr(embeddings, "misses", misses_before + report.chunks)) - misses_before

        for w in work:
            ids = [a.article_id for a in w.articles]
            new_ids = set(ids) - set(w.previous)
            replaced = min(len(set(w.previous) - set(ids)), len(new_ids))
            report.updated += replaced
            report.added += len(new_ids) - replaced
            report.unchanged += len(set(ids) & set(w.previous))
            store.record_file(w.path, w.sha256, ids)
            log.debug("recorded file %s", w.path)
            keep()

        if prune:
            for gone_file in [p for p in store.files() if not Path(p).exists() and _pruned(p, prune)]:
                store.forget_file(gone_file)
        referenced = {a for record in store.files().values() for a in record.article_ids}
        gone = [a for a in store.articles() if a not in referenced]
        report.removed = max(0, len(gone) - report.updated)  # an updated article's old record is no removal
        store.delete_articles(gone)
        log.debug("removed %d articles no file names", len(gone))

    report.seconds = time.perf_counter() - started
    return report


def _batches(articles: list[Article], chunks: dict[str, list[Chunk]], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    count = 0
    for article in articles:
        batch.append(article)
        count += len(chunks[article.article_id])
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def _pruned(path: str, prune: bool | Sequence[Path]) -> bool:
    """Whether `prune` covers a gone file's record: True covers every file, folders only the files under them."""
    return prune is True or any(Path(path).is_relative_to(folder) for folder in prune or ())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _fail(report: IngestReport, where: str, reason: str) -> None:
    """Count and list what is skipped; the report says it once (the CLI prints `report.lines()`)."""
    report.failed += 1
    report.failures.append((where, reason))
    log.debug("skipped %s: %s", where, reason)
