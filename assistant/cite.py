"""A model's draft + the passages it was shown -> an Answer whose every `[n]` is a checked, verbatim quote.

- A marker is `[n]`, `[n, m]`, `[n; m]`, `[n-m]` (a short range) or `[passage n]`; runs like `[1][2]` are markers
  side by side. A marker belongs to the sentence it stands in; one that opens a sentence after an earlier one
  ("... Daou. [1] Next") belongs to the sentence before it.
- Each number must name a passage that was shown. For a valid one, the sentences of that passage are scored against
  the claim (the sentence carrying the marker, markers removed) with the extractive answerer's scorer (embedding
  similarity + IDF-weighted word overlap); the best one, joined by an adjacent sentence that scores nearly as
  well, is the quote, located by its offsets in the cleaned article text (`quote == article.text[start:end]`).
- A number that names no passage, or whose passage holds no sentence scoring `min_support` or more, is removed from
  the text and counted in `dropped_markers`. An answer left with no citation is `unsupported`.
- Citations are numbered by article, in order of first appearance: every quote of one article (two passages of it,
  or two claims citing it) is a Citation of its own carrying the article's `n`. The markers are rewritten to match,
  so `[n]` in the text is the article whose Citations have that `n`.
- A draft that is the fixed refusal sentence (prompts ask for it verbatim; stray markers aside), or holds it and
  cites nothing, becomes a refusal: `refused`, the sentence alone, no citations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from assistant.evidence import candidates, content_words, score_sentences
from assistant.refusal import REFUSAL, refusal
from ingest.sentences import sentence_spans
from newsdesk.types import Answer, Citation, Passage

MARKER = re.compile(
    r"\[\s*(?:(?:passages?|sources?)\s*)?(\d{1,3}(?:\s*(?:,|;|and|&|-|–)\s*\d{1,3})*)\s*\]", re.IGNORECASE
)
_NUMBER_OR_RANGE = re.compile(r"(\d{1,3})\s*(?:[-–]\s*(\d{1,3}))?")
_MAX_RANGE = 10
_NEIGHBOUR_RATIO = 0.9  # an adjacent sentence scoring this share of the best joins the quote
_NORMALISE = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class _Marker:
    start: int
    end: int
    numbers: tuple[int, ...]
    claim: str


def parse_numbers(inside: str) -> tuple[int, ...]:
    """The passage numbers written inside one marker (`1, 2`, `1-3`), in order, without repeats."""
    out: list[int] = []
    for m in _NUMBER_OR_RANGE.finditer(inside):
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        span = range(first, last + 1) if 0 <= last - first <= _MAX_RANGE else (first, last)
        out.extend(n for n in span if n not in out)
    return tuple(out)


def is_refusal(text: str) -> bool:
    """True when the draft opens with the fixed refusal sentence and says nothing more, or holds it and cites
    nothing (case, spacing and punctuation aside)."""
    plain, sentence = _normalise(MARKER.sub(" ", text)), _normalise(REFUSAL)
    if plain.startswith(sentence):
        return not content_words(plain[len(sentence) :])
    return sentence in plain and not MARKER.search(text)


def _normalise(text: str) -> str:
    return _NORMALISE.sub(" ", text.lower().replace("’", "'")).strip()


def find_markers(text: str) -> list[_Marker]:
    """Every marker in `text` with the claim it supports."""
    spans = sentence_spans(text)
    found = list(MARKER.finditer(text))
    out = []
    for m in found:
        i = next((j for j, (s, e) in enumerate(spans) if s <= m.start() < e), len(spans) - 1)
        s, e = spans[i] if spans else (0, len(text))
        if i > 0 and not MARKER.sub("", text[s : m.start()]).strip(" ,;:"):
            s, e = spans[i - 1]
        claim = " ".join(MARKER.sub(" ", text[s:e]).split())
        out.append(_Marker(m.start(), m.end(), parse_numbers(m.group(1)), claim))
    return out


def check_citations(
    question: str,
    draft: str,
    passages: Sequence[Passage],
    embeddings: Embeddings,
    answerer: str,
    min_support: float = 0.3,
) -> Answer:
    """The checked Answer for a model's `draft` written from `passages` (numbered from 1)."""
    text = draft.strip()
    if is_refusal(text) or not text:
        return refusal(question, answerer, "the answerer found no answer in the retrieved passages")
    markers = find_markers(text)
    claims = sorted({m.claim for m in markers if m.claim and _has_content(m.claim)})
    vectors = dict(zip(claims, embeddings.embed_documents(claims))) if claims else {}
    support: dict[tuple[str, int], Citation | None] = {}
    for m in markers:
        for n in m.numbers:
            if (m.claim, n) not in support and 1 <= n <= len(passages):
                vector = vectors.get(m.claim)
                support[(m.claim, n)] = _best_quote(m.claim, vector, passages[n - 1], embeddings, min_support)
    numbering: dict[str, int] = {}  # one number per article
    quoted: set[tuple[str, int, int]] = set()
    citations: list[Citation] = []
    dropped = 0
    pieces: list[str] = []
    pos = 0
    for m in markers:
        new: list[int] = []
        for n in m.numbers:
            found = support.get((m.claim, n))
            if found is None:
                dropped += 1
                continue
            number = numbering.setdefault(found.article_id, len(numbering) + 1)
            if (key := (found.article_id, found.start, found.end)) not in quoted:
                quoted.add(key)
                citations.append(found.model_copy(update={"n": number}))
            if number not in new:
                new.append(number)
        pieces.append(text[pos : m.start])
        pieces.append("".join(f"[{k}]" for k in new))
        pos = m.end
    pieces.append(text[pos:])
    cleaned = _tidy("".join(pieces))
    citations.sort(key=lambda c: c.n)
    return Answer(
        question=question,
        answer=cleaned,
        citations=citations,
        answerer=answerer,
        unsupported=not citations,
        dropped_markers=dropped,
    )


