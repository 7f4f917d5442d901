"""Each store's keyword index, kept in step with the Chroma collection (the source of truth) by updates, not rebuilds.

Where: `<store>/keyword-<collection>.sqlite3` beside an embedded store; for a server collection, this machine's
`store.index_cache/<host>-<port>-<collection>.sqlite3`. One file serves every process of the machine.

When: the store's generation changes with every ingest. The process that ingested updates the index at once
(`Assistant.ingest`); any other process notices the new generation at its next question and updates it in a
background thread, one process at a time (a lock file), while its questions are answered from the index as it
stands after at most `store.index_wait` seconds.

What an update reads (the consistency check): the articles committed since the last update (each manifest record
carries its commit time; ten minutes of overlap allow for clocks of other machines), compared with the versions the
index holds; and only when the store's count of removed articles moved, the id of every article, to find the ones
gone. A collection deleted and made again is indexed afresh; so is a store whose index was never built.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.keyword import KeywordIndex, KeywordView
from ingest.store import Store

log = logging.getLogger(__name__)

_OVERLAP_NS = 600 * 10**9  # articles committed this long before the last update are looked at again
_BATCH = 500  # articles indexed per transaction (one segment)


@dataclass
class SyncReport:
    """What an update did."""

    added: int = 0
    removed: int = 0
    full: bool = False
    seconds: float = 0.0


def _version(meta: dict[str, Any]) -> str:
    return f"{meta.get('committed_at', '')}/{meta.get('chunker', '')}/{meta.get('n_chunks', '')}"


def sync(store: Store, index: KeywordIndex) -> SyncReport:
    """Bring `index` up to `store`'s current generation (the caller holds the index's update lock)."""
    started = time.perf_counter()
    report = SyncReport()
    state = store.state()
    generation = str(state.get("generation", ""))
    if index.generation == generation:
        return report
    identity = store.identity()
    watermark = index.meta("watermark")
    if index.meta("collection") != identity:
        watermark = None
    with index.writing() as writer:
        if watermark is None:  # never built here, or built for a collection since deleted: start afresh
            writer.remove_articles(list(writer.articles()))
            writer.set_meta(collection=identity)
            report.full = True
        held = writer.articles()
    changed = store.articles() if watermark is None else store.articles_since(int(watermark) - _OVERLAP_NS)
    todo = {a: _version(meta) for a, meta in changed.items() if held.get(a) != _version(meta)}
    removals = str(state.get("removals", 0))
    gone: list[str] = []
    if watermark is not None and index.meta("removals") != removals:
        present = store.article_ids()
        gone = [a for a in held if a not in present]
    ids = sorted(todo)
    for i in range(0, len(ids), _BATCH):
        batch = ids[i : i + _BATCH]
        passages = list(store.iter_passages(where={"article_id": {"$in": batch}}))
        with index.writing() as writer:
            writer.remove_articles([a for a in batch if a in held])
            writer.add(passages, {a: todo[a] for a in batch})
        report.added += len(batch)
    stamps = [int(m["committed_at"]) for m in changed.values() if isinstance(m.get("committed_at"), int)]
    with index.writing() as writer:
        report.removed = len(gone)
        writer.remove_articles(gone)
        newest = max([*stamps, int(watermark or 0)])
        writer.set_meta(generation=generation, watermark=str(newest), removals=removals)
        if report.full:
            writer.set_meta(full_builds=str(int(index.meta("full_builds") or 0) + 1))
    report.seconds = time.perf_counter() - started
    log.info(
        "keyword index: %d articles indexed, %d removed in %.2f s%s",
        report.added, report.removed, report.seconds, " (built afresh)" if report.full else "",
    )  # fmt: skip
    return report


def index_path(store: Store) -> Path:
    """Where a store's keyword index lives: beside an embedded store; for a server collection, in this machine's
    `store.index_cache`, one file per server and collection."""
    settings = store.settings
    if not settings.host:
        return Path(settings.path) / f"keyword-{_safe(settings.collection)}.sqlite3"
    return Path(settings.index_cache) / f"{_safe(f'{settings.host}-{settings.port}-{settings.collection}')}.sqlite3"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


@contextmanager
def _update_lock(index: KeywordIndex) -> Iterator[None]:
    """One update at a time per index file, across the processes of this machine (waits for the one running)."""
    if index.path is None:
        yield
        return
    with open(index.path.with_suffix(".lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class KeywordIndexes:
    """The keyword index of each store this process uses, opened once and kept up to date."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Path | str, KeywordIndex] = {}
        self._running: dict[Path | str, threading.Event] = {}
        self._update_locks: dict[Path | str, threading.Lock] = {}
        self._file_ids: dict[Path, tuple[int, int] | None] = {}

    def get(self, store: Store, generation: str | None = None) -> KeywordView:
        """A view of `store`'s index brought up to the store's generation (`generation` when the caller has just
        read it), or, when that takes longer than `store.index_wait` seconds, as it stands (the update goes on in
        the background)."""
        index = self._index(store)
        if index.generation != (generation or store.generation()):
            done = self._start_update(store, index)
            never_built = index.generation is None
            done.wait(None if never_built else store.settings.index_wait)
        return index.view()

    def update(self, store: Store) -> SyncReport:
        """Bring `store`'s index up to date now (after an ingest in this process)."""
        index = self._index(store)
        with self._serial(index), _update_lock(index):
            return sync(store, index)

    def _index(self, store: Store) -> KeywordIndex:
        path = index_path(store)
        with self._lock:
            index = self._open.get(path)
            if index is None or _file_id(path) != self._file_ids.get(path):  # new, or its file deleted or replaced
                index = self._open[path] = _open_index(path)
                self._file_ids[path] = _file_id(path)
            return index

    def _key(self, index: KeywordIndex) -> Path | str:
        return index.path or str(id(index))

    @contextmanager
    def _serial(self, index: KeywordIndex) -> Iterator[None]:
        with self._lock:
            lock = self._update_locks.setdefault(self._key(index), threading.Lock())
        with lock:
            yield

    def _start_update(self, store: Store, index: KeywordIndex) -> threading.Event:
        key = self._key(index)
        with self._lock:
            running = self._running.get(key)
            if running is not None and not running.is_set():
                return running
            done = self._running[key] = threading.Event()

        def work() -> None:
            try:
                self.update(store)
            except Exception:  # noqa: BLE001 - a failed update is retried at the next question
                log.exception("keyword index update failed")
            finally:
                done.set()

        threading.Thread(target=work, name="keyword-index-update", daemon=True).start()
        return done


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _open_index(path: Path) -> KeywordIndex:
    """The index file at `path` (created), or an index in memory when it cannot be written there."""
    old = path.parent / "keyword-index"  # where an earlier format kept one folder per generation
    if old.is_dir() and not path.exists():
        shutil.rmtree(old, ignore_errors=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return KeywordIndex(path)
    except (OSError, sqlite3.Error) as exc:
        log.warning("cannot keep the keyword index at %s (%s): this process indexes the store in memory", path, exc)
        return KeywordIndex(None)


indexes = KeywordIndexes()
"""The process-wide set every Retriever uses."""
