"""An answer as one plain text for chat clients (the OpenAI-compatible endpoint, MCP): the text with its `[n]`
markers, then a "Sources" section with each citation's title, source, date, link and quote, or the refusal's
reason."""

from __future__ import annotations

from newsdesk.types import Answer

SOURCES_HEADING = "\n\nSources:\n"


def answer_tail(answer: Answer) -> str:
    """What follows the answer's text: its Sources section, or the reason for a refusal (empty when neither)."""
    if answer.refused:
        return f"\n\n({answer.refusal_reason})" if answer.refusal_reason else ""
    if not answer.citations:
        return ""
    lines = []
    for c in answer.citations:
        meta = ", ".join(p for p in (c.source, c.published_at) if p)
        lines.append(f"[{c.n}] {c.title}" + (f" — {meta}" if meta else ""))
        if c.url:
            lines.append(f"    {c.url}")
        lines.append(f'    "{c.quote}"')
    return SOURCES_HEADING + "\n".join(lines)


def cited_text(answer: Answer) -> str:
    """The answer's text, then its Sources section or refusal reason."""
    return answer.answer + answer_tail(answer)


def without_sources(text: str) -> str:
    """An earlier answer as history: its text without the Sources section a client sent back with it."""
    return text.split(SOURCES_HEADING, 1)[0]
