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

from assistant.answerable import WHO_IS, WON_BY, counted_thing, counting, defined_thing, names_it, subject_names
from assistant.entities import AMOUNT, NAMED, PERSON, WHEN, Entity, entities_of
from ingest.sentences import sentence_spans, split_sentences
from newsdesk.text import (
    CALENDAR_WORDS,
    MONTHS,
    NAME_CONNECTORS,
    NAME_RUN,
    ORGANISATION_NOUNS,
    STOP_WORDS,
    SUCCESSION,
    SUCCESSION_WORDS,
    TITLE_WORDS,
    WEEKDAYS,
    phrasal_verbs,
    pronoun_led,
    shouted,
)
from newsdesk.types import Passage

_WORD = re.compile(r"[\w'’-]+")
_PART = re.compile(r"[\w'’]+")  # a word, or each part of a hyphenated one: "10-point" holds "point"


def content_words(text: str) -> list[str]:
    """Lower-cased words of `text` without stop words, apostrophes unified."""
    return [w for w in (m.lower().replace("’", "'") for m in _WORD.findall(text)) if w not in STOP_WORDS and len(w) > 1]


# Irregular past forms news prose uses for the acts questions ask about ("paid" is "pay", "led" "lead").
_IRREGULAR = {
    "paid": "pay", "sold": "sell", "bought": "buy", "won": "win", "led": "lead", "took": "take", "taken": "take",
    "made": "make", "gave": "give", "given": "give", "ran": "run", "lost": "lose", "met": "meet", "told": "tell",
    "said": "say", "held": "hold", "brought": "bring", "built": "build", "began": "begin", "begun": "begin",
    "chose": "choose", "chosen": "choose", "drove": "drive", "fell": "fall", "grew": "grow", "kept": "keep",
    "knew": "know", "rose": "rise", "sent": "send", "spent": "spend", "struck": "strike", "thought": "think",
    "threw": "throw", "wrote": "write", "written": "write", "became": "become", "came": "come", "went": "go",
    "saw": "see", "seen": "see", "found": "find", "left": "leave", "got": "get", "fled": "flee", "sought": "seek",
    "fought": "fight", "caught": "catch", "spoke": "speak", "spoken": "speak", "broke": "break", "broken": "break",
    "stole": "steal", "stolen": "steal", "hid": "hide", "hidden": "hide", "stood": "stand", "heard": "hear",
}


def stem(word: str) -> str:
    """A crude stem, so inflections of one word match in overlap scoring ("stepped", "steps" and "step" give
    "step"; "reasons" gives "reason"; "married" gives "marry"; "paid" gives "pay")."""
    if word in _IRREGULAR:
        word = _IRREGULAR[word]
    for suffix in ("ies", "ied", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    word = word.removesuffix("e") if len(word) > 3 else word
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def matching_sentence(question: str, text: str) -> tuple[str, int]:
    """The sentence of `text` sharing the most word stems with `question` (the first on a tie) and its index among
    the sentences: what `assistant search` shows of a passage, instead of an opening that can hide the answer."""
    asked = {stem(w) for w in content_words(question)}
    sentences = split_sentences(text) or [text]
    shared = [len(asked & {stem(w) for w in content_words(s)}) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (shared[i], -i))
    return sentences[best], best


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


_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|thanks to|as a result|reasons?|after|follow(?:s|ed|ing)|amid|cited|"
    r"(?<!was\s)(?<!were\s)(?<!been\s)(?<!is\s)(?<!be\s)(?<!ha[sd]\s)given|"  # "given the storm", not "was given"
    r"citing(?!\s+(?:(?:un)?named\s+|anonymous\s+|several\s+|two\s+|three\s+)?(?:sources?|people|persons?|"
    r"officials?|insiders?|a\s+(?:source|person|spokes\w+)))|"
    r"blamed|in order to|led to|result of|accus\w*|alleg\w*|breach\w*|forc(?:ed|ing)|prompt(?:ed|ing)|"
    r"trigger(?:ed|ing)|caus(?:ed|ing)|sparked|out of (?:fear|concern)|fears? (?:of|over|about|that)|"
    r"concerns? (?:about|over|that)|worried|in a bid to|in an effort to|so that|"
    r"as part of (?:[\w'’-]+\s+){0,3}?(?:efforts?|push|plans?|strategy|drive|restructuring|overhaul|cuts|layoffs|"
    r"shake-?up|reorgani[sz]ation)|"
    r"for (?:failing|not|refusing|breaking|violating|missing|ignoring))\b",
    re.IGNORECASE,
)
# A departure, a penalty or a dispute "over" its cause: "resigned from Reddit's board in 2020 over differences of
# opinion", "fined over late filings" (not "over the past year", "over 200 jobs").
_OVER_CAUSE = re.compile(
    r"\b(?:resign\w*|quit|step(?:s|ped)?\s+down|left(?!\s+over\b)|fired|sacked|ousted|sued|suing|fined|arrested|"
    r"charged|critici[sz]\w*|slammed|backlash|under\s+fire|rows?|disputes?|clash\w*|protest\w*|feud\w*|boycott\w*)\b"
    r"[^.;]{0,80}?\bover\s+(?!(?:the\s+)?(?:past|last|next|years?|months?|weeks?|days?|decades?|time|course)\b)"
    r"(?:the\s+|its\s+|his\s+|her\s+|their\s+|a\s+|an\s+)?[a-z]",
    re.IGNORECASE,
)
# A sentence that says a reason or a way follows: "... has revealed why ...", "Here's how", "the reason for".
_ANNOUNCES = re.compile(
    r"\b(?:reveal(?:s|ed)?|explain(?:s|ed)?|said|says|told|disclos(?:es|ed)|detail(?:s|ed)|outlin(?:es|ed)|"
    r"shar(?:es|ed)|here['’]s|here is|this is|that['’]s)\s+(?:[\w'’]+\s+){0,2}?(?:exactly\s+)?(?:why|how)\b"
    r"|\bthe reasons?\s+(?:for|behind|why)\b"
    r"|\b(?:theory|theories|explanation)\s+(?:as\s+to\s+|of\s+|for\s+)?(?:why|how)\b",  # "her own theory as to why"
    re.IGNORECASE,
)
_WHY = (
    "why ",
    "what caused ",
    "what led ",
    "what made ",
    "what gave ",
    "what prompted ",
    "what inspired ",
    "what drove ",
    "what motivated ",
    "for what reason",
    "what was the reason",
    "what is the reason",
)
_NOT_MANNER = ("how many", "how much", "how old", "how long", "how far", "how big", "how tall", "how often")
_AUXILIARIES = (
    "is are was were do does did has have had can could will would should shall may might must isn't aren't wasn't "
    "weren't don't doesn't didn't hasn't haven't hadn't can't couldn't won't wouldn't shouldn't"
).split()
_SENTENCE_END = re.compile(r"[.!…][\"'”’)\]]*$")


# "According to Adobe, how much did ...?": the source a question cites before it asks.
_CITED_FIRST = re.compile(r"^\s*according\s+to\s+[^,?]{1,80},\s*", re.IGNORECASE)


def asked(question: str) -> str:
    """The question without a source it cites before it asks ("According to Adobe, how much ..." gives "how much
    ...")."""
    return _CITED_FIRST.sub("", question, count=1)


# "What was Gary Wang's reason for ...", "What reasons has X given for ...", "what reason did the board give ...".
_REASON_ASKED = re.compile(
    r"^what(?:['’]s|\s+(?:is|was|are|were))?\s+(?:(?!(?:did|does|do)\b)[\w'’-]+\s+){0,4}?reasons?\b"
)


def asks_why(question: str) -> bool:
    """Whether the question asks for a reason ("Why ...", "What caused ...", "What was X's reason for ...")."""
    q = asked(question).lower().lstrip()
    return q.startswith(_WHY) or _REASON_ASKED.match(q) is not None


