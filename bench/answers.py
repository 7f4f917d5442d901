"""Answers and refusals on questions asked the way people ask them, per question type, over the MultiHop-RAG corpus.

    .venv/bin/python -m bench.answers [QUESTIONS.jsonl] [--store DIR] [--k 10] [--llm extractive] [--lower-case]
        [--json]

QUESTIONS.jsonl defaults to bench/questions/multihop_natural.jsonl: questions written from the corpus's articles
(who / when / how many / why / what / yes-no, with the accepted answer strings of each), a third of them on-topic
but unanswerable (they name people, teams and outlets of the corpus and ask what no article states). The store must
hold the corpus (`assistant ingest ../shared/eval/multihop-rag/corpus.jsonl --store /tmp/bench-store`). Every
question goes through `Assistant.ask` and is scored as `assistant eval --answers` scores it: accuracy (a gold string
in the answer), the gold string in the answer's first sentence, false refusals, unanswerable questions refused, and
the seconds each answer took (`Assistant.ask`, retrieval included).
`--lower-case` asks every question in lower case, as many people type into a chat box ("who runs binance now").
`--json` prints the whole report (per question included) instead of the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from assistant import Assistant, load_settings
from assistant.evaluate import EvalSetup, evaluate, format_report, load_qa, store_chunking

QUESTIONS = Path(__file__).resolve().parent / "questions" / "multihop_natural.jsonl"


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """`--store` (the benchmark corpus's store) and `--llm` (the answerer), as every answer bench takes them."""
    parser.add_argument("--store", type=Path, default=Path("/tmp/bench-store"), help="Store holding the corpus.")
    parser.add_argument(
        "--llm", choices=["extractive", "local", "openai"], help="Answerer (default: settings llm.mode)."
    )


def bench_assistant(args: argparse.Namespace) -> Assistant:
    """An Assistant on `args.store` (embedded, never a server) answering with `args.llm` when given."""
    settings = load_settings()
    settings.store.path, settings.store.host = args.store, None
    if args.llm:
        settings.llm.mode = args.llm
    return Assistant(settings)


def main() -> None:
    """Ask every question of the set against the store and print the per-type table (or the JSON report)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, default=QUESTIONS)
    add_store_options(parser)
    parser.add_argument("--k", type=int, default=10, help="Passages retrieved per question for the retrieval figures.")
    parser.add_argument("--lower-case", action="store_true", help="Ask every question in lower case.")
    parser.add_argument("--json", action="store_true", help="Print the whole report as JSON.")
    args = parser.parse_args()

    assistant = bench_assistant(args)
    settings = assistant.settings
    tokens, overlap = store_chunking(assistant.store(), settings.ingest)
    setup = EvalSetup(
        store=str(args.store), k=args.k, chunk_tokens=tokens, chunk_overlap=overlap, answer_k=settings.retrieval.k
    )
    items = load_qa(args.questions)
    if args.lower_case:
        items = [dataclasses.replace(item, question=item.question.lower()) for item in items]
    report = evaluate(items, lambda q: assistant.retrieve(q, args.k), setup, ask=assistant.ask, progress=False)
    if args.json:
        json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return
    print(f"{args.questions.name}{' in lower case' if args.lower_case else ''}, answerer {settings.llm.mode}")
    print(format_report(report))


if __name__ == "__main__":
    main()
