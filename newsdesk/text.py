"""Small text helpers several steps share: one place for each (citation markers, month and weekday names, words)."""

from __future__ import annotations

import re

CITATION_MARKER = re.compile(r"\[(\d+)\]")
"""An answer's citation marker as the answer finally carries it: `[n]`, group 1 the number."""
_SPACED_MARKER = re.compile(r"\s*" + CITATION_MARKER.pattern)

MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
CALENDAR_WORDS = MONTHS | WEEKDAYS
"""Lower-cased month and weekday names (and month abbreviations): capitalised, yet never a name."""

TITLE_WORDS = frozenset(
    """ceo ceos cfo coo cto cio chair chairman chairwoman chairperson president vice minister ministers prime
    secretary senator sen rep representative congressman congresswoman governor gov mayor dr mr mrs ms mx prof
    professor sir dame lord lady king queen prince princess pope judge justice gen general chief executive officer
    director founder co-founder cofounder head coach captain commissioner chancellor ambassador spokesperson
    spokesman spokeswoman st""".split()
)
"""Lower-cased titles and roles written capitalised before or inside a name ("Judge Amit Mehta", "French Foreign
Minister Jean-Yves Le Drian"), which are not the name."""

ORGANISATION_NOUNS = frozenset(
    """company firm business chain brand startup bank retailer maker manufacturer carmaker investor fund group party
    team club church parish school college university hospital studio network agency outlet label""".split()
)
"""Nouns for an organisation: "Which company ...", "Which podcast studios ..." ask for a name, and not a person's."""

NAME_CONNECTORS = frozenset("of and the for & de du la von van".split())
"""Lower-case words that join the words of one name ("University of New Hampshire", "Procter & Gamble")."""

NAME_RUN = re.compile(r"(?<![\w'’])[A-Z][\w'’.&-]*(?:\s+(?:(?:of|de|von|van)\s+)?[A-Z][\w'’.&-]*)*")
"""A run of capitalised words, the way names are written: "Ba N’Daou", "Bank of England", "Lumen Robotics CEO".
Which of its words name someone is for the caller to judge (a sentence's first word, months, titles)."""

SUCCESSION_WORDS = frozenset(
    """named appointed chosen elected successor successors succeed succeeds succeeded succeeding replace replaces
    replaced replacing replacement incoming designate interim acting""".split()
)
"""Words that say someone comes into a post ("named", "successor", "interim")."""

SUCCESSION = "|".join(sorted(SUCCESSION_WORDS, key=len, reverse=True)) + r"|t(?:akes?|aking|ook)\s+over"
"""`SUCCESSION_WORDS` and "took over" (and its forms): a regex alternation."""

STOP_WORDS = frozenset(
    """a an the of to in on at for by with from and or but is are was were be been being has have had do does did
    what which who whom whose when where why how that this these those it its as into about than then there their
    they them he she his her him i you we our your my me not no yes can could would should will may might must
    also after before over under between during per said says""".split()
)
"""Lower-cased words that carry no topic: left out when words of a question and a sentence are compared."""


def one_line(text: str) -> str:
    """`text` with every run of whitespace, newlines included, as one space."""
    return " ".join(text.split())


def without_markers(text: str) -> str:
    """`text` without its `[n]` citation markers (and the space before each)."""
    return _SPACED_MARKER.sub("", text)