def asks_reason_or_way(question: str) -> bool:
    """Whether the question asks why, or how something was done (not "how many", "how much", ...)."""
    q = asked(question).lower().lstrip()
    return asks_why(question) or (q.startswith("how ") and not q.startswith(_NOT_MANNER))


def asks_yes_no(question: str) -> bool:
    """Whether the question is answered yes or no ("Is ...", "Did X and Y both report ...", "Does the article from A
    agree with B ...")."""
    words = asked(question).lower().replace("’", "'").split()
    return bool(words) and words[0] in _AUXILIARIES


def announces_reason(sentence: str) -> bool:
    """Whether the sentence announces that a reason or a way follows ("... has revealed why ...")."""
    return bool(_ANNOUNCES.search(sentence)) and not sentence.rstrip().endswith("?")


ASKING = 0.6  # a sentence that asks a question ranks below one that states


def quotability(sentence: str) -> float:
    """How well a quote stands alone: 1.0 for a statement; less for a bare-pronoun subject, a question, a
    fragment without an end mark (a headline) or a name alone ("Finally, Caroline Ellison."); 0 for a line written
    all in capitals (a link to another story or a cross-head: "COUNTRY STAR CRAIG MORGAN REENLISTS IN ARMY RESERVE
    AT 59"), which is never quoted."""
    if shouted(sentence):
        return 0.0
    if sentence.rstrip().endswith("?"):
        return ASKING
    if pronoun_led(sentence):
        return 0.8
    if not _SENTENCE_END.search(sentence.rstrip()) or _LABEL.match(sentence):
        return 0.85
    return 1.0


# A name with a lead-in and nothing said of it: "Finally, Caroline Ellison." (no lower-case word, no number)
_LABEL = re.compile(r"^\W*(?:[A-Z][\w'’.-]*,?\s+){0,4}[A-Z][\w'’-]*[.!]?$")


# "Which judge ...", "In which country ...": the noun after "which" is what is asked for; a named one unless it is a
# time ("Which year ...", handled as a when-question).
_WHICH = re.compile(r"^(?:(?:in|at|for|from|to|by|with|against|on|since)\s+)?which\s+(?P<noun>[\w'’-]+)", re.IGNORECASE)
_TIME_NOUNS = frozenset("year years date day days month months season week decade century time".split())
_PLACE_NOUNS = frozenset("country countries city cities state states nation nations town region capital".split())
_PLACES = frozenset({"GPE", "LOC", "FAC"})
PERCENT = frozenset({"PERCENT"})
_PEOPLE = ("er", "or", "ist", "ian", "ee")  # endings of nouns for people: driver, ambassador, referee
_PEOPLE_NOUNS = frozenset("student official star chef nurse athlete rookie candidate defendant pilot".split())
# ... and nouns with those endings that name a firm or a thing: "Which newspaper filed ...?", "which carmaker"
_FIRM_NOUNS = frozenset(
    "newspaper paper publisher broadcaster retailer manufacturer maker carmaker chipmaker automaker provider operator"
    " carrier regulator lender distributor supplier insurer computer processor server sponsor competitor".split()
)
_ORGANISATIONS = frozenset(stem(w) for w in ORGANISATION_NOUNS | _FIRM_NOUNS)  # "studios" as "studio"
# "What was the final score ...", "What annual growth rate ...", "What is X's annual recurring revenue?": a score, a
# percentage, a sum of money or a number.
_WHAT_MEASURE = re.compile(
    r"^(?:what|which)\s+(?:(?:is|was|are|were)\s+)?(?:the\s+)?(?:[\w'’-]+\s+){0,3}?"
    r"(?P<measure>score|rate|percentage|share|proportion|number|revenue|price|cost|value|valuation|salary|budget|"
    r"fine|fee|worth|funding|profit|loss|sales)\b(?!\s+(?:split|model|stream|source)s?\b)"  # a split is a ratio
)
_MONEY_MEASURES = frozenset(
    "revenue price cost value valuation salary budget fine fee worth funding profit loss sales".split()
)
# A score: "a 16-13 victory", "won 3-1", "Bears 16, Panthers 13"; not a season's record, "(3-7)", "drops to 1-8".
_SCORE = re.compile(
    r"(?<![(\d])(?<!\bto\s)\b\d{1,3}\s?[-–]\s?\d{1,3}\b(?!\))"
    r"|\b[A-Z][\w.'’-]*\s\d{1,3},\s(?:[A-Z][\w.'’-]*\s){1,2}\d{1,3}\b"
)
# A score that is a result ("Final: Bears 16, Panthers 13", "a 16-13 victory"), not one of a quarter or a series
_RESULT = re.compile(r"\b(?:final|full[- ]time|won|wins?|beat|beats|victory|defeat(?:ed|s)?|triumph\w*)\b", re.I)
# "bears panthers final score", "final score of the rugby world cup final", "by what score did ...": a score asked
# for as one types into a search box
_ENDS_SCORE = re.compile(
    # "gulls vs herons final score", "bedard nhl debut final score vs pens?"
    r"\b(?:final|full-time|half-time)\s+score(?:\W*$|\s+(?:vs\.?|v\.?|versus|against|between|of|in|for)\s)"
    r"|^(?:the\s+)?(?:final|full-time|half-time)\s+score\b"
    r"|^by\s+what\s+(?:score|margin)\b"
)
_WHEN = re.compile(r"^(?:(?:since|until|by|in|on)\s+)?(?:when\b|(?:what|which)\s+(?:year|date|day|month)\b)")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_ASKS_UNIT = re.compile(r"\b(?:what|which)\s+(?P<unit>year|month|day|date)\b")
_CALLED = re.compile(r"^what\s+(?:is|was|are|were)\b.*\b(?:called|named)\W*$")  # "What is the therapy called?"
# "How many passing yards ...", "How much money ...": the words after "many" / "much" name the counted thing.
_HOW_MUCH = re.compile(r"^(?:by\s+)?how\s+(?P<kind>many|much|old|long|far|big|tall|often|large|high)\b(?P<rest>.*)")
_APPOSITION = re.compile(r",\s*|\s+and\s+")
NEAR_ROLE = 4  # content words between an answer and a role word of the question for the answer to hold that role
OFF_ROLE = 0.8  # an answer of the asked type that holds none of the question's roles ranks below one that does
# "Who replaced X?": a name in a sentence with no word for a successor is X, or someone leaving with X
OFF_SUCCESSION = 0.64
PART_ROLE = 0.85  # an amount beside some of the question's words only: scaled from this (none) to 1 (all)
_HOW_WORDS = frozenset({"much", "many"})  # not words an amount stands beside
OTHER_LABEL = 0.85  # an answer of a related type (an organisation for "who", a vague date for "when") ranks lower
NO_ANSWER = 0.55  # a sentence without an answer of the asked type: kept, but below any sentence with one


@dataclass(frozen=True)
class AnswerType:
    """What a question asks for, as named entities: the labels an answer can have, the labels of the likeliest one,
    and the stems of the words the answer stands near in a sentence that gives it (its role, or the counted thing)."""

    labels: frozenset[str]
    preferred: frozenset[str]
    roles: frozenset[str] = frozenset()
    # The unit a when-question asks for, which the date must name ("year", "month", "day", "date"; else "time", a point
    # in time), or "duration" for how long.
    unit: str = ""
    title: tuple[str, ...] = ()  # a title of two or more words among the roles ("chief financial officer"), held whole
    noun: str = ""  # the noun a "which" question asks for ("journal" in "Which journal published ...?")
    successor: bool = False  # "Who replaced X?", "Who took over as CEO?": a name written as a successor


def asks_name(question: str) -> bool:
    """Whether the question asks for someone or something named: "Who ...", "Whose ...", "Which judge ...", "In which
    country ..." (not "Which year ...", nor a choice between names it gives: "Which ..., X or Y?")."""
    question = asked(question)
    q = question.lower().lstrip()
    if q.startswith(("who ", "whom ", "whose ", "who's ", "who’s ")):  # "who's replacing Dean Evason?"
        return True
    if _CALLED.match(q):
        return True
    m = _WHICH.match(q)
    return m is not None and m.group("noun") not in _TIME_NOUNS and " or " not in q


