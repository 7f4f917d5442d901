"""Is a question answerable from the corpus at all? Checked before any answerer runs.

A news question the corpus cannot answer usually still looks plausible: it names a real publisher and a topic the
corpus covers, and its nearest passages are on topic. What gives it away is what it names:

1. **A publisher the store does not hold** ("a Bloomberg article", "another by Forbes"): the answer would have to
   come from articles we do not have.
2. **A name that no chunk contains** ("an article about Oleg Fomenko"): a capitalised name of the question (a
   person, company, place or product) whose words occur together in no chunk, tokenised and stemmed as the keyword
   index is. A name in at most `retrieval.max_name_chunks` chunks counts as absent.
3. **Nothing close enough**: the best passage's cosine similarity to the question is below
   `retrieval.min_relevance`.

Rules 1 and 2 read only the question and the keyword index, so they hold for every answerer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.keyword import KeywordIndex
from assistant.query import SourceMatcher, fold
from assistant.settings import RetrievalSettings
from assistant.types import Passage

_CAP = r"[A-Z][\w'’.&-]*"
_NAME = rf"{_CAP}(?:\s+(?:of\s+|&\s+)?{_CAP}){{0,5}}"
_WORK = r"(?:article|articles|report|reports|piece|pieces|story|stories|coverage|review|op-ed|column|post|editorial)"
# Where a question names who published something: "an article by X", "another in The X", "a X report",
# "as reported by X". "article on X" is left out: it names a topic as often as a publisher.
_PUBLISHER_PATTERNS = (
    re.compile(rf"\b(?:{_WORK}|another|one|others)\s+(?:by|from|in)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})"),
    re.compile(rf"\b(?:a|an|the|another|one)\s+(?P<name>{_NAME})\s+{_WORK}\b"),
    re.compile(rf"\b(?:published|reported|written|posted)\s+(?:by|in)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})"),
)
_NOT_PUBLISHER = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
_SENTENCE_START = re.compile(r"(?:^|[.?!:;\"“(]\s*)$")
_WORDS = re.compile(r"[^\W_]+")
_NAMES = re.compile(rf"(?<![\w'’]){_CAP}(?:\s+{_CAP})*")


def unknown_publishers(question: str, sources: Sequence[str]) -> list[str]:
    """Names the question gives as a publisher ("a Bloomberg article", "another by Forbes") that match none of
    `sources` (the publishers in the store), nor begin one ("BBC" for "BBC News - Technology")."""
    known = SourceMatcher(sources).find(question)
    heads = [w[1:] if w[:1] == ["the"] else w for w in (_WORDS.findall(fold(s)) for s in sources)]
    found = []
    for pattern in _PUBLISHER_PATTERNS:
        for m in pattern.finditer(question):
            start, end = m.span("name")
            if m.group("name").split()[0] in _NOT_PUBLISHER or any(k.start < end and start < k.end for k in known):
                continue
            words = _WORDS.findall(fold(m.group("name")))
            if any(h[: len(words)] == words for h in heads):
                continue  # a short form of a known source ("BBC" for "BBC News - Technology")
            found.append(m.group("name"))
    return list(dict.fromkeys(found))


def names(question: str, sources: Sequence[str] = ()) -> list[str]:
    """The question's capitalised names (runs of capitalised words), publishers in `sources` left out. A
    sentence's first word is left out too ("Did Tessa Wullaert ..." gives "Tessa Wullaert")."""
    known = SourceMatcher(sources).find(question)
    out = []
    for m in _NAMES.finditer(question):
        if any(k.start < m.end() and m.start() < k.end for k in known):
            continue
        words = m.group().split()
        if _SENTENCE_START.search(question[: m.start()]):
            words = words[1:]  # capitalised as a sentence's first word, not as a name
        if words:
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def absent_names(question: str, index: KeywordIndex, max_chunks: int) -> list[str]:
    """The question's names whose words occur together in at most `max_chunks` chunks of the index."""
    absent = []
    for name in names(question, index.sources()):
        count = index.chunks_with(name)
        if count is not None and count <= max_chunks:
            absent.append(name)
    return absent


def unanswerable_reason(
    question: str, passages: Sequence[Passage], index: KeywordIndex, settings: RetrievalSettings
) -> str | None:
    """Why the corpus cannot answer `question` (a short phrase for the log), or None when it may."""
    if settings.check_publishers and (unknown := unknown_publishers(question, index.sources())):
        return f"names a publisher the store does not hold: {', '.join(unknown)}"
    if settings.max_name_chunks >= 0 and (absent := absent_names(question, index, settings.max_name_chunks)):
        return f"names what no article contains: {', '.join(absent)}"
    best = max((p.relevance or 0.0 for p in passages), default=0.0)
    if best < settings.min_relevance:
        return f"best passage relevance {best:.2f} < {settings.min_relevance}"
    return None
