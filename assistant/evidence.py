"""Sentences of retrieved passages as candidate evidence, scored by how well each answers the question.

The extractive answerer quotes the best of them; the citation check scores a model's claims with the same scorer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.sentences import sentence_spans
from newsdesk.text import CALENDAR_WORDS, NAME_RUN, STOP_WORDS, TITLE_WORDS
from newsdesk.types import Passage

_WORD = re.compile(r"[\w'’-]+")
_NUMBER = re.compile(r"\b(?!(?:19|20)\d\d\b)\d[\d,.]*\b")  # a count or an amount; a year alone is neither
_DATE = re.compile(
    r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|\d{4})\b"
)


def content_words(text: str) -> list[str]:
    """Lower-cased words of `text` without stop words, apostrophes unified."""
    return [w for w in (m.lower().replace("’", "'") for m in _WORD.findall(text)) if w not in STOP_WORDS and len(w) > 1]


def stem(word: str) -> str:
    """A crude stem, so inflections of one word match in overlap scoring ("stepped", "steps" and "step" give
    "step"; "reasons" gives "reason")."""
    for suffix in ("ies", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    word = word.removesuffix("e") if len(word) > 3 else word
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, located in its article."""

    passage: Passage
    start: int  # offsets in the cleaned article text
    end: int
    text: str


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every distinct sentence of the passages (overlapping chunks share sentences)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for p in passages:
        for s, e in sentence_spans(p.text):
            key = (p.article_id, p.start + s)
            if key not in seen and e - s >= 12:
                seen.add(key)
                out.append(Candidate(p, p.start + s, p.start + e, p.text[s:e]))
    return out




def _names(sentence: str) -> set[str]:
    """Capitalised words that are not the sentence's first word, a month or a weekday."""
    words = _WORD.findall(sentence)
    return {w.lower() for w in words[1:] if w[0].isupper() and w.lower() not in CALENDAR_WORDS}




def _untitled(run: str) -> list[tuple[int, int]]:
    """The parts of a run of capitalised words between its titles ("Judge", "Minister", "CEO"), as offsets."""
    parts: list[tuple[int, int]] = []
    for m in re.finditer(r"\S+", run):
        if m.group().lower().rstrip(".").replace("’", "'").removesuffix("'s") in TITLE_WORDS:
            continue
        if parts and not run[parts[-1][1] : m.start()].strip():
            parts[-1] = (parts[-1][0], m.end())
        else:
            parts.append(m.span())
    return parts


def _new_name_spans(question: str, sentence: str) -> list[tuple[int, int]]:
    """Where the sentence names someone the question does not: runs of capitalised words ("Captain Ilse Marrow"),
    split at titles ("French Foreign Minister Jean-Yves Le Drian" gives "French Foreign" and "Jean-Yves Le Drian"),
    none of whose words is in the question ("The Port of Vellmore" is not new when Vellmore is asked about). A
    sentence's capitalised first word, months and weekdays do not count."""
    asked = {w.removesuffix("'s") for w in content_words(question)}
    out = []
    for run in NAME_RUN.finditer(sentence):
        for first, last in _untitled(run.group()):
            start, end = run.start() + first, run.start() + last
            words = [w.lower().replace("’", "'").removesuffix("'s") for w in sentence[start:end].split()]
            words = [w for w in words if w not in CALENDAR_WORDS]
            if not sentence[:start].strip():
                words = words[1:]
            words = [w for w in words if w not in STOP_WORDS]
            if words and not any(w in asked for w in words):
                out.append((start, end))
    return out


def _new_name(question: str, sentence: str) -> bool:
    """Whether the sentence names someone the question does not (`_new_name_spans`)."""
    return bool(_new_name_spans(question, sentence))


