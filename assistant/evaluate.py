"""Score retrieval (and optionally answers) on a MultiHop-RAG-style QA file, the way the paper scores them.

Retrieval (null queries excluded): a retrieved chunk is a hit when it contains a gold evidence `fact`, compared with
all whitespace removed (both sides NFKC-normalised, as ingest normalises article text). Hits@4 / Hits@10: a hit in
the top 4 / 10. MRR@10: 1 / rank of the first hit. MAP@10: the paper's definition (each newly found fact adds
1 / its rank; divided by min(#facts, 10)). Evidence recall@10: share of the question's facts found in the top 10;
all evidence@10: whether every fact is. Answers (with `answers=True`): lenient accuracy = the lower-cased answer
shares a whitespace-separated word with the gold answer (the paper's test), strict = equal after dropping `[n]`
markers, lower-casing and stripping punctuation; null queries count as refused or not, answerable ones as falsely
refused or not. Accuracy = a gold string (the `answer`, or any of the accepted `answers`) occurs in the answer as
whole words (case, quote style, whitespace and citation markers aside); first sentence = it occurs in the answer's
first sentence, as ingest/sentences.py splits the answer with its `[n]` markers dropped. Every answer figure is
given overall and per question type, with the number of questions behind it.
"""

from __future__ import annotations

import json
import re
import string
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ingest.clean import strip_boilerplate
from ingest.sentences import split_sentences
from ingest.store import Store
from newsdesk.errors import AssistantError
from newsdesk.settings import IngestSettings
from newsdesk.text import CITATION_MARKER
from newsdesk.types import Answer, Passage

NULL_TYPE = "null_query"
_SPACE = re.compile(r"\s+")
_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"', "‐": "-", "–": "-", "—": "-"})


class QAFileError(AssistantError, ValueError):
    """The QA file cannot be read; the message is one line meant for the user."""


@dataclass(frozen=True)
class QAItem:
    """One question with its gold answer and evidence facts."""

    qid: str
    question: str
    answer: str
    question_type: str
    facts: tuple[str, ...]
    accepted: tuple[str, ...] = ()  # every acceptable gold string (the file's "answers"); empty: `answer` alone

    @property
    def gold(self) -> tuple[str, ...]:
        """The strings a right answer contains one of: the accepted ones, else the gold answer."""
        return self.accepted or ((self.answer,) if self.answer.strip() else ())

    @property
    def is_null(self) -> bool:
        """A question the corpus cannot answer (no evidence)."""
        return self.question_type == NULL_TYPE or not self.facts


def load_qa(path: Path) -> list[QAItem]:
    """Read a JSONL file of {id, question, answer, question_type, evidence: [{fact, ...}]} lines.

    A line may add "answers": a list of acceptable gold strings (["Ba N'Daou", "Bah N'Daou"]); "answer" then
    defaults to the first of them.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QAFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise QAFileError(f"{path} is not UTF-8 text") from None
    items = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            facts = tuple(str(e["fact"]) for e in row.get("evidence") or [])
            listed = row.get("answers") or []
            if not isinstance(listed, list):
                raise QAFileError(f'{path} line {lineno}: "answers" must be a list of strings')
            accepted = tuple(str(a) for a in listed if str(a).strip())
            items.append(
                QAItem(
                    qid=str(row.get("id", lineno)),
                    question=str(row["question"]),
                    answer=str(row.get("answer") or (accepted[0] if accepted else "")),
                    question_type=str(row.get("question_type") or "unknown"),
                    facts=facts,
                    accepted=accepted,
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise QAFileError(
                f'{path} line {lineno}: expected a JSON object with "question" and "evidence": [{{"fact": ...}}]'
            ) from None
    if not items:
        raise QAFileError(f"{path} holds no questions")
    return items


def squash(text: str) -> str:
    """`text` NFKC-normalised with every whitespace character removed: the form facts and chunks are compared in."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def stored_form(fact: str) -> str:
    """A gold fact as ingest stores its line: without a boilerplate part ("6d ago 22.54 GMT" before a live-blog
    entry); whole when a rule would drop all of it."""
    return strip_boilerplate(fact)[0] or fact


def retrieval_scores(texts: Sequence[str], facts: Sequence[str], k: int = 10) -> dict[str, float]:
    """The paper's per-question retrieval scores for the retrieved chunk texts (best first) against gold facts, each
    in its stored form."""
    gold = list(dict.fromkeys(squash(stored_form(f)) for f in facts))
    found: set[str] = set()
    first: int | None = None
    average_precision = 0.0
    for rank, text in enumerate(texts[:k], 1):
        chunk = squash(text)
        hits = [g for g in gold if g in chunk]
        if not hits:
            continue
        first = first or rank
        new = [g for g in hits if g not in found]
        found.update(new)
        average_precision += len(new) / rank
    return {
        "hits@4": float(first is not None and first <= 4),
        f"hits@{k}": float(first is not None),
        f"mrr@{k}": 1.0 / first if first else 0.0,
        f"map@{k}": average_precision / min(len(gold), k) if gold else 0.0,
        f"evidence_recall@{k}": len(found) / len(gold) if gold else 0.0,
        f"all_evidence@{k}": float(bool(gold) and len(found) == len(gold)),
    }


