"""Load: N chat sessions at once against a real `assistant serve` on loopback for a fixed time; prints the latency
percentiles of streamed answers (first text and full answer), errors and 429s.

    .venv/bin/python -m bench.load [--store DIR] [--sessions 20] [--seconds 60] [--max-concurrency 8]
                                   [--queue-timeout 10] [--questions QA.jsonl]

Each session is a chat over /api/ask/stream: a question, then a follow-up sent with the history, then a new chat.
Without --store the example corpus is ingested into a temporary store and the sessions hold the three example
conversations; with --questions (JSONL with a "question" field) each turn is a new question from that file.
A 429 (more requests than `server.max_concurrency` and no slot within `server.queue_timeout`) counts apart from
errors; an error is any other non-200 status, an `error` event, a stream without an answer, or a failed request.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.serve import served

CONVERSATIONS = [
    ("Who leads the interim government?", "Who did he appoint as prime minister?"),
    ("How much will Harborview spend on flood barriers?", "When is work on them expected to begin?"),
    ("When did the coastal railway reopen?", "How often will trains run on it?"),
    ("Who will lead Lumen Robotics as interim chief executive?", "Who did she replace?"),
    ("How much did attendance at evening lessons rise?", "Who installed the kiosks?"),
]


@dataclass
class Tally:
    """What the sessions saw, in milliseconds."""

    first_text: list[float] = field(default_factory=list)
    full_answer: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def turn(client: httpx.Client, body: dict[str, object], tally: Tally) -> str | None:
    """One streamed answer; records its timings; returns the answer text (None on failure)."""
    started = time.perf_counter()
    first = None
    try:
        with client.stream("POST", "/api/ask/stream", json=body) as response:
            if response.status_code == 429:
                response.read()
                with tally.lock:
                    tally.busy += 1
                return None
            if response.status_code != 200:
                response.read()
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
            event, answer = "", None
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                    if first is None:
                        first = (time.perf_counter() - started) * 1000
                elif line.startswith("data:") and event == "answer":
                    answer = json.loads(line[5:])
                elif line.startswith("data:") and event == "error":
                    raise RuntimeError(f"error event: {line[5:].strip()}")
        if answer is None:
            raise RuntimeError("the stream ended without an answer")
    except (httpx.HTTPError, RuntimeError) as exc:
        with tally.lock:
            tally.errors.append(f"{type(exc).__name__}: {exc}")
        return None
    with tally.lock:
        tally.first_text.append(first if first is not None else math.nan)
        tally.full_answer.append((time.perf_counter() - started) * 1000)
    return str(answer["answer"])


def session(base: str, deadline: float, conversations: Iterator[tuple[str, str | None]], tally: Tally) -> None:
    """Chat until the deadline: question, follow-up with the history, new chat."""
    with httpx.Client(base_url=base, timeout=120) as client:
        while time.monotonic() < deadline:
            question, follow_up = next(conversations)
            answer = turn(client, {"question": question}, tally)
            if answer is not None and follow_up and time.monotonic() < deadline:
                turn(client, {"question": follow_up, "history": [[question, answer]]}, tally)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(v for v in values if not math.isnan(v))
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="An ingested store (default: the example corpus, ingested now).")
    parser.add_argument("--questions", type=Path, help='JSONL with a "question" field (single-turn chats).')
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-concurrency", type=int, default=8, help="server.max_concurrency of the server.")
    parser.add_argument("--queue-timeout", type=float, default=10.0, help="server.queue_timeout of the server.")
    args = parser.parse_args()

    if args.questions:
        pool = [(json.loads(line)["question"], None) for line in args.questions.open() if line.strip()]
    else:
        pool = list(CONVERSATIONS)
    lock = threading.Lock()
    cycle = itertools.cycle(pool)

    def conversations() -> Iterator[tuple[str, str | None]]:
        while True:
            with lock:
                item = next(cycle)
            yield item

    os.environ["ASSISTANT_SERVER__MAX_CONCURRENCY"] = str(args.max_concurrency)
    os.environ["ASSISTANT_SERVER__QUEUE_TIMEOUT"] = str(args.queue_timeout)
    with served(args.store, "bench-load-") as (base, store):
        warm = Tally()
        session(base, time.monotonic() + 3, conversations(), warm)  # load models and caches first
        tally = Tally()
        started = time.monotonic()
        threads = [
            threading.Thread(target=session, args=(base, started + args.seconds, conversations(), tally))
            for _ in range(args.sessions)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
    answers = len(tally.full_answer)
    print(
        f"{args.sessions} chat sessions for {wall:.0f} s against `assistant serve` on loopback "
        f"(extractive answerer, max_concurrency {args.max_concurrency}, queue_timeout {args.queue_timeout:g} s, "
        f"store {store})"
    )
    print(f"answers {answers}  ({answers / wall:.1f}/s)  errors {len(tally.errors)}  429s {tally.busy}")
    for name, values in (("first text", tally.first_text), ("full answer", tally.full_answer)):
        print(
            f"{name:12} p50 {percentile(values, 0.5):7.0f} ms  "
            f"p95 {percentile(values, 0.95):7.0f} ms  max {max(values, default=math.nan):7.0f} ms"
        )
    for error in tally.errors[:5]:
        print("error:", error)

if __name__ == "__main__":
    main()
