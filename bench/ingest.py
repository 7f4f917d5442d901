"""Ingest speed: articles/s, chunks/s, peak memory, and an unchanged re-ingest, on a corpus file or folder; or
chunks/s for several `ingest.workers` values on the same input.

    .venv/bin/python -m bench.ingest [PATH] [--store DIR] [--cold]
    .venv/bin/python -m bench.ingest [PATH] --workers 1,2 [--articles 100] [--reps 3]

PATH defaults to the MultiHop-RAG corpus in ../shared (evaluation data; read, never copied into the project).
`--workers` runs a cold ingest (new store, empty vector cache, the fused model already built) per value and
repetition, values interleaved so background load hurts all alike; `--articles N` takes the first N records of a
.jsonl PATH (written to a temporary file).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from assistant import Assistant, load_settings
from ingest.embed import MiniLMEmbedder
from ingest.embed_workers import usable_cores, worker_count
from newsdesk.settings import Settings

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--store", type=Path, help="Keep the store here (default: a temporary directory).")
    parser.add_argument("--cold", action="store_true", help="Use an empty vector cache (measures embedding).")
    parser.add_argument(
        "--workers", help="Compare these ingest.workers values (comma-separated, e.g. 1,2), each a cold ingest."
    )
    parser.add_argument("--articles", type=int, help="Only the first N records of a .jsonl corpus.")
    parser.add_argument("--reps", type=int, default=2, help="Repetitions per workers value (--workers).")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        path = args.path
        if args.articles:
            path = workdir / f"first-{args.articles}{args.path.suffix}"
            with args.path.open(encoding="utf-8") as src:
                path.write_text("".join(line for _, line in zip(range(args.articles), src)), encoding="utf-8")
        if args.workers:
            compare_workers(path, [int(w) for w in args.workers.split(",")], args.reps, workdir)
        else:
            one_ingest(path, args.store, args.cold, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def one_ingest(path: Path, store: Path | None, cold: bool, workdir: Path) -> None:
    settings = load_settings()
    settings.store.path = store or workdir / "store"
    if cold:
        settings.embedding.cache_dir = workdir / "cache"
    started = time.perf_counter()
    report = Assistant(settings).ingest([path], progress=True)
    first = time.perf_counter() - started
    articles = report.added + report.updated
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    again = Assistant(settings).ingest([path])
    unchanged = time.perf_counter() - started
    ingest = settings.ingest
    print(
        f"corpus: {path.name}  chunk size: {ingest.chunk_tokens} tokens, overlap {ingest.chunk_overlap}  "
        f"workers: {worker_count(ingest.workers)}"
    )
    print(report.summary())
    print(
        f"articles/s: {articles / first:.1f}   chunks/s: {report.chunks / first:.1f}   "
        f"embedded: {report.embedded}   total: {first:.1f} s   peak RSS: {peak_mb:.0f} MB"
    )
    print(f"unchanged re-ingest: {unchanged:.2f} s ({again.chunks} chunks written)")


def compare_workers(path: Path, values: list[int], reps: int, workdir: Path) -> None:
    """Cold ingests of `path`, one per workers value and repetition, interleaved; chunks/s of each."""
    base = load_settings()
    model_files: list[Path] = []
    if base.embedding.kind == "minilm":  # build the fused model once; every run starts with it in its cache
        built = workdir / "model"
        MiniLMEmbedder(max_length=base.embedding.max_length, cache_dir=built).load()
        model_files = list(built.glob("*.onnx"))
    cores = usable_cores()
    print(f"corpus: {path.name}  usable cores: {cores}  load average {os.getloadavg()[0]:.1f}")
    rates: dict[int, list[float]] = {w: [] for w in values}
    for rep in range(reps):
        for workers in values:
            run = workdir / f"run-{rep}-{workers}"
            settings = Settings.model_validate(base.model_dump())
            settings.store.path = run / "store"
            settings.embedding.cache_dir = run / "cache"
            settings.ingest.workers = workers
            settings.embedding.cache_dir.mkdir(parents=True)
            for model_file in model_files:
                shutil.copy(model_file, settings.embedding.cache_dir / model_file.name)
            started = time.perf_counter()
            report = Assistant(settings).ingest([path])
            seconds = time.perf_counter() - started
            rates[workers].append(report.chunks / seconds)
            print(
                f"  workers {workers} ({_layout(workers, cores)}): {report.chunks} chunks "
                f"({report.embedded} embedded) in {seconds:.1f} s, {report.chunks / seconds:.1f} chunks/s; "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            shutil.rmtree(run, ignore_errors=True)
    for workers, r in rates.items():
        print(
            f"workers {workers} ({_layout(workers, cores)}): best {max(r):.1f} chunks/s, "
            f"median {statistics.median(r):.1f} ({len(r)} runs)"
        )


def _layout(workers: int, cores: int) -> str:
    if workers <= 1:
        return f"in this process, {min(cores, 8)} onnxruntime threads"
    return f"{workers} processes x {max(1, cores // workers)} thread"


if __name__ == "__main__":
    main()
