"""Is a question answerable from the corpus at all? Checked before any answerer runs.

A news question the corpus cannot answer usually still looks plausible: it names a real publisher and a topic the
corpus covers, and its nearest passages are on topic. What gives it away is what it names:

1. **A publisher the store does not hold** ("a Bloomberg article", "another by Forbes"): the answer would have to
   come from articles we do not have.
2. **A name that no chunk contains** ("an article about Oleg Fomenko"): a capitalised name of the question (a
   person, company, place or product) whose words occur together in no chunk, tokenised and stemmed as the keyword
   index is. A name in at most `retrieval.max_name_chunks` chunks counts as absent.
3. **Nothing close enough**: the best passage's cosine similarity to the question is below
   `retrieval.min_relevance`, unless the question asks what or who something named is and a passage names it.
4. **An attribute no passage gives** ("What is the population of Harborview?"): the question asks, in a plain
   shape, for a population, price, age, salary, height, weight or net worth of a named subject ("What was X's salary as
   Y's chief executive?", "How much did X earn last year?"), and no retrieved passage naming the subject has a word
   that gives that attribute (for a person's own, in a sentence naming them or opening "He ..." after one); or
   for a measure (attendance, revenue, a rate, prize money, ...; `_MEASURES`), and no
   such passage writes a word of it and a number.
5. **A count no passage gives** ("How many paying subscribers does Deft have?"): no sentence of a passage naming the
   subject writes a number just before the counted thing along with a word of the question or the subject's name.
6. **A kind of answer no passage gives** ("How much did EBT-101 cost to develop?"): the question asks for a date, a
   sum of money, an amount or an organisation, and no sentence of a passage naming the subject holds one (a spaCy
   entity of assistant.entities, or a written year or sum) beside a key word of the question or the subject's name.
   A person given a role ("Port director Helga Marsh") is no organisation. A price ("How much does a fishing licence
   cost?") must be given for the thing asked about: its head noun or one of its names in the sentence.
7. **A year no passage has** ("Who topped the list in 2002?").
8. **A source silent on a topic** ("What did Reuters report about Moctar Ouane's education?"): no passage by that
   publisher (or naming that person) names the topic's names with a word of it; for "What did X say after <an
   event>?", the event's names alone.
9. **A cited publisher silent on the subject** ("Which company did The Verge say bought Taylor Swift's masters?"): a
   short question names one publisher of the store, and no passage from it names the question's other names.
10. **A person still to come** ("Who will be Everton's next chairman?"), or who came ("Who replaced X?"): no
    sentence of a passage naming the subject holds a word of the question, a word of what is to come ("will",
    "named", "successor", "interim") and a person.
11. **A subject without what is asked of it** ("What prison sentence did Caroline Ellison receive?"): a short
    question has three or more words of its own, and none of them is in any passage naming its subject.

12. **Names no retrieved passage has** ("How much did Microsoft offer to acquire iRobot?", where the passages
    retrieved are about robot vacuums alone): a short question names someone or something (not a publisher), and no
    retrieved passage names any of them, even by a short form or spelled out from an acronym. Checked right after
    rule 3, and turned off with rule 2 (`retrieval.max_name_chunks = -1`).

13. **A thing no passage about the subject names** ("What valuation did Simply Homes raise at?"): a short question
    names what it asks for right after its question word, and the head noun of it (or a word news uses for the same
    thing: "sales" for "revenue") is in no passage about the subject. Rule 4's attributes are left to rule 4.
14. **A role no passage about the subject names** ("Who is Flipboard's CTO?"): the question asks who holds a role of
    titles alone at a named subject, and no passage about it writes the role, what its acronym stands for or its
    acronym.
15. **A sum in a currency no passage gives** ("What is the UK price in pounds of the Steam Deck OLED?"): a short
    question asks for a price, cost, fee, fine or payment in a currency it names or implies ("in pounds", "UK", "in
    the United States", "EU"), and no sentence of a passage about the subject writes a number in it.
16. **A contest no passage gives the result of** ("Who won Super Bowl LVIII?", where the corpus only previews it): the
    question asks who won a named contest, and no sentence of a passage naming all its names names one of them with
    a word of a result ("won", "beat", "re-elected", "victory", "champions", a score). Previews ("could be won")
    are no result, nor is the result of a part of the contest ("Game 2") or of another year, what is still to come
    ("will face"), or a sentence without the contest's own words ("grand final").
17. **A departure no passage tells of** ("Why did Barry Napier step down as Cubic Telecom CEO?", where he stays on):
    the question asks why someone resigned, stepped down, quit, left or was fired, and no sentence of a passage about
    them tells of a departure while naming them (a surname will do), as "He ..." after one that does, or as "The
    founder ..." in a passage naming them.
18. **Another act no passage tells of** ("Why did Valve delay the Steam Deck OLED launch?", where it launched as
    announced): the question asks why its subject delayed, cancelled, sued, banned, withdrew from, raised or turned
    down something, and no passage about the subject has a word news tells that act in ("postponed", "scrapped",
    "lawsuit", "pulled out", "hike").
19. **A deal no passage pairs with its partner** ("When did Shohei Ohtani sign his deal with the New York Yankees?",
    where he signed with the Dodgers): the question asks of its subject's deal, contract or signing with a named
    partner, and no sentence of a passage about the subject names the partner within a few words of the agreement.

Rules 1 and 2 read only the question and the keyword index, so they hold for every answerer; rules 4 to 19 read
the retrieved passages, and all but rule 7 fire only on plain question shapes or short questions. For rules 6, 10,
11, 13, 14 and 15 a passage about the subject is one that names it or another retrieved chunk of an article that
does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from assistant.entities import AMOUNT, WHEN, Entity, entities, entities_of
from assistant.keyword import KeywordView
from assistant.query import SourceMatcher, fold
from assistant.typed_question import WHO_IS_OPENER
from ingest.sentences import is_abbreviation, split_sentences
from newsdesk.settings import RetrievalSettings
from newsdesk.text import (
    ALIASES,
    CALENDAR_WORDS,
    NAME_CONNECTORS,
    NAME_RUN,
    ORGANISATION_NOUNS,
    STOP_WORDS,
    SUCCESSION,
    TITLE_WORDS,
    phrasal_verbs,
    pronoun_led,
)
from newsdesk.types import Passage

_CAP = r"[A-Z][\w'’.&-]*"
_NAME = rf"{_CAP}(?:\s+(?:of\s+|&\s+)?{_CAP}){{0,5}}"
_WORK = r"(?:article|articles|report|reports|piece|pieces|story|stories|coverage|review|op-ed|column|post|editorial)"
# Where a question names who published something: "an article by X", "another in The X", "a X report",
# "as reported by X", "what did X report". "article on X" is left out: it names a topic as often as a publisher.
_PUBLISHER_PATTERNS = (
    re.compile(rf"\b(?:{_WORK}|another|one|others)\s+(?:by|from|in)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})"),
    re.compile(rf"\b(?:a|an|the|another|one)\s+(?P<name>{_NAME})\s+{_WORK}\b"),
    re.compile(rf"\b(?:published|reported|written|posted)\s+(?:by|in)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})"),
)
# Where a name is a publisher only if it looks like one: "what did X report" (a company reports earnings),
# "according to X", "X reported".
_PUBLISHER_IF_LIKE = (
    re.compile(
        rf"\b(?i:did|does|do|has|have|had)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})\s+"
        r"(?:report|publish|write|cover|say|run\s+(?:a|an|the)\s+(?:story|piece|article))\b"
    ),
    re.compile(rf"\b(?:[Aa]ccording\s+to|[Pp]er|[Ii]n)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})"),
    re.compile(rf"(?:^|\b[Tt]he\s+|\s)(?P<name>{_NAME})\s+(?:reported|reports|covered|wrote|published|ran)\b"),
)
# Well-known news publishers (folded), so that a question naming one the store lacks says so, and words that end
# a publisher's name ("The Daily Lantern", "Quarry Herald"). The one table of them.
KNOWN_PUBLISHERS = frozenset(
    p.strip()
    for p in """bloomberg|bloomberg news|reuters|associated press|ap|afp|agence france-presse|bbc|bbc news|cnn|cnbc|
    fox news|msnbc|npr|nbc news|abc news|cbs news|forbes|new york times|nyt|wall street journal|wsj|financial times|ft|
    guardian|washington post|haaretz|al jazeera|techcrunch|verge|wired|engadget|axios|politico|business insider|
    economist|newsweek|usa today|los angeles times|la times|daily mail|telegraph|sky news|yahoo finance|yahoo news|
    marketwatch|vox|vice|buzzfeed|huffpost|huffington post|gizmodo|ars technica|zdnet|venturebeat|mashable|espn|
    the hill|times of israel|jerusalem post|le monde|der spiegel|nikkei|south china morning post|scmp|xinhua|
    tass|sputnik|rt|deutsche welle|dw|euronews|the atlantic|new yorker|slate|salon|the information|semafor|
    barron's|barrons|investopedia|seeking alpha|the motley fool|motley fool|benzinga|cnet|the intercept|propublica"""
    .split("|")
)
_PUBLISHER_ENDINGS = frozenset(
    "times post gazette news journal herald tribune wire ledger chronicle telegraph observer examiner courier "
    "press magazine daily weekly dispatch bulletin gazeta".split()
)
_PUBLISHER_STARTS = frozenset("daily weekly morning evening sunday".split())
# Capitalised words of a question that name no one: months and weekdays, titles and question words. A run of
# capitalised words is split at them ("Lumen Robotics CEO" is "Lumen Robotics"; "President Joe Biden", "Joe Biden").
NOT_NAMES = CALENDAR_WORDS | TITLE_WORDS | frozenset(
    """what which who whom whose when where why how whether is are was were do does did has have had can could would
    should will may might must i the a an and or but if in on at of for to by with from about according
    """.split()
)
_SENTENCE_START = re.compile(r"(?:^|[.?!:;\"“(]\s*)$")
_WORDS = re.compile(r"[^\W_]+")


def _key(name: str) -> str:
    """A name folded for the tables: lower case, no dots, no leading "the", possessive dropped."""
    words = _WORDS.findall(fold(re.sub(r"['’]s\b", "", name.replace(".", ""))))
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def _reverse_aliases() -> dict[str, tuple[str, ...]]:
    back: dict[str, list[str]] = {}
    for short, longs in ALIASES.items():
        for long in longs:
            back.setdefault(_key(long), []).append(short.upper())
    return {k: tuple(v) for k, v in back.items()}


_ALIASES_BACK = _reverse_aliases()


def initials(phrase: str) -> str:
    """The acronym of a capitalised phrase: "Federal Trade Commission" gives "FTC" (connectors such as "of" and
    "and" are skipped)."""
    return "".join(w[0].upper() for w in phrase.split() if w.lower() not in NAME_CONNECTORS and w[:1].isalpha())


def looks_like_publisher(name: str) -> bool:
    """A name that is a well-known publisher or ends as one's name does ("Bloomberg", "The Daily Lantern")."""
    key = _key(name)
    words = key.split()
    return key in KNOWN_PUBLISHERS or (
        len(words) >= 2 and (words[-1] in _PUBLISHER_ENDINGS or words[0] in _PUBLISHER_STARTS)
    )


def _source_heads(sources: Sequence[str]) -> list[list[str]]:
    return [w[1:] if w[:1] == ["the"] else w for w in (_WORDS.findall(fold(s)) for s in sources)]


def _is_source(name: str, heads: Sequence[Sequence[str]]) -> bool:
    """Whether `name` is a source of the store or begins one ("BBC" for "BBC News - Technology")."""
    words = _key(name).split()
    return bool(words) and any(list(h[: len(words)]) == words for h in heads)


