"""Answer latency per answerer for one question: time to first text, to the first model token, and in total, all
measured after retrieval (the answerer alone), over the example corpus.

    .venv/bin/python -m bench.answer [--question Q] [--repeat 3] [--answerers extractive,local,openai]

`local` writes through its supervised llama.cpp server (the packaged Gemma 3 270M); `openai` writes through that same
server (`llm.api = completions`) with whole passages instead of `llm.local_passage_sentences`. The LLM answerers write
"According to [" (the completion prompt's answer start) at once, so "first token" is the first token the model
wrote; "cpu s" is the CPU time this process spent until then (the extractive answerer only: the models run in
their server process). Load times (model server start) are shown apart. Before each timed run another question is
answered, so no run reuses the previous run's prompt from the model's cache (only the fixed instructions).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from assistant import Answer, Assistant, load_settings
from assistant.answer_local import LocalAnswerer
from assistant.llm import make_answerer
from assistant.prompts import completion_prompt, fit_passages

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
        for name in args.answerers.split(","):
            loaded = time.perf_counter()
            if name == "openai":
                server = LocalAnswerer(settings.llm, assistant.embeddings, settings.embedding.cache_dir).server
                settings.llm.base_url, settings.llm.api_key = server.ensure(), SecretStr(server.api_key)
                settings.llm.api, settings.llm.model = "completions", server.key.model.name
            answerer = make_answerer(settings, assistant.embeddings, name)
            if name == "local":
                answerer.start()  # type: ignore[attr-defined]
            load = time.perf_counter() - loaded
            runs = []
            for _ in range(args.repeat + 1):  # the first run warms up; another question in between keeps the
                timed(answerer, OTHER, other, other_vector, start)  # model from reusing this prompt's cache
                runs.append(timed(answerer, args.question, passages, vector, start))
            runs = runs[1:]
            first_text, first_token, total, cpu = (statistics.median(r[i] for r in runs) for i in range(4))
            answer = runs[-1][4]
            cpu_note = f"{cpu:>9.3f}" if name == "extractive" else f"{'(server)':>9}"
            mark = "ok " if EXPECT in answer.answer else "?? "
            print(f"{name:<11} {load:>7.2f} {first_text:>13.3f} {first_token:>14.3f} {cpu_note} {total:>8.2f}  "
                  f"{mark}{answer.answer[:70]!r} ({len(answer.citations)} citations)")


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


if __name__ == "__main__":
    main()
