"""An answer as one plain text for chat clients (the OpenAI-compatible endpoint, MCP): the text with its `[n]`
markers, then a "Sources" section with each citation's title, source, date, link and quote, or the refusal's
reason."""

from __future__ import annotations

from newsdesk.types import Answer

SOURCES_HEADING = "\n\nSources:\n"


def source_entry(n: int, title: str, source: str, published_at: str, url: str, text: str) -> list[str]:
    """One numbered source as lines: `[n] title — source, date`, its URL, then its text in quotes."""
    meta = ", ".join(p for p in (source, published_at) if p)
    lines = [f"[{n}] {title}" + (f" — {meta}" if meta else "")]
    if url:
        lines.append(f"    {url}")
    lines.append(f'    "{text}"')
    return lines


def answer_tail(answer: Answer) -> str:
    """What follows the answer's text: its Sources section, or the reason for a refusal (empty when neither)."""
    if answer.refused:
        return f"\n\n({answer.refusal_reason})" if answer.refusal_reason else ""
    if not answer.citations:
        return ""
    entries = (source_entry(c.n, c.title, c.source, c.published_at, c.url, c.quote) for c in answer.citations)
    return SOURCES_HEADING + "\n".join(line for entry in entries for line in entry)


def cited_text(answer: Answer) -> str:
    """The answer's text, then its Sources section or refusal reason."""
    return answer.answer + answer_tail(answer)


def without_sources(text: str) -> str:
    """An earlier answer as history: its text without the Sources section a client sent back with it."""
    return text.split(SOURCES_HEADING, 1)[0]
