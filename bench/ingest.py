"""Ingest speed: articles/s, chunks/s, peak memory, and an unchanged re-ingest, on a corpus file or folder.

    .venv/bin/python -m bench.ingest [PATH] [--store DIR]

PATH defaults to the MultiHop-RAG corpus in ../shared (evaluation data; read, never copied).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from assistant import Assistant, load_settings

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--store", type=Path, help="Keep the store here (default: a temporary directory).")
    parser.add_argument("--cold", action="store_true", help="Use an empty vector cache (measures embedding).")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    settings = load_settings()
    settings.store.path = args.store or workdir / "store"
    if args.cold:
        settings.embedding.cache_dir = workdir / "cache"
    try:
        started = time.perf_counter()
        report = Assistant(settings).ingest([args.path], progress=True)
        first = time.perf_counter() - started
        articles = report.added + report.updated
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        again = Assistant(settings).ingest([args.path])
        unchanged = time.perf_counter() - started
        ingest = settings.ingest
        print(f"corpus: {args.path.name}  chunk size: {ingest.chunk_tokens} tokens, overlap {ingest.chunk_overlap}")
        print(report.summary())
        print(f"articles/s: {articles / first:.1f}   chunks/s: {report.chunks / first:.1f}   "
              f"embedded: {report.embedded}   total: {first:.1f} s   peak RSS: {peak_mb:.0f} MB")
        print(f"unchanged re-ingest: {unchanged:.2f} s ({again.chunks} chunks written)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
