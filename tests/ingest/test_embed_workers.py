"""Embedding on several cores (ingest/embed_workers.py): the real MiniLM model in worker processes, an
OpenAI-compatible server sent requests at once; vectors, order, the cache, failures and leftover processes."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from ingest.embed import CachedEmbeddings, MiniLMEmbedder, make_embeddings
from ingest.embed_workers import embedded_batches, worker_count
from newsdesk.errors import EmbeddingError
from newsdesk.settings import IngestSettings
from tests.fixtures.core import EXAMPLES, ROOT, make_settings
from tests.fixtures.openai_api import RefusingOpenAI

SENTENCES = [
    "Who leads the interim government?",
    "Apple shares fell after the earnings report.",
    "",
    "The home side won the cup final after a dramatic penalty shoot-out. " * 6,
    "The central bank raised interest rates by half a point, warning that inflation would stay high. " * 12,
    "Ukraine grain exports resumed through the Black Sea corridor on Tuesday.",
    "Officials said the harbour project reached its second stage after 40 days.",
]
# Eight batches of different sizes and texts, so results handed back out of order would show.
BATCHES = [(i, [f"{i}: {s}" for s in SENTENCES[: 2 + i % 6]]) for i in range(8)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the built fused model (each worker loads it instead of building it)."""
    folder = tmp_path_factory.mktemp("workers-model")
    MiniLMEmbedder(cache_dir=folder).load()
    return folder


def fresh_cache(model_dir: Path, folder: Path) -> Path:
    """An empty vector cache beside a copy of the built model."""
    folder.mkdir(parents=True)
    for model in model_dir.glob("*.onnx"):
        shutil.copy(model, folder / model.name)
    return folder


class FailingEmbedder(MiniLMEmbedder):
    """Loads nothing; every batch fails as a broken model would."""

    def load(self) -> FailingEmbedder:
        return self

    def embed_array(self, texts: object) -> np.ndarray:
        raise RuntimeError("the model failed on purpose\nsecond line")


class UnloadableEmbedder(MiniLMEmbedder):
    def load(self) -> UnloadableEmbedder:
        raise OSError("no such model file")


class DyingEmbedder(FailingEmbedder):
    """The worker process ends without a word (as when the kernel kills it)."""

    def embed_array(self, texts: object) -> np.ndarray:
        os._exit(3)


class HangingEmbedder(FailingEmbedder):
    """Creates `self.started` (a file) and then never finishes its batch."""

    started = ""

    def embed_array(self, texts: object) -> np.ndarray:
        Path(self.started).touch()
        threading.Event().wait()
        raise AssertionError("unreachable")


def test_one_worker_by_default_and_0_or_unset_means_every_usable_core() -> None:
    assert IngestSettings().workers == 1  # measured: no faster with two processes on two cores (docs/ingest.md)
    assert IngestSettings(workers=None).workers is None
    assert worker_count(None) == worker_count(0) == len(os.sched_getaffinity(0))
    assert worker_count(3) == 3


def test_worker_processes_give_the_same_vectors_in_order(model_dir: Path) -> None:
    embedder = MiniLMEmbedder(cache_dir=model_dir)
    alone = list(embedded_batches(embedder, BATCHES, 1))
    pooled = list(embedded_batches(embedder, BATCHES, 2))
    assert [(item, texts) for item, texts, _ in pooled] == BATCHES
    for (_, _, expected), (_, _, got) in zip(alone, pooled, strict=True):
        assert np.allclose(np.asarray(got), np.asarray(expected), atol=1e-6, rtol=0)
    assert multiprocessing.active_children() == []


def test_the_cache_is_read_here_and_only_misses_are_embedded(model_dir: Path, tmp_path: Path) -> None:
    cache = CachedEmbeddings(MiniLMEmbedder(cache_dir=model_dir), "m", tmp_path / "vectors.sqlite")
    half = BATCHES[:4]
    first = list(embedded_batches(cache, half, 2))
    distinct = {t for _, texts in half for t in texts}
    assert (cache.misses, cache.hits) == (len(distinct), sum(len(t) for _, t in half) - len(distinct))
    again = list(embedded_batches(cache, BATCHES, 2))  # the first half cached, the second half new
    new = {t for _, texts in BATCHES[4:] for t in texts} - distinct
    assert cache.misses == len(distinct) + len(new)
    for (_, _, cached), (_, _, computed) in zip(again, first):
        assert cached == computed  # served from the cache: the very same vectors
    alone = list(embedded_batches(MiniLMEmbedder(cache_dir=model_dir), BATCHES, 1))
    for (_, _, expected), (_, _, got) in zip(alone, again, strict=True):
        assert np.allclose(np.asarray(got), np.asarray(expected), atol=1e-6, rtol=0)
    misses = cache.misses
    list(embedded_batches(cache, BATCHES, 2))  # all cached: nothing embedded, no worker started
    assert cache.misses == misses
    assert multiprocessing.active_children() == []
    cache.close()


