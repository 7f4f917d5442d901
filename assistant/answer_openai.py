"""The `openai` answerer: the OpenAI API or any OpenAI-compatible server (vLLM, Ollama, llama.cpp's server).

`llm.api = chat` (default) sends the chat prompt to /v1/chat/completions through langchain-openai's `ChatOpenAI`;
`completions` sends the completion prompt to /v1/completions through its `OpenAI` class, for base models. Against a
server other than api.openai.com each request also carries `max_tokens` (langchain-openai's chat model sends only
`max_completion_tokens`, which llama.cpp ignores) and a neutral `repeat_penalty` (servers that do not know it
ignore it). The OpenAI client retries connection errors, 408, 429 and 5xx with exponential backoff
(`llm.max_retries`); every failure, a connection broken mid-answer included, becomes a one-line AnswererError that
never holds the key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
from langchain_core.embeddings import Embeddings
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.cite import check_citations
from assistant.prompts import COMPLETION_STOP, chat_prompt, completion_prompt, fit_passages
from newsdesk.errors import AnswererError
from newsdesk.openai_errors import OPENAI_HOST, failure_message, server_name
from newsdesk.settings import LLMSettings
from newsdesk.types import Answer, Passage

log = logging.getLogger(__name__)

PLACEHOLDER_KEY = "not-needed"  # the client insists on a key; local servers ignore it
NEUTRAL_REPEAT_PENALTY = 1.0  # llama.cpp's server defaults to 1.1, which pushes a model off the passages' words


class OpenAIAnswerer:
    """Writes the answer with a model behind an OpenAI-compatible API, then checks its citations."""

    def __init__(self, settings: LLMSettings, embeddings: Embeddings, name: str = "openai") -> None:
        """`name` is what answers report as their answerer (the local answerer writes through this one)."""
        if settings.api_key is None and not settings.base_url:
            raise AnswererError(
                "the openai answerer needs an API key (OPENAI_API_KEY) or a server URL (OPENAI_BASE_URL)"
            )
        self.name = name
        self.settings = settings
        self.embeddings = embeddings
        self.where = server_name(settings.base_url)
        self.llm = self._model()

    def _model(self) -> Any:
        s = self.settings
        key = s.api_key.get_secret_value() if s.api_key else PLACEHOLDER_KEY
        common: dict[str, Any] = {
            "model": s.model,
            "api_key": key,
            "base_url": s.base_url,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
            "timeout": s.timeout,
            "max_retries": s.max_retries,
        }
        if s.base_url and urlsplit(s.base_url).hostname != OPENAI_HOST:
            common["extra_body"] = {"max_tokens": s.max_tokens, "repeat_penalty": NEUTRAL_REPEAT_PENALTY}
        if s.api == "completions":
            from langchain_openai import OpenAI

            return OpenAI(**common)
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(**common)

    def stream(
        self, question: str, passages: Sequence[Passage], question_vector: Sequence[float]
    ) -> Iterator[str | Answer]:
        """Yield the model's text as it arrives, then the Answer with checked citations."""
        shown = fit_passages(passages, self.settings.context_tokens)
        parts: list[str] = []
        try:
            for delta in self._deltas(question, shown):
                parts.append(delta)
                yield delta
        except openai.OpenAIError as exc:
            raise self._error(exc) from None
        except httpx.TransportError as exc:  # the connection broke mid-stream (the client wraps only the request)
            log.debug("model stream broke: %s", type(exc).__name__)
            raise AnswererError(f"the model server at {self.where} broke off the answer") from None
        yield check_citations(question, "".join(parts), shown, self.embeddings, self.name, self.settings.min_support)

    def _deltas(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        if self.settings.api == "completions":
            prompt = completion_prompt(question, passages)
            if prompt.answer_start:
                yield prompt.answer_start
            for text in self.llm.stream(prompt.text, stop=COMPLETION_STOP):
                if text:
                    yield text
            return
        chat = chat_prompt(question, passages)
        for chunk in self.llm.stream([SystemMessage(chat.system), HumanMessage(chat.user)]):
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content

    def _error(self, exc: openai.OpenAIError) -> AnswererError:
        """One line for the user; the key never appears."""
        s = self.settings
        message = failure_message(
            exc,
            what="model",
            where=self.where,
            model=s.model,
            timeout=s.timeout,
            api_key=s.api_key.get_secret_value() if s.api_key else None,
        )
        log.debug("model request failed: %s", type(exc).__name__)
        return AnswererError(message)