def answer_type(question: str) -> AnswerType | None:
    """The named-entity type of the answer a question asks for: a person (or another name) for "who" and "which
    judge", a place for "where" and "which country", a date for "when" and "what year", an amount for "how many",
    "how much", "how old" and "what is the revenue ..."; None for other questions (why, what, yes/no, scores)."""
    question = asked(question)
    q = question.lower().strip()
    if asks_name(question) and not WHO_IS.match(question):  # "Who is Eylon Levy?" asks what he is, not a name
        roles = frozenset(_role_words(question)) | _phrasal(question)
        if title := _title(question, roles):
            roles |= _initials_of(title)  # "CFO" for "chief financial officer"
        m = _WHICH.match(question.strip())
        if m is None:
            return AnswerType(NAMED, PERSON, roles, title=title, successor=bool(_ASKS_SUCCESSOR.search(question)))
        if m.group("noun").lower() in _PLACE_NOUNS and roles == {stem(m.group("noun").lower())}:
            roles |= _acts(question)  # "In which city was X born?": born there, rarely "the city of ..."
        return AnswerType(NAMED, _named(question.strip()[m.start("noun") :]), roles, title=title, noun=m.group("noun"))
    if q.startswith("where "):
        # the place stands beside what is asked ("an Atlanta-based startup") or beside the subject's name ("the Las
        # Vegas TwitchCon"), not merely in the sentence ("held in Anaheim" of another convention)
        named = frozenset(stem(_key(w)) for n in subject_names(question) for w in _PART.findall(n))
        return AnswerType(NAMED, _PLACES, _acts(question) | named)
    if _WHEN.match(q) or _ASKS_UNIT.search(q):
        unit = m.group("unit") if (m := _ASKS_UNIT.search(q)) else "time"
        return AnswerType(WHEN, WHEN, _acts(question), unit=unit)
    if (m := _HOW_MUCH.match(q)) is not None and not WON_BY.match(q):
        kind = m.group("kind")
        counted = _counted(m.group("rest")) if kind in ("many", "much") else frozenset()
        if kind == "much" and not counted:
            return AnswerType(AMOUNT, frozenset({"MONEY", "PERCENT", "QUANTITY"}), _acts(question))
        # "How many years ...?" counts time, which the model labels a date ("13 years")
        span_of_time = kind == "many" and bool(counted & _DURATION_STEMS)
        labels = AMOUNT | WHEN if kind in ("old", "long", "often") or span_of_time else AMOUNT
        unit = "age" if kind == "old" else ""
        if (kind == "long" and not _LONG_THING.match(m.group("rest"))) or span_of_time:
            unit = "duration"
        return AnswerType(labels, labels, counted or _acts(question), unit=unit)
    if (m := _WHAT_MEASURE.match(q)) is not None and m.group("measure") != "score":
        measure = m.group("measure")
        wanted = frozenset({"MONEY"}) if measure in _MONEY_MEASURES else AMOUNT if measure == "number" else PERCENT
        return AnswerType(wanted, wanted)
    return None


def _named(rest: str) -> frozenset[str]:
    """The labels of the likeliest answer to "which <rest>", from its first two lower-case words (past names): a
    person for a role ("which judge", "which Apple executive", "which former Israeli ambassador"), a place for "which
    country", else any name ("which team knocked ...")."""
    words = [w for w in _past_names(_WORD.findall(rest)) if not w[0].isupper()][:2]
    for w in words:
        if w in STOP_WORDS or w in _AUXILIARIES:
            break
        if w in _PLACE_NOUNS:
            return _PLACES
        if w in TITLE_WORDS or w in _PEOPLE_NOUNS or (len(w) > 4 and w.endswith(_PEOPLE) and w not in _FIRM_NOUNS):
            return PERSON
        if stem(w) in _ORGANISATIONS:
            return NAMED - PERSON
    return NAMED


def _past_names(words: Sequence[str]) -> list[str]:
    """`words` without the lower-case words that join a name's ("of" in "University of New Hampshire")."""
    return [w for i, w in enumerate(words) if not (w in NAME_CONNECTORS and 0 < i < len(words) - 1 and
                                                   words[i - 1][0].isupper() and words[i + 1][0].isupper())]


def _acts(question: str) -> frozenset[str]:
    """Stems of the question's lower-case content words but the time asked for ("When did the coup take place?"
    gives "coup", "tak", "plac"), and the words articles write for its phrasal verbs (`_phrasal`): what happened at
    the date asked for."""
    words = [w for w in _WORD.findall(question) if not w[0].isupper()]
    return frozenset(stem(w) for w in content_words(" ".join(words)) if w not in _TIME_NOUNS) | _phrasal(question)


def _phrasal(question: str) -> frozenset[str]:
    """Stems of the verbs articles write for the question's phrasal verbs (`phrasal_verbs`)."""
    return frozenset(stem(w) for w in phrasal_verbs(question))


def _counted(rest: str) -> frozenset[str]:
    """Stems of the counted thing at the start of what follows "how many" / "how much" ("passing yards did ..."
    gives "pass", "yard"), up to the first auxiliary, stop word or name."""
    out = []
    for w in _WORD.findall(rest):
        low = w.lower()
        if low in STOP_WORDS or low in _AUXILIARIES or w[0].isupper():
            break
        out.append(stem(low))
    return frozenset(out)


_SKIPPED = frozenset(_AUXILIARIES) | frozenset("the a an he she it they we you i his her its their".split())
# Nouns that name no role ("Who is the individual ...") and words that attribute a claim to a source ("... reported
# by TechCrunch", "... described by The Verge as ..."): neither says what the asked-for name does.
_NO_ROLE = frozenset("individual person people someone one company firm organization organisation entity".split())
_ATTRIBUTION = frozenset(
    "reported report reports mentioned described according alleged accused cited portrayed noted stated".split()
)


_LEADS = frozenset(
    stem(w) for w in "head lead leader leads led runs boss ceo chairman chair president director".split()
)


_SCORES = frozenset(
    stem(w) for w in "score scored scores goal goals strike netted nets header headed brace equaliser equalizer "
    "scorer goalscorer finish finished".split()
)
_ASKS_SUCCESSOR = re.compile(r"\b(?:replac\w*|succe(?:ed|eded|eds|eding|ssor)|t(?:ake|akes|aking|ook)\s+over)\b", re.I)
_SUCCESSOR_WORDS = frozenset(stem(w) for w in SUCCESSION_WORDS | {"new"})  # "the new CEO", "was named"
_TITLE_STEMS = frozenset(stem(w) for w in TITLE_WORDS)


def _before_name(question: str, title: str) -> bool:
    """Whether the title word stands right before a name in the question ("coach Frank Reich"), so it is that
    person's title."""
    m = re.search(rf"\b{re.escape(title)}\s+([A-Z][\w'’-]*)", question)
    return m is not None and _key(m.group(1)) not in TITLE_WORDS


