"""LangChain adapters: the assistant's search as a retriever and an agent tool, its answer chain as a Runnable.

`Assistant.as_retriever()`, `as_tool()` and `as_runnable()` (assistant/core.py) return these; docs/langchain.md
shows them in use. Every blocking call (embedding, search, the answerer) runs in a worker thread on the async
paths, so an event loop is never held up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Protocol, cast, runtime_checkable

from langchain_chroma import Chroma
from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import run_in_executor
from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field
from typing_extensions import Required, TypedDict  # pydantic needs this TypedDict before Python 3.12

from assistant.stream import AnswerStream
from ingest.store import Store
from newsdesk.types import Answer, Passage

METADATA = ("title", "source", "published_at", "url", "article_id", "chunk_id", "start", "end", "score")
_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


@runtime_checkable
class Answers(Protocol):
    """What these adapters use of an `Assistant`."""

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]: ...

    def stream(
        self, question: str, history: Any = None, k: int | None = None, llm: str | None = None
    ) -> AnswerStream: ...


def passage_document(passage: Passage) -> Document:
    """A passage as a Document: its text, `id` the chunk id, and the citation fields (`METADATA`) as metadata."""
    return Document(page_content=passage.text, id=passage.chunk_id, metadata=passage.model_dump(include=set(METADATA)))


def format_documents(documents: Sequence[Document]) -> str:
    """Numbered passages, each headed by its title, publisher, date and URL, for a model to read and cite by [n]."""
    blocks = []
    for n, doc in enumerate(documents, 1):
        meta = doc.metadata
        where = ", ".join(str(meta[key]) for key in ("source", "published_at", "url") if meta.get(key))
        blocks.append(f"[{n}] {meta.get('title', '')}" + (f" ({where})" if where else "") + f"\n{doc.page_content}")
    return "\n\n".join(blocks) or "No passage in the corpus matches."


def _k(k: int | None) -> int | None:
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return k


class NewsRetriever(BaseRetriever):
    """The assistant's hybrid, publisher- and date-aware search as a LangChain retriever.

    `k` passages per query (default: the `retrieval.k` setting); `invoke(query, k=3)` overrides it for one call.
    """

    assistant: Answers
    k: int | None = Field(default=None, ge=1)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        passages = self.assistant.retrieve(query, _k(k) or self.k)
        return [passage_document(p) for p in passages]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        passages = await run_in_executor(None, self.assistant.retrieve, query, _k(k) or self.k)
        return [passage_document(p) for p in passages]


class SearchNewsInput(BaseModel):
    """The `search_news` tool's arguments."""

    question: str = Field(description="What to look for in the news articles: a question or key words.")
    k: int | None = Field(default=None, ge=1, le=100, description="How many passages to return.")


def search_tool(retriever: NewsRetriever) -> StructuredTool:
    """`search_news(question, k)` for LangChain agents: numbered passages with their title, publisher, date and URL
    as the content, the Documents (`passage_document`) as the artifact."""

    def search(question: str, k: int | None = None) -> tuple[str, list[Document]]:
        documents = retriever.invoke(question, k=k)
        return format_documents(documents), documents

    async def asearch(question: str, k: int | None = None) -> tuple[str, list[Document]]:
        documents = await retriever.ainvoke(question, k=k)
        return format_documents(documents), documents

    return StructuredTool.from_function(
        func=search,
        coroutine=asearch,
        name="search_news",
        description=(
            "Search the news articles for passages relevant to a question. Returns numbered passages, each with "
            "its article's title, publisher, date and URL; cite them by number."
        ),
        args_schema=SearchNewsInput,
        response_format="content_and_artifact",
    )


class Question(TypedDict, total=False):
    """A question with its options, as `Assistant.stream` takes them. `history` holds (question, answer) pairs,
    {"role", "content"} messages or LangChain messages."""

    question: Required[str]
    history: Sequence[Any] | None
    k: int | None
    llm: str | None


ChainInput = str | Question


def _request(value: ChainInput) -> dict[str, Any]:
    """The keyword arguments of `Assistant.stream` for one input."""
    if isinstance(value, str):
        return {"question": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("question"), str):
        raise TypeError('the input must be a question string or a {"question": ...} dict')
    if unknown := sorted(set(value) - set(Question.__annotations__)):
        raise ValueError(f"unknown input keys {unknown} (expected question, history, k, llm)")
    request = dict(value)
    request["k"] = _k(value.get("k"))
    request["history"] = [_turn(item) for item in value.get("history") or ()]
    return request


def _turn(item: Any) -> Any:
    """A LangChain message as a {"role", "content"} message; anything else as given."""
    if isinstance(item, BaseMessage):
        return {"role": _ROLES.get(item.type, item.type), "content": item.text}
    return item


def _each(stream: AnswerStream) -> Iterator[str | Answer]:
    yield from stream
    yield stream.answer()


class AnswerChain(Runnable[ChainInput, str | Answer]):
    """The whole answer chain (condense, retrieve, refuse or answer, check citations) as a LangChain Runnable.

    Input: a question string, or `{"question": ..., "history": [...], "k": ..., "llm": ...}` (see `Question`).
    `invoke`, `batch` and their async forms return `Answer`s. `stream` and `astream` yield the text as it is
    written, `str` deltas, then the checked `Answer` as the last chunk (its text can differ from the deltas when
    the citation check drops or renumbers a marker).
    """

    def __init__(self, assistant: Answers) -> None:
        self.assistant = assistant

    @property
    def OutputType(self) -> type[Answer]:  # noqa: N802 - LangChain's name
        """What `invoke` returns (the stream's last chunk)."""
        return Answer

    def invoke(self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        last: str | Answer | None = None
        for last in self.stream(input, config):
            pass
        return cast(Answer, last)

    async def ainvoke(self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        return await run_in_executor(config, self.invoke, input, config)

    def stream(
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any | None
    ) -> Iterator[str | Answer]:
        yield from self._transform_stream_with_config(iter([input]), self._items, config)

    async def astream(
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any | None
    ) -> AsyncIterator[str | Answer]:
        async def one() -> AsyncIterator[ChainInput]:
            yield input

        async for item in self._atransform_stream_with_config(one(), self._aitems, config):
            yield item

    def _open(self, value: ChainInput) -> AnswerStream:
        return self.assistant.stream(**_request(value))

    def _items(self, inputs: Iterator[ChainInput]) -> Iterator[str | Answer]:
        for value in inputs:
            yield from _each(self._open(value))

    async def _aitems(self, inputs: AsyncIterator[ChainInput]) -> AsyncIterator[str | Answer]:
        async for value in inputs:
            items = _each(await run_in_executor(None, self._open, value))
            while (item := await run_in_executor(None, next, items, None)) is not None:
                yield item


class NewsVectorStore(Chroma):
    """The store's chunk collection as a langchain-chroma `Chroma` vector store that embeds queries with the
    assistant's embedder, for LangChain code that wants a VectorStore (similarity search with scores, MMR, metadata
    filters). Read only: articles are added with `assistant ingest`, which keeps the manifest and the keyword index
    in step. It holds the `Store`, so the Chroma client stays open while it is in use."""

    def __init__(self, store: Store, embeddings: Embeddings) -> None:
        super().__init__(
            client=store.client,
            collection_name=store.settings.collection,
            embedding_function=embeddings,
            create_collection_if_not_exists=False,
        )
        self.store = store
