"""Follow-up questions in a chat: does the second turn keep the first one's subject?

    .venv/bin/python -m bench.follow_ups [CONVERSATIONS.jsonl] [--store DIR] [--llm extractive] [--json]

CONVERSATIONS.jsonl defaults to bench/questions/multihop_follow_ups.jsonl: two-turn conversations over the
MultiHop-RAG corpus whose second turn leans on the first ("How old is he?", "When did it open?", "How long is the
contract?", "And the year before?", or both typed in lower case). Each first turn is asked; the second is then asked
with that exchange as history, as the page, Slack and the chat endpoint pass it, and once more alone. Reported per
kind of follow-up: the gold string in the second answer's first sentence and anywhere in it, with the history and
without, its refusals, and the first turns answered. `--json` adds each conversation's standalone question (the
`search_query` the follow-up was rewritten into) and answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant import Assistant
from assistant.evaluate import contains_gold, first_sentence
from bench.answers import add_store_options, bench_assistant

CONVERSATIONS = Path(__file__).resolve().parent / "questions" / "multihop_follow_ups.jsonl"
FIGURES = ("first", "anywhere", "alone_first", "alone_anywhere", "refused", "turn_one")


def score(assistant: Assistant, conversation: dict[str, Any]) -> dict[str, Any]:
    """Ask one conversation's turns and score its follow-up, with and without the history."""
    opening, follow_up = conversation["turns"]
    gold = conversation["answers"]
    before = assistant.ask(opening)
    after = assistant.ask(follow_up, history=[(opening, before.answer)])
    alone = assistant.ask(follow_up)
    answered = not after.refused
    return {
        "id": conversation["id"],
        "kind": conversation["kind"],
        "turns": [opening, follow_up],
        "search_query": after.search_query,
        "answer": after.answer,
        "first": float(answered and contains_gold(first_sentence(after.answer), gold)),
        "anywhere": float(answered and contains_gold(after.answer, gold)),
        "alone_first": float(not alone.refused and contains_gold(first_sentence(alone.answer), gold)),
        "alone_anywhere": float(not alone.refused and contains_gold(alone.answer, gold)),
        "refused": float(after.refused),
        "turn_one": float(not before.refused and contains_gold(before.answer, conversation["first_answers"])),
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Per kind of follow-up and overall: the share of conversations for each figure."""
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        kinds[row["kind"]].append(row)
    lines = [
        "| follow-up | n | first sentence | anywhere | alone: first | alone: anywhere | refused | turn 1 right |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, group in [*sorted(kinds.items()), ("all", rows)]:
        means = [sum(r[f] for r in group) / len(group) for f in FIGURES]
        lines.append(f"| {name} | {len(group)} | " + " | ".join(f"{m:.2f}" for m in means) + " |")
    return "\n".join(lines)


def main() -> None:
    """Ask every conversation against the store and print the table (or the JSON report)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conversations", nargs="?", type=Path, default=CONVERSATIONS)
    add_store_options(parser)
    parser.add_argument("--json", action="store_true", help="Print every conversation's figures as JSON.")
    args = parser.parse_args()

    assistant = bench_assistant(args)
    with args.conversations.open(encoding="utf-8") as f:
        conversations = [json.loads(line) for line in f if line.strip()]
    rows = [score(assistant, c) for c in conversations]
    if args.json:
        json.dump(rows, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return
    print(table(rows))


if __name__ == "__main__":
    main()
