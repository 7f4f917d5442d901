"""The README's Python example: ingest the example corpus into a temporary store and ask the seed question.

Runs from any directory: the corpus is found beside this file.
"""

import tempfile
from pathlib import Path

from assistant import Assistant

CORPUS = Path(__file__).resolve().parent / "corpus"

with tempfile.TemporaryDirectory() as store:
    assistant = Assistant(store=store)
    report = assistant.ingest([CORPUS])
    print(report.summary())

    answer = assistant.ask("Who leads the interim government?")
    print(answer.answer)
    for c in answer.citations:
        print(f"[{c.n}] {c.title} ({c.source}, {c.published_at}): {c.quote!r} at {c.start}-{c.end}")

    follow_up = assistant.ask(
        "Who did he appoint as prime minister?",
        history=[("Who leads the interim government?", answer.answer)],
    )
    print(follow_up.search_query, "->", follow_up.answer)
