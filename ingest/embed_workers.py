"""Embedding on several cores (`ingest.workers`): batches are embedded ahead of the writer and handed back in order.

`embedded_batches(embeddings, batches, workers)` yields each `(item, texts)` of `batches` with the vectors of its
texts, in the order given. With one worker it is the plain loop (`embed_documents` per batch, in this process).
With more, the local MiniLM embedder runs in `workers` processes started with the "spawn" method (the caller may
hold threads and Chroma clients, which a forked child would inherit half-copied), each loading the model once with
`cores // workers` onnxruntime threads; any other embedder (an OpenAI-compatible server) gets up to `workers`
requests at once from threads. At most `2 * workers` batches are in flight, so memory stays bounded while the
caller writes one batch to the store and the workers embed the next ones.

A `CachedEmbeddings` is looked up here, in the calling process: only the texts it does not hold go to the workers,
and their vectors are stored in it as each batch is handed back.

A failure in a worker is an EmbeddingError with a one-line message (the worker process and the error named); the
pool is stopped on any error or interrupt and leaves no process behind; a worker whose parent is killed outright
(kill -9) ends by itself.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.embed import CachedEmbeddings, CacheLookup, MiniLMEmbedder
from newsdesk.errors import EmbeddingError

T = TypeVar("T")

START_METHOD = "spawn"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and `taskset` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_count(setting: int | None) -> int:
    """`ingest.workers` as a number: unset or 0 means every usable core."""
    return setting if setting else usable_cores()


def embedded_batches(
    embeddings: Embeddings, batches: Iterable[tuple[T, list[str]]], workers: int
) -> Generator[tuple[T, list[str], list[list[float]]], None, None]:
    """Each `(item, texts)` of `batches` with `texts`' vectors, in order; see the module docstring."""
    if workers <= 1:
        for item, texts in batches:
            yield item, texts, embeddings.embed_documents(texts)
        return
    cache = embeddings if isinstance(embeddings, CachedEmbeddings) else None
    pool = _Pool(cache.inner if cache is not None else embeddings, workers)
    window: deque[tuple[T, list[str], CacheLookup | None, Future[Any] | None]] = deque()
    todo = iter(batches)

    def submit() -> bool:
        step = next(todo, None)
        if step is None:
            return False
        item, texts = step
        lookup = cache.lookup(texts) if cache is not None and texts else None
        missing = lookup.missing_texts if lookup is not None else texts
        window.append((item, texts, lookup, pool.submit(missing) if missing else None))
        return True

    try:
        while len(window) < 2 * workers and submit():
            pass
        while window:
            item, texts, lookup, future = window.popleft()
            computed = _result(future) if future is not None else None
            submit()  # keep the window full while this batch is written
            if cache is not None and lookup is not None:
                vectors = cache.complete(lookup, computed).tolist()
            elif computed is not None:  # as `embed_documents` gives them
                vectors = computed.tolist() if isinstance(computed, np.ndarray) else list(computed)
            else:
                vectors = []
            yield item, texts, vectors
    except BaseException:  # an error, Ctrl-C, or the caller closing this generator early
        pool.stop()
        raise
    pool.close()


# ---- the pools ---------------------------------------------------------------------------------------------------


class _Pool:
    """Worker processes for the MiniLM embedder, threads for any other; started with the first batch to compute (a
    run served wholly from the cache starts none)."""

    def __init__(self, inner: Embeddings, workers: int) -> None:
        self.inner, self.workers = inner, workers
        self.executor: Executor | None = None

    def submit(self, texts: list[str]) -> Future[Any]:
        if self.executor is None:
            self.executor = self._start()
        if isinstance(self.executor, ProcessPoolExecutor):
            return self.executor.submit(_embed_in_worker, texts)
        return self.executor.submit(self.inner.embed_documents, texts)

    def _start(self) -> Executor:
        if isinstance(self.inner, MiniLMEmbedder):
            return ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context(START_METHOD),
                initializer=_start_worker,
                initargs=(self.inner, max(1, usable_cores() // self.workers)),
            )
        return ThreadPoolExecutor(self.workers, thread_name_prefix="embed")

    def close(self) -> None:
        """Every batch is done: let the workers exit."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)

    def stop(self) -> None:
        """Stop at once: pending batches cancelled, worker processes terminated (a running batch is not waited
        for; a request in flight to a server ends by itself, within `llm.timeout`)."""
        executor = self.executor
        if executor is None:
            return
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)  # the pool's own thread sees them gone, reaps them, ends
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():  # pragma: no cover - SIGTERM not obeyed
                process.kill()
                process.join()


def _result(future: Future[Any]) -> Any:
    """A batch's vectors; a worker's failure as a one-line EmbeddingError without a remote traceback attached."""
    try:
        return future.result()
    except EmbeddingError as exc:
        raise EmbeddingError(str(exc)) from None
    except BrokenProcessPool:
        raise EmbeddingError(
            "an embedding worker process ended abruptly (killed, out of memory, or a script that ingests outside "
            '`if __name__ == "__main__":`, which each worker process imports); set ingest.workers = 1 to embed '
            "in this process"
        ) from None


# ---- inside a worker process -------------------------------------------------------------------------------------

_WORKER: MiniLMEmbedder | None = None
_LOAD_ERROR = ""


def _start_worker(embedder: MiniLMEmbedder, threads: int) -> None:
    """Load the model once per worker; a failure is reported with the first batch (EmbeddingError)."""
    global _WORKER, _LOAD_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    parent = multiprocessing.parent_process()
    if parent is not None:  # a parent killed outright (kill -9) cannot stop its pool: the workers end themselves
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True, name="parent-watch").start()
    embedder.threads = threads
    try:
        _WORKER = embedder.load()
    except Exception as exc:  # any failure: reported as an EmbeddingError with the first batch
        _LOAD_ERROR = _describe(exc)


def _exit_with(parent_sentinel: int) -> None:
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


def _embed_in_worker(texts: Sequence[str]) -> np.ndarray:
    if _WORKER is None:
        raise EmbeddingError(f"embedding worker process {os.getpid()} could not load the model: {_LOAD_ERROR}")
    try:
        return _WORKER.embed_array(texts)
    except EmbeddingError:
        raise
    except Exception as exc:  # any failure: one line for the user, in the parent
        raise EmbeddingError(f"embedding failed in worker process {os.getpid()}: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
