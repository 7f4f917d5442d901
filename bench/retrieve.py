"""Retrieval latency: p50 / p95 of `Assistant.retrieve` over the questions of a QA file, against a given store.

    .venv/bin/python -m bench.retrieve [QA.jsonl] [--store DIR] [--k 10] [--repeat 1]

QA.jsonl defaults to the MultiHop-RAG dev questions in ../shared (evaluation data; read, never copied). The store
must already hold the corpus (`assistant ingest ... --store DIR`). The first question is timed apart: it pays for
opening the store and loading (or building) the keyword index.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant import Assistant, load_settings

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "multihop-rag" / "qa_dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("qa", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--store", type=Path, help="Store directory (default: settings store.path).")
    parser.add_argument("--k", type=int, default=10, help="Passages per question.")
    parser.add_argument("--repeat", type=int, default=1, help="Times each question is asked.")
    args = parser.parse_args()

    settings = load_settings()
    if args.store:
        settings.store.path, settings.store.host = args.store, None
    lines = args.qa.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    assistant = Assistant(settings)
    started = time.perf_counter()
    assistant.retrieve(questions[0], args.k)
    cold = time.perf_counter() - started
    times = []
    for _ in range(args.repeat):
        for question in questions:
            started = time.perf_counter()
            assistant.retrieve(question, args.k)
            times.append(time.perf_counter() - started)
    times.sort()
    r = settings.retrieval
    print(f"store: {settings.store.path}  questions: {len(questions)} x {args.repeat}  k: {args.k}  "
          f"mode: {r.mode}  news filters: {r.news_filters}")
    print(f"first question (opens store, loads keyword index): {1000 * cold:.0f} ms")
    print(f"retrieve p50: {1000 * statistics.median(times):.1f} ms   "
          f"p95: {1000 * times[int(0.95 * (len(times) - 1))]:.1f} ms   max: {1000 * times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