def unknown_publishers(question: str, sources: Sequence[str]) -> list[str]:
    """Names the question gives as a publisher ("a Bloomberg article", "another by Forbes", "what did Bloomberg
    report", "according to The Daily Lantern") that match none of `sources` (the publishers in the store), nor begin
    one ("BBC" for "BBC News - Technology")."""
    known = SourceMatcher(sources).find(question)
    heads = _source_heads(sources)
    found = []
    for patterns, must_look in ((_PUBLISHER_PATTERNS, False), (_PUBLISHER_IF_LIKE, True)):
        for pattern in patterns:
            for m in pattern.finditer(question):
                start, end = m.span("name")
                name = m.group("name")
                if name.split()[0].lower() in CALENDAR_WORDS or any(k.start < end and start < k.end for k in known):
                    continue
                if (must_look and not looks_like_publisher(name)) or _is_source(name, heads) or _key(name) in ALIASES:
                    continue  # "a report in the EU": a place, no publisher
                if _CODE.fullmatch(name):
                    continue  # "did Uber report in Q3": a quarter
                found.append(re.sub(r"['’]s$", "", name))
    return list(dict.fromkeys(found))


_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")


_CODE = re.compile(r"Q[1-4]|H[12]|FY\d{2}(?:\d{2})?")  # "Q3", "H1", "FY24": a quarter or a half year, no name
# Units an article writes joined to a number ("50Whr", "16GB"), which the keyword index never holds alone.
_UNITS = frozenset("wh whr kwh mwh gwh mah ghz mhz khz gb tb mb kb gbps mbps mph kph fps hz".split())


_PLACE_CODES = frozenset({"US", "UK", "EU"})  # written after a name they are not part of ("Steam Deck OLED UK")


def _is_word_of_a_name(word: str) -> bool:
    bare = word.rstrip(".").replace("’", "'").removesuffix("'s")
    if _CODE.fullmatch(bare) or bare.lower() in _UNITS:
        return False
    if bare.isupper() and len(bare) > 1 and bare.lower() not in {"ceo", "cfo", "coo", "cto", "cio", "ceos"}:
        return True  # an acronym ("WHO", "US"), unless a title
    return bare.lower() not in NOT_NAMES


def _written_mid_sentence(words: Sequence[str], texts: Sequence[str]) -> bool:
    """Whether one of `texts` writes the first two of `words` capitalised inside a sentence ("about Inter Miami"), so
    the first is part of the name, not capitalised for starting the question."""
    if len(words) < 2:
        return False
    second = re.escape(_unpossessed(words[1]))  # "Inter Miami's" is written "Inter Miami" too
    pair = re.compile(rf"(?:[a-z0-9,;:]|['’]s)\s+{re.escape(words[0])}\s+{second}(?:['’]s)?(?![\w'’-])")
    return any(pair.search(t) for t in texts)


def names(question: str, sources: Sequence[str] = (), written: Sequence[str] = ()) -> list[str]:
    """The question's capitalised names (runs of capitalised words), publishers in `sources` left out. A
    sentence's first word is left out too ("Did Tessa Wullaert ..." gives "Tessa Wullaert") unless a text of
    `written` (the retrieved passages) writes it capitalised in the name inside a sentence ("Inter Miami season
    tickets ..." names "Inter Miami"), and a run is split at words that name no one (`NOT_NAMES`: months, weekdays,
    titles, question words)."""
    known = SourceMatcher(sources).find(question)
    out = []
    for m in NAME_RUN.finditer(question):
        if any(k.start < m.end() and m.start() < k.end for k in known):
            continue
        words = m.group().split()
        before = question[: m.start()].rstrip()
        after_abbreviation = before.endswith(".") and is_abbreviation(before, len(before) - 1)  # "Raiders vs. Lions"
        if _SENTENCE_START.search(question[: m.start()]) and not after_abbreviation:
            if not _written_mid_sentence(words, written):
                words = words[1:]  # capitalised as a sentence's first word, not as a name
        run: list[str] = []
        for word in [*words, ""]:
            if word and _is_word_of_a_name(word):
                run.append(word)
                if not _POSSESSIVE.search(word):
                    continue  # a possessive ends a name: "Valve's Steam Deck OLED" names Valve and its Steam Deck OLED
            if len(run) > 1 and run[-1].replace(".", "") in _PLACE_CODES:
                out.append(" ".join(run[:-1]))  # "Steam Deck OLED UK": the product, and where it is asked about
                run = run[-1:]
            if run:
                out.append(" ".join(run))
                run = []
    return list(dict.fromkeys(out))


def variants(name: str) -> list[str]:
    """`name` and what articles may call it instead: its aliases (ALIASES, both ways), its acronym, and a two-letter
    one written with full stops, alone or in a longer name ("U.S." for "US", "K.O. II" for "KO II")."""
    key = _key(name)
    out = [name, *ALIASES.get(key, ()), *_ALIASES_BACK.get(key, ())]
    words = name.split()
    if len(words) >= 3:
        out.append(initials(name))  # "Securities and Exchange Commission" is "SEC" in an article
    if name.isalpha() and name.isupper() and len(name) == 2:
        out.append(".".join(name) + ".")  # "US" is "U.S." in an article
    dotted = [".".join(w) + "." if w.isalpha() and w.isupper() and len(w) == 2 and w != "II" else w for w in words]
    if len(words) > 1 and dotted != words:
        out.append(" ".join(dotted))  # "Teenage Engineering KO II" is the "K.O. II"
    for i, word in enumerate(words if len(words) > 1 else ()):  # "WI T20" is the "West Indies T20"
        if word.isupper() and (longs := ALIASES.get(word.lower())):
            out += [" ".join([*words[:i], long, *words[i + 1 :]]) for long in longs]
    return list(dict.fromkeys(out))


def subject_names(question: str, sources: Sequence[str] = (), written: Sequence[str] = ()) -> list[str]:
    """`names`, each without a possessive ending ("Spotify" for "Spotify's", "Springboks" for "Springboks'"): what
    passages name."""
    return list(dict.fromkeys(_unpossessed(n) for n in names(question, sources, written)))


def _unpossessed(name: str) -> str:
    """`name` without a possessive ending: "Spotify" for "Spotify's", "Springboks" for "Springboks'"."""
    return re.sub(r"['’]s$|(?<=s)['’]$", "", name)


class Reading:
    """A question read against its retrieved passages, once for all the rules: its names and which passages name
    them. Each passage's title and text are folded once, however many rules and names ask."""

    def __init__(self, question: str, passages: Sequence[Passage], sources: Sequence[str] = ()) -> None:
        self.question = question
        self.passages = list(passages)
        self.sources = list(sources)
        self._folded: dict[int, str] = {}

    @cached_property
    def subject(self) -> list[str]:
        """The question's names (`subject_names`)."""
        return subject_names(self.question, self.sources, [p.text for p in self.passages])

    def names_it(self, passage: Passage, name: str, short_forms: bool = False) -> bool:
        """Whether the passage's title or text names `name`, an alias of it or, for an acronym, the phrase it stands
        for ("Changpeng Zhao" for "CZ"); with `short_forms`, also as an article names it after its first mention
        (`_short_forms`)."""
        k = id(passage)
        if k not in self._folded:
            self._folded[k] = fold(f"{passage.title}. {passage.text}")
        if any(_mentions_folded(self._folded[k], v) for v in variants(name)):
            return True
        text = f"{passage.title}. {passage.text}"
        return _spells_out(text, name) or (short_forms and _by_short_form(text, name))

    def about(
        self, subject: Sequence[str] | None = None, short_forms: bool = False, articles: bool = False
    ) -> list[Passage]:
        """The passages that name one of `subject` (default: the question's names); with `articles`, every
        retrieved passage of an article one of whose passages names one (a later chunk calls "Bob Menendez" only
        "Menendez")."""
        wanted = self.subject if subject is None else subject
        naming = [p for p in self.passages if any(self.names_it(p, n, short_forms) for n in wanted)]
        if not articles:
            return naming
        ids = {p.article_id for p in naming}
        return [p for p in self.passages if p.article_id in ids]


def _found(name: str, index: KeywordView, max_chunks: int) -> bool:
    """Whether `name`, or an alias of it, is in more than `max_chunks` chunks (stop words only count as found)."""
    for variant in variants(name):
        count = index.chunks_with(variant)
        if count is None or count > max_chunks:
            return True
    bare = name.replace(".", "")
    return bare.isupper() and 2 <= len(bare) <= 6 and index.has_acronym(bare)


def absent_names(question: str, index: KeywordView, max_chunks: int) -> list[str]:
    """The question's names whose words (or an alias's, or the phrase an acronym abbreviates) occur together in at
    most `max_chunks` chunks of the index."""
    return [name for name in names(question, index.sources()) if not _found(name, index, max_chunks)]


def _cited_as_source(name: str, question: str) -> bool:
    """Whether the question cites `name` as its source ("according to The Daily Lantern")."""
    return bool(re.search(rf"\b(?:[Aa]ccording\s+to|[Rr]eported\s+by)\s+(?:[Tt]he\s+)?{re.escape(name)}", question))


