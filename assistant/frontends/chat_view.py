"""HTML for the chat page: answers whose `[n]` markers link to the sources panel, and the panel itself.

Everything shown from an article or typed by a user passes through `escape`, which also neutralises Markdown,
LaTeX and template syntax (the chat renders Markdown): article text is untrusted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.cite import by_number, dropped_note
from newsdesk.text import CITATION_MARKER
from newsdesk.types import Answer, Citation, Passage

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
    for m in CITATION_MARKER.finditer(answer.answer):
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
        reason = answer.refusal_reason or "no article in the corpus supports an answer"
        out.append(f'<br><em class="note refused">Not answered: {escape(reason)}.</em>')
    elif answer.unsupported:
        out.append(
            '<br><em class="note unsupported">Unsupported: no citation in this answer could be checked against the '
            "articles.</em>"
        )
    if note := dropped_note(answer):
        out.append(f'<br><em class="note dropped">{escape(note)}</em>')
    if answer.search_query and answer.search_query != answer.question:
        out.append(f'<br><small class="searched">Searched for: {escape(answer.search_query)}</small>')
    if answer.answered_by:
        out.append(f'<br><small class="answered-by">{escape(answer.answered_by)}</small>')
    return "".join(out)


def failure_html(message: str) -> str:
    """The friendly failure message in the chat."""
    return f'<em class="note failure">{escape(FAILURE)}: {escape(message)}. Please try again.</em>'


def sources_html(turns: Sequence[Turn], show_all: bool) -> str:
    """The sources panel: each answered turn's citations (newest turn first), grouped by article with every quote
    shown, and, on request, every retrieved passage."""
    blocks = []
    for number in range(len(turns), 0, -1):
        turn = turns[number - 1]
        if turn.answer is None:
            continue
        items = [_article_html(group, turn.answer.passages, number) for group in _by_article(turn.answer.citations)]
        if not items:
            items.append('<p class="no-citations">No sources cited.</p>')
        if show_all:
            items.append(_retrieved_html(turn.answer.passages, turn.answer.citations))
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


def _by_article(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by article, in the order of each article's first citation; by number within a group."""
    groups: dict[str, list[Citation]] = {}
    for c in sorted(citations, key=lambda c: c.n):
        groups.setdefault(c.article_id, []).append(c)
    return list(groups.values())


def _article_html(group: Sequence[Citation], passages: Sequence[Passage], turn: int) -> str:
    """One cited article: its title, source and date once, then its `[n]` with each of its quotes, all shown."""
    first = group[0]
    quotes = "".join(
        f'<div class="source" id="src-{turn}-{same[0].n}"><span class="n">[{same[0].n}]</span>'
        + "".join(f'<blockquote class="passage">{_quote_in_context(c, passages)}</blockquote>' for c in same)
        + "</div>"
        for same in by_number(group)
    )
    head = f'<div class="article-head">{_meta(first.title, first.source, first.published_at)}</div>'
    return f'<div class="source-article">{head}{quotes}{_link(first.url)}</div>'


CONTEXT_CHARS = 160  # article text shown on each side of a quote


def _quote_in_context(c: Citation, passages: Sequence[Passage]) -> str:
    """The quote highlighted, with up to CONTEXT_CHARS of its passage on each side (cut at a space)."""
    context = next((p for p in passages if p.article_id == c.article_id and p.start <= c.start <= c.end <= p.end), None)
    if context is None:
        return f"<mark>{escape(c.quote)}</mark>"
    a, b = c.start - context.start, c.end - context.start
    before, after = context.text[:a], context.text[b:]
    if len(before) > CONTEXT_CHARS:
        cut = before[-CONTEXT_CHARS:]
        if not before[-CONTEXT_CHARS - 1].isspace() and " " in cut:  # a word cut in two: drop its end
            cut = cut[cut.find(" ") + 1 :]
        before = "…" + cut
    if len(after) > CONTEXT_CHARS:
        cut = after[:CONTEXT_CHARS]
        if not after[CONTEXT_CHARS].isspace() and " " in cut:  # a word cut in two: drop its start
            cut = cut[: cut.rfind(" ")]
        after = cut + "…"
    return f"{escape(before)}<mark>{escape(context.text[a:b])}</mark>{escape(after)}"


RANK_LEGEND = "Best match first, as the search ranked them: shared words and closeness of meaning both count."
SIMILARITY_LEGEND = (
    f"{RANK_LEGEND} Similarity is how close a passage's meaning is to the question's (the cosine of their "
    "embeddings): about 0 for unrelated text, up to 1 for the same meaning. The assistant declines to answer when "
    "no passage reaches retrieval.min_relevance (0.2 by default)."
)


def _retrieved_html(passages: Sequence[Passage], citations: Sequence[Citation]) -> str:
    rows = []
    for p in passages:
        inside = (c for c in citations if c.article_id == p.article_id and p.start <= c.start <= c.end <= p.end)
        cited = sorted({c.n for c in inside})
        notes = []
        if p.relevance is not None:
            notes.append(f'<span class="score">similarity to the question {p.relevance:.2f}</span>')
        if cited:
            notes.append(f'<span class="cited">cited as {" ".join(f"[{n}]" for n in cited)}</span>')
        rows.append(
            f'<li class="retrieved"><div>{_meta(p.title, p.source, p.published_at)} {" · ".join(notes)}</div>'
            f"<blockquote>{escape(p.text)}</blockquote></li>"
        )
    legend = SIMILARITY_LEGEND if any(p.relevance is not None for p in passages) else RANK_LEGEND
    return (
        f'<details class="all-passages" open><summary>All {len(passages)} retrieved passages</summary>'
        f'<p class="legend">{escape(legend)}</p><ol>{"".join(rows)}</ol></details>'
    )