def _role_words(question: str) -> set[str]:
    """Stems of the words that say which role or act the asked-for name holds: the first run of lower-case words
    after the question word, past auxiliaries, pronouns, articles and names, and on past "as" ("Which judge is
    presiding over ..." gives "judg"; "Who is Spotify's chief financial officer?" "chief", "financial", "officer";
    "Who did he appoint as prime minister?" "appoint", "prim", "minister")."""
    words = _past_names(_WORD.findall(question))[1:]
    if words and words[0].lower() == "which":
        words = words[1:]
    out: list[str] = []
    whole: list[str] = []  # the words unsplit: "co-led" a round is no leader's title
    for w in words:
        low = w.lower().replace("’", "'")
        named = w[0].isupper() and low not in TITLE_WORDS  # "CEO" is a title, "Binance" a name
        if not out and (low in _SKIPPED or named or low.endswith("'s")):
            continue
        if not out and low in TITLE_WORDS and _before_name(question, w):
            continue  # "Who did Panthers coach Frank Reich hand ... to?": the subject's title, not the answer's
        if low in ("as", "the", "a", "an") or low in _NO_ROLE:
            continue  # "appoint as prime minister", "won the mayoral election", "the individual facing ..."
        if named or low in STOP_WORDS or low in _ATTRIBUTION or low[0].isdigit():
            break
        whole.append(stem(low))
        out += [stem(part) for part in _PART.findall(low) if part not in STOP_WORDS and len(part) > 2]
    if _LEADS & set(whole):
        out += _LEADS  # "head of", "leads", "boss": the titles articles give a leader
    if _SCORES & set(whole):
        out += _SCORES  # "Salah's strike", "a brace", "headed in": the words match reports give a goal
    if _ASKS_SUCCESSOR.search(question):  # "Who replaced ...", "bring in to replace", "took over as": a successor is
        return {w for w in out if w in _TITLE_STEMS} | _SUCCESSOR_WORDS  # written as one, or by the title taken
    return set(out)


def _initials_of(title: Sequence[str]) -> set[str]:
    """The initials a title is written as: "cfo" for "chief financial officer", also "ceo" for "chief executive"."""
    if any(w in TITLE_WORDS and len(w) == 3 for w in title):
        return set()  # "interim CEO" has no initials of its own
    out = {"".join(w[0] for w in title)}
    if len(title) == 2 and title[0] == "chief":
        out.add(f"c{title[1][0]}o")
    return out


_WHEN_HELD = frozenset("new former current next previous incoming outgoing then".split())


def _title(question: str, roles: frozenset[str]) -> tuple[str, ...]:
    """The stems of a title of two or more words the question asks about ("chief financial officer", "prime
    minister", "interim CEO": a run of words up to its last title word, all of them roles), else ()."""
    runs: list[list[str]] = [[]]
    for w in _WORD.findall(question):
        low = _key(w)
        # "interim CEO" is a title; "named" in "named interim CEO" is what was done, not part of it
        if (w[0].isupper() and low not in TITLE_WORDS) or low in STOP_WORDS or low.endswith("ed"):
            runs.append([])
        else:
            runs[-1].append(low)
    for run in runs:
        while run and run[0] in _WHEN_HELD:
            run = run[1:]  # "the new chief executive" holds the title "chief executive"
        ends = [k for k, x in enumerate(run) if x in TITLE_WORDS]
        if ends and ends[-1] >= 1 and all(stem(x) in roles for x in run[: ends[-1] + 1]):
            return tuple(stem(x) for x in run[: ends[-1] + 1])
    return ()


def _key(word: str) -> str:
    """A word as it is compared with the question's: lower case, straight apostrophe, no possessive "'s"."""
    return word.lower().replace("’", "'").removesuffix("'s")


def _answers(question: str, kind: AnswerType, text: str, ents: Sequence[Entity]) -> list[tuple[Entity, int, int]]:
    """The entities of `text` that can answer: of the asked labels, not given by the question (a name half of whose
    words the question gives is its subject or a namesake: "Aino Vantablack" for a question about "Aino
    Quillfeather"; a list the model reads as one name, "Gimlet and Parcast", counts part by part), a date
    with a year when a year is asked,
    each with the offsets of the part that answers."""
    asked = {_key(w) for w in _WORD.findall(question)}
    out = []
    for e in ents:
        if e.label not in kind.labels or not _names_unit(e.text, kind.unit):
            continue
        pos = 0
        for part in _APPOSITION.split(e.text):
            start = e.start + e.text.index(part, pos) if part else e.start
            pos = start - e.start + len(part)
            words = [_key(w) for w in _WORD.findall(part)]
            words = [w for w in words if w not in STOP_WORDS or w in CALENDAR_WORDS]  # "May" is a stop word too
            given = sum(w in asked for w in words)
            if words and (given < len(words) if e.label in WHEN | AMOUNT else 2 * given < len(words)):
                out.append((e, start, start + len(part)))
    return out


_DURATION = frozenset(
    "second seconds minute minutes min mins hour hours hr hrs day days night nights week weeks month months year years "
    "decade decades season seasons".split()
)
_DURATION_STEMS = frozenset(stem(w) for w in _DURATION)
_AT_A_TIME = frozenset("ago later earlier before after since".split())
_YEARS = frozenset({"year", "years"})


def _length_of_time(text: str) -> bool:
    """Whether a date is a length of time only: a number and a unit ("seven years", "the past 18 months"), no year,
    month or weekday, nor a word that places it ("two years ago")."""
    words = {_key(w) for w in _PART.findall(text)}
    counted = any(ch.isdigit() for ch in text) or bool(words & _NUMBER_WORDS)
    return bool(words & _DURATION) and counted and not (_YEAR.search(text) or words & (CALENDAR_WORDS | _AT_A_TIME))


_LONG_THING = re.compile(r"\s+(?:is|was|are|were)\s+(?:the|a|an)\b")  # "How long is the bridge?": a length


def _names_unit(text: str, unit: str) -> bool:
    """Whether a date names the unit asked for: a year ("1973"), a month ("May") or a day ("Monday", "14"); an
    amount or date a duration ("eleven minutes", "2-3 hours", not "Monday") for "how long"; a point in time, not a
    length of one ("seven years", "one year"), for another when-question; for "how old", an age, no length of time
    shorter than a year."""
    if unit == "duration":
        return bool({_key(w) for w in _PART.findall(text)} & _DURATION)
    if unit == "age":  # "33", "78 years old", not "24 to 48 hours" nor a year or a season ("2023-24")
        return not {_key(w) for w in _PART.findall(text)} & (_DURATION - _YEARS) and not _YEAR.search(text)
    if unit == "time":
        return not _length_of_time(text)
    if unit == "year":
        return bool(_YEAR.search(text))
    words = {_key(w) for w in _WORD.findall(text)}
    if unit == "month":
        return bool(words & MONTHS)
    if unit == "date":  # a month or weekday ("Aug. 11, 2014", "Monday"), not a year alone
        return bool(words & CALENDAR_WORDS) and not _length_of_time(text)
    if unit == "day":
        return bool(words & WEEKDAYS) or any(w.isdigit() and len(w) <= 2 for w in words)
    return True