def _either(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


_CURRENCY = (
    r"(?:(?:million|billion|thousand|bn|m|k)\s?)?(?:dollars|euros|pounds|crowns|yen|yuan|rupees|francs|shekels|usd|eur|"
    r"gbp|nis)\b"
)
_CODES = r"\b(?:USD|EUR|GBP|NIS|ILS|CHF|JPY|CNY|INR|AUD|CAD|Rs)\.?\s?\d"  # "NIS 405 million", "Rs 500 crore"
_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty"
    r"|seventy|eighty|ninety|hundred)"
)
_MONEY = rf"[$€£¥₪₹]\s?\d|{_CODES}|\d[\d,.]*\s?{_CURRENCY}"
# Measures a passage gives in their own words ("revenue of $2 billion", "97% occupancy"). Left out: measures often
# given without their word ("will hold 12 billion litres" is a capacity; "a 4-1 win" a score; weights, speeds).
_MEASURES = (
    "attendance|revenue|revenues|profit|profits|turnover|sales|valuation|market value|market cap|budget|debt|fine|"
    "fee|transfer fee|prize money|death toll|turnout|market share|unemployment rate|inflation rate|interest rate|"
    "occupancy rate|growth rate"
)
# The words besides its own that give a measure.
_MEASURE_WORDS = {"attendance": "crowd|spectators", "death toll": "killed|dead|died|deaths", "valuation": "valued"}
_ATTRIBUTE_TERMS = rf"population|price|cost|age|salary|pay|wages?|height|weight|net worth|annual salary|{_MEASURES}"
# What may follow the attribute in a plain question: the role, employer or time it is asked for ("... salary as
# Spotify's chief executive", "... wages at Chelsea", "... net worth when he died", "... in 2023", "... on his
# contract").
_QUALIFIER = r"(?:\s+(?:as|at|with|for|in|on|under|from|when|last|this|during|before|after)\b[^?]*)?"
# Questions that ask for one attribute of a subject, and the words a passage gives that attribute in. A question
# matches only in these plain shapes, so a long question that merely mentions prices or ages is never caught.
_ATTRIBUTE_QUESTIONS = (
    re.compile(
        rf"^(?:what|how big|how large)(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+)?(?:current\s+|total\s+"
        rf"|annual\s+|estimated\s+|retail\s+|average\s+|starting\s+|asking\s+)?(?P<attribute>{_ATTRIBUTE_TERMS})\s+(?:of|at|in)\s+(?P<subject>[^?]+?)\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^what(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?P<subject>[^?]+?)['’]s?\s+"
        rf"(?:(?:current|annual|yearly|weekly|monthly|base)\s+)?(?P<attribute>{_ATTRIBUTE_TERMS}){_QUALIFIER}\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:what|how much)\s+(?:did|does|do|will)\s+(?P<subject>[^?]+?)\s+(?P<attribute>earn){_QUALIFIER}\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^what\s+(?:(?:current|annual|yearly|base|total)\s+)?(?P<attribute>{_ATTRIBUTE_TERMS})\s+"
        rf"(?:did|does|do|will|would)\s+(?P<subject>[^?]+?)\s+(?:earn|make|get|receive|report|post|have)\b"
        rf"{_QUALIFIER}\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(r"^how (?P<attribute>old|tall|rich) (?:is|was|are|were) (?P<subject>[^?]+?)\s*\??$", re.IGNORECASE),
    re.compile(  # "What did X weigh in at for the fight?", "How much does X weigh?"
        rf"^(?:what|how much)\s+(?:did|does|do|will)\s+(?P<subject>[^?]+?)\s+(?P<attribute>weigh)(?:\s+in)?(?:\s+at)?"
        rf"{_QUALIFIER}\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:when|(?:in\s+)?what\s+year|on\s+what\s+date)\s+(?:was|were)\s+(?P<subject>[^?]+?)\s+(?P<attribute>born)"
        r"\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^how many (?P<attribute>people|inhabitants|residents) live in (?P<subject>[^?]+?)\s*\??$", re.IGNORECASE
    ),
)
_ATTRIBUTE_NAMES = {
    "old": "age", "tall": "height", "rich": "net worth", "people": "population", "inhabitants": "population",
    "residents": "population", "pay": "salary", "annual salary": "salary", "cost": "price", "wage": "salary",
    "wages": "salary", "earn": "salary", "born": "date of birth", "weigh": "weight",
}
_ATTRIBUTE_EVIDENCE = {
    "population": re.compile(
        r"\bpopulations?\b|\bpopulous\b|\binhabitants\b|\bresidents\b|\bpeople live\b", re.IGNORECASE
    ),
    "price": re.compile(rf"\bpric\w*|\bcost\w*|\bpaid\b|\bpay\w*|\bvalued\b|\bworth\b|{_MONEY}", re.IGNORECASE),
    "age": re.compile(r"\bage[sd]?\b|\byears? old\b|\d+-year-old|\bborn\b|[A-Z]\w+,\s\d{2},\s", re.IGNORECASE),
    "date of birth": re.compile(r"\bborn\b|\bbirth(?:day|date)?\b", re.IGNORECASE),
    "salary": re.compile(
        r"\bsalar\w*|\bpaid\b|\bpay\b|\bpays\b|\bearn\w*|\bcompensation\b|\bwages?\b|\bincome\b", re.IGNORECASE
    ),
    "weight": re.compile(
        r"\d\s?(?:kg|kilograms?|kilos?|lbs?|pounds|stone)\b|\bweigh(?:s|ed)?(?:\s+in)?(?:\s+at)?\s+\d", re.IGNORECASE
    ),
    "height": re.compile(r"\btall\b|\bheight\b|\d\s?(?:feet|foot|ft|metres|meters|m|cm|inches)\b", re.IGNORECASE),
    "net worth": re.compile(
        rf"\bnet worth\b|\bworth\b|\bfortune\b|\bwealth\w*|\bbillionaire\b|{_MONEY}", re.IGNORECASE
    ),
}


# A person's own attributes: given beside the person's name.
_PERSONAL = frozenset({"salary", "age", "height", "weight", "net worth", "date of birth"})


def asked_attribute(question: str) -> tuple[str, str] | None:
    """The attribute a question asks for and of what ("What is the population of Harborview?" gives
    ("population", "Harborview")), when it asks for one in a plain shape; else None."""
    q = " ".join(question.split())
    for pattern in _ATTRIBUTE_QUESTIONS:
        if m := pattern.match(q):
            attribute = m.group("attribute").lower()
            subject = re.sub(r"^(?:the|a|an)\s+", "", m.group("subject").strip(), flags=re.IGNORECASE)
            return _ATTRIBUTE_NAMES.get(attribute, attribute), subject
    return None


def _mentions(text: str, name: str) -> bool:
    return _mentions_folded(fold(text), name)


def _mentions_folded(folded: str, name: str) -> bool:
    return (pattern := _name_pattern(name)) is not None and pattern.search(folded) is not None


def _name_pattern(name: str) -> re.Pattern[str] | None:
    """`name` as folded text writes it, its words apart by any spacing or punctuation; None for a name of no word."""
    words = [re.escape(w) for w in _WORDS.findall(fold(name))]
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(words) + r"(?![^\W_])") if words else None


def _measure_evidence(attribute: str) -> re.Pattern[str]:
    """A measure outside `_ATTRIBUTE_EVIDENCE` ("attendance", "occupancy rate") is given where a passage writes a
    word of it (any ending: "attended", "97% occupancy") or of `_MEASURE_WORDS` ("crowd"), and a number."""
    words = [re.escape(w) for w in _stems(attribute.split())]
    words += [w for w in _MEASURE_WORDS.get(attribute, "").split("|") if w]
    stem = "(?:" + "|".join(words) + ")"
    return re.compile(rf"\b{stem}\w*\b(?=.*\d)|\d.*\b{stem}\w*", re.IGNORECASE | re.DOTALL)


def missing_attribute(reading: Reading) -> str | None:
    """Why the passages cannot give the attribute the question asks for ("no passage gives the population of
    Harborview"): no retrieved passage that names the subject has a word that gives it (a population, a price,
    an age, ...). None when the question asks for no such attribute, names no one in its subject, or a passage
    about the subject may give it."""
    asked = asked_attribute(reading.question)
    if asked is None:
        return None
    attribute, subject = asked
    named = [n for n in reading.subject if n in subject]
    if not named:
        return None
    if subject.endswith(named[-1]):
        named = named[-1:]  # "Gogoro CEO Horace Luke": the attribute is the last name's, the others place it
    evidence = _ATTRIBUTE_EVIDENCE.get(attribute) or _measure_evidence(attribute)
    full = [v for n in named for v in variants(n)]
    called = _called(named)
    personal = attribute in _PERSONAL  # a later chunk of an article may call the person by the surname alone
    for p in reading.about(named, short_forms=True, articles=True) if personal else reading.passages:
        if not evidence.search(p.text):
            continue
        if not personal:
            if any(_mentions(p.text, v) for v in full):  # the text itself: a title may be about somewhere else
                return None
            continue
        # a person's own: the sentence giving it names them close by, or follows one that does and says "he" or "she"
        for sentence, context in _in_context(p.text):
            if not evidence.search(sentence):
                continue
            if (pronoun_led(sentence) or _AGED.match(sentence)) and any(_mentions(context, v) for v in called):
                return None
            if any(_beside(sentence, evidence, v) for v in called):
                return None
    return f"no passage gives the {attribute} of {subject}"


# A sentence whose subject is the person by their age, after one that names them: "Kane was far from impressive in
# the Big Apple. Regardless, the 35-year-old is ready to get back on the ice."
_AGED = re.compile(r"^(?:[\w'’]+,\s+)?the\s+\d{1,3}-year-old\b", re.IGNORECASE)


_BESIDE = 15  # words between a person's name and the word giving their attribute ("the 26-year-old Benavidez")


def _beside(sentence: str, evidence: re.Pattern[str], name: str) -> bool:
    """Whether `sentence` names `name` within `_BESIDE` words of a match of `evidence`: "Cue is one of the witnesses
    ... the deal ... pays Apple billions" gives no salary of Cue."""
    if (pattern := _name_pattern(name)) is None:
        return False
    folded = fold(sentence)
    named = [m.start() for m in pattern.finditer(folded)]
    given = [m.start() for m in evidence.finditer(folded)]
    return any(len(_WORDS.findall(folded[min(a, b) : max(a, b)])) <= _BESIDE for a in named for b in given)


_AUX = r"(?:did|does|do|were|was|have|has|had|are|is|will|can|would|could)"
# "How many paying subscribers does Deft have?": the counted thing is what comes before the first auxiliary verb
# ("paying subscribers"), else the words before a verb in the past ("How many fossil fuel lobbyists attended ..."),
# else the one word after "how many".
_HOW_MANY = (
    re.compile(rf"^how many\s+(?P<thing>(?:[\w'’.-]+\s+){{0,5}}?)(?={_AUX}\b)", re.IGNORECASE),
    re.compile(r"^(?i:how many)\s+(?P<thing>(?:[a-z][\w'’.-]*\s+){0,3}?[a-z][\w'’.-]*)(?=\s+[a-z]+ed\b)"),
    re.compile(r"^how many\s+(?P<thing>[\w'’.-]+)", re.IGNORECASE),
)
_COUNT = (
    r"(?!(?:1[89]|20)\d\d\b)"  # a year ("2023 season tickets") counts nothing
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty"
    r"|seventy|eighty|ninety|dozens?|hundreds?|thousands?|millions?)(?:\s+(?:million|billion|thousand|m|bn|k))?"
)


def counted_thing(question: str) -> str | None:
    """What a "how many" question counts ("paying subscribers" in "How many paying subscribers does Deft
    have?"); None for other questions."""
    q = " ".join(question.split())
    for pattern in _HOW_MANY:
        if (m := pattern.match(q)) and m.group("thing").strip():
            return m.group("thing").strip()
    return None


def counting(thing: str, whole: bool = False) -> re.Pattern[str]:
    """A number that counts `thing` (`counted_thing`): the number, then at most five lower-case words, then one of
    the thing's lower-case words, endings aside ("40 solar-powered kiosks", "157,000 ultra-directional speakers",
    "10-point"); "7 Verge Score Ray-Ban Meta smart glasses" counts no glasses. With `whole`, all of the thing's
    lower-case words in a row ("381 passing yards", not "24 passes ... for 361 yards")."""
    words = [_POSSESSIVE.sub("", w) if w.endswith(("'", "’")) else w for w in thing.split()]  # "states' AGs"
    nouns = [w for w in words if w.islower() and w not in STOP_WORDS] or [words[-1].lower()]
    stems = [re.escape(w[:-3] if w.endswith("ies") else w[:-2] if w.endswith("es") else w.rstrip("s")) for w in nouns]
    counted = r"\w*[\s-]+".join(stems) if whole else "|".join(stems)
    return re.compile(rf"\b(?i:{_COUNT})(?:\s+(?![A-Z])[\w'’-]+){{0,5}}?[\s-]+(?i:{counted})\w*")


def _short_forms(name: str) -> list[str]:
    """The ways an article names `name` after its first mention: a person by the surname ("Purdy" for "Brock
    Purdy"), anything else by its first word ("AI21" for "AI21 Labs"; "Labs" would name any lab)."""
    words = name.split()
    if len(words) < 2:
        return []
    person = any(e.label == "PERSON" and name in e.text for e in entities(name))
    return [words[-1] if person else words[0]]


def _called(names: Sequence[str]) -> list[str]:
    """What an article calls any of `names`: their `variants`, then their short forms after a first mention."""
    return [v for n in names for v in variants(n)] + [f for n in names for f in _short_forms(n)]


def names_it(text: str, name: str) -> bool:
    """Whether `text` names `name`: the name or an alias of it, its short form (`_short_forms`) written as a name is
    (capitalised as in the question), or for an acronym the phrase it stands for ("Changpeng Zhao" for "CZ")."""
    return any(_mentions(text, v) for v in variants(name)) or _by_short_form(text, name) or _spells_out(text, name)


def _spells_out(text: str, acronym: str) -> bool:
    """Whether `text` writes the capitalised phrase an acronym stands for ("Valdria Harbour Authority" for "VHA")."""
    bare = acronym.replace(".", "")
    if not (bare.isupper() and 2 <= len(bare) <= 6):
        return False
    return any(initials(m.group()).endswith(bare) for m in NAME_RUN.finditer(text))


