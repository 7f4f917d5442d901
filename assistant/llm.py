"""Which answerer writes the answer: `openai` (any OpenAI-compatible server), `local` (a GGUF model in a llama.cpp
server child) or `extractive` (quotes, no model), chosen by `llm.mode`.

`auto` picks openai when an API key or base URL is configured, else extractive. `local` is never picked by `auto`:
on the project's question sets the packaged Gemma 3 270M answers fewer questions right than the extractive answerer
and takes far longer (docs/answering.md), so it runs only when named (`llm.mode = "local"`, `--llm local`, the
page's Answerer menu). Backends are imported only when chosen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from langchain_core.embeddings import Embeddings

from assistant.local_server import local_available
from newsdesk.errors import AnswererError
from newsdesk.settings import Settings
from newsdesk.types import Answer, Passage

MODES = ("openai", "local", "extractive")


class Answerer(Protocol):
    """Writes an answer from ranked passages: yields text deltas, then the checked Answer."""

    name: str

    def stream(
        self, question: str, passages: Sequence[Passage], question_vector: Sequence[float]
    ) -> Iterator[str | Answer]: ...


def choose_mode(settings: Settings) -> str:
    """The answerer `llm.mode` names, with `auto` resolved: openai when an API key or base URL is set, else
    extractive (never local, whether or not it is installed)."""
    mode = settings.llm.mode
    if mode != "auto":
        return mode
    if settings.llm.api_key is not None or settings.llm.base_url:
        return "openai"
    return "extractive"


def offered_modes(settings: Settings) -> list[str]:
    """The answerers that can run with these settings, the default (`choose_mode`) first: extractive always; openai
    when an API key or base URL is set; local when llama-cpp-python and a model are installed (offered, but the
    default only when `llm.mode = "local"`)."""
    modes = ["extractive"]
    if settings.llm.api_key or settings.llm.base_url:
        modes.append("openai")
    if local_available(settings):
        modes.append("local")
    default = choose_mode(settings)
    default = default if default in modes else "extractive"
    return [default] + [m for m in modes if m != default]


def describe_answerer(mode: str, settings: Settings) -> str:
    """How a reader is told which answerer wrote an answer: "Quotes from the articles (offline)", "Written by
    gpt-4o-mini", "Written by gemma3-270m on this machine (offline)"."""
    if mode == "extractive":
        return "Quotes from the articles (offline)"
    if mode == "local":
        model = settings.llm.local_model.stem if settings.llm.local_model else "gemma3-270m"
        return f"Written by {model} on this machine (offline)"
    return f"Written by {settings.llm.model}"


def make_answerer(settings: Settings, embeddings: Embeddings, mode: str | None = None) -> Answerer:
    """The answerer for `mode` (default: `choose_mode(settings)`)."""
    mode = mode or choose_mode(settings)
    if mode == "openai":
        from assistant.answer_openai import OpenAIAnswerer

        return OpenAIAnswerer(settings.llm, embeddings)
    if mode == "local":
        if not local_available(settings):
            raise AnswererError(
                "the local answerer needs llama-cpp-python[server] and a model: make install-local "
                "(or set llm.local_model to a GGUF file)"
            )
        from assistant.answer_local import LocalAnswerer

        return LocalAnswerer(settings.llm, embeddings, settings.embedding.cache_dir)
    if mode == "extractive":
        from assistant.extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(embeddings)
    raise AnswererError(f"unknown answerer {mode!r} (expected one of {', '.join(MODES)})")
