"""Sentence boundaries with character offsets; shared by chunking, extractive answers and citation quotes."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep",
    "inc", "co", "corp", "ltd", "bros", "vs", "etc", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mt", "ft", "fig", "approx", "est", "dept", "univ", "maj", "adm", "cmdr", "pres",
}
# End punctuation, optional closing quotes/brackets, then whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n+")


def is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` ends an abbreviation ("Dr.", "vs.", "U.S.", an initial), not a sentence."""
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(0, dot - 40) : dot])
    if not word:
        return False
    token = word.group(1).lower().rstrip(".")
    if len(token) == 1 or token in _ABBREVIATIONS:  # initials ("J. Smith") and titles ("Dr. Ng")
        return True
    return "." in token  # U.S., e.g.


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence in `text`, in order; paragraphs always end a sentence."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in _PARAGRAPH.split(text):
        start = text.index(para, pos) if para else pos
        pos = start + len(para)
        cursor = start
        for match in _BOUNDARY.finditer(para):
            end = start + match.end()
            if text[start + match.start()] == "." and is_abbreviation(text, start + match.start()):
                continue
            _add(spans, text, cursor, end)
            cursor = end
        _add(spans, text, cursor, start + len(para))
    return spans


def _add(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))



def split_sentences(text: str) -> list[str]:
    """The sentences of `text` as strings."""
    return [text[s:e] for s, e in sentence_spans(text)]