_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty sixty seventy
    eighty ninety hundred thousand million billion trillion dozen""".split()
)


def _specific(e: Entity) -> bool:
    """Whether a date or an amount says which one ("14 August", "Monday", "1973", "$5 billion", "eleven minutes"),
    not "annual", "the year" or "hundreds"; a name always does."""
    if e.label not in WHEN | AMOUNT:
        return True
    if e.label == "DATE" and e.text.strip().isdigit() and len(e.text.strip()) <= 2:
        return False  # "when she was 23": an age, which says no date
    words = {_key(w) for w in _WORD.findall(e.text)}
    return any(ch.isdigit() for ch in e.text) or bool(words & (CALENDAR_WORDS | _NUMBER_WORDS))


# A month or weekday name the model does not read as a date ("to begin in May"): a date all the same.
_CALENDAR_NAME = re.compile(
    r"\b(?:" + "|".join(sorted(w.title() for w in CALENDAR_WORDS if len(w) > 3 or w == "may")) + r")\b"
)


def _with_calendar_names(text: str, ents: Sequence[Entity]) -> list[Entity]:
    """`ents` and a DATE for each month or weekday name outside them."""
    out = list(ents)
    for m in _CALENDAR_NAME.finditer(text):
        if not any(e.start <= m.start() < e.end for e in ents):
            out.append(Entity(m.group(), "DATE", m.start(), m.end()))
    return out


def _with_named_kind(noun: str, kind: AnswerType, text: str, ents: Sequence[Entity]) -> list[Entity]:
    """`ents` and, for "Which journal ...", the capitalised name a sentence writes right after the noun ("the journal
    Cell Metabolism") where the model found none, labelled as the answer the question prefers."""
    out = list(ents)
    label = "ORG" if "ORG" in kind.preferred else min(kind.preferred)
    for m in re.finditer(rf"\b(?i:{re.escape(noun)}s?\s+(?:of\s+)?)(?=[A-Z])", text):
        run = NAME_RUN.match(text, m.end())
        if run and not any(e.start < run.end() and run.start() < e.end for e in ents):
            out.append(Entity(run.group(), label, run.start(), run.end()))
    return out


def _with_surnames(texts: Sequence[str], found: Sequence[Sequence[Entity]]) -> list[list[Entity]]:
    """Each sentence's entities and a PERSON for each surname written alone outside them, when another of `texts`
    gives the person's full name: "Credit cranberry king Marcus Urann" makes "Urann, most notably, invented ..." name
    him (the model often misses a surname alone, above all at the start of a sentence)."""
    surnames = {
        last
        for ents in found
        for e in ents
        if e.label == "PERSON" and len(words := e.text.split()) > 1 and len(last := words[-1]) > 2 and last[0].isupper()
    }
    if not surnames:
        return [list(ents) for ents in found]
    named = re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(surnames))) + r")(?![\w-])")
    out = []
    for text, ents in zip(texts, found):
        more = list(ents)
        for m in named.finditer(text):
            if not any(e.start < m.end() and m.start() < e.end for e in ents):
                more.append(Entity(m.group(), "PERSON", m.start(), m.end()))
        out.append(more)
    return out


def _near(text: str, start: int, end: int, roles: frozenset[str], reach: int = NEAR_ROLE) -> set[str]:
    """The role stems that stand within `reach` content words of `text[start:end]`, or inside it; a stem also
    matches one it begins ("found" matches "founder"), and each part of a hyphenated word counts ("10-point")."""
    words = [
        (m.start(), m.end(), stem(w))
        for m in _PART.finditer(text)
        if (w := _key(m.group())) not in STOP_WORDS or start <= m.start() < end
    ]
    inside = [k for k, (s, e, _) in enumerate(words) if s < end and start < e]
    if not inside:
        return set()
    near = words[max(0, inside[0] - reach) : inside[-1] + reach + 1]
    return {
        r
        for _, _, w in near
        for r in roles
        if w == r
        or (min(len(w), len(r)) >= 4 and (w.startswith(r) or r.startswith(w)))
        or _SAME_ACT.get(w, w) == _SAME_ACT.get(r)
    }


# Words news prose writes for one act a question asks about, by stem: what was paid is often "bought for" or
# "acquired for", a sale "sold", a lawsuit "sued".
_SAME_ACT = {
    stem(w): act
    for act, words in (
        ("pay", "pay paid buy bought purchase purchased acquire acquired acquisition"),
        ("sell", "sell sold sale"),
        ("sue", "sue sued suing lawsuit"),
    )
    for w in words.split()
}


def _holds_role(kind: AnswerType, near: set[str]) -> bool:
    """Whether the role words near an answer (`near`) give it the role asked about: any of them, but a title of two
    or more words whole or by its initials ("defence minister" is not "prime minister")."""
    if not kind.title:
        return bool(near)
    return set(kind.title) <= near or bool(near & _initials_of(kind.title))


_SINCE = re.compile(r"since\b", re.IGNORECASE)
# A date right after a word of saying: "announced Friday that ...", "said on Tuesday"
_SAID_ON = re.compile(
    r"\b(said|says|announced|announces|told|reported|confirmed|revealed|wrote|posted|tweeted|stated|disclosed)"
    r"\s+(?:on\s+|late\s+|early\s+|this\s+|last\s+)?$",
    re.IGNORECASE,
)
_FROM = re.compile(r"\b(?:since|from)\s+(?:(?:the|early|late|mid)[\s-]+)?\W?$", re.IGNORECASE)


def _fit(
    question: str, kind: AnswerType, text: str, answers: Sequence[tuple[Entity, int, int]], prep: str | None
) -> float:
    """How well the sentence's best answer (of `answers`, as `_answers` gives them) fits `kind`: 1.0 for one of the
    preferred labels in the role asked about, `OTHER_LABEL` for another label, `OFF_ROLE` for one outside the role
    (or in another title; for "Who replaced X?", `OFF_SUCCESSION` in a sentence with no word for a successor; a name
    right after the preposition the question ends on, `prep`, holds the role: `_stranded`), for an amount
    `PART_ROLE` up to 1.0 by the share of the question's words beside it, `NO_ANSWER` without one."""
    best = NO_ANSWER
    since = bool(kind.labels & WHEN and _SINCE.match(question.strip()))
    reach = NEAR_ROLE + max(0, len(kind.title) - 1)  # a title's words all count as one ("now interim CEO")
    succession = {stem(_key(w)) for w in _PART.findall(text)} if kind.successor else set()
    elsewhere = bool(kind.roles) and not kind.successor and _role_elsewhere(question, text, kind.roles)
    for e, start, end in answers:
        if since and not _FROM.search(text, 0, start):
            continue  # "Since when ...?" asks where something began: "since 2002", not "the 2023 list"
        said = _SAID_ON.search(text, max(0, start - 40), start) if e.label in WHEN else None
        if said and stem(said.group(1).lower()) not in kind.roles:
            continue  # "Epic announced Friday that ... would return": the day it was said, not the day asked for
        fit = 1.0 if e.label in kind.preferred and _specific(e) else OTHER_LABEL
        near = _near(text, start, end, kind.roles, reach) if kind.roles else set()
        if kind.successor:  # the successor's word may stand anywhere: "X, ..., will be the exchange's new CEO"
            if not (_holds_role(kind, near) or _SUCCESSOR_WORDS & succession):
                fit *= OFF_SUCCESSION
        elif prep and _right_after(text, start, prep):
            pass  # "teaming up with IBM ... to launch the AI Alliance": the preposition gives the role
        elif kind.roles and (elsewhere or not _holds_role(kind, near)):
            fit *= OFF_ROLE
        elif kind.labels == AMOUNT and (acts := kind.roles - _HOW_WORDS) and not kind.title:
            fit *= PART_ROLE + (1 - PART_ROLE) * len(near & acts) / len(acts)
        best = max(best, fit)
    return best


# A question that ends on its preposition ("Which company is Meta launching the AI Alliance with?", "Who was the
# letter sent to?") has its answer written right after that preposition ("teaming up with IBM", "sent to Chief
# Executive Officer Tony Staffieri"), whatever the words around it.
_STRANDED = re.compile(r"\b(?P<prep>with|to|for|against|from|by|at|on)\W*$", re.IGNORECASE)
NOT_AFTER = 0.85  # an answer not right after the preposition a question ends on, when another sentence has one there


def _stranded(question: str) -> str | None:
    """The preposition the question ends on ("with" in "Who does Kyle Larson co-own the series with?"), else None."""
    m = _STRANDED.search(asked(question).strip())
    return m.group("prep").lower() if m else None


def _right_after(text: str, start: int, prep: str) -> bool:
    """Whether the answer at `start` follows `prep`, past an article and up to three capitalised words ("with the
    Angels", "to Chief Executive Officer Tony Staffieri")."""
    return re.search(rf"\b(?i:{prep})\s+(?:(?i:the|a|an)\s+)?(?:[A-Z][\w'’.-]*\s+){{0,3}}$", text[:start]) is not None


_ROLE_AT = re.compile(r"([\w'’-]+),?\s+(?:at|of)\s+(?:the\s+)?([A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*)*)")


