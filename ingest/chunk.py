"""Token-aware chunking: whole sentences packed up to a token budget, with sentence-level overlap."""

from __future__ import annotations

from ingest.sentences import sentence_spans
from ingest.tokens import encoding
from newsdesk.types import Article, Chunk


def chunk_id_for(article_id: str, start: int, end: int) -> str:
    """Deterministic chunk id: the article and the character span it covers."""
    return f"{article_id}:{start}-{end}"


def _token_spans(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `max_tokens` tokens, on token boundaries."""
    enc = encoding()
    piece = text[start:end]
    tokens = enc.encode(piece, disallowed_special=())
    _, offsets = enc.decode_with_offsets(tokens)
    spans = []
    for i in range(0, len(tokens), max_tokens):
        a = offsets[i]
        b = offsets[i + max_tokens] if i + max_tokens < len(tokens) else len(piece)
        spans.append((start + a, start + b))
    return spans


def chunk_spans(text: str, max_tokens: int = 256, overlap: int = 32) -> list[tuple[int, int]]:
    """Character spans of the chunks of `text`: sentences packed greedily, never more than `max_tokens` tokens."""
    enc = encoding()
    units: list[tuple[int, int, int]] = []  # (start, end, tokens)
    for s, e in sentence_spans(text):
        n = len(enc.encode(" " + text[s:e], disallowed_special=()))
        if n <= max_tokens:
            units.append((s, e, n))
        else:
            pieces = _token_spans(text, s, e, max_tokens - 1)
            units.extend((a, b, len(enc.encode(" " + text[a:b], disallowed_special=()))) for a, b in pieces)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and total + units[j][2] <= max_tokens:
            total += units[j][2]
            j += 1
        j = max(j, i + 1)
        start, end = units[i][0], units[j - 1][1]
        while j - 1 > i and len(enc.encode(text[start:end], disallowed_special=())) > max_tokens:
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


def chunk_article(article: Article, max_tokens: int = 256, overlap: int = 32) -> list[Chunk]:
    """The article's chunks, each a verbatim slice of `article.text` with its offsets."""
    return [
        Chunk(
            chunk_id=chunk_id_for(article.article_id, s, e),
            article_id=article.article_id,
            index=i,
            text=article.text[s:e],
            start=s,
            end=e,
        )
        for i, (s, e) in enumerate(chunk_spans(article.text, max_tokens, overlap))
    ]


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What is embedded and keyword-indexed for a chunk: its article's title, source and date, then the text."""
    header = " | ".join(part for part in (article.source, article.published_at[:10]) if part)
    return f"{article.title}\n{header}\n{chunk.text}" if header else f"{article.title}\n{chunk.text}"