_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|thanks to|as a result|reasons?|after|follow(?:s|ed|ing)|amid|citing|cited|blamed|"
    r"in order to|led to|result of|accus\w*|alleg\w*|for (?:failing|not|refusing|breaking|violating))\b",
    re.IGNORECASE,
)
# A sentence that says a reason or a way follows: "... has revealed why ...", "Here's how", "the reason for".
_ANNOUNCES = re.compile(
    r"\b(?:reveal(?:s|ed)?|explain(?:s|ed)?|said|says|told|disclos(?:es|ed)|detail(?:s|ed)|outlin(?:es|ed)|"
    r"shar(?:es|ed)|here['’]s|here is|this is|that['’]s)\s+(?:[\w'’]+\s+){0,2}?(?:exactly\s+)?(?:why|how)\b"
    r"|\bthe reasons?\s+(?:for|behind|why)\b",
    re.IGNORECASE,
)
_WHY = ("why ", "what caused ", "what led ", "for what reason", "what was the reason", "what is the reason")
_NOT_MANNER = ("how many", "how much", "how old", "how long", "how far", "how big", "how tall", "how often")
_AUXILIARIES = (
    "is are was were do does did has have had can could will would should shall may might must isn't aren't wasn't "
    "weren't don't doesn't didn't hasn't haven't hadn't can't couldn't won't wouldn't shouldn't"
).split()
# A sentence whose subject is a bare pronoun ("He said ...", "But it was ..."): it needs the sentence before it.
_PRONOUN_LEAD = re.compile(
    r"^[\"'“‘(]*(?:(?:But|And|However|Still|Yet|So|Also|Instead|Meanwhile|Now),?\s+)?(?:He|She|It|They|His|Her|Its|Their)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!…][\"'”’)\]]*$")


def asks_why(question: str) -> bool:
    """Whether the question asks for a reason ("Why ...", "What caused ...", "For what reason ...")."""
    q = question.lower().lstrip()
    return q.startswith(_WHY)


def asks_reason_or_way(question: str) -> bool:
    """Whether the question asks why, or how something was done (not "how many", "how much", ...)."""
    q = question.lower().lstrip()
    return asks_why(question) or (q.startswith("how ") and not q.startswith(_NOT_MANNER))


def asks_yes_no(question: str) -> bool:
    """Whether the question is answered yes or no ("Is ...", "Did X and Y both report ...", "Does the article from A
    agree with B ...")."""
    words = question.lower().replace("’", "'").split()
    return bool(words) and words[0] in _AUXILIARIES


def announces_reason(sentence: str) -> bool:
    """Whether the sentence announces that a reason or a way follows ("... has revealed why ...")."""
    return bool(_ANNOUNCES.search(sentence)) and not sentence.rstrip().endswith("?")


def pronoun_led(sentence: str) -> bool:
    """Whether the sentence's subject is a bare pronoun ("He said ...", "It was ..."), which needs its referent."""
    return bool(_PRONOUN_LEAD.match(sentence))


def names_someone(sentence: str) -> bool:
    """Whether the sentence names a person, company or place (a capitalised word after its first word)."""
    return bool(_names(sentence))


def quotability(sentence: str) -> float:
    """How well a quote stands alone: 1.0 for a statement; less for a bare-pronoun subject, a question, or a
    fragment without an end mark (a headline, a caption)."""
    if pronoun_led(sentence) or sentence.rstrip().endswith("?"):
        return 0.8
    if not _SENTENCE_END.search(sentence.rstrip()):
        return 0.85
    return 1.0


# "Which judge ...", "In which country ...": the noun after "which" is what is asked for; a named one unless it is a
# time ("Which year ...", handled as a when-question).
_WHICH = re.compile(r"^(?:(?:in|at|for|from|to|by|with|against|on|since)\s+)?which\s+(?P<noun>[\w'’-]+)", re.IGNORECASE)
_TIME_NOUNS = frozenset("year years date day days month months season week decade century time".split())
_QUESTION_WORDS = frozenset("who whom whose which what when where why how".split())
# "What was the final score ...", "What annual growth rate ...", "What share of ...": a score or a percentage.
_WHAT_MEASURE = re.compile(
    r"^(?:what|which)\s+(?:(?:is|was|are|were)\s+)?(?:the\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?P<measure>score|rate|percentage|share|proportion|number)\b"
)
_SCORE = re.compile(r"\b\d{1,3}\s?[-–]\s?\d{1,3}\b")
_PERCENT = re.compile(r"\d\s?(?:%|per ?cent\b)")
NEAR_ROLE = 3  # words between a name and a role word of the question for the name to hold that role
NAME_ELSEWHERE = 0.8  # a new name that holds none of the question's roles ranks below one that does


def asks_name(question: str) -> bool:
    """Whether the question asks for someone or something named: "Who ...", "Whose ...", "Which judge ...", "In which
    country ..." (not "Which year ...", nor a choice between names it gives: "Which ..., X or Y?")."""
    q = question.lower().lstrip()
    if q.startswith(("who ", "whom ", "whose ")):
        return True
    m = _WHICH.match(q)
    return m is not None and m.group("noun") not in _TIME_NOUNS and " or " not in q


