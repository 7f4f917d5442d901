"""Boilerplate removal at ingest: lines and characters each rule of ingest/clean.py cuts from a news corpus.

    .venv/bin/python -m bench.clean [PATH] [--samples N]

PATH defaults to the MultiHop-RAG corpus in ../shared (evaluation data; read, never copied): a .jsonl file of
records with a `body`. `--samples N` prints N cut lines per rule, to read for false positives. When the corpus's
qa_dev.jsonl is beside it, the evidence facts (sentences the questions are answered from) that a rule cut are
counted and printed: a real news sentence cut is a rule to narrow.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.evaluate import stored_form  # noqa: E402
from ingest.clean import CUT_RULE_NAMES, normalize_inline, strip_boilerplate  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"


def squeeze(text: str) -> str:
    """Text without whitespace, as MultiHop-RAG compares facts with chunks."""
    return "".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--samples", type=int, default=0, help="Print this many cut lines per rule.")
    args = parser.parse_args()

    records = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cut_lines: dict[str, list[str]] = defaultdict(list)
    cut_chars: dict[str, int] = defaultdict(int)
    touched: dict[str, set[int]] = defaultdict(set)
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    total_lines = total_chars = 0
    for i, record in enumerate(records):
        kept_lines: list[str] = []
        lines = [line for raw in record["body"].split("\n") if (line := normalize_inline(raw))]
        for line in lines:
            kept, rule = strip_boilerplate(line)
            kept_lines.append(kept)
            if rule:
                cut_lines[rule].append(line)
                cut_chars[rule] += len(line) - len(kept)
                touched[rule].add(i)
        total_lines += len(lines)
        total_chars += sum(map(len, lines))
        before[record.get("id", str(i))] = squeeze("".join(lines))
        after[record.get("id", str(i))] = squeeze("".join(kept_lines))

    print(f"corpus: {args.path.name}  articles: {len(records)}  lines: {total_lines}  characters: {total_chars}")
    print(f"{'rule':<16}{'lines':>8}{'characters':>12}{'% chars':>9}{'articles':>10}")
    for rule in sorted(cut_lines, key=lambda r: -cut_chars[r]):
        print(f"{rule:<16}{len(cut_lines[rule]):>8}{cut_chars[rule]:>12}{100 * cut_chars[rule] / total_chars:>8.2f}%"
              f"{len(touched[rule]):>10}")
    lines_cut, chars_cut = sum(map(len, cut_lines.values())), sum(cut_chars.values())
    articles = len(set().union(*touched.values())) if touched else 0
    print(f"{'all':<16}{lines_cut:>8}{chars_cut:>12}{100 * chars_cut / max(total_chars, 1):>8.2f}%{articles:>10}")
    print(f"({', '.join(CUT_RULE_NAMES)} cut part of a line, and the line when nothing is left; the others whole"
          " lines)")

    qa = args.path.with_name("qa_dev.jsonl")
    if qa.exists():
        facts = [e for line in qa.read_text(encoding="utf-8").splitlines() for e in json.loads(line)["evidence"]]
        lost = [e for e in facts if e["doc_id"] in before and squeeze(e["fact"]) in before[e["doc_id"]]
                and squeeze(stored_form(e["fact"])) not in after[e["doc_id"]]]
        print(f"evidence facts ({qa.name}): {len(facts)}, cut by a rule: {len(lost)}")
        for e in lost:
            print(f"  cut fact {e['doc_id']}: {e['fact'][:160]!r}")

    rng = random.Random(0)
    for rule in sorted(cut_lines) if args.samples else ():
        print(f"\n{rule}:")
        for line in rng.sample(cut_lines[rule], min(args.samples, len(cut_lines[rule]))):
            print(f"  {line[:200]!r}")


if __name__ == "__main__":
    main()