def _by_short_form(text: str, name: str) -> bool:
    return any(re.search(rf"(?<![\w'’-]){re.escape(w)}(?![\w-])", text) for w in _short_forms(name) if len(w) > 1)


def missing_count(reading: Reading) -> str | None:
    """Why the passages cannot say how many ("no passage gives a number of paying subscribers"): the question
    counts something, and no retrieved passage writes a number within a few words before one of its words
    ("40 solar-powered kiosks", "four touchdowns" for "touchdown passes"); when the question names someone or
    something, only passages that name it too (a word of the name is enough) count. None when one does."""
    thing = counted_thing(reading.question)
    if thing is None:
        return None
    counted = counting(thing)
    own = [w for w in thing.split() if w.islower()]
    subject = [n for n in reading.subject if own or n not in thing]
    # The sentence that counts also holds a word the question counts by ("sold", "score") or names the subject.
    keys = set(key_words(reading.question, subject)) - set(_stems(_WORDS.findall(thing)))
    doer = _doer(reading.question, subject)
    for p in reading.about(subject, short_forms=True, articles=True) if subject else reading.passages:
        for sentence, context in _in_context(p.text):
            if not (m := counted.search(sentence)):
                continue
            if doer:  # "How many runs did Alyssa Healy score?": her runs, not another player's in the article
                if names_it(sentence, doer) or (
                    reading.names_it(p, doer, short_forms=True)
                    and not _names_another(sentence[: m.start()], reading.question)
                ):
                    return None
            elif _shares_stem(context, keys) or any(names_it(sentence, n) for n in subject):
                return None
    return f"no passage gives a number of {thing}"


_DOER = re.compile(r"^(?i:how\s+many\s+.+?\s+(?:did|does|do|has|have|had|will|would))\s+(?P<name>[A-Z][^?]*)")


def _doer(question: str, subject: Sequence[str]) -> str | None:
    """The person a how-many question counts the deeds of: the name right after its auxiliary ("Alyssa Healy" in "How
    many runs did Alyssa Healy score in the Mumbai Test?"), when it is one of the subject's names and a person's;
    None otherwise (a firm's count may be written without its name: "The company has 12 employees")."""
    m = _DOER.match(" ".join(question.split()))
    if m is None:
        return None
    name = next((n for n in subject if m.group("name").startswith(n)), None)
    if name is None or not any(e.label == "PERSON" and name in e.text for e in entities(name)):
        return None
    return name


# What a question asks for: "When ..." a date, "How much did it cost" a sum of money, "Which company ..." an
# organisation. Entity labels (assistant.entities) say which sentence holds one; a written year or sum backs them up.
_KIND_QUESTIONS = (
    ("date", re.compile(r"^(?:since\s+)?(?:when\b|(?:in|on|by)?\s*what\s+(?:year|date|day|month)\b)", re.I)),
    ("sum of money", re.compile(r"^how\s+much\b.*\b(?:cost|costs|pay|paid|pays|spend|spent|earn|earned|charge|"
                                r"charged|sell|sold|raise|raised|worth|price|fee|fine|fined)\b", re.I)),
    ("sum of money", re.compile(  # "What did X pay for Y?", "What did the Chargers pay Giff Smith?", "What did X pay?"
        r"^what\s+(?:did|does|do|will|would)\s+.+?\s+(?:pay|spend|charge)(?:\s+for\b|\s+(?-i:[A-Z])|\W*$)", re.I
    )),
    ("sum of money", re.compile(  # "What transfer fee did X pay ...?"
        r"^what\s+(?:[a-z]+\s+)?(?:fee|price|fine|salary|wage|bid)\s+(?:did|does|do|will|would)\s", re.I
    )),
    ("amount", re.compile(r"^how\s+much\b", re.I)),
    ("rating", re.compile(  # a review's verdict: "What score did Engadget give X?", "How many stars did X get?"
        r"^(?:what|which)\s+(?:score|rating|grade|mark|verdict)\s+(?:did|does|do|has|have)\s.*\b(?:give|given|gave|"
        r"award|awarded|get|got|receive|received)\b|^how\s+many\s+stars\b", re.I
    )),
    ("organisation", re.compile(rf"^(?:which|what)\s+(?:\w+\s+)?(?:{'|'.join(sorted(ORGANISATION_NOUNS))})\b", re.I)),
)
_KIND_LABELS = {
    "date": WHEN,
    "sum of money": frozenset({"MONEY"}),
    "amount": AMOUNT,
    "organisation": frozenset({"ORG", "NORP", "PERSON"}),  # the small model often reads a firm's name as a person's
    "rating": frozenset(),  # written, never an entity: "4/5", "8 out of 10", "four stars"
}
_KIND_PATTERNS = {
    "date": re.compile(r"\b(?:1[5-9]|20)\d\d\b"),
    "sum of money": re.compile(rf"{_MONEY}|\b{_NUMBER_WORDS}\s+{_CURRENCY}", re.I),  # "forty crowns"
    "amount": re.compile(r"\d"),
    "rating": re.compile(
        r"\b\d+(?:\.\d)?\s*(?:/|out\s+of)\s*(?:5|10|100)\b|\b(?:\d|one|two|three|four|five)(?:\.5)?"
        r"(?:\s+stars?\b|-star\s+(?:rating|review|verdict)\b)",  # not the game's "5-star levels"
        re.I,
    ),
}
_ASKS_YEAR = re.compile(r"\b(?:what|which)\s+year\b", re.I)
# Words of a question that say nothing of where its answer is written: question words, auxiliaries and light verbs.
_LIGHT_WORDS = STOP_WORDS | frozenset(
    """do does did doing done get gets got make makes made take takes took come comes came go goes went going become
    becomes became happen happened first last next ever still just now exactly much many long year years date day
    month time""".split()
)
_MAX_KIND_WORDS = 16  # a longer question asks several things at once
_stemmer: Any = None


def _stems(words: Sequence[str]) -> list[str]:
    global _stemmer
    if _stemmer is None:
        import Stemmer

        _stemmer = Stemmer.Stemmer("english")
    return list(_stemmer.stemWords([w.lower() for w in words]))


# "how much did the diamondbacks win game 2 by": a margin of victory, which a score gives ("Diamondbacks 9-1 Rangers")
WON_BY = re.compile(r"^how\s+much\b.*\b(?:win|wins|won|beat|beats|lose|loses|lost)\b.*\bby\W*$", re.IGNORECASE)


def asked_kind(question: str) -> str | None:
    """The kind of answer a question asks for: "date" ("When did ...", "In what year ..."), "sum of money" ("How
    much did it cost", "What did X pay for ..."), "amount" (another "How much" but a margin of victory, which a
    score gives), "rating" ("What score did X give Y?"), "organisation" ("Which company / party / team ..."); None
    for other questions ("Who ...", "Why ...")."""
    q = " ".join(question.split())
    if WON_BY.match(q):
        return None
    return next((kind for kind, pattern in _KIND_QUESTIONS if pattern.match(q)), None)


def content_words(question: str, subject: Sequence[str]) -> list[str]:
    """The question's own words that a sentence giving its answer is expected to share: not its names (`subject`),
    titles, stop words, question words or light verbs ("retire" in "When did Satoshi Tajiri retire?")."""
    named = {w.lower() for n in subject for w in _WORDS.findall(n)}
    words = [w for w in _WORDS.findall(question) if len(w) > 2 and not w[0].isupper() and not w.isdigit()]
    keep = [w for w in words if (lw := w.lower()) not in _LIGHT_WORDS and lw not in TITLE_WORDS and lw not in named]
    return list(dict.fromkeys(keep))


def key_words(question: str, subject: Sequence[str]) -> list[str]:
    """`content_words`, stemmed as the keyword index stems ("retir")."""
    return list(dict.fromkeys(_stems(content_words(question, subject))))


def _shares_stem(text: str, keys: Sequence[str] | set[str]) -> bool:
    """Whether `text` has a word whose stem is one of `keys` (true for no keys: nothing to share)."""
    return not keys or not set(keys).isdisjoint(_stems(_WORDS.findall(text)))


def _holds(text: str, keys: Sequence[str]) -> bool:
    """Whether `text` has a word of one of `keys` (stems), endings aside: "founder" holds "found", "leader" "lead"."""
    stems = set(_stems(_WORDS.findall(text)))
    return any(s.startswith(k) or (len(s) >= 4 and k.startswith(s)) for s in stems for k in keys)


_AGENT_ENDINGS = ("er", "or", "r")  # "founder" for "found", "creator" for "creat", "manager" for "manag"
# Acts that news writes with either word, and irregular verbs' past forms (stems): "King established the WTA" answers
# "When did King found the WTA?", "built by Tessaly Marine" "Which company builds ...?", "bought it for NIS 405
# million" "How much did he pay for it?".
_SAME_ACTS = tuple(frozenset(g.split()) for g in (
    "found establish creat launch start form", "buy bought acquir purchas pay paid", "sell sold", "win won",
    "lose lost", "die death dead", "retir resign quit", "hire appoint name", "build built", "spend spent", "lead led",
    "leav left", "hold held", "bring brought", "give gave given", "begin began begun", "write wrote written",
    "teach taught", "steal stole stolen", "rise rose risen", "fall fell fallen", "grow grew grown", "sink sank sunk",
    "meet met", "send sent", "keep kept", "choos chose chosen", "fli flew flown", "run ran", "tell told",
))


def _names_act(text: str, keys: Sequence[str]) -> bool:
    """Whether `text` has a word whose stem is one of `keys`, the same act in another word ("established" for
    "found") or a doer of one ("founder"), not merely a word that starts like one ("foundation")."""
    stems = set(_stems(_WORDS.findall(text)))
    acts = {w for k in keys for w in next((g for g in _SAME_ACTS if k in g), {k})}
    return any(a in stems or any(a + e in stems for e in _AGENT_ENDINGS) for a in acts)


def _in_context(text: str) -> list[tuple[str, str]]:
    """Each sentence of `text` with its context: itself and the sentence before it, which often says what it is
    about ("Traffic through the harbour grew again. The port counted 1,240 ships."). A sentence answers a rule
    when its context holds the question's key words or the sentence itself names the subject."""
    sentences = split_sentences(text)
    return [(s, f"{sentences[i - 1]} {s}" if i else s) for i, s in enumerate(sentences)]


_COST_OF = re.compile(r"^how\s+much\s+(?:does|do|did|will|would)\s+(?P<thing>.+?)\s+cost\b", re.IGNORECASE)
_PRICES = re.compile(
    r"\b(?:costs?|costing|price[sd]?|pricing|fees?|sells?|selling|sold|retails?|charges?|charged)\b", re.IGNORECASE
)
_OF_WORDS = re.compile(r"\s+(?:of|on|to|in|at|for|from|with)\s+", re.IGNORECASE)


def _priced(question: str, subject: Sequence[str]) -> tuple[str, list[str]]:
    """For "How much does <thing> cost?", the thing's head noun (its last lower-case word before "of", "on", ...:
    "license" in "a sports betting license", "pass" in "a monthly pass on the Quarry Bay ferry") and the question's
    names within the thing ("Quarry Bay"); ("", []) for other questions or a thing without a lower-case head."""
    m = _COST_OF.match(" ".join(question.split()))
    if m is None:
        return "", []
    thing = m.group("thing")
    words = [w for w in _WORDS.findall(_OF_WORDS.split(thing)[0]) if not w[0].isupper() and w.lower() not in STOP_WORDS]
    return (words[-1] if words else ""), [n for n in subject if n in thing]


