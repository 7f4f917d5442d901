"""What a bigger archive costs: an N× copy of the benchmark corpus written through the product's store code, its
keyword index built, then retrieval latency, a served process's memory and cold start, and how soon an article
ingested while it serves can be retrieved.

    .venv/bin/python -m bench.scale --factor N [--json] [--store DIR] [--source STORE] [--questions 200]

Copy 0 is the benchmark store itself (`--source`: a store of ../shared/eval/multihop-rag/corpus.jsonl, ingested
into the bench cache when missing). Copies 1..N-1 change every number (each digit shifted by the copy's number),
swap capitalised names for others of the same length (a permutation per copy) and move dates by three days per
copy, so the texts differ while chunk offsets and the vocabulary's size stay realistic. A copy's vectors are the
source chunk's plus Gaussian noise (σ 0.02, normalised): this measures cost, not quality.

Prints one JSON object (with --json) or one line per figure: factor, chunks, write_chunks_per_s, index_build_s,
disk_mb, retrieve_p50_ms and retrieve_p95_ms (k = 10, the default hybrid mode, over the benchmark's dev questions,
in this process), cold_start_s (`assistant serve` started until /healthz says ok), serve_rss_mb (that process
after a warm-up), new_article_visible_s (from the commit of an `assistant ingest` run while it serves until a
question to it retrieves the new article), slowest_question_after_ingest_ms (the longest a question to it waited
in the 20 s after that commit, while it takes in the ingest), serve_peak_rss_mb (that process's highest resident
memory by then, both copies of the vectors included) and full_rebuilds (full keyword-index builds during that ingest).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tqdm import tqdm

from assistant import Assistant, load_settings
from assistant.keyword import KeywordIndex
from assistant.keyword_sync import index_path, indexes
from bench.serve import free_port, start_server
from ingest.chunk import chunk_id_for
from ingest.store import Store
from newsdesk.types import Article, Chunk, Passage

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"
QA = ROOT.parent / "shared" / "eval" / "multihop-rag" / "qa_dev.jsonl"
_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
_DIGIT = re.compile(r"\d")


def source_store(path: Path | None) -> Path:
    """The benchmark corpus's store: `path`, or the bench cache's copy, ingested when missing."""
    settings = load_settings()
    if path is not None:
        return path
    store = Path(settings.embedding.cache_dir) / "bench" / "multihop-store"
    if not (store / "chroma.sqlite3").exists():
        settings.store.path = store
        print(f"ingesting {CORPUS} into {store} (once)", file=sys.stderr)
        Assistant(settings).ingest([CORPUS], progress=True)
    return store


class Copier:
    """Makes copy `n` of a text: digits shifted by n, names swapped for same-length names (one permutation per copy)."""

    def __init__(self, texts: list[str]) -> None:
        by_length: dict[int, set[str]] = defaultdict(set)
        for text in texts:
            for name in _NAME.findall(text):
                by_length[len(name)].add(name)
        self.pools = {n: sorted(names) for n, names in by_length.items()}
        self._maps: dict[int, dict[str, str]] = {}

    def names(self, n: int) -> dict[str, str]:
        if n not in self._maps:
            rng = random.Random(n)
            mapping: dict[str, str] = {}
            for pool in self.pools.values():
                shuffled = pool[:]
                rng.shuffle(shuffled)
                mapping.update(zip(pool, shuffled))
            self._maps[n] = mapping
        return self._maps[n]

    def text(self, text: str, n: int) -> str:
        names = self.names(n)
        text = _NAME.sub(lambda m: names.get(m.group(), m.group()), text)
        return _DIGIT.sub(lambda m: str((int(m.group()) + n) % 10), text)


def _shift_date(published_at: str, n: int) -> str:
    try:
        when = datetime.fromisoformat(published_at)
    except ValueError:
        return published_at
    return (when + timedelta(days=3 * n)).isoformat()


def write_copies(source: Store, target: Store, factor: int, batch_chunks: int = 256) -> tuple[int, float]:
    """Write copies 0..factor-1 of `source`'s articles into `target`, `batch_chunks` chunks per write as ingest
    writes an embedding batch (`ingest.batch_size` × 4); returns (chunks written, seconds)."""
    by_article: dict[str, list[Passage]] = defaultdict(list)
    for p in source.iter_passages():
        by_article[p.article_id].append(p)
    vectors = {}
    ids = [p.chunk_id for ps in by_article.values() for p in ps]
    for i in range(0, len(ids), 2000):
        vectors.update(source.vectors(ids[i : i + 2000]))
    chunker = str(next(iter(source.articles().values()), {}).get("chunker", ""))
    last = list(by_article)[-1]
    copier = Copier([p.text for ps in by_article.values() for p in ps] + [ps[0].title for ps in by_article.values()])
    rng = np.random.default_rng(7)
    written = 0
    started = time.perf_counter()
    with target.writing(), tqdm(total=factor * len(ids), desc="writing", unit="chunk") as bar:
        for n in range(factor):
            article_ids = []
            batch: list[tuple[Article, list[Chunk], list[list[float]]]] = []
            for article_id, passages in by_article.items():
                passages.sort(key=lambda p: p.start)
                first = passages[0]
                new_id = article_id if n == 0 else hashlib.sha256(f"{n}:{article_id}".encode()).hexdigest()[:16]
                article = Article(
                    new_id, copier.text(first.title, n), "", first.source, _shift_date(first.published_at, n), first.url
                )
                chunks = [
                    Chunk(chunk_id_for(new_id, p.start, p.end), new_id, i, copier.text(p.text, n), p.start, p.end)
                    for i, p in enumerate(passages)
                ]
                base = np.asarray([vectors[p.chunk_id] for p in passages], dtype=np.float32)
                if n:
                    base = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
                    base /= np.linalg.norm(base, axis=1, keepdims=True)
                batch.append((article, chunks, base.tolist()))
                article_ids.append(new_id)
                if sum(len(c) for _, c, _ in batch) >= batch_chunks or article_id == last:
                    target.add_chunks(batch)  # as ingest writes an embedded batch: chunks, then their articles
                    target.commit_articles([(a, len(c)) for a, c, _ in batch], chunker)
                    written += sum(len(c) for _, c, _ in batch)
                    bar.update(sum(len(c) for _, c, _ in batch))
                    batch = []
            target.record_file(f"scale-copy-{n}.jsonl", f"copy-{n}", article_ids)
    return written, time.perf_counter() - started


def retrieval_latency(store: Path, questions: list[str]) -> tuple[float, float]:
    """p50 and p95 of `Assistant.retrieve(question, k=10)` in ms (after one warm-up question)."""
    settings = load_settings()
    settings.store.path = store
    assistant = Assistant(settings)
    assistant.retrieve(questions[0], 10)
    times = []
    for q in tqdm(questions, desc="retrieving", unit="q"):
        started = time.perf_counter()
        assistant.retrieve(q, 10)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, math.ceil(0.95 * len(times)) - 1)]


_AFTER_INGEST_S = 20.0  # questions keep coming this long after the new article's commit


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its highest so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve_figures(store: Path, workdir: Path, questions: list[str]) -> dict[str, Any]:
    """Cold start, memory after a warm-up, and how soon an article ingested meanwhile is retrieved."""
    port = free_port()
    started = time.perf_counter()
    proc = start_server(store, port, workdir / "server.log")
    cold_start = time.perf_counter() - started
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as http:
            for q in questions[:30]:
                http.post("/api/retrieve", json={"question": q, "k": 10}).raise_for_status()
            rss = _rss_mb(proc.pid)
            index = KeywordIndex(index_path(_open(store)))
            builds_before = int(index.meta("full_builds") or 0)
            marker = "quillwort"
            run = workdir.name.rsplit("-", 1)[-1]  # a new article on every run, also into an --existing store
            article = workdir / "new-article.jsonl"
            article.write_text(json.dumps({
                "title": f"Harbour ferry named after a quillwort ({run})",
                "source": "Scale Test Courier",
                "published_at": "2024-06-01",
                "body": "The new harbour ferry was named Quillwort after the rare water plant on Tuesday.",
            }) + "\n")  # fmt: skip
            committed = _Generation(store)
            subprocess.run(
                [str(Path(sys.executable).parent / "assistant"), "ingest", str(article), "--store", str(store), "-q"],
                check=True, capture_output=True,
            )  # fmt: skip
            commit_time = committed.result()
            question = f"Which harbour ferry was named after the {marker} plant?"
            while True:
                found = http.post("/api/retrieve", json={"question": question, "k": 10}).json()["passages"]
                if any(run in p["title"] for p in found):
                    visible = time.perf_counter() - commit_time
                    break
                if time.perf_counter() - commit_time > 600:
                    visible = float("inf")
                    break
            slowest = 0.0  # the longest any question waits while the server takes in the ingest
            for q in itertools.cycle(questions):
                if time.perf_counter() - commit_time > _AFTER_INGEST_S:
                    break
                asked = time.perf_counter()
                http.post("/api/retrieve", json={"question": q, "k": 10}).raise_for_status()
                slowest = max(slowest, time.perf_counter() - asked)
            peak = _rss_mb(proc.pid, "VmHWM")
            builds_after = int(index.meta("full_builds") or 0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "cold_start_s": round(cold_start, 2),
        "serve_rss_mb": round(rss),
        "new_article_visible_s": round(visible, 2),
        "slowest_question_after_ingest_ms": round(slowest * 1000, 1),
        "serve_peak_rss_mb": round(peak),
        "full_rebuilds": builds_after - builds_before,
    }


class _Generation:
    """The moment the store's generation changes (an ingest committed), seen by polling it every 10 ms."""

    def __init__(self, store: Path) -> None:
        self._store = _open(store)
        self._first = self._store.generation()
        self._done = threading.Event()
        self._at = 0.0
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while self._store.state().get("generation", "") == self._first or self._store.state().get("in_progress"):
            time.sleep(0.01)
        self._at = time.perf_counter()
        self._done.set()

    def result(self) -> float:
        self._done.wait()
        return self._at


