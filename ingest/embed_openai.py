"""OpenAI embeddings (`embedding.kind = openai`): langchain-openai's `OpenAIEmbeddings` against the OpenAI API or
any OpenAI-compatible server, with every failed request turned into a one-line EmbeddingError that names the server
and never holds the API key. A server other than api.openai.com needs no key.

Every server is sent the texts themselves (`check_embedding_ctx_length=False`): langchain-openai would otherwise
count and split them with `tiktoken.encoding_for_model`, which downloads its files, and send OpenAI's token ids,
which other servers do not read. Chunks are already bounded in cl100k tokens at ingest (ingest/chunk.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import openai
from langchain_core.embeddings import Embeddings
from langchain_openai import OpenAIEmbeddings

from newsdesk.errors import EmbeddingError
from newsdesk.openai_errors import OPENAI_HOST, failure_message, server_name

PLACEHOLDER_KEY = "not-needed"  # the client insists on a key; keyless servers ignore it


class OpenAIEmbedder(Embeddings):
    """An embedding model behind an OpenAI-compatible API; `model_id` ("openai:<model>") is what a store records."""

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        kwargs: dict[str, Any] = {
            "model": model,
            "timeout": timeout,
            "max_retries": max_retries,
            "check_embedding_ctx_length": False,  # send text: no tiktoken files, no token ids
        }
        if api_key:
            kwargs["api_key"] = api_key
        if base_url:
            kwargs["base_url"] = base_url
            if urlsplit(base_url).hostname != OPENAI_HOST:
                kwargs.setdefault("api_key", PLACEHOLDER_KEY)
        self.inner = OpenAIEmbeddings(**kwargs)
        self.model = model
        self.model_id = f"openai:{model}"
        self.timeout = timeout
        self.api_key = api_key

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._one_line_errors():
            return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._one_line_errors():
            return self.inner.embed_query(text)

    @contextmanager
    def _one_line_errors(self) -> Iterator[None]:
        try:
            yield
        except openai.OpenAIError as exc:
            message = failure_message(
                exc,
                what="embedding",
                where=server_name(self.inner.openai_api_base),
                model=self.model,
                timeout=self.timeout,
                api_key=self.api_key,
            )
            raise EmbeddingError(message) from None