def _has_content(claim: str) -> bool:
    return bool(content_words(claim))


def _best_quote(
    claim: str, vector: Sequence[float] | None, passage: Passage, embeddings: Embeddings, min_support: float
) -> Citation | None:
    """The passage's sentence(s) that best support `claim`, or None when none reaches `min_support`."""
    cands = candidates([passage])
    if not cands or vector is None:
        return None
    scores = score_sentences(claim, vector, cands, embeddings)
    best = max(range(len(cands)), key=lambda i: scores[i])
    if scores[best] < min_support:
        return None
    start, end = cands[best].start, cands[best].end
    for j in (best - 1, best + 1):
        if 0 <= j < len(cands) and scores[j] >= _NEIGHBOUR_RATIO * scores[best]:
            start, end = min(start, cands[j].start), max(end, cands[j].end)
    quote = passage.text[start - passage.start : end - passage.start]
    return citation(0, passage, start, end, quote)


def _tidy(text: str) -> str:
    """Spacing left behind by removed or merged markers."""
    text = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\(\s*\)", "", text)
    return text.strip()


def dropped_note(answer: Answer) -> str | None:
    """What a reader is told when the check removed citation markers from the answer (None when it removed none)."""
    n = answer.dropped_markers
    if n <= 0 or answer.refused:
        return None
    if n == 1:
        return "1 citation was removed: the passage it pointed to does not support that sentence."
    return f"{n} citations were removed: the passages they pointed to do not support those sentences."


def by_number(citations: Sequence[Citation]) -> list[list[Citation]]:
    """The citations grouped by `n` (one group per cited article), in order of `n`; quotes in their given order."""
    groups: dict[int, list[Citation]] = {}
    for c in sorted(citations, key=lambda c: c.n):
        groups.setdefault(c.n, []).append(c)
    return list(groups.values())


def citation(n: int, passage: Passage, start: int, end: int, quote: str) -> Citation:
    """A citation of `quote`, which is `article_text[start:end]`."""
    return Citation(
        n=n,
        article_id=passage.article_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        source=passage.source,
        published_at=passage.published_at,
        url=passage.url,
        quote=quote,
        start=start,
        end=end,
    )