def _open(store: Path) -> Store:
    settings = load_settings()
    settings.store.path = store
    return Assistant(settings).store()


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, required=True, help="Copies of the benchmark corpus (1 = itself).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument("--store", type=Path, help="Where to build the N× store (default: a temporary folder).")
    parser.add_argument("--source", type=Path, help="The benchmark corpus's store (default: the bench cache's).")
    parser.add_argument("--questions", type=int, default=200, help="Dev questions timed for retrieval.")
    parser.add_argument(
        "--existing", action="store_true",
        help="Measure the store at --store as an earlier run left it (no copies written, no index built).",
    )  # fmt: skip
    args = parser.parse_args()
    if args.existing and not (args.store and args.store.is_dir()):
        parser.error("--existing needs --store naming a store an earlier run wrote")

    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    target_path = args.store or workdir / "store"
    figures: dict[str, Any] = {"factor": args.factor}
    try:
        if args.existing:
            target = _open(target_path)
            figures["chunks"] = target.count()
        else:
            source = _open(source_store(args.source))
            if target_path.exists():
                shutil.rmtree(target_path)
            settings = load_settings()
            settings.store.path = target_path
            target = Store(settings.store, source.model_id, create=True)
            chunks, seconds = write_copies(source, target, args.factor)
            started = time.perf_counter()
            indexes.update(target)
            built = round(time.perf_counter() - started, 1)
            figures.update(chunks=chunks, write_chunks_per_s=round(chunks / seconds), index_build_s=built)
        questions = [json.loads(line)["question"] for line in QA.open()][: args.questions]
        p50, p95 = retrieval_latency(target_path, questions)
        figures |= {
            "disk_mb": round(_disk_mb(target_path)),
            "retrieve_p50_ms": round(p50, 1),
            "retrieve_p95_ms": round(p95, 1),
        }
        figures.update(serve_figures(target_path, workdir, questions))
    finally:
        if args.store is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