def lenient_match(prediction: str, gold: str) -> bool:
    """The paper's answer test: the lower-cased strings share a whitespace-separated word."""
    return bool(set(prediction.lower().split()) & set(gold.lower().split()))


def strict_match(prediction: str, gold: str) -> bool:
    """Exact match after dropping `[n]` citation markers, lower-casing, dropping punctuation and collapsing spaces."""
    norm = lambda s: " ".join(CITATION_MARKER.sub(" ", s).lower().translate(_PUNCT).split())  # noqa: E731
    return bool(norm(gold)) and norm(prediction) == norm(gold)


def _match_form(text: str) -> str:
    """`text` as gold strings are looked for in it: NFKC, no `[n]` markers, straight quotes, one space, lower case."""
    text = CITATION_MARKER.sub(" ", unicodedata.normalize("NFKC", text)).translate(_QUOTES)
    return " ".join(text.split()).casefold()


def contains_gold(text: str, gold: Iterable[str]) -> bool:
    """Whether one of the `gold` strings occurs in `text` as whole words ("Yes" is not found in "yesterday")."""
    haystack = _match_form(text)
    for answer in gold:
        needle = _match_form(answer)
        if needle and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            return True
    return False


def first_sentence(answer: str) -> str:
    """The answer's first sentence: ingest/sentences.py's first, once the `[n]` citation markers are dropped."""
    sentences = split_sentences(" ".join(CITATION_MARKER.sub(" ", answer).split()))
    return sentences[0] if sentences else ""


def answer_scores(item: QAItem, answer: Answer) -> dict[str, float]:
    """One answerable question's answer figures: the paper's lenient and strict tests, a gold string anywhere in the
    answer (accuracy) and in its first sentence, and whether it was refused."""
    given = not answer.refused
    return {
        "lenient": float(given and lenient_match(answer.answer, item.answer)),
        "strict": float(given and strict_match(answer.answer, item.answer)),
        "false_refusal": float(answer.refused),
        "accuracy": float(given and contains_gold(answer.answer, item.gold)),
        "first_sentence": float(given and contains_gold(first_sentence(answer.answer), item.gold)),
    }