def missing_kind(reading: Reading) -> str | None:
    """Why the passages cannot give the kind of answer the question asks for ("no passage about Satoshi Tajiri
    gives a date for “retire”"): among the retrieved passages that name the question's subject, no sentence holds
    one of the question's key words (or the subject's name) together with a thing of that kind (a date, a sum of
    money, an organisation). None when the question asks for no such kind, is long (several questions in one), names
    no one, no passage names the subject as the question does, or a sentence may give the answer."""
    question, subject = reading.question, reading.subject
    kind = asked_kind(question)
    if kind is None or len(question.split()) > _MAX_KIND_WORDS or not subject:
        return None
    keys = key_words(question, subject) + _stems(phrasal_verbs(question))  # "come out": "go on sale", "launched"
    labels, pattern = _KIND_LABELS[kind], _KIND_PATTERNS.get(kind)
    about = reading.about(articles=True)
    if not about:
        return None  # named differently (an acronym, a short form): not this rule's to judge
    if kind == "rating":  # a review's verdict stands anywhere in it, often without the reviewed thing's name
        if pattern is not None and any(pattern.search(f"{p.title}. {p.text}") for p in about):
            return None
        return f"no passage about {_either(subject)} gives a rating"
    head, priced = _priced(question, subject)
    if head:  # "How much does a sports betting license cost?": a sum beside "license", not beside "bettors"
        keys = _stems([head])
    # a deal between two named parties ("How much did Mamamia pay to buy Shameless Media?"): the sum is theirs
    parties = kind == "sum of money" and len(subject) == 2 and _names_act(question, ("buy", "sell"))
    candidates = []
    for p in about:
        for sentence, context in [(p.title, p.title), *_in_context(p.text)]:
            if head:  # the thing priced is named in the sentence, or in the one before when this one prices
                context = context if _PRICES.search(sentence) else sentence
            if parties and not all(names_it(context, n) for n in subject):
                continue  # "How much did Mamamia pay for Shameless Media?": a sum one party spent on something else
            if any(_mentions(sentence, n) for n in priced) or (
                _names_act(context, keys) if keys else any(_mentions(sentence, n) for n in subject)
            ):
                if pattern is not None and pattern.search(sentence):
                    return None
                candidates.append(sentence)
    if kind == "date" and _ASKS_YEAR.search(question):
        candidates, kind = [], "year"  # "In what year ...?": a year written as one, not "Christmas" or "Season 5"
    for sentence, found in zip(candidates, entities_of(candidates)):
        if any(
            e.label in labels and not _within_subject(e.text, subject) and not (kind == "organisation" and
                                                                               _titled_person(sentence, e))
            for e in found
        ):
            return None
    words = ", ".join(f"“{w}”" for w in ([head] if head else content_words(question, subject)[:3]))
    article = "an" if kind[0] in "aeiou" else "a"
    return f"no passage about {_either(subject)} gives {article} {kind}" + (f" for {words}" if words else "")


# "Who will be Everton's next chairman?", "Who is expected to replace ...?": a person still to come. A passage says who
# when a sentence with a word of the question or of succession ("successor", "acting") names someone along with a
# word of what is to come ("will", "named", "interim", ...).
_WHO_TO_COME = re.compile(
    r"^who\s+(?:will|would|could|might|is\s+(?:going|expected|set|likely)\s+to|(?=replaced\s|succeeded\s|took\s+over\s))",
    re.I,
)
_TO_COME = re.compile(
    rf"\b(?:will|would|to\s+(?:be|become|lead|succeed|replace|take|head|run|serve)|next|new|{SUCCESSION})\b", re.I
)
_SUCCEEDS = re.compile(rf"\b(?:{SUCCESSION})\b", re.I)
_CAME = re.compile(rf"\b(?:(?-i:new)|{SUCCESSION})\b", re.I)  # "was named", "the new CEO", not "New Year"


def missing_successor(reading: Reading) -> str | None:
    """Why the passages cannot say who is still to come ("no passage says who will be Everton's next chairman after
    Bill Kenwright"): a short question asks who will be (or replace, lead, ...) something of a named subject, or who
    replaced (succeeded, took over from) one, and no sentence of a passage naming the subject holds a word of what is
    to come ("will", "named", "successor", "interim"), a word of the question (a role such as "chairman" or "CEO"
    counts) or of succession ("successor", "acting"), and a person other than the subject (or an organisation: the
    small model reads a lone surname as one); for "Who replaced ..." the word must be "new" or one of succession.
    None for other questions, or when such a sentence exists."""
    q, subject = " ".join(reading.question.split()), reading.subject
    if not (m := _WHO_TO_COME.match(q)) or len(q.split()) > _MAX_KIND_WORDS:
        return None
    named = {w.lower() for n in subject for w in _WORDS.findall(n)}
    words = [w for w in _WORDS.findall(q) if len(w) > 2 and not w.isdigit()]
    words = [w for w in words if not w[0].isupper() or w.lower() in TITLE_WORDS]  # roles count, "CEO" too
    keys = set(_stems([w for w in words if w.lower() not in _LIGHT_WORDS and w.lower() not in named]))
    about = reading.about(articles=True)
    if not subject or not keys or not about:
        return None
    came = m.group(0).lower().endswith("who ")  # "Who replaced ...": someone already named, not one who "will" be
    candidates = [
        sentence
        for p in about
        for sentence in [p.title, *split_sentences(p.text)]
        if (_CAME.search(sentence) if came else _TO_COME.search(sentence))
        and (_SUCCEEDS.search(sentence) or _shares_stem(sentence, keys))
    ]
    for found in entities_of(candidates):  # the small model reads a lone surname ("Whitlock will run ...") as an ORG
        if any(e.label in ("PERSON", "ORG") and not _within_subject(e.text, subject) for e in found):
            return None
    return f"no passage says who {q[m.start(0) + 4 :].rstrip(' ?')}"


# "Who is Flipboard's CTO?", "Who is the chief executive of ASOS?": the holder of a role at a named subject.
_WHO_HOLDS = re.compile(
    r"^(?i:who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+)?(?:(?:current|new|former|interim|acting)\s+)?)"
    r"(?:(?P<owner>[A-Z][^?]*?)(?:['’]s|s['’])\s+(?P<role>[\w-]+(?:\s+[\w-]+){0,2})"
    r"|(?P<role_of>[\w-]+(?:\s+[\w-]+){0,2}?)\s+(?:of|at)\s+(?:the\s+)?(?P<owner_of>[A-Z][^?]*?))\s*\??$"
)
_ROLE_JOINS = frozenset({"and", "&"})
_ANY_LEADER = frozenset({"head", "chief", "boss", "leader"})  # "head of Alameda Research": its CEO, or its president
_LEADER = re.compile(  # the words that give a leader's post: "chief executive", "director", "heads", "led by"
    r"\b(?:ceo|chief|head(?:s|ed)?|boss|leader|leads|led|runs|president|chair(?:man|woman|person)?|director|"
    r"founder|co-founder|commissioner|chancellor|secretary|minister|governor|captain|coach)\b",
    re.IGNORECASE,
)


def _chief_of_a_field(words: Sequence[str]) -> bool:
    """Whether the words are a title "chief FIELD officer" ("chief financial officer", "chief marketing officer")."""
    return len(words) == 3 and words[0].lower() == "chief" and words[2].lower() == "officer"


def missing_role(reading: Reading) -> str | None:
    """Why the passages cannot say who holds a role at a named subject ("no passage about Flipboard names its CTO"
    for "Who is Flipboard's CTO?"): the question asks, in the plain shape "Who is X's ROLE?" or "Who is the ROLE of
    X?", for a role of titles alone ("CTO", "chief executive", "co-founder and CEO"), and no passage about X writes
    one of them (or what it stands for: "chief technology officer" for "CTO", "CFO" for "chief financial officer")
    in a sentence that names X or no other organisation. None for other questions, or when no passage names the
    subject."""
    q = " ".join(reading.question.split())
    m = _WHO_HOLDS.match(q)
    if m is None:
        return None
    role = m.group("role") or m.group("role_of")
    words = [w for w in role.split() if w.lower() not in _ROLE_JOINS]
    titled = words and (all(w.lower() in TITLE_WORDS for w in words) or _chief_of_a_field(words))
    if not titled:
        return None  # "the prime minister of Mali's transitional government": no role
    leader = {w.lower() for w in words} <= _ANY_LEADER  # "head": any leader's title fills it
    owner = q[m.start("owner") : m.end("owner") + 2] if m.group("owner") else m.group("owner_of")  # "Discogs'"
    subject = [n for n in reading.subject if n in owner]
    # Named in full first: a short form ("Keep" for "Keep Labs") also opens sentences of other articles.
    about = subject and (reading.about(subject, articles=True) or reading.about(subject, True, articles=True))
    if not about:
        return None
    spelled = [p for w in words for p in ALIASES.get(w.lower(), ()) if p[:1].islower()]  # "chief technology officer"
    # All of them ("financial services" is no financial officer), but a head coach is written "its next coach"
    keys = _stems([w for i, w in enumerate(words) if w.islower() and not (i == 0 < len(words) - 1 and w == "head")])
    if len(words) == 2 and words[0].lower() == "chief":  # "chief executive" is written "CEO"
        words = [*words, f"C{words[1][0].upper()}O"]
    holding = [
        sentence
        for p in about
        for sentence in [p.title, *split_sentences(p.text)]
        if (leader and _LEADER.search(sentence))
        or _abbreviates(sentence, role)
        or any(re.search(rf"\b{re.escape(w)}s?\b", sentence) for w in words if w.isupper())
        or any(_mentions(sentence, phrase) for phrase in spelled)
        or (keys and all(_holds(sentence, [k]) for k in keys))
    ]
    # The role of the subject, not of another firm the article names ("Pie Insurance appoints ... as CFO" in a roundup)
    for sentence, found in zip(holding, entities_of(holding)):
        held = pronoun_led(sentence) or any(e.label == "PERSON" and not _within_subject(e.text, subject) for e in found)
        if not held:
            continue  # "The author is President & Head, Nuvama Wealth": the role, held by no one named
        if any(names_it(sentence, n) for n in subject) or not any(
            e.label == "ORG" and not _within_subject(e.text, subject) for e in found
        ):
            return None
    role = " ".join(w if w.isupper() else w.lower() for w in role.split())  # "President" read from a recased question
    return f"no passage about {_either(subject)} names its {role}"


def _abbreviates(text: str, question: str) -> bool:
    """Whether `text` writes an acronym of two to five consecutive words of `question` ("ARR" for "annual recurring
    revenue", "CFO" for "chief financial officer"), or of them after one more word ("CAGR" for "annual growth
    rate")."""
    words = _WORDS.findall(question)
    for i in range(len(words)):
        for j in range(i + 2, min(len(words), i + 5) + 1):
            letters = initials(" ".join(words[i:j]))
            if len(letters) >= 2 and re.search(rf"\b[A-Z]?{letters}s?\b", text):
                return True
    return False


def _written(passages: Sequence[Passage], keys: Sequence[str], question: str) -> bool:
    """Whether a passage's title or text has a word of `keys` (stems, endings aside) or an acronym of the
    question's words ("ARR" for "annual recurring revenue", "CAGR" for "annual growth rate")."""
    return any(_holds(p.title + " " + p.text, keys) or _abbreviates(p.text, question) for p in passages)


_MIN_OWN_WORDS = 3  # with fewer, one paraphrase ("passed away" for "died") would leave none of them in a passage


def missing_words(reading: Reading) -> str | None:
    """Why the passages speak of the question's subject but not of what it asks ("no passage about Caroline Ellison
    has “prison”, “sentence” or “receive”"): a short question with at least three words of its own (`key_words`,
    less the word after "how"), none of which, endings aside, is in a retrieved passage naming its subject, nor
    written there as an acronym ("ARR"). None for longer questions, questions with fewer words of their own or
    naming no one, or when no passage names the subject as the question does."""
    question, subject = reading.question, reading.subject
    if len(question.split()) > _MAX_KIND_WORDS:
        return None
    # "How old / long / far ...": the word after "how" asks for a number, which a passage writes without it.
    how = re.match(r"\s*how\s+([^\W_]+)", question, re.IGNORECASE)
    own = [w for w in content_words(question, subject) if not (how and w.lower() == how.group(1).lower())]
    keys = list(dict.fromkeys(_stems(own)))
    if not subject or len(keys) < _MIN_OWN_WORDS:
        return None
    about = reading.about(articles=True)
    if not about or _written(about, keys, question):
        return None
    words = [f"“{w}”" for w in own]
    return f"no passage about {_either(subject)} has {_either(words)}"


