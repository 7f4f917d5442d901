"""HTML for the chat page: answers whose `[n]` markers link to the sources panel, and the panel itself.

Everything shown from an article or typed by a user passes through `escape`, which also neutralises Markdown,
LaTeX and template syntax (the chat renders Markdown): article text is untrusted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.cite import dropped_note
from assistant.types import Answer, Citation, Passage

_MARKER = re.compile(r"\[(\d+)\]")
# Characters that Markdown, GitHub-flavoured Markdown, KaTeX or a JS/Handlebars template would interpret.
_SPECIAL = {ch: f"&#{ord(ch)};" for ch in "\\`*_[](){}#+-!|~$<>&\"'"}
_TABLE = str.maketrans(_SPECIAL)

EMPTY_SOURCES = '<div class="sources-empty">Sources of each answer appear here.</div>'
FAILURE = "Sorry, the assistant could not answer just now"


@dataclass
class Turn:
    """One exchange of a chat session: the question, then the answer or the failure message."""

    question: str
    answer: Answer | None = None
    failure: str | None = None

    def reply_text(self) -> str:
        """What the assistant said, as history for the next question."""
        return self.answer.answer if self.answer else ""


def escape(text: str) -> str:
    """Text as inert HTML that Markdown leaves alone."""
    return text.translate(_TABLE)


def streaming_html(text: str) -> str:
    """A partly written answer."""
    return f'<span class="streaming">{escape(text)}</span> …'


def answer_html(answer: Answer, turn: int) -> str:
    """The answer with each cited `[n]` as a link to its source; refusals and unsupported answers say so."""
    cited = {c.n for c in answer.citations}
    parts, pos = [], 0
    for m in _MARKER.finditer(answer.answer):
        parts.append(escape(answer.answer[pos : m.start()]))
        n = int(m.group(1))
        if n in cited:
            parts.append(f'<a class="cite" href="#src-{turn}-{n}">[{n}]</a>')
        else:
            parts.append(escape(m.group(0)))
        pos = m.end()
    parts.append(escape(answer.answer[pos:]))
    out = [f'<span class="answer">{"".join(parts)}</span>']
    if answer.refused:
        out.append('<br><em class="note refused">Not answered: no article in the corpus supports an answer.</em>')
    elif answer.unsupported:
        out.append(
            '<br><em class="note unsupported">Unsupported: no citation in this answer could be checked against the '
            "articles.</em>"
        )
    if note := dropped_note(answer):
        out.append(f'<br><em class="note dropped">{escape(note)}</em>')
    if answer.search_query and answer.search_query != answer.question:
        out.append(f'<br><small class="searched">Searched for: {escape(answer.search_query)}</small>')
    return "".join(out)


def failure_html(message: str) -> str:
    """The friendly failure message in the chat."""
    return f'<em class="note failure">{escape(FAILURE)}: {escape(message)}. Please try again.</em>'


def sources_html(turns: Sequence[Turn], show_all: bool) -> str:
    """The sources panel: each answered turn's citations (newest turn first) and, on request, every passage."""
    blocks = []
    for number in range(len(turns), 0, -1):
        turn = turns[number - 1]
        if turn.answer is None:
            continue
        items = [_citation_html(c, turn.answer.passages, number) for c in turn.answer.citations]
        if not items:
            items.append('<p class="no-citations">No sources cited.</p>')
        if show_all:
            items.append(_retrieved_html(turn.answer.passages))
        heading = f"<h4>{number}. {escape(turn.question)}</h4>"
        blocks.append(f'<section class="turn" id="turn-{number}">{heading}{"".join(items)}</section>')
    return "".join(blocks) or EMPTY_SOURCES


def _meta(title: str, source: str, published_at: str) -> str:
    details = " · ".join(escape(x) for x in (source, published_at[:10]) if x)
    meta = f' <span class="meta">— {details}</span>' if details else ""
    return f'<span class="title">{escape(title)}</span>{meta}'



def _link(url: str) -> str:
    if not re.match(r"https?://", url):
        return ""
    href = html.escape(url, quote=True)
    return f'<a class="article-url" href="{href}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'


def _citation_html(c: Citation, passages: Sequence[Passage], turn: int) -> str:
    context = next((p for p in passages if p.article_id == c.article_id and p.start <= c.start <= c.end <= p.end), None)
    if context is None:
        quoted = f"<mark>{escape(c.quote)}</mark>"
    else:
        a, b = c.start - context.start, c.end - context.start
        quoted = f"{escape(context.text[:a])}<mark>{escape(context.text[a:b])}</mark>{escape(context.text[b:])}"
    return (
        f'<details class="source" id="src-{turn}-{c.n}"><summary>[{c.n}] {_meta(c.title, c.source, c.published_at)}'
        f'</summary><blockquote class="passage">{quoted}</blockquote>{_link(c.url)}</details>'
    )


def _score(p: Passage) -> str:
    """Cosine relevance to the question when known, else the rank score."""
    return f"relevance {p.relevance:.2f}" if p.relevance is not None else f"score {p.score:.2f}"


def _retrieved_html(passages: Sequence[Passage]) -> str:
    rows = "".join(
        f'<li class="retrieved"><div>{_meta(p.title, p.source, p.published_at)} <span class="score">'
        f"{_score(p)}</span></div><blockquote>{escape(p.text)}</blockquote></li>"
        for p in passages
    )
    return (
        f'<details class="all-passages" open><summary>All {len(passages)} retrieved passages</summary>'
        f"<ol>{rows}</ol></details>"
    )
