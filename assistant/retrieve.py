"""question -> ranked passages from the store."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from langchain_core.embeddings import Embeddings

from assistant.settings import RetrievalSettings
from assistant.types import Passage
from ingest.store import Store

log = logging.getLogger(__name__)


class Retriever:
    """Finds the passages most likely to answer a question."""

    def __init__(self, store: Store, embeddings: Embeddings, settings: RetrievalSettings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.settings = settings

    def query_vector(self, query: str) -> list[float]:
        """The query's embedding."""
        return self.embeddings.embed_query(query)

    def retrieve(self, query: str, k: int | None = None, vector: Sequence[float] | None = None) -> list[Passage]:
        """The top-k passages for `query`, best first; `score` is cosine similarity to the query."""
        k = k or self.settings.k
        return self.store.search(vector if vector is not None else self.query_vector(query), k)
