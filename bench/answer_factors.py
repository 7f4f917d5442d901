"""What each of the extractive answerer's ranking factors is worth: every factor switched off in turn.

    .venv/bin/python -m bench.answer_factors [--store DIR] [--example-store DIR] [--json]

Runs the extractive answerer over the benchmark's seven natural question sets (bench/questions/
multihop_natural.jsonl and multihop_unseen.jsonl to multihop_unseen6.jsonl, on `--store`) and the example set of
`make test` (tests/data/questions/corpus_questions.jsonl, on `--example-store`), once with every factor as shipped
and once per factor of assistant/evidence.py switched off (a factor set to 1.0, PASSAGE_SHARE to 0.0), and prints
per set: answers right, the answer in the first sentence, unanswerable questions refused. Refusals come before any
answerer runs, so they do not move; they are printed to show that. The stores are built as docs/answering.md and
docs/benchmarks.md say.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant import Assistant, evidence, load_settings
from assistant.evaluate import EvalSetup, evaluate, load_qa

ROOT = Path(__file__).resolve().parents[1]
OFF = {"PASSAGE_SHARE": 0.0}  # a share is off at 0, a factor at 1
FACTORS = (
    "NO_ANSWER", "OTHER_LABEL", "OFF_ROLE", "OFF_SUCCESSION", "PART_ROLE", "OTHER_NUMBER", "OFF_SUBJECT",
    "FEWER_NAMES", "OTHER_SUBJECT", "UNQUOTED", "UNDEFINED", "UNCOUNTED", "PART_COUNTED", "NO_WAY", "NOT_AFTER",
    "ASKING", "JOINED", "PASSAGE_SHARE",
)


def _figures(assistant: Assistant, questions: Path, store: Path) -> dict[str, float]:
    setup = EvalSetup(store=str(store), k=10, chunk_tokens=0, chunk_overlap=0)
    report = evaluate(load_qa(questions), lambda q: assistant.retrieve(q, 10), setup, ask=assistant.ask, progress=False)
    answers = report["answers"]
    return {
        "right": answers["overall"]["accuracy"],
        "first": answers["overall"]["first_sentence"],
        "refused": answers["null_refusal_rate"],
    }


def main() -> None:
    """Print one row per factor switched off (the first row: all as shipped)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/bench-store"), help="Store holding MultiHop-RAG.")
    parser.add_argument("--example-store", type=Path, default=Path("/tmp/questions-store"),
                        help="Store holding the example corpus and test articles.")
    parser.add_argument("--json", action="store_true", help="Print the rows as JSON.")
    args = parser.parse_args()

    sets = [
        ("natural", ROOT / "bench/questions/multihop_natural.jsonl", args.store),
        ("unseen", ROOT / "bench/questions/multihop_unseen.jsonl", args.store),
        ("third", ROOT / "bench/questions/multihop_unseen2.jsonl", args.store),
        ("fourth", ROOT / "bench/questions/multihop_unseen3.jsonl", args.store),
        ("fifth", ROOT / "bench/questions/multihop_unseen4.jsonl", args.store),
        ("sixth", ROOT / "bench/questions/multihop_unseen5.jsonl", args.store),
        ("seventh", ROOT / "bench/questions/multihop_unseen6.jsonl", args.store),
        ("example", ROOT / "tests/data/questions/corpus_questions.jsonl", args.example_store),
    ]
    assistants = {}
    for store in {s for _, _, s in sets}:
        settings = load_settings()
        settings.store.path, settings.store.host, settings.llm.mode = store, None, "extractive"
        assistants[store] = Assistant(settings)
    rows = []
    if not args.json:
        print("| factor | " + " | ".join(f"{n}: right / first / refused" for n, _, _ in sets) + " |")
        print("| --- |" + " ---: |" * len(sets))
    for factor in (None, *FACTORS):
        shipped = getattr(evidence, factor) if factor else None
        if factor:
            setattr(evidence, factor, OFF.get(factor, 1.0))
        try:
            row = {name: _figures(assistants[store], questions, store) for name, questions, store in sets}
        finally:
            if factor:
                setattr(evidence, factor, shipped)
        rows.append({"factor": factor or "as shipped", "value": shipped, **row})
        if not args.json:
            figures = " | ".join(f"{row[n]['right']:.2f} / {row[n]['first']:.2f} / {row[n]['refused']:.2f}"
                                 for n, _, _ in sets)
            label = f"{factor} off (shipped {shipped})" if factor else "as shipped"
            print(f"| {label} | {figures} |", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
