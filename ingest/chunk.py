"""Token-aware chunking: whole sentences packed up to a token budget, with sentence-level overlap."""

from __future__ import annotations

from ingest.sentences import sentence_spans
from ingest.tokens import TokenCounter, cl100k
from newsdesk.types import Article, Chunk


def chunk_id_for(article_id: str, start: int, end: int) -> str:
    """Deterministic chunk id: the article and the character span it covers."""
    return f"{article_id}:{start}-{end}"


def _token_spans(text: str, start: int, end: int, max_tokens: int, tokens: TokenCounter) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `max_tokens` tokens, on token boundaries."""
    piece = text[start:end]
    offsets = tokens.starts(piece)
    spans = []
    i = 0
    while i < len(offsets):
        n = max_tokens
        while True:  # a piece cut mid-word can count more tokens on its own; take fewer until it fits
            b = offsets[i + n] if i + n < len(offsets) else len(piece)
            if n == 1 or tokens.count(" " + piece[offsets[i] : b]) <= max_tokens:
                break
            n -= 1
        spans.append((start + offsets[i], start + b))
        i += n
    return spans


def chunk_spans(
    text: str, max_tokens: int = 256, overlap: int = 32, tokens: TokenCounter | None = None
) -> list[tuple[int, int]]:
    """Character spans of the chunks of `text`: sentences packed greedily, never more than `max_tokens` tokens
    (of `tokens`, cl100k_base by default)."""
    tokens = tokens or cl100k()
    units: list[tuple[int, int, int]] = []  # (start, end, tokens)
    for s, e in sentence_spans(text):
        n = tokens.count(" " + text[s:e])
        if n <= max_tokens:
            units.append((s, e, n))
        else:
            pieces = _token_spans(text, s, e, max_tokens - 1, tokens)
            units.extend((a, b, tokens.count(" " + text[a:b])) for a, b in pieces)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and total + units[j][2] <= max_tokens:
            total += units[j][2]
            j += 1
        j = max(j, i + 1)
        start, end = units[i][0], units[j - 1][1]
        while j - 1 > i and tokens.count(text[start:end]) > max_tokens:
            j -= 1
            end = units[j - 1][1]
        spans.append((start, end))
        if j >= len(units):
            break
        # Step back over trailing sentences that fit in the overlap budget, always moving forward.
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= overlap:
            back -= 1
            carried += units[back][2]
        i = back
    return spans


def chunk_article(
    article: Article, max_tokens: int = 256, overlap: int = 32, tokens: TokenCounter | None = None
) -> list[Chunk]:
    """The article's chunks, each a verbatim slice of `article.text` with its offsets.

    `max_tokens` bounds what is embedded for a chunk: `embedding_text` (the article's header, then the chunk's
    text) plus the tokens the embedder adds, counted with `tokens` (the embedder's tokenizer; cl100k_base by
    default). Only a header taking more than three quarters of the budget leaves less: the text keeps a quarter.
    """
    tokens = tokens or cl100k()
    room = max_tokens - tokens.added - tokens.count(_header(article))
    return [
        Chunk(
            chunk_id=chunk_id_for(article.article_id, s, e),
            article_id=article.article_id,
            index=i,
            text=article.text[s:e],
            start=s,
            end=e,
        )
        for i, (s, e) in enumerate(chunk_spans(article.text, max(room, max_tokens // 4), overlap, tokens))
    ]


def _header(article: Article) -> str:
    """The lines `embedding_text` puts before every chunk of the article: its title, then source and date."""
    header = " | ".join(part for part in (article.source, article.published_at[:10]) if part)
    return f"{article.title}\n{header}\n" if header else f"{article.title}\n"


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What is embedded and keyword-indexed for a chunk: its article's title, source and date, then the text."""
    return _header(article) + chunk.text