# "How much severance did ...", "What valuation did ...", "What is the towing capacity of ...": the thing asked for,
# named by lower-case words right after the question word.
_THING = r"(?P<thing>(?:[a-z][\w'’-]*\s+){0,2}?[a-z][\w'’-]*)"
_THING_QUESTIONS = (
    re.compile(rf"^(?i:how\s+much)\s+{_THING}\s+{_AUX}\s"),
    re.compile(rf"^(?i:what)\s+{_THING}\s+(?:did|does|do|has|have|had|will|would)\s"),
    re.compile(rf"^(?i:what(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+the)\s+{_THING}\s+(?:of|for|at|in)\s"),
    # "Who was the referee for ...?": a person by what they did there (a title is rule 14's: "Who is the CEO of ...")
    re.compile(rf"^(?i:who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+the)\s+{_THING}\s+(?:of|for|at|in)\s"),
)
# Heads that name a kind of answer rather than a thing an article writes ("What year ...", "What is the name of ...").
_KIND_HEADS = frozenset(
    """money amount number total sum share percentage proportion name title year date day month time kind type sort
    way part role position product reason reasons""".split()
)
# Things news writes with either word ("sales of $2bn" is a revenue).
_SAME_THINGS = tuple(frozenset(_stems(g.split())) for g in (
    "revenue revenues sales turnover", "price cost costs priced", "valuation valued worth", "salary pay paid wage earn",
    "fee paid", "score won beat lost drew", "funding raised", "severance payout", "winner win won victor champion",
    "owner own owns owned", "author wrote written writer", "manager managed boss", "scorer scored",
))


def asked_thing(question: str) -> str | None:
    """The head noun of the thing a short question asks for, when it names one in a plain shape ("severance" in
    "How much severance did X receive?", "capacity" in "What is the towing capacity of X?"), past a head that only
    says the kind of answer ("prize" in "How much prize money ..."); None otherwise ("What year ...", "How much
    money ...")."""
    q = " ".join(question.split())
    for pattern in _THING_QUESTIONS:
        if m := pattern.match(q):
            words = _OF_WORDS.split(m.group("thing"))[0].split()
            if not words or words[0] in STOP_WORDS:
                return None
            # "prize money": the word that says which money
            head = next((w for w in reversed(words) if w not in _KIND_HEADS | STOP_WORDS), None)
            return None if head in TITLE_WORDS else head
    return None


def missing_thing(reading: Reading) -> str | None:
    """Why the passages cannot give the thing a short question asks for ("no passage about Simply Homes mentions a
    valuation"): its head noun (`asked_thing`), endings aside or in a word news uses for it (`_SAME_THINGS`:
    "sales" for "revenue"), is in no sentence about the question's subject (`_of_subject`) of the retrieved
    passages, nor written there as an acronym of the question's words ("CAGR"). Attributes are rule 4's to judge.
    None for other questions, questions naming no one, or when no passage names the subject as the question does."""
    question, subject = reading.question, reading.subject
    head = asked_thing(question)
    if head is None or asked_attribute(question) or len(question.split()) > _MAX_KIND_WORDS or not subject:
        return None  # an attribute (rule 4) is given in words of its own: "12,000 residents" is a population
    stem = _stems([head])[0]
    keys = sorted({k for g in _SAME_THINGS if stem in g for k in g} | {stem})
    about = reading.about(articles=True)
    if not about:
        return None
    for p in about:
        for sentence in [p.title, *split_sentences(p.text)]:
            at = _written_at(sentence, keys, question)
            if at is not None and _of_subject(sentence, at, p, reading):
                return None
    return f"no passage about {_either(subject)} mentions {'an' if head[0] in 'aeiou' else 'a'} {head}"


def _written_at(sentence: str, keys: Sequence[str], question: str) -> int | None:
    """Where the sentence first writes a word of `keys` (stems, endings aside: `_holds`) or an acronym of the
    question's words (`_abbreviates`: then 0); None when it writes neither."""
    for m in _WORDS.finditer(sentence):
        if _holds(m.group(), keys):
            return m.start()
    return 0 if _abbreviates(sentence, question) else None


def _of_subject(sentence: str, at: int, passage: Passage, reading: Reading) -> bool:
    """Whether what the sentence of `passage` writes at `at` is the subject's: the sentence names the subject, or the
    passage does and no other name comes before `at` ("Adaptive ... was about to raise at a $100 million valuation"
    is Adaptive's, not that of Mistral AI named in the passage; "The company raised $1.8 million in a seed round from
    Hustle Fund" is the subject's)."""
    if any(names_it(sentence, n) for n in reading.subject):
        return True
    return not _names_another(sentence[:at], reading.question) and any(
        reading.names_it(passage, n, short_forms=True) for n in reading.subject
    )


# "What is the UK price in pounds ...?", "How much does Meta charge ... in the United States?": a sum in one currency.
_CURRENCIES = {
    "pounds": r"£|\bGBP\b|\bpounds?\b|\bsterling\b",
    "euros": r"€|\bEUR\b|\beuros?\b",
    "dollars": r"\$|\bUSD\b|\bdollars?\b",
}
_CURRENCY_NAMED = (
    (re.compile(r"(?i:\bin\s+(?:pounds|sterling)\b|\bbritain\b|\bbritish\b)|£|\b(?:UK|U\.K\.)\b"), "pounds"),
    (re.compile(r"(?i:\bin\s+euros\b|\beurope\b|\beuropean\s+union\b|\beurozone\b)|€|\bEU\b"), "euros"),
    (re.compile(r"(?i:\bin\s+(?:us\s+)?dollars\b|\bunited\s+states\b|\bamerica\b)|\b(?:US|U\.S\.)\b(?!\s+Virgin)"),
     "dollars"),
)  # "us" and "eu" in lower case are no places: the pronoun, a syllable
# "How much ...", "What ...", or a search typed without a question word ("steam deck oled uk price in pounds")
_ASKS_SUM = re.compile(
    r"^(?!(?:why|who|whom|whose|when|where|which|how(?!\s+much)|is|are|was|were|did|does|do|has|have|had|can|could|"
    r"will|would|should)\b).*\b(?:pric\w*|costs?|charges?|charged|fees?|fines?|fined|pay|paid|pays|money|salary)\b",
    re.IGNORECASE,
)


def _names_another(sentence: str, question: str) -> bool:
    """Whether the sentence names someone or something past its first word, other than by the question's words ("The
    deal was worth €18 million" does not, nor "our Digital Twin Market Report" for a question about the digital twin
    market; "Kestrel Yards raised €18 million" and "... the startup Amo closed a round" do)."""
    asked = {w.lower() for w in _WORDS.findall(question)}
    for m in NAME_RUN.finditer(sentence):
        words = [w.lower() for w in _WORDS.findall(m.group()) if not w.isdigit()]
        if (m.start() > 0 or len(words) > 1) and 2 * sum(w in asked for w in words) < len(words):
            return True
    return False


def missing_currency(reading: Reading) -> str | None:
    """Why the passages cannot give a sum in the currency the question asks for ("no passage about Steam Deck OLED
    gives a sum in pounds" for "What is the UK price in pounds of the 512GB Steam Deck OLED?"): a short question asks
    ("How much", "What" or no question word) for a price, cost, fee, fine, payment, prize money or salary and names a
    currency or a place that has one ("in pounds", "UK", "in the United States", "EU"), and no sentence of a passage
    about its subject writes a number in any currency named along with the subject's name or what is asked (in it,
    or in the sentence before when it names no one else). None for other questions, or when no passage names the
    subject."""
    q = " ".join(reading.question.split())
    if len(q.split()) > _MAX_KIND_WORDS or not _ASKS_SUM.match(q):
        return None
    wanted = [currency for pattern, currency in _CURRENCY_NAMED if pattern.search(q)]
    subject = [n for n in reading.subject if not any(p.search(n) for p, _ in _CURRENCY_NAMED)]
    about = subject and reading.about(subject, short_forms=True, articles=True)
    if not wanted or not about:
        return None
    sums = re.compile(rf"(?:{'|'.join(_CURRENCIES[c] for c in wanted)})", re.IGNORECASE)
    keys = key_words(q, reading.subject)
    for p in about:
        for sentence, context in _in_context(p.text):
            # a sum of the subject or of what is asked ("€18 million" for another startup in the article is not)
            if re.search(r"\d", sentence) and sums.search(sentence) and (
                any(names_it(sentence, n) for n in subject)
                or _names_act(sentence, keys)
                or (_names_act(context, keys) and not _names_another(sentence, q))
            ):
                return None
    return f"no passage about {_either(subject)} gives a sum in {_either(wanted)}"


_ROLE_BEFORE = re.compile(r"(?<![\w'’-])([a-z][a-z-]+)\s+$")


def _titled_person(sentence: str, entity: Entity) -> bool:
    """Whether a PERSON entity is given a person's role just before it ("Port director Helga Marsh", "union leader
    Tomas Brell"), so it is a person and not a firm the small model misread as one."""
    m = _ROLE_BEFORE.search(sentence[: entity.start])
    if entity.label != "PERSON" or m is None:
        return False
    word = m.group(1)
    return word in TITLE_WORDS or (
        len(word) > 4 and word not in STOP_WORDS and word.endswith(("er", "or", "ist", "ian", "man", "woman"))
    )


def _within_subject(text: str, subject: Sequence[str]) -> bool:
    """Whether an entity is (part of) the question's own subject: "Satoshi Tajiri" is no answer to "Who hired
    Satoshi Tajiri?"."""
    return any(_mentions(n, text) for n in subject)


# "What did Reuters report about Moctar Ouane's education?", "What did Peter Morgan say about the final season?"
_REPORT_QUESTION = re.compile(
    r"^what\s+(?:did|does|do|has|have|had)\s+(?P<who>.+?)\s+(?:report|say|write|reveal|tell\s+\w+|claim|note|"
    r"reported|said|written|revealed|told\s+\w+|claimed|noted)\s+(?P<on>about|on|regarding|of|after|following)\s+"
    r"(?P<topic>[^?]+?)\s*\??$",
    re.IGNORECASE,
)


def missing_report(reading: Reading) -> str | None:
    """Why the passages cannot say what someone reported or said about a topic ("no article from Reuters covers
    Moctar Ouane's education"): the question asks, in the plain shape "What did X report/say about (or after)
    Y?", and no retrieved passage by X (a publisher of the store) or naming X (anyone else) names every name of Y
    and holds a key word of it (for "after", an event, its names alone). None for other questions, or when such a
    passage exists."""
    m = _REPORT_QUESTION.match(" ".join(reading.question.split()))
    if m is None:
        return None
    sources = reading.sources
    who, topic = re.sub(r"^the\s+", "", m.group("who"), flags=re.IGNORECASE), m.group("topic")
    published = [s for mention in SourceMatcher(sources).find(who) for s in mention.sources]
    if not published and names(f"by {who}", sources) != [who]:  # "by": its first word is no sentence's first
        return None  # neither a publisher of the store nor a name ("a Bloomberg article", "officials")
    topic_names = subject_names(topic, sources)
    after = m.group("on").lower() in ("after", "following")  # an event: its names say which, its words vary
    keys = [] if after else key_words(topic, topic_names)
    for p in reading.passages:
        by = p.source in published if published else reading.names_it(p, who, short_forms=True)
        if not by or not all(reading.names_it(p, n, short_forms=True) for n in topic_names):
            continue
        if 2 * sum(_holds(p.title + " " + p.text, [k]) for k in keys) >= len(keys):  # at least half of them
            return None
    if after:  # "What did Harry Kane say after Bayern lost 5-1 to Frankfurt?"
        topic = f"what came {m.group('on').lower()} {topic}"
    return f"no article from {who} covers {topic}" if published else f"no passage has {who} on {topic}"


