"""Each store's current keyword index, for the whole process: kept in memory, loaded from disk on a cold start, and
rebuilt from the Chroma collection whenever the store's generation changes (every ingest, update or prune bumps it),
so it is never more than one question behind the store."""

from __future__ import annotations

import logging
import threading
import time

from assistant.keyword import KeywordIndex
from assistant.keyword_files import folder_name, index_home, load_index, remove_other_generations, save_index
from ingest.store import Store

log = logging.getLogger(__name__)


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
        folder = index_home(store) / folder_name(generation)
        if folder.is_dir():
            loaded = load_index(folder)
            if loaded is not None and loaded.generation == generation:
                return loaded
        started = time.perf_counter()
        index = KeywordIndex.build(store.iter_passages(), generation)
        log.info("keyword index: %d chunks indexed in %.2f s", len(index), time.perf_counter() - started)
        try:
            save_index(index, folder)
            remove_other_generations(folder)
        except OSError as exc:  # a read-only store or cache still answers; it just rebuilds next time
            log.warning("could not save the keyword index at %s: %s", folder, exc)
        return index


indexes = KeywordIndexes()
"""The process-wide cache every Retriever uses."""
