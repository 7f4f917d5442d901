"""assistant/lc.py: the retriever, the answer chain as a Runnable, the search tool; async paths stay off the loop."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda

from assistant import Answer, Assistant, Passage
from assistant.lc import METADATA, AnswerChain, NewsRetriever, search_tool
from assistant.stream import AnswerStream
from tests.fixtures.core import SEED_QUESTION

FOLLOW_UP = "Who did he appoint as prime minister?"


def test_the_retriever_returns_documents_naming_their_source(example_store: Path) -> None:
    documents = Assistant(store=example_store).as_retriever().invoke(SEED_QUESTION)
    assert documents and all(isinstance(d, Document) for d in documents)
    top = documents[0]
    assert top.metadata["source"] == "Reuters"
    assert set(top.metadata) == set(METADATA)
    assert "Ba N’Daou" in top.page_content
    assert top.id == top.metadata["chunk_id"]


def test_the_retriever_matches_retrieve_and_takes_k(assistant: Assistant) -> None:
    passages = assistant.retrieve(SEED_QUESTION, k=3)
    documents = assistant.as_retriever(k=3).invoke(SEED_QUESTION)
    assert [d.page_content for d in documents] == [p.text for p in passages]
    assert [d.metadata["score"] for d in documents] == [p.score for p in passages]
    assert len(assistant.as_retriever(k=3).invoke(SEED_QUESTION, k=1)) == 1
    with pytest.raises(ValueError, match="k must be at least 1"):
        assistant.as_retriever().invoke(SEED_QUESTION, k=0)


def test_the_runnable_invokes_to_the_answer(assistant: Assistant) -> None:
    answer = assistant.as_runnable().invoke(SEED_QUESTION)
    assert isinstance(answer, Answer)
    assert "Ba N’Daou" in answer.answer
    assert answer.citations[0].source == "Reuters"


@pytest.mark.parametrize(
    "history",
    [
        [(SEED_QUESTION, "Colonel Major Ba N’Daou is Mali’s interim president.")],
        [HumanMessage(SEED_QUESTION), AIMessage("Colonel Major Ba N’Daou is Mali’s interim president.")],
    ],
    ids=["pairs", "messages"],
)
def test_the_runnable_takes_history_k_and_llm(assistant: Assistant, history: list[Any]) -> None:
    answer = assistant.as_runnable().invoke({"question": FOLLOW_UP, "history": history, "k": 3, "llm": "extractive"})
    assert answer.search_query == "Who did Colonel Major Ba N’Daou appoint as prime minister?"
    assert "Moctar Ouane" in answer.answer
    assert len(answer.passages) == 3


def test_the_runnable_streams_text_then_the_answer(assistant: Assistant) -> None:
    chunks = list(assistant.as_runnable().stream(SEED_QUESTION))
    *texts, answer = chunks
    assert texts and all(isinstance(t, str) for t in texts)
    assert isinstance(answer, Answer) and "".join(texts) == answer.answer


def test_the_runnable_batches_and_composes(assistant: Assistant) -> None:
    chain = assistant.as_runnable()
    answers = chain.batch([SEED_QUESTION, "Who commands the Barkhane force?"])
    assert [type(a) for a in answers] == [Answer, Answer]
    assert "Marc Conruyt" in answers[1].answer
    sources = chain | RunnableLambda(lambda a: a.citations[0].source)  # a later step receives the Answer
    assert sources.invoke(SEED_QUESTION) == "Reuters"
    assert list(sources.stream(SEED_QUESTION)) == ["Reuters"]
    assert chain.get_output_schema().model_json_schema()["title"] == "Answer"


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ({"question": SEED_QUESTION, "chat_history": []}, ValueError, "unknown input keys"),
        ({"query": SEED_QUESTION}, TypeError, "question string"),
        ({"question": SEED_QUESTION, "k": 0}, ValueError, "k must be at least 1"),
        ("   ", ValueError, "the question is empty"),
    ],
)
def test_bad_input_is_refused(assistant: Assistant, value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        assistant.as_runnable().invoke(value)


def test_the_tool_gives_numbered_cited_passages_and_the_documents(assistant: Assistant) -> None:
    tool = assistant.as_tool()
    message = tool.invoke({"type": "tool_call", "id": "1", "name": "search_news", "args": {"question": SEED_QUESTION, "k": 2}})
    assert message.content.startswith("[1] France Conducts Counter-Terrorism Operation in Mali, Kills 50 (Reuters, 2020-11-04)\n")
    assert "\n\n[2] " in message.content
    assert [d.metadata["source"] for d in message.artifact][0] == "Reuters"
    assert tool.invoke({"question": SEED_QUESTION, "k": 1}).count("[1]") == 1


class _ThreadRecorder:
    """A stand-in Assistant recording the thread of every blocking call."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        self.threads.append(threading.get_ident())
        passage = Passage(chunk_id="a:0-5", article_id="a", title="T", source="Reuters", text="Hello", start=0, end=5)
        return [passage] * (k or 2)

    def stream(self, question: str, history: Any = None, k: int | None = None, llm: str | None = None) -> AnswerStream:
        self.threads.append(threading.get_ident())

        def items() -> Iterator[str | Answer]:
            for text in ("Hel", "lo"):
                self.threads.append(threading.get_ident())
                yield text
            self.threads.append(threading.get_ident())
            yield Answer(question=question, answer="Hello")

        return AnswerStream(items())


async def _astream(chain: AnswerChain) -> list[Any]:
    return [chunk async for chunk in chain.astream(SEED_QUESTION)]


ASYNC_PATHS: dict[str, Callable[[_ThreadRecorder], Awaitable[Any]]] = {
    "retriever.ainvoke": lambda a: NewsRetriever(assistant=a).ainvoke(SEED_QUESTION, k=1),
    "tool.ainvoke": lambda a: search_tool(NewsRetriever(assistant=a)).ainvoke({"question": SEED_QUESTION}),
    "chain.ainvoke": lambda a: AnswerChain(a).ainvoke(SEED_QUESTION),
    "chain.abatch": lambda a: AnswerChain(a).abatch([SEED_QUESTION, SEED_QUESTION]),
    "chain.astream": lambda a: _astream(AnswerChain(a)),
}


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("path", ASYNC_PATHS)
async def test_async_paths_run_the_blocking_calls_off_the_event_loop(path: str) -> None:
    recorder = _ThreadRecorder()
    result = await ASYNC_PATHS[path](recorder)
    assert result
    assert recorder.threads and threading.get_ident() not in recorder.threads


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_astream_yields_the_deltas_then_the_answer() -> None:
    chunks = await _astream(AnswerChain(_ThreadRecorder()))
    assert chunks[:2] == ["Hel", "lo"] and isinstance(chunks[2], Answer) and len(chunks) == 3


def test_the_vector_store_is_langchain_chroma_over_the_same_chunks(example_store: Path) -> None:
    store = Assistant(store=example_store).as_vectorstore()  # it keeps the store's client open by itself
    (document, score), *_ = store.similarity_search_with_relevance_scores(SEED_QUESTION, k=3)
    assert document.metadata["source"] == "Reuters" and 0.2 < score <= 1.0
    assert document.id in {p.chunk_id for p in Assistant(store=example_store).retrieve(SEED_QUESTION)}
