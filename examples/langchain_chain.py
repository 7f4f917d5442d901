"""The assistant in your own LangChain (LCEL) chain: its retriever feeding a prompt, its answer chain as a Runnable,
and its search tool. Ingests the example corpus into a temporary store; runs offline, from any directory.
"""

import re
import tempfile
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant import Answer, Assistant

CORPUS = Path(__file__).resolve().parent / "corpus"
QUESTION = "Who leads the interim government?"


def format_passages(documents: list[Document]) -> str:
    """Numbered passages headed by their source, for the prompt."""
    return "\n\n".join(
        f"[{n}] {d.metadata['title']} ({d.metadata['source']}, {d.metadata['published_at']})\n{d.page_content}"
        for n, d in enumerate(documents, 1)
    )


def quote_best_sentence(prompt: PromptValue) -> str:
    """Stands in for a chat model offline: quotes the passage sentence sharing most words with the question, and
    cites its passage. Put a model here instead, e.g. `ChatOpenAI(model="gpt-4o-mini") | StrOutputParser()`."""
    system, human = prompt.to_messages()
    asked = set(re.findall(r"\w+", human.text.lower()))
    best, quote = -1, ""
    for block in system.text.split("\n\n[")[1:]:  # each "n] title (source, date)\npassage text"
        n, passage = block.split("]", 1)[0], block.split("\n", 1)[1]
        for sentence in re.split(r"(?<=\.)\s+", passage):
            shared = len(asked & set(re.findall(r"\w+", sentence.lower())))
            if shared > best:
                best, quote = shared, f"{sentence} [{n}]"
    return quote


def with_sources(answer: Answer) -> str:
    """The assistant's checked Answer as text with its numbered sources."""
    sources = [f"[{c.n}] {c.title} ({c.source}, {c.published_at}): {c.quote!r}" for c in answer.citations]
    return "\n".join([answer.answer, *sources])


prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer from these passages only and cite them as [n].\n\n{context}"),
        ("human", "{question}"),
    ]
)

with tempfile.TemporaryDirectory() as store:
    assistant = Assistant(store=store)
    print(assistant.ingest([CORPUS]).summary())

    # 1. The retriever in your own chain: retriever | format passages -> prompt -> model.
    retriever = assistant.as_retriever(k=3)
    for doc in retriever.invoke(QUESTION):
        print(f"{doc.metadata['source']} {doc.metadata['published_at']} {doc.metadata['chunk_id']}")
    rag = (
        {"context": retriever | format_passages, "question": RunnablePassthrough()}
        | prompt
        | RunnableLambda(quote_best_sentence)
    )
    print("own chain:", rag.invoke(QUESTION))

    # 2. The assistant's own answer chain (retrieval, refusal, checked citations) as one step of a chain.
    cited = assistant.as_runnable() | RunnableLambda(with_sources)
    print(cited.invoke({"question": QUESTION, "k": 3}))

    # 3. Streaming: text deltas (str) as they are written, then the final Answer.
    for chunk in assistant.as_runnable().stream(QUESTION):
        if isinstance(chunk, Answer):
            print(f"\n(cited: {len(chunk.citations)}, answerer: {chunk.answerer})")
        else:
            print(chunk, end="", flush=True)

    # 4. The search tool an agent would call.
    print(assistant.as_tool().invoke({"question": "Who commands the Barkhane force?", "k": 1}))