_SKIPPED = frozenset(_AUXILIARIES) | frozenset("the a an he she it they we you i his her its their".split())
# Nouns that name no role ("Who is the individual ...") and words that attribute a claim to a source ("... reported
# by TechCrunch", "... described by The Verge as ..."): neither says what the asked-for name does.
_NO_ROLE = frozenset("individual person people someone one company firm organization organisation entity".split())
_ATTRIBUTION = frozenset(
    "reported report reports mentioned described according alleged accused cited portrayed noted stated".split()
)


def _role_words(question: str) -> set[str]:
    """Stems of the words that say which role or act the asked-for name holds: the first run of lower-case words
    after the question word, past auxiliaries, pronouns, articles and names, and on past "as" ("Which judge is
    presiding over ..." gives "judg"; "Who is Spotify's chief financial officer?" "chief", "financial", "officer";
    "Who did he appoint as prime minister?" "appoint", "prim", "minister")."""
    words = _WORD.findall(question)[1:]
    if words and words[0].lower() == "which":
        words = words[1:]
    out: list[str] = []
    for w in words:
        low = w.lower().replace("’", "'")
        if not out and (low in _SKIPPED or w[0].isupper() or low.endswith("'s")):
            continue
        if low == "as" or low in _NO_ROLE:
            continue  # "appoint as prime minister", "the individual facing ...": the role follows
        if w[0].isupper() or low in STOP_WORDS or low in _ATTRIBUTION or low[0].isdigit():
            break
        out.append(stem(low))
    return set(out)


def _name_in_role(question: str, sentence: str) -> bool:
    """Whether a name the question does not give stands within `NEAR_ROLE` content words of one of the question's
    role words (`_role_words`), or carries one as its title: "referee Anthony Taylor", "Judge Amit Mehta", "founded
    in 2019 by Alex Gunnarson", "José Antonio Ramos Calamonte, ASOS’s chief executive"."""
    roles = _role_words(question)
    if not roles:
        return False
    words = [
        (m.start(), m.end(), stem(w))
        for m in _WORD.finditer(sentence)
        if (w := m.group().lower().replace("’", "'").removesuffix("'s")) not in STOP_WORDS
    ]
    for start, end in _new_name_spans(question, sentence):
        inside = [k for k, (s, e, _) in enumerate(words) if start <= s and e <= end]
        if inside and any(w in roles for _, _, w in words[max(0, inside[0] - NEAR_ROLE) : inside[-1] + NEAR_ROLE + 1]):
            return True
    return False


def answer_type_factor(question: str, sentence: str) -> float:
    """Down-weight sentences that cannot hold the kind of answer asked for (a person, a date, a number, a reason).
    A name-question (`asks_name`) wants a name the question does not give; when the question says which role it
    asks about (`_role_words`), a name in that role (`_name_in_role`) scores 1.0, another new name
    `NAME_ELSEWHERE`, and a sentence without one 0.75 of that."""
    q = question.lower()
    if asks_name(question):
        if not _role_words(question):
            return 1.0 if _new_name(question, sentence) else 0.75
        if not _new_name(question, sentence):
            return 0.75 * NAME_ELSEWHERE
        return 1.0 if _name_in_role(question, sentence) else NAME_ELSEWHERE
    if q.startswith("when ") or "what year" in q or "what date" in q:
        return 1.0 if _DATE.search(sentence) else 0.75
    if q.startswith(("how many", "how much")):
        return 1.0 if _NUMBER.search(sentence) else 0.75
    if (m := _WHAT_MEASURE.match(q)) is not None:
        wanted = _SCORE if m.group("measure") == "score" else _PERCENT if m.group("measure") != "number" else _NUMBER
        return 1.0 if wanted.search(sentence) else 0.75
    if asks_why(question):
        return 1.0 if _CAUSE.search(sentence) and not announces_reason(sentence) else 0.7
    return 1.0


def sentence_vectors(cands: Sequence[Candidate], embeddings: Embeddings) -> np.ndarray:
    """The embedding of each candidate's text, one row per candidate."""
    return np.asarray(embeddings.embed_documents([c.text for c in cands]), dtype=np.float32)


