"""An optional reranker served over HTTP: the `/rerank` wire format of Cohere, Jina, vLLM, llama.cpp's server,
Infinity and Xinference (`{"model", "query", "documents", "top_n"}` in, `{"results": [{"index",
"relevance_score"}]}` out).

No reranker model installs offline from the package registries, so this is configuration, like the OpenAI-compatible
answerer: off unless `rerank.url` is set. A failing reranker never fails a question: the ranking it would have
changed is kept, one warning names the server and the reason (never the key), and the reranker is left out for
`rerank.retry_after` seconds, so a server that is down does not slow every question.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import httpx

from newsdesk.errors import AssistantError
from newsdesk.openai_errors import display_url
from newsdesk.settings import RerankSettings

log = logging.getLogger(__name__)


class RerankError(AssistantError):
    """The reranker could not score the documents; the message is one line for the log."""


class Reranker:
    """Scores documents against a query with a cross-encoder behind a `/rerank` endpoint."""

    def __init__(self, settings: RerankSettings) -> None:
        assert settings.url, "Reranker needs rerank.url"
        self.settings = settings
        self.endpoint = settings.url.rstrip("/") + "/rerank"
        self.where = display_url(self.endpoint)
        headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"} if settings.api_key else {}
        self._client = httpx.Client(headers=headers, timeout=settings.timeout)
        self._resting_until = 0.0  # time.monotonic() before which the reranker is left out after a failure
        self._lock = threading.Lock()

    def scores(self, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in the documents' order (higher is more relevant)."""
        if not documents:
            return []
        body = {"model": self.settings.model, "query": query, "documents": list(documents), "top_n": len(documents)}
        try:
            response = self._client.post(self.endpoint, json=body)
        except httpx.TimeoutException:
            raise RerankError(
                f"the reranker at {self.where} did not answer within {self.settings.timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise RerankError(f"cannot reach the reranker at {self.where} ({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise RerankError(f"the reranker at {self.where} rejected the API key (HTTP {response.status_code})")
        if response.status_code != 200:
            raise RerankError(f"the reranker at {self.where} answered HTTP {response.status_code}")
        return _parse(response, len(documents), self.where)

    def reorder(self, query: str, rankings: list[list[int]], text_of: Callable[[int], str]) -> list[list[int]]:
        """Each ranking (document positions, best first) with its first `rerank.candidates` re-ordered by the
        reranker, all scored in one request; `text_of(i)` is document i's text. On failure, and for
        `rerank.retry_after` seconds after one, the rankings are returned unchanged."""
        if time.monotonic() < self._resting_until:
            log.debug("reranker left out after a recent failure")
            return rankings
        heads = [r[: self.settings.candidates] for r in rankings]
        docs = list(dict.fromkeys(i for head in heads for i in head))
        try:
            scored = dict(zip(docs, self.scores(query, [text_of(i) for i in docs])))
        except RerankError as exc:
            with self._lock:
                if time.monotonic() >= self._resting_until:  # one warning per failure, even with threads
                    self._resting_until = time.monotonic() + self.settings.retry_after
                    log.warning("%s; ranking without it for %g s", exc, self.settings.retry_after)
            return rankings
        # sorted() is stable: ties keep the first-stage order
        return [sorted(head, key=lambda i: -scored[i]) + r[len(head) :] for head, r in zip(heads, rankings)]


def _parse(response: httpx.Response, count: int, where: str) -> list[float]:
    try:
        results = response.json()["results"]
        found = {int(r["index"]): float(r["relevance_score"]) for r in results}
    except (ValueError, KeyError, TypeError):
        raise RerankError(f"the reranker at {where} answered something that is not a /rerank response") from None
    if set(found) != set(range(count)):
        raise RerankError(f"the reranker at {where} scored {len(found)} of the {count} documents sent")
    return [found[i] for i in range(count)]