def _role_elsewhere(question: str, text: str, roles: frozenset[str]) -> bool:
    """Whether the sentence gives the role asked about only at a place the question does not name: "who is the CEO
    of Beeper" and "... Garry Tan of Initialized Capital, now president and CEO at Y Combinator"."""
    named = {stem(_key(w)) for n in subject_names(question) for w in _PART.findall(n)}
    if not named:
        return False
    held = [
        {stem(_key(w)) for w in _PART.findall(m.group(2))}
        for m in _ROLE_AT.finditer(text)
        if stem(_key(m.group(1))) in roles
    ]
    return bool(held) and not any(h & named for h in held)


def answer_type_factors(question: str, texts: Sequence[str]) -> list[float]:
    """Down-weight sentences that cannot hold the kind of answer asked for (`_kind_factors`), and those without the
    words the question quotes when another sentence has them (`_quoted`)."""
    return [f * q for f, q in zip(_kind_factors(question, texts), _quoted(question, texts))]


def _kind_factors(question: str, texts: Sequence[str]) -> list[float]:
    """Who, when and how-many questions want a named entity of their type the question does not give
    (`answer_type`; the entities of all `texts` are found in one batch), in the role the question asks about, in a
    sentence with the number the question gives if any has it (`_pinned`); a why-question wants a cause; a score
    question a score; a how-question the way it was done."""
    kind = answer_type(question)
    if kind is not None:
        found: Sequence[Sequence[Entity]] = entities_of(texts)
        if kind.labels & WHEN:
            found = [_with_calendar_names(t, ents) for t, ents in zip(texts, found)]
        if kind.noun:
            found = [_with_named_kind(kind.noun, kind, t, ents) for t, ents in zip(texts, found)]
        if "PERSON" in kind.preferred:
            found = _with_surnames(texts, found)
        answers = [_answers(question, kind, t, ents) for t, ents in zip(texts, found)]
        prep = _stranded(question) if kind.labels & NAMED else None
        fits = [_fit(question, kind, t, a, prep) for t, a in zip(texts, answers)]
        if kind.labels == AMOUNT and (thing := counted_thing(asked(question))):  # "157,000 ... speakers"
            counts = counting(thing)
            counted = _without_if_any_with([bool(counts.search(t)) for t in texts], UNCOUNTED)
            if len(thing.split()) > 1:  # "381 passing yards" before "for 361 yards"
                wholly = counting(thing, whole=True)
                counted = [c * w for c, w in zip(counted, _without_if_any_with(
                    [bool(wholly.search(t)) for t in texts], PART_COUNTED))]
            fits = [f * c for f, c in zip(fits, counted)]
        if prep:
            after = [any(_right_after(t, start, prep) for _, start, _ in a) for t, a in zip(texts, answers)]
            fits = [f * a for f, a in zip(fits, _without_if_any_with(after, NOT_AFTER))]
        return [f * p for f, p in zip(fits, _pinned(question, texts))]
    q = question.lower()
    if (
        ((m := _WHAT_MEASURE.match(q)) is not None and m.group("measure") == "score")
        or _ENDS_SCORE.search(q)
        or WON_BY.match(q)
    ):
        return [(1.0 if _RESULT.search(t) else OTHER_LABEL) if _SCORE.search(t) else NO_ANSWER for t in texts]
    if asks_why(question):
        acts = _acts(question) - {stem(w) for w in _ATTRIBUTION}  # "according to The Independent" is no act
        return [1.0 if _gives_cause(t, acts) and not announces_reason(t) else NO_ANSWER for t in texts]
    if (defined := defined_thing(question)) is not None:
        return _without_if_any_with([_defines(t, defined) for t in texts], UNDEFINED)
    if asks_way(question):
        return _without_if_any_with([bool(_WAY.search(t)) for t in texts], NO_WAY)
    return [1.0] * len(texts)


UNCOUNTED = 0.7  # for "How many X ...?", a sentence with no number counting X, when another one counts X
PART_COUNTED = 0.7  # for "How many passing yards ...?", one counting "yards" only, when another counts "passing yards"
NO_WAY = 0.65  # for "How did X do Y?", a sentence that tells no way it was done, when another one tells one
# "How did Beeper get iMessage working on Android?": not how someone fared ("How did Vivek Ramaswamy finish?")
_ASKS_WAY = re.compile(
    r"^how\s+(?:did|does|do|can|could|was|were|is|are|will|would)\s+(?!.*\b(?:react|respond|finish|fare|perform|feel|"
    r"look|compare|go|end|rank|vote|play|reply|do)(?:s|es|ed|d|ing)?\b)\S+\s+\S",
    re.IGNORECASE,
)
# A sentence that tells how: "made possible because the team managed to reverse-engineer ...", "by scanning ...",
# "using a ...", "thanks to ...", "through an airstrike", "jets were used to ...", "works by ..."
_WAY = re.compile(
    r"\bby\s+(?:[\w'’-]+\s+){0,2}?[\w-]+ing\b|\busing\b|\bvia\b|\bwith\s+(?:the\s+)?help\s+of\b|\bmanag(?:ed|es)\s+to\b"
    r"|\bmade\s+(?:it\s+)?possible\b|\bthanks\s+to\b|\bby\s+means\s+of\b|\bworks?\s+by\b|\bthe\s+(?:method|technique|trick)\b"
    r"|\bthrough\s+an?\s|\b(?:was|were|is|are|been)\s+(?:\w+\s+)?used\s+to\b",  # "launched through an airstrike"
    re.IGNORECASE,
)


def asks_way(question: str) -> bool:
    """Whether the question asks how something was done ("How did Beeper get iMessage working on Android?"), not how
    someone fared or reacted, nor how many or much."""
    return bool(_ASKS_WAY.match(asked(question).strip()))


UNDEFINED = 0.85  # a sentence that names the thing asked about without saying what it is, when another one says it


def _defines(text: str, thing: str) -> bool:
    """Whether the sentence says what `thing` is: the thing followed by a description in apposition or after "is"
    ("Beeper Mini, an Android app that ...", "Temu, the Chinese e-commerce company ...", "the AI Act is the world's
    first ...", "Explore with Alexa lets kids ...") or a title or role right before it ("CTO Mira Murati")."""
    named = re.escape(thing).replace(r"\ ", r"\s+")
    for m in re.finditer(rf"([\w-]+),?\s+{named}(?![\w-])", text):  # "CTO Mira Murati", "spokesperson Eylon Levy"
        word = m.group(1).lower()
        if word in TITLE_WORDS or (len(word) > 4 and word.endswith(_PEOPLE)):
            return True
    return bool(re.search(
        rf"(?<![\w-]){named}[”\"’']?(?:\s*,|\s+[—–]|\s+\(|\s+(?:is|are|was|were)\b)\s*(?:also\s+)?"
        rf"(?:a|an|the|which|who|one|[\w-]+['’]s)\b"
        rf"|(?<![\w-]){named}[”\"’']?\s+(?:lets|allows|enables|helps|gives|offers|uses|turns|makes)\b",
        text,
        re.IGNORECASE,
    ))


# Words the question quotes: 'impressed by the breadth', "a tough decision" (two words or more)
_QUOTED = re.compile(
    r"""(?:^|(?<=[\s(]))['‘"“](?P<words>[^'‘’"“”]*?\w\s+\w[^'‘’"“”]*?)[.,!?]?['’"”](?=[\s?.,!:;)]|$)"""
)
UNQUOTED = 0.8  # a sentence without the words the question quotes, when another sentence has them


def _folded(text: str) -> str:
    """Text as compared with a quote: lower case, straight apostrophes, one space between words."""
    return " ".join(text.lower().replace("’", "'").split())


def _quoted(question: str, texts: Sequence[str]) -> list[float]:
    """`UNQUOTED` for each sentence that holds none of the question's quoted words ("Which senator said he was
    'impressed by the breadth' of ...?") when another sentence holds some, else 1.0."""
    quotes = [  # a title in quotes ("American Pie") is a name the articles may not repeat ("the song")
        _folded(m.group("words"))
        for m in _QUOTED.finditer(question)
        if any(w[0].islower() and w.lower() not in STOP_WORDS for w in _WORD.findall(m.group("words")))
    ]
    return _without_if_any_with([any(q in _folded(t) for q in quotes) for t in texts], UNQUOTED)