def relevance(
    question: str, question_vector: Sequence[float], cands: Sequence[Candidate], vectors: np.ndarray
) -> list[float]:
    """How close each sentence is to the question: embedding similarity (`vectors`, one row per sentence) and
    IDF-weighted overlap of word stems."""
    cosine = vectors @ np.asarray(question_vector, dtype=np.float32)
    words = [{stem(w) for w in content_words(c.text)} for c in cands]
    q_words = {stem(w) for w in content_words(question)}
    n = len(cands)
    idf = {w: math.log(1 + n / (1 + sum(w in ws for ws in words))) for w in q_words}
    total = sum(idf.values()) or 1.0
    return [0.6 * float(cos) + 0.4 * sum(idf[w] for w in q_words & ws) / total for cos, ws in zip(cosine, words)]


def score_sentences(
    question: str, question_vector: Sequence[float], cands: Sequence[Candidate], embeddings: Embeddings
) -> list[float]:
    """How well each sentence answers the question: its relevance times the answer-type factor."""
    if not cands:
        return []
    close = relevance(question, question_vector, cands, sentence_vectors(cands, embeddings))
    return [r * answer_type_factor(question, c.text) for r, c in zip(close, cands)]


JOINED = 0.9  # a quote joined to the sentence before it (for a pronoun's referent) ranks below a single sentence


def quotes(
    question: str, question_vector: Sequence[float], passages: Sequence[Passage], embeddings: Embeddings
) -> tuple[list[Candidate], list[float], np.ndarray]:
    """The passages' quotes that stand alone (`standalone`), how well each answers the question, and their vectors.

    A quote scores its relevance times its quotability (times `JOINED` for a two-sentence quote, so a sentence
    that answers alone is preferred to itself plus the next) and the answer-type factor; then `lift_followers`.
    """
    sentences = candidates(passages)
    if not sentences:
        return [], [], np.zeros((0, 0), dtype=np.float32)
    units = standalone(sentences)
    vectors = sentence_vectors(units, embeddings)
    close = relevance(question, question_vector, units, vectors)
    leads = [
        r * quotability(u.text) * (JOINED if u.start != c.start else 1.0)
        for r, u, c in zip(close, units, sentences)
    ]
    scores = [lead * answer_type_factor(question, u.text) for lead, u in zip(leads, units)]
    return units, lift_followers(question, units, scores, leads), vectors


_GAP = 3  # characters of spacing between two sentences that follow one another


def _next_sentences(cands: Sequence[Candidate]) -> dict[int, int]:
    """For each candidate, the candidate that starts right after it in the same article (when there is one)."""
    starts: dict[tuple[str, int], int] = {}
    for j, c in enumerate(cands):
        starts.setdefault((c.passage.article_id, c.start), j)  # a sentence before a quote that begins with it
    out: dict[int, int] = {}
    for i, c in enumerate(cands):
        found = (starts.get((c.passage.article_id, c.end + gap)) for gap in range(_GAP + 1))
        if (after := next((k for k in found if k is not None), None)) is not None:
            out[i] = after
    return out


def standalone(cands: Sequence[Candidate]) -> list[Candidate]:
    """The candidates as quotes that stand alone: a sentence whose subject is a bare pronoun ("He said ...") is
    joined to the sentence before it when that one names someone, so the quote carries its referent. Other
    sentences are kept as they are (a bare-pronoun one ranks lower: `quotability`)."""
    before = {j: i for i, j in _next_sentences(cands).items()}
    out = []
    for j, c in enumerate(cands):
        i = before.get(j)
        if i is not None and pronoun_led(c.text) and names_someone(cands[i].text) and quotability(cands[i].text) == 1:
            prev, p = cands[i], c.passage
            if prev.passage.chunk_id == p.chunk_id:
                c = Candidate(p, prev.start, c.end, p.text[prev.start - p.start : c.end - p.start])
        out.append(c)
    return out


def lift_followers(
    question: str, cands: Sequence[Candidate], scores: Sequence[float], leads: Sequence[float]
) -> list[float]:
    """`scores` where a quote that leads up to the answer passes its relevance (`leads`, before the answer-type
    factor) to the quote after it.

    News prose often sets the scene in one sentence and names the person, date or number in the next, or announces
    a reason ("... has revealed why ...") and gives it in the next. Such a next sentence scores at least what the
    sentence before it would score if it held the answer, so it ranks above it.
    """
    out = list(scores)
    reason = asks_reason_or_way(question)
    for i, j in _next_sentences(cands).items():
        here, there = answer_type_factor(question, cands[i].text), answer_type_factor(question, cands[j].text)
        if (reason and announces_reason(cands[i].text)) or (here < NAME_ELSEWHERE <= there):
            out[j] = max(out[j], leads[i])
    return out