def missing_from_source(reading: Reading) -> str | None:
    """Why the one publisher a short question cites cannot answer it ("no article from The Verge mentions Taylor
    Swift" for "Which company did The Verge say bought Taylor Swift's masters?"): the question names exactly one
    publisher of the store, and no retrieved passage from it names any of the question's other names. None for
    longer questions, questions citing no or several publishers, or naming nothing else."""
    question, subject = reading.question, reading.subject
    if len(question.split()) > _MAX_KIND_WORDS:
        return None
    cited = SourceMatcher(reading.sources).find(question)
    if len({m.sources for m in cited}) != 1:
        return None
    if not subject or any(p.source in cited[0].sources for p in reading.about(short_forms=True)):
        return None
    publisher = question[cited[0].start : cited[0].end].strip()
    publisher = re.sub(r"^the\s+", "", publisher, flags=re.IGNORECASE) if publisher[:1].islower() else publisher
    return f"no article from {publisher} mentions {_either(subject)}"


_YEAR_ASKED = re.compile(r"(?<![\w$€£.,-])(1[89]\d\d|20\d\d)(?!s\b)(?![\w%.,-]\w)")  # "the 1980s" is a decade


def missing_year(reading: Reading) -> str | None:
    """Why the passages cannot answer for the year a question names ("no passage mentions 2002" for "Who topped the
    list in 2002?"): no retrieved passage writes that year in its title or text (but after "since", unless the
    question says "since" too), nor was published in it. None when the question names no year (a publisher's name
    in `sources` is no year) or a passage does."""
    question = reading.question
    for mention in reversed(SourceMatcher(reading.sources).find(question)):
        question = question[: mention.start] + " " + question[mention.end :]
    for year in dict.fromkeys(_YEAR_ASKED.findall(question)):
        # "has continued the tradition since 2002" says nothing of 2002 itself, unless the question asks since when
        since = "" if re.search(rf"\bsince\s+{year}", question, re.I) else r"(?<!since\s)(?<!Since\s)"
        within = re.compile(rf"{since}(?<!\d){year}(?!\d)")
        if not any(within.search(p.title + " " + p.text) or p.published_at.startswith(year) for p in reading.passages):
            return f"no passage mentions {year}"
    return None


# "What is Beeper Mini?", "what's the EU AI Act": a thing asked to be described, named in a few words.
_WHAT_IS = re.compile(
    r"^\s*what(?:['’]s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+|a\s+|an\s+)?(?P<thing>[^?'’]{2,60}?)\s*\??\s*$",
    re.IGNORECASE,
)


# "Who is Eylon Levy?": a person asked to be described, named alone
WHO_IS = re.compile(rf"^\s*(?i:{WHO_IS_OPENER})(?P<thing>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){{0,3}})\s*\??\s*$")


def defined_thing(question: str) -> str | None:
    """The thing a "What is X?" question asks to be described ("Beeper Mini"), when X is a name or a short noun
    phrase of at most five words (not "What is Betashares buying?", "What is X called?", "What is X's revenue?"), or
    the one named alone in "Who is X?" ("Eylon Levy")."""
    if (who := WHO_IS.match(question)) is not None and not who.group("thing").endswith(("'s", "’s")):
        return who.group("thing")
    m = _WHAT_IS.match(question)
    if m is None:
        return None
    words = m.group("thing").split()
    if len(words) > 5 or words[-1].lower().endswith("ing") or words[-1].lower() in ("called", "named"):
        return None
    return m.group("thing")


def unanswerable_reason(
    question: str, passages: Sequence[Passage], index: KeywordView, settings: RetrievalSettings
) -> str | None:
    """Why the corpus cannot answer `question`, in words a reader is shown ("no article from Bloomberg in the
    corpus"), or None when it may."""
    if settings.check_publishers and (unknown := unknown_publishers(question, index.sources())):
        return f"no article from {_either(unknown)} in the corpus"
    if settings.max_name_chunks >= 0 and (absent := absent_names(question, index, settings.max_name_chunks)):
        publishers = [n for n in absent if looks_like_publisher(n) or _cited_as_source(n, question)]
        if settings.check_publishers and publishers:
            return f"no article from {_either(publishers)} in the corpus"
        return f"no article mentions {_either(absent)}"
    best = max((p.relevance or 0.0 for p in passages), default=0.0)
    # "Who is Imogen Farrow?": a name alone is far from any passage's meaning, though a passage names it
    described = (thing := defined_thing(question)) is not None and any(names_it(f"{p.title}. {p.text}", thing)
                                                                      for p in passages)
    if best < settings.min_relevance and not described:
        return f"no passage is close enough to the question (best relevance {best:.2f} < {settings.min_relevance})"
    reading = Reading(question, passages, index.sources())
    if settings.max_name_chunks >= 0 and (reason := missing_subject(reading)):
        return reason
    return next((reason for rule in PASSAGE_RULES if (reason := rule(reading)) is not None), None)


def missing_subject(reading: Reading) -> str | None:
    """Why the passages cannot be about the question ("no passage retrieved names Microsoft" for "How much did
    Microsoft offer to acquire iRobot?"): a short question names someone or something, and no retrieved passage
    names any of them, even by a short form. None for longer questions (their names are spread over several
    articles, not all retrieved), questions naming no one, or when a passage names one."""
    subject = [n for n in reading.subject if not looks_like_publisher(n)]  # publishers: rule 1's to judge
    if len(reading.question.split()) > _MAX_KIND_WORDS or not subject or reading.about(subject, short_forms=True):
        return None
    return f"no passage retrieved names {_either(subject)}"


# "Who won Super Bowl LVIII?", "Which team won the AFLW grand final?": the winner of a named contest
_WHO_WON = re.compile(r"^\s*(?:who|which\s+[\w-]+)\s+won\s+(?P<contest>[^?]+?)\s*\??\s*$", re.I)
_RESULT = re.compile(
    r"\b(?:(?<!be\s)won|wins|(?:re-?)?elected|beat|defeated|defeats|victory|victories|victorious|champions?|"
    r"crowned|clinched|triumph(?:ed|s)?|prevailed|edged|lost|winners?|fell\s+to|"
    r"claimed\s+(?:the\s+)?(?:title|trophy|crown))\b|\b\d{1,3}-\d{1,3}\b",
    re.I,
)

# A part of a contest ("Game 2", "the semi-final", "the first leg"): its result is not the contest's
_PART_OF_CONTEST = re.compile(
    r"\b(?:game|match|week|round|leg|heat|stage)\s+(?:\d+|one|two|three|four|five|six|seven)\b"
    r"|\b(?:semi|quarter)[- ]?finals?\b|\b(?:first|second|opening)[- ]leg\b|\b(?:group|knockout)\s+stages?\b"
    r"|\bround[- ]robin\b|\b(?:last|previous)\s+(?:year|season)['’]s\b",  # "who lost last year's final to Canada"
    re.I,
)
# A sentence that tells what is still to come ("Australia will face an Italy team ..., who beat Djokovic"): a result
# it names is another contest's
_TO_COME_RESULT = re.compile(  # also a result only dreamt of: "Djokovic's dream of ... blasting Serbia past Australia"
    r"\b(?:will|would|could|set\s+to|seeks?|bid\s+to|hop(?:e|es|ing)\s+to|chance\s+to|dream(?:s|ed)?\s+of)\b", re.I
)
_WORDLESS = re.compile(r"[\W_]+")  # "semi-final" and "semifinal" are one part


def _has_all(text: str, keys: Sequence[str]) -> bool:
    """Whether every stem of `keys` is in `text`, even inside a word ("elect" in "reelected") or across a hyphen
    ("semifinal" in "semi-final")."""
    letters = _WORDLESS.sub("", text.lower())
    return all(k in letters for k in keys)


def _names_in(reading: Reading, pattern: re.Pattern[str], part: str) -> tuple[re.Match[str], list[str]] | None:
    """The question's match of `pattern` and the question's names inside its group `part`; None when the question
    does not match or names no one there."""
    m = pattern.match(reading.question)
    if m is None:
        return None
    named = [n for n in reading.subject if n in m.group(part)]
    return (m, named) if named else None


def missing_result(reading: Reading) -> str | None:
    """Why the passages cannot say who won the contest asked about (rule 16): no sentence of a passage naming all of
    the contest's names (or a title of such an article) names one of them along with a word of a result, and no part
    of the contest the question does not name ("Game 2", "the semi-final", "a World Series game", "last year's
    final") or only another year than the question's, no word of what is still to come ("will face"), and every
    word of the contest's own ("grand final", "fight"), unless it is an article's title. None for
    other questions, or a contest the question names no one in ("who won the game")."""
    if (asked := _names_in(reading, _WHO_WON, "contest")) is None:
        return None
    m, contest = asked
    parts = {_WORDLESS.sub("", p.lower()) for p in _PART_OF_CONTEST.findall(m.group("contest"))}
    years = set(_YEAR_ASKED.findall(m.group("contest")))
    kind = key_words(m.group("contest"), contest)  # "grand final", "fight": the contest's own words
    one_game = re.compile("|".join(rf"\b{re.escape(n)}\s+(?:game|match)\b" for n in contest), re.I)
    for p in reading.passages:
        if not all(reading.names_it(p, n, short_forms=True) for n in contest):
            continue
        for sentence in [p.title, *split_sentences(p.text)]:
            if (
                any(_WORDLESS.sub("", part.lower()) not in parts for part in _PART_OF_CONTEST.findall(sentence))
                or (not parts and one_game.search(sentence))
                or (years and (said := set(_YEAR_ASKED.findall(sentence))) and not said & years)
                or _TO_COME_RESULT.search(sentence)
            ):
                continue  # "won Game 2 of the 2023 World Series", "a World Series game", "won the 2022 World Series"
            if (
                _RESULT.search(sentence)
                and any(_mentions(sentence, v) for n in contest for v in variants(n))
                and (sentence is p.title or _has_all(sentence, kind))
            ):
                return None
    return f"no passage says who won {m.group('contest')}"


# "Why did Barry Napier step down as CEO?", "Why was Sam Altman fired?": a departure the question takes for given
_WHY_LEFT = re.compile(
    r"^\s*why\s+(?:did|has|had|was|were|is|does|do)\s+(?P<who>[^?]+?)\s+(?:suddenly\s+|abruptly\s+)?"
    r"(?P<act>resign(?:ed)?|step(?:ped)?\s+down|quit|leave|left|depart(?:ed)?"
    r"|(?:get|got|be|been)\s+(?:fired|sacked|ousted)|fired|sacked|ousted|retire[d]?)\b",
    re.I,
)
_LEFT = re.compile(
    r"\b(?:resign\w*|step(?:s|ped|ping)?\s+down|stood\s+down|quit\w*|left|leav(?:e|es|ing)|depart\w*|exit\w*|"
    r"fired|firing|ousted|ouster|oust(?:s|ing)?|sack(?:ed|ing)|dismiss\w*|removed|removal|let\s+go|relieved|"
    r"retir\w*|walk(?:s|ed)?\s+away|out\s+as)\b",
    re.I,
)
_THE_ROLE = re.compile(  # "The founder ...", "The 59-year-old ..."
    r"(?:[Tt]he|[Tt]his)\s+(?:[a-z][\w-]*\s+){0,2}?(?:founder|executive|chief|boss|coach|manager|chairman|"
    r"chairwoman|president|director|minister|player|star|leader|\d+-year-old)\b"
)
_NEGATED = re.compile(r"\b(?:never|not|no|n['’]t)\s+(?:[\w'’]+\s+)?$", re.IGNORECASE)  # "never quit", "didn't leave"
_LEFT_AS = {"leave": "left", "quit": "quit", "fired": "was fired", "sacked": "was sacked", "ousted": "was ousted"}