# Aliases: a question's short form and the words articles use for it (and back). The one table of them; any other
# acronym counts as found when a capitalised phrase of the corpus has it as initials (KeywordView.has_acronym).
ALIASES: dict[str, tuple[str, ...]] = {
    "ceo": ("chief executive",),
    "cfo": ("chief financial officer",),
    "coo": ("chief operating officer",),
    "cto": ("chief technology officer",),
    "us": ("United States", "America"),
    "usa": ("United States", "America"),
    "uk": ("United Kingdom", "Britain"),
    "eu": ("European Union",),
    "un": ("United Nations",),
    "ftc": ("Federal Trade Commission",),
    "sec": ("Securities and Exchange Commission",),
    "doj": ("Justice Department", "Department of Justice"),
    "fbi": ("Federal Bureau of Investigation",),
    "cia": ("Central Intelligence Agency",),
    "fed": ("Federal Reserve",),
    "ecb": ("European Central Bank",),
    "imf": ("International Monetary Fund",),
    "who": ("World Health Organization",),
    "nato": ("North Atlantic Treaty Organization",),
    "ai": ("artificial intelligence",),
    "ev": ("electric vehicle",),
    "evs": ("electric vehicles",),
    "gop": ("Republican", "Republicans"),
    "nfl": ("National Football League",),
    "nba": ("National Basketball Association",),
    "mlb": ("Major League Baseball",),
    "nhl": ("National Hockey League",),
    "td": ("touchdown",),
    "tnf": ("Thursday Night Football",),
    "snf": ("Sunday Night Football",),
    "mnf": ("Monday Night Football",),
    "wc": ("World Cup",),
    "rwc": ("Rugby World Cup",),
    "wi": ("West Indies", "Wisconsin"),
    "ag": ("attorney general",),
    "ags": ("attorneys general",),
    "isp": ("internet service provider", "internet provider"),
    "ipo": ("initial public offering",),
    "vc": ("venture capital",),
}


# Where a sentence's subject begins: after opening quotes and a linking word ("But", "However, ").
_LEAD_IN = r"^[\"'“‘(]*(?:(?:But|And|However|Still|Yet|So|Also|Instead|Meanwhile|Now),?\s+)?"
# A sentence whose subject is a bare pronoun ("He said ...", "But it was ..."): it needs the sentence before it.
_PRONOUN_LEAD = re.compile(_LEAD_IN + r"(?:He|She|It|They|His|Her|Its|Their)\b", re.IGNORECASE)


# "It's always cool to see ...", "It was decided that ...": an "it" that stands for what follows, not for a referent.
_EXPLETIVE_IT = re.compile(
    _LEAD_IN + r"It(?:['’]s|\s+is|\s+was)\s+"
    r"(?:(?:always|also|not|never|very|so|really|still|now|quite|too|more|less|all)\s+)?(?-i:[a-z]+)\s+(?:to|that)\b",
    re.IGNORECASE,
)


# Four words or more and no lower-case letter: a link to another story or a cross-head ("COUNTRY STAR CRAIG MORGAN
# REENLISTS IN ARMY RESERVE AT 59"), page furniture rather than prose
_SHOUTED = re.compile(r"^(?=(?:\S+\s+){3,}\S)(?=.*[A-Z].*[A-Z])[^a-zß-ÿ]+$")


def shouted(line: str) -> bool:
    """Whether `line` is written all in capitals, four words or more (`_SHOUTED`)."""
    return bool(_SHOUTED.match(line))


def pronoun_led(sentence: str) -> bool:
    """Whether the sentence's subject is a bare pronoun ("He said ...", "It was ..."), which needs its referent; not
    an "it" that stands for the rest of the sentence ("It's always cool to see ...")."""
    return bool(_PRONOUN_LEAD.match(sentence)) and not _EXPLETIVE_IT.match(sentence)


# Phrasal verbs people ask with, and the verbs articles write instead ("When did Snap Map come out?" is answered by
# "Snap Map first launched in 2017"; "Who came up with the term?" by "Thought to be coined by ...").
_PHRASAL = (
    (re.compile(r"\b(?:come|comes|came|coming)\s+out\b", re.I), "launch release debut unveil introduce arrive"
     " sale available"),  # "will go on sale on November 16th", "available from Friday"
    (re.compile(r"\b(?:come|comes|came|coming)\s+up\s+with\b", re.I), "coin invent create devise conceive"),
    (re.compile(r"\b(?:come|comes|came|coming)\s+back\b", re.I), "return"),
    (re.compile(r"\b(?:set|sets|setting)\s+up\b", re.I), "found launch establish create"),
    (re.compile(r"\b(?:pull|pulls|pulled|pulling)\s+out\b", re.I), "withdraw exit quit"),
)


def phrasal_verbs(question: str) -> list[str]:
    """The words articles write for the question's phrasal verbs ("come out": "launch", "release", ...)."""
    return [w for pattern, verbs in _PHRASAL if pattern.search(question) for w in verbs.split()]
