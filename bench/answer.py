"""Answer latency per answerer for one question: time to first text, to the first model token, and in total, all
measured after retrieval (the answerer alone), over the example corpus.

    .venv/bin/python -m bench.answer [--question Q] [--repeat 3] [--answerers extractive,local,openai]

`openai` runs against a llama.cpp OpenAI-compatible server that this script starts on 127.0.0.1 with the same
packaged Gemma 3 270M GGUF (`llm.api = completions`), and stops at the end. The LLM answerers write
"According to [" (the completion prompt's answer start) at once, so "first token" is the first token the model
wrote; "cpu s" is the CPU time this process spent until then (all threads: divided by the thread count it
estimates the first-token time on idle cores, when other jobs share the machine). Load times (model file into
memory, server start) are shown apart. Before each timed run another question is
answered, so no run reuses the previous run's prompt from the model's cache (only the fixed instructions).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistant import Answer, Assistant, load_settings
from assistant.answer_local import context_size, default_model_file
from assistant.llm import make_answerer
from assistant.prompts import completion_prompt, fit_passages
from assistant.settings import LLMSettings

ROOT = Path(__file__).resolve().parents[1]
SEED = "Who leads the interim government?"
EXPECT = "N’Daou"
OTHER = "How much will Harborview spend on flood barriers?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default=SEED)
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs per answerer (after one warm-up).")
    parser.add_argument("--answerers", default="extractive,local,openai")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-answer-") as tmp:
        settings = load_settings()
        settings.store.path, settings.store.host = Path(tmp) / "store", None
        assistant = Assistant(settings)
        assistant.ingest([ROOT / "examples" / "corpus"])
        vector = assistant.embeddings.embed_query(args.question)
        passages = assistant.retrieve(args.question)
        other, other_vector = assistant.retrieve(OTHER), assistant.embeddings.embed_query(OTHER)
        shown = fit_passages(passages, settings.llm.context_tokens)
        start = completion_prompt(args.question, shown).answer_start
        print(f"question: {args.question!r}  passages: {len(passages)}  cores: {os.cpu_count()}  "
              f"load average: {os.getloadavg()[0]:.2f}")
        columns = ("load s", 7), ("first text s", 13), ("first token s", 14), ("cpu s", 9), ("total s", 8)
        print(f"{'answerer':<11} " + " ".join(f"{name:>{width}}" for name, width in columns) + "  answer")
        server = None
        try:
            for name in args.answerers.split(","):
                loaded = time.perf_counter()
                if name == "openai":
                    model = default_model_file(settings.embedding.cache_dir)
                    server, settings.llm.base_url = start_server(model, settings.llm)
                    settings.llm.api, settings.llm.model = "completions", "gemma-3-270m"
                answerer = make_answerer(settings, assistant.embeddings, name)
                if name == "local":
                    answerer.model()  # type: ignore[attr-defined]
                load = time.perf_counter() - loaded
                runs = []
                for _ in range(args.repeat + 1):  # the first run warms up; another question in between keeps the
                    timed(answerer, OTHER, other, other_vector, start)  # model from reusing this prompt's cache
                    runs.append(timed(answerer, args.question, passages, vector, start))
                runs = runs[1:]
                first_text, first_token, total, cpu = (statistics.median(r[i] for r in runs) for i in range(4))
                answer = runs[-1][4]
                cpu_note = f"{cpu:>9.3f}" if name != "openai" else f"{'(server)':>9}"
                mark = "ok " if EXPECT in answer.answer else "?? "
                print(f"{name:<11} {load:>7.2f} {first_text:>13.3f} {first_token:>14.3f} {cpu_note} {total:>8.2f}  "
                      f"{mark}{answer.answer[:70]!r} ({len(answer.citations)} citations)")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)


def timed(answerer: object, question: str, passages: list, vector: list[float], start: str) -> tuple:
    """(first text, first model token, total, CPU to first model token) seconds and the Answer."""
    began, cpu_began = time.perf_counter(), time.process_time()
    first_text = first_token = first_cpu = None
    answer = None
    for item in answerer.stream(question, passages, vector):  # type: ignore[attr-defined]
        now = time.perf_counter() - began
        if isinstance(item, Answer):
            answer = item
            continue
        first_text = now if first_text is None else first_text
        if first_token is None and (item != start or answerer.name == "extractive"):  # type: ignore[attr-defined]
            first_token, first_cpu = now, time.process_time() - cpu_began
    total = time.perf_counter() - began
    return first_text or total, first_token or total, total, first_cpu or 0.0, answer


def start_server(model: Path, llm: LLMSettings) -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's OpenAI-compatible server on a free loopback port, polled until it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", str(context_size(llm)), "--n_threads", str(os.cpu_count() or 1)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("llama_cpp.server exited; is llama-cpp-python[server] installed?")
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("llama_cpp.server did not start within 120 s")


if __name__ == "__main__":
    main()