def missing_departure(reading: Reading) -> str | None:
    """Why the passages cannot say why someone left (rule 17): the question asks why a person resigned, stepped
    down, quit, left or was fired, and no sentence of a passage about them tells of a departure ("resigned",
    "stepped down", "ousted", ...; not "never quit") while naming them (by a short form too), as "He ..." right
    after a sentence that does, or as "The founder ..." in a passage naming them. None for other questions, or a
    person the question does not name."""
    if (asked := _names_in(reading, _WHY_LEFT, "who")) is None:
        return None
    m, who = asked
    called = _called(who)
    for p in reading.about(who, short_forms=True, articles=True):
        for sentence, context in _in_context(p.text):
            if not any(not _NEGATED.search(sentence, 0, m.start()) for m in _LEFT.finditer(sentence)):
                continue  # "I have never quit being a soldier" tells of no departure
            if _THE_ROLE.match(sentence) and any(reading.names_it(p, n, short_forms=True) for n in who):
                return None  # "The founder ... resigned from Reddit's board" in a passage naming Alexis Ohanian
            if any(_mentions(context if pronoun_led(sentence) else sentence, v) for v in called):
                return None
    return f"no passage says {m.group('who')} {_past(m.group('act'))}"


# "Why did Valve delay the Steam Deck OLED?": other acts a why-question takes for given, each with the words news
# tells it in (as `_LEFT` for a departure). A passage about the subject must have one of them.
_WHY_DID = re.compile(r"^\s*why\s+(?:did|has|had|was|were|is|are|does|do)\s+(?P<rest>[^?]+?)\s*\??\s*$", re.I)
_TOLD_AS = tuple(
    (re.compile(rf"\b(?:{asked})\b", re.I), re.compile(rf"\b(?:{told})", re.I))
    for asked, told in (
        (r"delay(?:ed|ing|s)?|postpon\w*|push(?:ed)?\s+back", r"delay|postpon|push(?:ed|ing)?\s+back|reschedul"),
        (r"cancel\w*|scrap(?:ped|s)?|axe[ds]?|call(?:ed)?\s+off", r"cancel|scrap|ax(?:e|ed|ing)\b|call\w*\s+off"),
        (r"sue[ds]?|suing", r"sue[ds]?\b|suing|lawsuit|suit\b|legal\s+action|complaint"),
        (r"ban(?:ned|s)?", r"ban\b|bann|bans\b|prohibit|barred"),
        (r"withdr[ae]w\w*|pull(?:ed)?\s+out", r"withdr[ae]w|pull(?:ed|ing|s)?\s+out|exit|quit|abandon"),
        (r"raise[ds]?|rais(?:ing)|hike[ds]?", r"rais|hike|increas|lift|boost"),
        (r"turn(?:ed|s)?\s+down|declin(?:e|ed|es)|reject(?:ed|s)?|refus(?:e|ed|es)|snub(?:bed|s)?",
         r"turn\w*\s+down|declin|reject|refus|snub"),
    )
)


def missing_premise(reading: Reading) -> str | None:
    """Why the passages cannot say why something was done (rule 18): the question asks why its subject delayed,
    cancelled, sued, banned, withdrew from, raised or turned down something, and no passage about the subject tells
    of that act in any of the words news uses for it ("postponed", "scrapped", "lawsuit", "pulled out", "declined").
    None for other questions, or a subject the question does not name."""
    m = _WHY_DID.match(reading.question)
    if m is None or not reading.subject:
        return None
    acts = [(found, told) for asked, told in _TOLD_AS if (found := asked.search(m.group("rest")))]
    if not acts:
        return None
    found, told = acts[0]
    about = reading.about(short_forms=True, articles=True)
    if not about or any(told.search(f"{p.title}. {p.text}") for p in about):
        return None
    return f"no passage about {_either(reading.subject)} has “{found.group(0).lower()}” or a word for it"


# "When did Shohei Ohtani sign his deal with the New York Yankees?": an agreement with a partner the question names
_PACT = r"sign(?:s|ed|ing)?|deals?|contracts?|agree(?:s|d|ment|ments)?|join(?:s|ed)?|partner\w*|merge[ds]?|merger|pact"
_WITH_PARTNER = re.compile(
    rf"\b(?P<act>{_PACT})\b[^?]*?\bwith\s+(?P<the>the\s+)?(?P<partner>[A-Z][^?]*?)"
    r"(?:\s+(?:worth|run|for|in|on|to|after|before|since|last|this|next|and|or)\b[^?]*)?\s*\??$"
)
_PACT_WORDS = re.compile(rf"\b(?:{_PACT}|contract\w*|sign\w*)\b", re.I)
_QUOTED_TITLE = re.compile(r"""(?:^|(?<=\s))['‘"“][^'’"”]+['’"”](?=[\s?.,!]|$)""")
_PARTNER_REACH = 6  # words between a word of the agreement and the partner's name in a sentence that pairs them


def missing_partner(reading: Reading) -> str | None:
    """Why the passages cannot say something of an agreement with the partner the question names (rule 19: "no
    passage tells of Shohei Ohtani signing with the New York Yankees"): the question asks of its subject's deal
    (contract, signing, merger, partnership) with a named partner, and no sentence of a passage about the subject
    names the partner within a few words of a word of the agreement ("$700 million deal with Dodgers"). None for
    other questions, or a question naming no one besides the partner."""
    m = _WITH_PARTNER.search(_QUOTED_TITLE.sub("", reading.question))  # not "Amazon's 'Explore with Alexa' feature"
    if m is None or len(reading.question.split()) > _MAX_KIND_WORDS:
        return None
    partner = [n for n in reading.subject if n in m.group("partner")]
    others = [n for n in reading.subject if n not in partner and n not in m.group("partner")]
    if not partner or not others:
        return None
    called = [v for n in partner for v in variants(n)]
    for p in reading.about(others, short_forms=True, articles=True):
        for sentence in [p.title, *split_sentences(p.text)]:
            for act in _PACT_WORDS.finditer(sentence):
                before, after = sentence[: act.start()].split(), sentence[act.start() :].split()
                near = " ".join(before[-_PARTNER_REACH:] + after[: _PARTNER_REACH + 1])
                if any(_mentions(near, v) for v in called):
                    return None
    named = ("the " if m.group("the") else "") + _either(partner)
    if m.group("act").lower().startswith("sign"):
        return f"no passage tells of {_either(others)} signing with {named}"
    return f"no passage tells of a deal between {_either(others)} and {named}"


# "Did Judge Amit Mehta find that Google broke antitrust law?", "Did the jury convict Sam Bankman-Fried of fraud?": a
# yes-or-no question about a verdict, which a passage must tell as given, not as to come ("if the judge rules ...")
_DID_RULE = re.compile(
    r"^\s*(?:did|has|have|had)\s+(?P<who>[^?]+?)\s+(?P<act>find|found|rule[d]?|decide[d]?|conclude[d]?|"
    r"convict(?:ed)?|acquit(?:ted)?|sentence[d]?|dismiss(?:ed)?|side[d]?|thr(?:ow|own|ew)\s+out|toss(?:ed)?(?:\s+out)?)"
    r"\s+(?P<what>[^?]+?)\s*\??\s*$",
    re.I,
)
_VERDICT = re.compile(
    r"\b(?:ruled|rules|found|finds|decided|concluded|convicted|acquitted|sentenced|dismissed|sided|held\s+that|"
    r"determined|verdict|ruling|judgment|judgement)\b",
    re.I,
)
_NOT_YET = re.compile(  # "If Judge Amit Mehta rules against Google", "a ruling is expected next year"
    r"\b(?:if|whether|unless|once|will|would|could|may|might|expected|set\s+to|yet\s+to|due\s+to|await\w*|"
    r"pending|upcoming)\b",
    re.I,
)
_DOING = {  # a verdict's verb as the question writes it, in its -ing form
    form: doing
    for doing, forms in (
        ("finding", "find found"), ("ruling", "rule ruled"), ("deciding", "decide decided"),
        ("concluding", "conclude concluded"), ("convicting", "convict convicted"), ("acquitting", "acquit acquitted"),
        ("sentencing", "sentence sentenced"), ("dismissing", "dismiss dismissed"), ("siding", "side sided"),
        ("throwing out", "throw_out thrown_out threw_out"), ("tossing out", "toss tossed toss_out tossed_out"),
    )
    for form in forms.split()
}
_COURT = re.compile(r"\b(?:judges?|courts?|jur(?:y|ies|ors?)|justices?|panel|tribunal)\b", re.I)


def missing_ruling(reading: Reading) -> str | None:
    """Why the passages cannot say whether a verdict was given (rule 20: "no passage tells of Judge Amit Mehta
    finding that Google broke antitrust law"): the question asks whether a judge, court or jury (named, or one the
    question's names place: "the judge" of "the Snapchat fentanyl lawsuit") found, ruled, decided, convicted,
    sentenced or threw something out, and no sentence of a passage about the question's names tells of a verdict
    ("ruled", "found", "dismissed", "verdict") while naming the judge or a court, sharing a word with what the
    question says was decided, without a word of what is still to come ("if", "will", "expected") before it. None
    for other questions, or a question that names no one."""
    m = _DID_RULE.match(reading.question)
    if m is None or not reading.subject:
        return None
    who = [n for n in reading.subject if n in m.group("who")]
    if not who and not _COURT.search(m.group("who")):
        return None
    decided = key_words(m.group("what"), reading.subject) or _stems(_WORDS.findall(m.group("what")))
    called = _called(who)
    for p in reading.about(short_forms=True, articles=True):
        for sentence in [p.title, *split_sentences(p.text)]:
            if not (_COURT.search(sentence) or any(_mentions(sentence, v) for v in called)):
                continue  # "Perla Mendoza, a parent in the suit, found that Snap did little ...": no court's finding
            for verdict in _VERDICT.finditer(sentence):
                if not _NOT_YET.search(sentence, 0, verdict.start()) and _shares_stem(sentence, decided):
                    return None
    act = _DOING[re.sub(r"\s+", "_", m.group("act").lower())]
    return f"no passage tells of {m.group('who')} {act} {m.group('what')}"


def _past(act: str) -> str:
    """A departure as the question wrote it, in the past: "step down" -> "stepped down", "resign" -> "resigned",
    "get fired" -> "was fired", "leave" -> "left"."""
    words = act.lower().split()
    if words[0] in ("get", "got", "be", "been"):
        words = words[1:]
    first = words[0]
    if first in _LEFT_AS:
        return " ".join([_LEFT_AS[first], *words[1:]])
    if not first.endswith("ed") and first != "left":
        first += "ped" if first == "step" else "d" if first.endswith("e") else "ed"
    return " ".join([first, *words[1:]])


# Rules 4 to 11 and 13 to 20, in the order they are tried (after rule 12): the first reason found is the one shown.
PASSAGE_RULES: tuple[Callable[[Reading], str | None], ...] = (
    missing_attribute,
    missing_count,
    missing_kind,
    missing_successor,
    missing_role,
    missing_currency,
    missing_year,
    missing_report,
    missing_from_source,
    missing_words,
    missing_thing,
    missing_result,
    missing_departure,
    missing_premise,
    missing_partner,
    missing_ruling,
)