_NUMBER = re.compile(r"\b\d[\d,.]*\b")
OTHER_NUMBER = 0.85  # a sentence without the number the question gives ("beat by 302 runs") is about another event


def _pinned(question: str, texts: Sequence[str]) -> list[float]:
    """`OTHER_NUMBER` for each sentence that lacks every number the question gives when another sentence has one
    (a number pins down the event asked about: "Which team did India beat by 302 runs?"), else 1.0."""
    numbers = {m.group() for m in _NUMBER.finditer(question) if not _in_name(question, m.start(), m.group())}
    return _without_if_any_with([bool(numbers & set(_NUMBER.findall(t))) for t in texts], OTHER_NUMBER)


def _without_if_any_with(has: Sequence[bool], factor: float) -> list[float]:
    """`factor` for each sentence without what the question points to (`has` False) when another sentence has it,
    else 1.0: the shared shape of `_pinned`, `_quoted` and the "What is X?" factor."""
    if not any(has):
        return [1.0] * len(has)
    return [1.0 if h else factor for h in has]


def _in_name(question: str, start: int, number: str) -> bool:
    """Whether the number at `start` is part of a name ("Top 50", "Fortune 500", "iPhone 15"): it follows a word
    with a capital that does not begin the question; a year is never part of a name here."""
    before = question[:start].split()
    return len(before) > 1 and any(c.isupper() for c in before[-1]) and not _YEAR.fullmatch(number)


_GOAL = re.compile(r"\b(?:goal|aim|purpose|intention)\b[^.;]{0,60}?\b(?:is|was)\s+to\s+[a-z]", re.IGNORECASE)
"""A stated purpose: "The goal of the restricted eating is to restore the circadian rhythm"."""
_TO_VERB = re.compile(r"([\w'’-]+)\s+to\s+[a-z]")


def _gives_cause(text: str, acts: frozenset[str]) -> bool:
    """Whether the sentence gives a cause, a motive or a purpose of what the question asks about (`acts`)."""
    return bool(_CAUSE.search(text) or _OVER_CAUSE.search(text) or _purpose(text, acts) or _GOAL.search(text))


def _purpose(text: str, acts: frozenset[str]) -> bool:
    """Whether the sentence gives the purpose of what the question asks about: one of its words (`acts`) followed
    by "to" and a lower-case word ("had surgery to remove a tumour" for "Why had he undergone surgery?")."""
    return any(stem(_key(m.group(1))) in acts for m in _TO_VERB.finditer(text))


def answer_type_factor(question: str, sentence: str) -> float:
    """`answer_type_factors` of one sentence."""
    return answer_type_factors(question, [sentence])[0]


def sentence_vectors(cands: Sequence[Candidate], embeddings: Embeddings) -> np.ndarray:
    """The embedding of each candidate's text, one row per candidate."""
    return np.asarray(embeddings.embed_documents([c.text for c in cands]), dtype=np.float32)


PASSAGE_SHARE = 0.15  # share of a sentence's relevance that is its passage's: the story around it is evidence too


def relevance(
    question: str, question_vector: Sequence[float], cands: Sequence[Candidate], vectors: np.ndarray
) -> list[float]:
    """How close each sentence is to the question: embedding similarity (`vectors`, one row per sentence) and
    IDF-weighted overlap of word stems, blended with its passage's cosine similarity to the question
    (`PASSAGE_SHARE`): "Judge Amit Mehta, presiding over the case, ..." shares one word with "Who is the judge in
    the US v. Google trial?", its passage many."""
    cosine = vectors @ np.asarray(question_vector, dtype=np.float32)
    q_words = _plain_stems(question)
    words = [_plain_stems(c.text) | _acronyms_of(question, c.text) for c in cands]
    n = len(cands)
    idf = {w: math.log(1 + n / (1 + sum(w in ws for ws in words))) for w in q_words}
    total = sum(idf.values()) or 1.0
    own = [0.6 * float(cos) + 0.4 * sum(idf[w] for w in q_words & ws) / total for cos, ws in zip(cosine, words)]
    share = PASSAGE_SHARE
    return [(1 - share) * r + share * (c.passage.relevance or 0.0) for r, c in zip(own, cands)]


# Words that ask and answer alike, each group read as its first word's stem: people ask about a "whole career" or a
# "movie", news writes "his entire career" and "the film".
_PLAIN = {
    stem(word): stem(group.split()[0])
    for group in ("whole entire", "big large huge", "movie film", "kid kids child children", "car vehicle",
                  "close closed shut shutter shuttered")
    for word in group.split()
}


def _plain_stems(text: str) -> set[str]:
    """The stems of `text`'s content words, each word of a `_PLAIN` group as its group's first."""
    return {_PLAIN.get(s, s) for s in map(stem, content_words(text))}


_ACRONYM = re.compile(r"\b[A-Z]{2,5}s?\b")


def _initials(text: str) -> dict[str, set[str]]:
    """Each run of two to five consecutive content words of `text` by its initials ("annual recurring revenue" gives
    "arr"), with the stems of its words."""
    words = [w for w in _WORD.findall(text) if _key(w) not in STOP_WORDS]
    out: dict[str, set[str]] = {}
    for i in range(len(words)):
        for n in range(2, 6):
            run = words[i : i + n]
            if len(run) == n:
                out.setdefault("".join(w[0].lower() for w in run), set()).update(stem(_key(w)) for w in run)
    return out


def _acronyms_of(question: str, text: str) -> set[str]:
    """The question's word stems that `text` gives as an acronym ("ARR" for "annual recurring revenue"), and the
    question's acronyms that `text` spells out ("CFO" when it says "chief financial officer"): an acronym and its
    words are one term."""
    out: set[str] = set()
    if found := {m.group().lower().removesuffix("s") for m in _ACRONYM.finditer(text)}:
        runs = _initials(question)
        for a in found:
            out |= runs.get(a, set())
    if asked := {m.group().lower().removesuffix("s") for m in _ACRONYM.finditer(question)}:
        out |= {a for a in asked if a in _initials(text)}
    return out


def score_sentences(
    question: str, question_vector: Sequence[float], cands: Sequence[Candidate], embeddings: Embeddings
) -> list[float]:
    """How well each sentence answers the question: its relevance times the answer-type factor."""
    if not cands:
        return []
    close = relevance(question, question_vector, cands, sentence_vectors(cands, embeddings))
    return [r * f for r, f in zip(close, answer_type_factors(question, [c.text for c in cands]))]


_WIDE = frozenset(
    {"us", "u.s.", "usa", "america", "united states", "uk", "u.k.", "britain", "united kingdom", "eu",
     "european union", "un", "united nations"}
)
"""Places too wide to say what a story is about ("When did cranberry cultivation begin in the United States?")."""
OFF_SUBJECT = 0.7  # a quote from a passage that names none of the question's names ranks below one that does
FEWER_NAMES = 0.8  # ... and one from a passage naming fewer of them than another ("Chelsea" but not "City")


def about_subject(question: str, units: Sequence[Candidate]) -> list[float]:
    """For each quote, how much its passage is about the question's subject: 1.0 when it names as many of the
    question's names (or short forms: "Purdy") as the passage naming most of them, `FEWER_NAMES` when it names
    fewer, `OFF_SUBJECT` when none; all 1.0 when the question names no one or no passage names any."""
    subject = [n for n in subject_names(question, sorted({u.passage.source for u in units})) if _key(n) not in _WIDE]
    named: dict[str, int] = {}
    for u in units:
        if u.passage.chunk_id not in named:
            text = f"{u.passage.title}. {u.passage.text}"
            named[u.passage.chunk_id] = sum(names_it(text, n) for n in subject)
    most = max(named.values(), default=0)
    if not most:
        return [1.0] * len(units)
    return [1.0 if (n := named[u.passage.chunk_id]) == most else FEWER_NAMES if n else OFF_SUBJECT for u in units]


