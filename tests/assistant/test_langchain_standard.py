"""LangChain's standard suites (langchain-tests) for the MiniLM embedder (bare and behind the vector cache), the
retriever and the search tool.

They share the session's example-store Assistant and vector cache; their async tests run under anyio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import (
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
    ToolsIntegrationTests,
)
from langchain_tests.unit_tests import EmbeddingsUnitTests, ToolsUnitTests

from assistant import Assistant
from assistant.lc import NewsRetriever
from ingest.embed import CachedEmbeddings, MiniLMEmbedder
from tests.fixtures.core import SEED_QUESTION

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Shared:
    """The session's Assistant and vector cache, set before the suites build their subject."""

    assistant: Assistant
    cache_dir: Path

    @pytest.fixture(autouse=True)
    def _shared(self, assistant: Assistant, cache_dir: Path) -> None:
        self.assistant, self.cache_dir = assistant, cache_dir


class _MiniLM(_Shared):
    @property
    def embeddings_class(self) -> type[MiniLMEmbedder]:
        return MiniLMEmbedder

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"cache_dir": self.cache_dir}  # the session's fused model, built once


class TestMiniLMEmbedderUnit(_MiniLM, EmbeddingsUnitTests):
    pass


class TestMiniLMEmbedderIntegration(_MiniLM, EmbeddingsIntegrationTests):
    pass


class _Cached(_Shared):
    """The vector cache the Assistant embeds through, around the MiniLM embedder (a file of its own)."""

    @property
    def embeddings_class(self) -> type[CachedEmbeddings]:
        return CachedEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        inner = MiniLMEmbedder(cache_dir=self.cache_dir)
        return {"inner": inner, "model_id": inner.model_id, "path": self.cache_dir / "standard-suite.sqlite"}


class TestCachedEmbeddingsUnit(_Cached, EmbeddingsUnitTests):
    pass


class TestCachedEmbeddingsIntegration(_Cached, EmbeddingsIntegrationTests):
    pass


class TestNewsRetriever(_Shared, RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[NewsRetriever]:
        return NewsRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"assistant": self.assistant}

    @property
    def retriever_query_example(self) -> str:
        return SEED_QUESTION


class _SearchTool(_Shared):
    @property
    def tool_constructor(self) -> BaseTool:
        return self.assistant.as_tool()

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"question": SEED_QUESTION, "k": 2}


class TestSearchToolUnit(_SearchTool, ToolsUnitTests):
    pass


class TestSearchToolIntegration(_SearchTool, ToolsIntegrationTests):
    pass