def _counted(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """The mean of each figure over `rows`, with their number as "questions"."""
    return {**_mean(rows), "questions": len(rows)} if rows else {}


def _mean(rows: Iterable[dict[str, float]]) -> dict[str, float]:
    rows = list(rows)
    if not rows:
        return {}
    return {key: round(sum(r[key] for r in rows) / len(rows), 4) for key in rows[0]}


def store_chunking(store: Store, fallback: IngestSettings) -> tuple[int, int]:
    """(chunk tokens, overlap) the store's articles were chunked with (their recorded chunker), else the settings'."""
    seen: dict[tuple[int, int], int] = {}
    for meta in store.articles().values():
        parts = str(meta.get("chunker", "")).split("/")  # "cl100k_base/256/32/v1"
        if len(parts) >= 3 and parts[1].isdigit() and parts[2].isdigit():
            key = (int(parts[1]), int(parts[2]))
            seen[key] = seen.get(key, 0) + 1
    return max(seen, key=seen.__getitem__) if seen else (fallback.chunk_tokens, fallback.chunk_overlap)


@dataclass
class EvalSetup:
    """What the figures were measured with, reported beside every figure."""

    store: str
    k: int
    chunk_tokens: int
    chunk_overlap: int
    reranker: str | None = None  # "<model> at <url>" when `rerank.url` is set
    answer_k: int | None = None  # passages each answer is written from (`retrieval.k`), when answers are asked


def evaluate(
    items: Sequence[QAItem],
    retrieve: Callable[[str], list[Passage]],
    setup: EvalSetup,
    ask: Callable[[str], Answer] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run every question through `retrieve` (and `ask`), returning overall and per-type figures with latencies."""
    k = setup.k
    per_type: dict[str, list[dict[str, float]]] = defaultdict(list)
    answers: dict[str, list[dict[str, float]]] = defaultdict(list)
    null_refused: dict[str, list[dict[str, float]]] = defaultdict(list)
    seconds: list[float] = []
    answer_seconds: list[float] = []
    questions = []
    for item in tqdm(items, desc="evaluating", unit="q", disable=not progress):
        row: dict[str, Any] = {"id": item.qid, "question_type": item.question_type}
        if not item.is_null:
            started = time.perf_counter()
            passages = retrieve(item.question)
            seconds.append(time.perf_counter() - started)
            scores = retrieval_scores([p.text for p in passages], item.facts, k)
            per_type[item.question_type].append(scores)
            row.update(scores, retrieved=[p.chunk_id for p in passages])
        if ask is not None:
            started = time.perf_counter()
            answer = ask(item.question)
            answer_seconds.append(time.perf_counter() - started)
            row.update(answer=answer.answer, refused=answer.refused, refusal_reason=answer.refusal_reason)
            if item.is_null:
                null_refused[item.question_type].append({"refused": float(answer.refused)})
            else:
                scores = answer_scores(item, answer)
                answers[item.question_type].append(scores)
                row.update(correct=bool(scores["accuracy"]), in_first_sentence=bool(scores["first_sentence"]))
        questions.append(row)
    everything = [s for rows in per_type.values() for s in rows]
    latencies = sorted(seconds)
    report: dict[str, Any] = {
        "setup": {**setup.__dict__, "questions": len(items), "scored_for_retrieval": len(everything)},
        "retrieval": {"overall": _mean(everything), "by_type": {t: _mean(r) for t, r in sorted(per_type.items())}},
        "latency_ms": {
            "p50": round(1000 * _at(latencies, 0.5), 1) if latencies else None,
            "p95": round(1000 * _at(latencies, 0.95), 1) if latencies else None,
        },
    }
    if ask is not None:
        answerable = [a for rows in answers.values() for a in rows]
        nulls = [r for rows in null_refused.values() for r in rows]
        report["answers"] = {
            "overall": _counted(answerable),
            "by_type": {t: _counted(r) for t, r in sorted(answers.items())},
            "null_refusal_rate": _mean(nulls)["refused"] if nulls else None,
            "null_questions": len(nulls),
            "null_by_type": {t: _counted(r) for t, r in sorted(null_refused.items())},
            "seconds_per_answer": _seconds(answer_seconds),
        }
    report["questions"] = questions
    return report


def _seconds(values: list[float]) -> dict[str, float | None]:
    """Mean and median of the time `ask` took per question (every question, refusals included), in seconds."""
    ordered = sorted(values)
    if not ordered:
        return {"mean": None, "p50": None}
    return {"mean": round(sum(ordered) / len(ordered), 3), "p50": round(_at(ordered, 0.5), 3)}


def _at(ordered: list[float], share: float) -> float:
    """The value `share` of the way up a sorted, non-empty list (0.5: the median as the report takes it)."""
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def format_report(report: dict[str, Any]) -> str:
    """The figures as a plain-text table."""
    setup = report["setup"]
    lines = [
        f"store {setup['store']}: chunks of <= {setup['chunk_tokens']} tokens (overlap {setup['chunk_overlap']}), "
        f"top {setup['k']}; {setup['scored_for_retrieval']} of {setup['questions']} questions scored for retrieval"
        + (f"; reranker {setup['reranker']}" if setup.get("reranker") else ""),
    ]
    overall = report["retrieval"]["overall"]
    if overall:
        keys = list(overall)
        lines.append("retrieval".ljust(20) + "".join(k.rjust(20) for k in keys))
        rows = [("overall", overall), *report["retrieval"]["by_type"].items()]
        for name, values in rows:
            lines.append(name.ljust(20) + "".join(f"{values[k]:.4f}".rjust(20) for k in keys))
    latency = report["latency_ms"]
    if latency["p50"] is not None:
        lines.append(f"retrieval latency: p50 {latency['p50']} ms, p95 {latency['p95']} ms")
    if "answers" in report:
        if setup.get("answer_k"):
            lines.append(f"answers from the top {setup['answer_k']} passages per question (retrieval.k)")
        lines.extend(_answer_table(report["answers"]))
    return "\n".join(lines)


_ANSWER_COLUMNS = {
    "accuracy": "accuracy",
    "first_sentence": "first sentence",
    "false_refusal": "false refusals",
    "lenient": "lenient",
    "strict": "strict",
}


def _answer_table(answers: dict[str, Any]) -> list[str]:
    """The answer figures per question type: answerable types, then all of them, then the null types' refusals."""
    lines: list[str] = []
    if answers["overall"]:
        header = "".join(title.rjust(16) for title in _ANSWER_COLUMNS.values())
        lines.append("answers".ljust(20) + "questions".rjust(10) + header)
        for name, values in [*answers["by_type"].items(), ("all answerable", answers["overall"])]:
            lines.append(
                name.ljust(20) + str(values["questions"]).rjust(10)
                + "".join(f"{values[key]:.4f}".rjust(16) for key in _ANSWER_COLUMNS)
            )
    if answers["null_by_type"]:
        lines.append("unanswerable".ljust(20) + "questions".rjust(10) + "refused".rjust(16))
        for name, values in answers["null_by_type"].items():
            lines.append(name.ljust(20) + str(values["questions"]).rjust(10) + f"{values['refused']:.4f}".rjust(16))
        lines.append(f"null questions refused: {answers['null_refusal_rate']:.4f} of {answers['null_questions']}")
    timing = answers.get("seconds_per_answer") or {}
    if timing.get("mean") is not None:
        lines.append(f"seconds per answer: mean {timing['mean']:.3f}, p50 {timing['p50']:.3f}")
    return lines
