"""Server throughput: requests/s and latency percentiles of /api/retrieve and /api/ask (extractive) with N
concurrent clients on loopback, against a real `assistant serve` process.

    .venv/bin/python -m bench.serve [--store DIR] [--questions QA.jsonl] [--clients 1,4,8] [--requests 60]
                                    [--seconds 30]

Without --store the example corpus is ingested into a temporary store. Each (endpoint, clients) run stops after
--requests requests or --seconds seconds, whichever comes first. Questions come from --questions (JSONL with a
"question" field; each request a new one, so query embeddings are computed, not cached) or cycle through a
fixed list of six (after the first round their embeddings come from the vector cache).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from assistant import Assistant, load_settings

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "Who leads the interim government?",
    "Who was named interim chief executive of the robotics company?",
    "How much will the flood barriers cost?",
    "When did the coastal railway reopen?",
    "How much did attendance at evening lessons rise?",
    "Who commands the Barkhane force?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def example_store(workdir: Path) -> Path:
    """The example corpus ingested into a fresh store under `workdir` (the benches' default store)."""
    settings = load_settings()
    settings.store.path = workdir / "store"
    Assistant(settings).ingest([ROOT / "examples" / "corpus"])
    return settings.store.path


def start_server(store: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, ASSISTANT_LLM__MODE="extractive", GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "assistant"), "serve", "--store", str(store), "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"assistant serve exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json().get("status") == "ok":
                return proc
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("assistant serve did not become healthy in 120 s")


@contextmanager
def served(store: Path | None, prefix: str) -> Iterator[tuple[str, Path]]:
    """`assistant serve` (extractive) on a free loopback port over `store`, or over the example corpus ingested
    into a temporary folder; yields (base URL, store), then stops the server and removes the folder."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        store = store or example_store(workdir)
        port = free_port()
        proc = start_server(store, port, workdir / "server.log")
        try:
            yield f"http://127.0.0.1:{port}", store
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(
    base: str, path: str, clients: int, requests: int, seconds: float, questions: Iterator[str]
) -> dict[str, float]:
    """Fire `requests` requests from `clients` threads (or stop after `seconds`); latency in ms."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors, sent
        with httpx.Client(base_url=base, timeout=120) as http:
            while True:
                with lock:
                    if sent >= requests or time.monotonic() > deadline:
                        return
                    sent += 1
                    question = next(questions)
                started = time.perf_counter()
                response = http.post(path, json={"question": question})
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += response.status_code != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies),
        "p95": latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="An ingested store (default: the example corpus, ingested now).")
    parser.add_argument("--questions", type=Path, help='JSONL file with a "question" field per line.')
    parser.add_argument("--clients", default="1,4,8", help="Comma-separated concurrent client counts.")
    parser.add_argument("--requests", type=int, default=60, help="Requests per run at most.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Seconds per run at most.")
    args = parser.parse_args()

    pool = [json.loads(line)["question"] for line in args.questions.open()] if args.questions else QUESTIONS
    questions = itertools.cycle(pool)
    with served(args.store, "bench-serve-") as (base, store):
        for path in ("/api/retrieve", "/api/ask"):
            run(base, path, 1, 3, args.seconds, questions)  # warm-up
            for clients in (int(c) for c in args.clients.split(",")):
                r = run(base, path, clients, args.requests, args.seconds, questions)
                print(
                    f"{path:14} clients {clients:3}  requests {r['requests']:4.0f}  errors {r['errors']:3.0f}  "
                    f"req/s {r['rps']:6.1f}  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms",
                    flush=True,
                )
        print(f"store: {store}  (server: 1 uvicorn worker, extractive answerer, loopback)")

if __name__ == "__main__":
    main()