def test_ingest_with_two_workers_stores_what_one_worker_stores(model_dir: Path, tmp_path: Path) -> None:
    stores = {}
    for workers in (1, 2):
        settings = make_settings(tmp_path / f"store-{workers}", fresh_cache(model_dir, tmp_path / f"cache-{workers}"))
        settings.ingest.workers = workers
        settings.ingest.batch_size = 1  # batches of a few chunks: several of them for the workers
        assistant = Assistant(settings)
        report = assistant.ingest([EXAMPLES])
        assert report.failed == 0 and report.embedded == report.chunks >= 8  # batches of >= 4 chunks: several
        store = assistant.store()
        passages = sorted(store.iter_passages(), key=lambda p: p.chunk_id)
        vectors = store.vectors([p.chunk_id for p in passages])
        articles = {a: {k: v for k, v in meta.items() if k != "committed_at"} for a, meta in store.articles().items()}
        stores[workers] = (passages, np.array([vectors[p.chunk_id] for p in passages]), articles, store.files())
    (passages1, vectors1, articles1, files1), (passages2, vectors2, articles2, files2) = stores[1], stores[2]
    assert passages2 == passages1
    assert np.allclose(vectors2, vectors1, atol=1e-6, rtol=0)
    assert articles2 == articles1 and files2 == files1
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(
    ("embedder", "message"),
    [
        (FailingEmbedder, r"embedding failed in worker process \d+: RuntimeError: the model failed on purpose"),
        (UnloadableEmbedder, r"embedding worker process \d+ could not load the model: OSError: no such model file"),
        (DyingEmbedder, r"an embedding worker process ended abruptly"),
    ],
)
def test_a_failing_worker_is_an_embedding_error_and_leaves_no_process(
    embedder: type[MiniLMEmbedder], message: str, tmp_path: Path
) -> None:
    batches = embedded_batches(embedder(cache_dir=tmp_path), BATCHES, 2)
    with pytest.raises(EmbeddingError, match=f"^{message}") as err:
        list(batches)
    assert "\n" not in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no remote traceback shown
    assert multiprocessing.active_children() == []


def test_a_failing_worker_stops_an_ingest_with_an_embedding_error(tmp_path: Path, cache_dir: Path) -> None:
    settings = make_settings(tmp_path / "store", cache_dir)
    settings.ingest.workers, settings.ingest.batch_size = 2, 1
    assistant = Assistant(settings)
    failing = FailingEmbedder(cache_dir=cache_dir)
    assistant.embeddings = CachedEmbeddings(failing, "failing", tmp_path / "vectors.sqlite")
    with pytest.raises(EmbeddingError, match="RuntimeError: the model failed on purpose"):
        assistant.ingest([EXAMPLES])
    assert multiprocessing.active_children() == []
    assert assistant.store().articles() == {}  # nothing committed without its vectors


def test_stopping_early_or_ctrl_c_stops_the_workers(tmp_path: Path, model_dir: Path) -> None:
    batches = embedded_batches(MiniLMEmbedder(cache_dir=model_dir), BATCHES, 2)
    with pytest.raises(KeyboardInterrupt), closing(batches):
        for _ in batches:
            raise KeyboardInterrupt  # while the caller writes a batch, the next ones are being embedded
    assert multiprocessing.active_children() == []

    hanging = HangingEmbedder(cache_dir=tmp_path)
    hanging.started = str(tmp_path / "started")

    def interrupt_once_a_batch_runs() -> None:
        while not Path(hanging.started).exists():
            threading.Event().wait(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_a_batch_runs, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        list(embedded_batches(hanging, BATCHES, 2))  # waiting for a batch that never ends: Ctrl-C ends the wait
    assert multiprocessing.active_children() == []


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.add(pid)
        except OSError:
            pass
    return alive


def test_workers_end_when_the_ingest_process_is_killed(model_dir: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ASSISTANT_INGEST__WORKERS": "2",
        "ASSISTANT_INGEST__BATCH_SIZE": "1",
        "ASSISTANT_EMBEDDING__CACHE_DIR": str(fresh_cache(model_dir, tmp_path / "cache")),
    }
    command = [sys.executable, "-m", "assistant.frontends.cli", "-vv", "ingest", str(EXAMPLES)]
    proc = subprocess.Popen(
        [*command, "--store", str(tmp_path / "store"), "-q"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "committed article" in line:  # the workers have embedded a batch
            break
    workers = _children(proc.pid)
    assert workers
    proc.kill()
    proc.wait()
    proc.stderr.close()
    for _ in range(600):  # they notice the parent's end at once; allow 30 s on a busy machine
        if not _alive(workers):
            break
        threading.Event().wait(0.05)
    assert not _alive(workers)


def test_an_openai_compatible_server_is_sent_requests_at_once(refusing_openai: RefusingOpenAI, tmp_path: Path) -> None:
    plain, _ = make_embeddings("openai", openai_base_url=refusing_openai.embeddings_url(), openai_max_retries=0)
    alone = list(embedded_batches(plain, BATCHES, 1))  # the same vectors, from a server that never waits
    url = refusing_openai.gathering_url()
    remote, model_id = make_embeddings("openai", openai_base_url=url, openai_max_retries=0)
    cache = CachedEmbeddings(remote, model_id, tmp_path / "vectors.sqlite")
    together = list(embedded_batches(cache, BATCHES, 2))
    assert refusing_openai.max_in_flight >= 2
    assert [(item, texts) for item, texts, _ in together] == BATCHES
    for (_, _, expected), (_, _, got) in zip(alone, together, strict=True):
        assert np.allclose(np.asarray(got), np.asarray(expected), atol=1e-6, rtol=0)
    cache.close()


def test_a_server_failure_is_the_same_error_with_concurrent_requests(refusing_openai: RefusingOpenAI) -> None:
    remote, _ = make_embeddings("openai", openai_base_url=refusing_openai.url(401), openai_max_retries=0)
    errors = []
    for workers in (1, 3):
        with pytest.raises(EmbeddingError) as err:
            list(embedded_batches(remote, BATCHES, workers))
        assert err.value.__cause__ is None and err.value.__suppress_context__
        errors.append(str(err.value))
    assert (
        errors[0] == errors[1] == f"the embedding server at {refusing_openai.url(401)} rejected the API key (HTTP 401)"
    )