OTHER_SUBJECT = 0.85  # a who-quote naming none of the question's names, when another with a name in role names one


# "the country's new prime minister", "the company said": a sentence pointing back at a subject named before it.
_POINTS_BACK = re.compile(
    r"\b(?:the|its)\s+(?:country|nation|company|firm|startup|business|group|club|team|city|state|government|league|"
    r"party|organi[sz]ation|agency|network|studio|bank|band|school|university)\b", re.I
)


def names_subject(
    question: str, units: Sequence[Candidate], read: Sequence[int], factors: Sequence[float]
) -> list[float]:
    """For each quote of a question that asks for a name, `OTHER_SUBJECT` when it holds a name of the asked type but
    names none of the question's names, nor points back at one ("the country's", "Its ..."), while another names
    one ("Brightline was founded in 2019 by ..." against "Ana Ruiz, founder of the payments startup Ledgerly, ..."
    for "Who founded the startup Brightline?"); else 1.0."""
    out = [1.0] * len(units)
    if not asks_name(question):
        return out
    subject = [n for n in subject_names(question, sorted({u.passage.source for u in units})) if _key(n) not in _WIDE]
    answering = [k for k in read if factors[k] > NO_ANSWER]
    naming = {k for k in answering if any(names_it(units[k].text, n) for n in subject)}
    if naming:
        for k in answering:
            if k not in naming and not (_POINTS_BACK.search(units[k].text) or pronoun_led(units[k].text)):
                out[k] = OTHER_SUBJECT
    return out


# "Who is the CEO of Binance now?": a sentence where someone leaves a post, and no one comes to it, names no one
# who holds it now.
_NOW = re.compile(r"\b(?:now|currently|current|today|presently)\b", re.IGNORECASE)
_NOW_WORDS = 12  # "Who is the CEO of Binance now?" is short
_LEAVES = re.compile(
    r"\b(?:step(?:s|ped|ping)?\s+down|former|ex-|resign\w*|ousted|oust|fired|sacked|depart\w*|outgoing|"
    r"previous|quit|left)\b", re.IGNORECASE
)
_COMES = re.compile(rf"\b(?:new|will\s+be|{SUCCESSION})\b", re.IGNORECASE)


def held_now(question: str, texts: Sequence[str], factors: Sequence[float]) -> list[float]:
    """`factors`, where a short question asks who holds a post now ("Who is the CEO of Binance now?", "...
    currently"), with `NO_ANSWER` at most for a sentence in which someone leaves ("stepping down", "former",
    "resigned") and no one comes ("new", "named", "will be", "replaced"): the one who left does not hold it now."""
    if not (asks_name(question) and _NOW.search(question)) or len(question.split()) > _NOW_WORDS:
        return list(factors)  # a long question's "now" is about something else ("... but is now facing ...")
    return [min(f, NO_ANSWER) if _LEAVES.search(t) and not _COMES.search(t) else f for t, f in zip(texts, factors)]


OUT_OF_REACH = 0.4  # a quote whose lead is below this share of the best lead is not read for entities
JOINED = 0.9  # a quote joined to the sentence before it (for a pronoun's referent) ranks below a single sentence


def quotes(
    question: str, question_vector: Sequence[float], passages: Sequence[Passage], embeddings: Embeddings
) -> tuple[list[Candidate], list[float], np.ndarray, list[float]]:
    """The passages' quotes that stand alone (`standalone`), how well each answers the question, their vectors, and
    how much each one's passage is about the question's subject (`about_subject`, one of the score's factors).

    A quote scores its relevance times its quotability (times `JOINED` for a two-sentence quote, so a sentence
    that answers alone is preferred to itself plus the next) and the answer-type factor of its first sentence (the
    answer comes first); then `lift_followers`. A bare-pronoun sentence joined to the one before it is a quote of its
    own too, so when it holds the answer and the one before does not, it can be quoted first.
    """
    sentences = candidates(passages)
    if not sentences:
        return [], [], np.zeros((0, 0), dtype=np.float32), []
    units = standalone(sentences)
    joined = [k for k, (u, c) in enumerate(zip(units, sentences)) if u.start != c.start]
    firsts = [u.text for u in units]
    for k in joined:
        firsts[k] = units[k].text[: sentences[k].start - units[k].start].rstrip()
    units += [sentences[k] for k in joined]
    firsts += [sentences[k].text for k in joined]
    vectors = sentence_vectors(units, embeddings)
    close = relevance(question, question_vector, units, vectors)
    for n, k in enumerate(joined):
        close[len(sentences) + n] = close[k]  # alone, a bare-pronoun sentence is still read with its referent
    leads = [r * quotability(u.text) for r, u in zip(close, units)]
    for k in joined:
        leads[k] *= JOINED
    # Only quotes that could come first (or follow one that could) are read for entities: any quote scores at least
    # NO_ANSWER of its lead, so one whose lead is below OUT_OF_REACH of the best lead cannot rank near the top.
    after = _next_sentences(units)
    reach = {k for k, lead in enumerate(leads) if lead >= max(leads) * OUT_OF_REACH}
    read = sorted(reach | {after[k] for k in reach if k in after})
    factors = [NO_ANSWER] * len(units)
    for k, f in zip(read, answer_type_factors(question, [firsts[k] for k in read])):
        factors[k] = f
    factors = held_now(question, firsts, factors)
    about = about_subject(question, units)
    named = names_subject(question, units, read, factors)
    scores = [lead * f * a * n for lead, f, a, n in zip(leads, factors, about, named)]
    return units, lift_followers(question, units, scores, leads, factors, after), vectors, about


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
    joined to the sentence before it when that one names someone or something (a named entity), so the quote
    carries its referent. Other sentences are kept as they are (a bare-pronoun one ranks lower: `quotability`)."""
    before = {j: i for i, j in _next_sentences(cands).items() if pronoun_led(cands[j].text)}
    leads = sorted({i for i in before.values() if quotability(cands[i].text) == 1})
    naming = {
        i for i, ents in zip(leads, entities_of([cands[i].text for i in leads])) if any(e.label in NAMED for e in ents)
    }
    out = []
    for j, c in enumerate(cands):
        i = before.get(j)
        if i in naming:
            prev, p = cands[i], c.passage
            if prev.passage.chunk_id == p.chunk_id:
                c = Candidate(p, prev.start, c.end, p.text[prev.start - p.start : c.end - p.start])
        out.append(c)
    return out


def _sets_scene(before: float, after: float) -> bool:
    """Whether a sentence (answer-type factor `before`) leads up to the answer of the next (`after`): it holds no
    answer and the next one does (in the role asked about, or of the preferred label), or it holds only a weak one
    (another label, outside the role: "A judge ruled ... the White House") and the next one the answer asked for
    ("Judge Arthur Engoron, ruling ...")."""
    return before <= NO_ANSWER < OFF_ROLE <= after or before < OFF_ROLE < 1.0 <= after


def lift_followers(
    question: str,
    cands: Sequence[Candidate],
    scores: Sequence[float],
    leads: Sequence[float],
    factors: Sequence[float],
    after: dict[int, int],
) -> list[float]:
    """`scores` where a quote that leads up to the answer passes its relevance (`leads`, before the answer-type
    factor: `factors`) to the quote after it (`after`: `_next_sentences`).

    News prose often sets the scene in one sentence and names the person, date or number in the next, or announces
    a reason ("... has revealed why ...") and gives it in the next. Such a next sentence scores at least what the
    sentence before it would score if it held the answer, so it ranks above it.
    """
    out = list(scores)
    reason = asks_reason_or_way(question)
    for i, j in after.items():
        if not quotability(cands[j].text):
            continue  # a photo credit is no answer, whatever comes before it
        if (reason and announces_reason(cands[i].text)) or _sets_scene(factors[i], factors[j]):
            out[j] = max(out[j], leads[i])
    return out
