"""The README's Python example: ingest the example corpus into a temporary store and ask the seed question."""

import tempfile

from assistant import Assistant

with tempfile.TemporaryDirectory() as store:
    assistant = Assistant(store=store)
    report = assistant.ingest(["examples/corpus"])
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
