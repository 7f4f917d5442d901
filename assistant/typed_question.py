"""A question as people type it into a chat box: shorthand spelled out ("what yr", "8 wkts") and, when it is all
lower case, its names recased the way the store writes them ("jada pinkett smith" → "Jada Pinkett Smith", "openai"
→ "OpenAI", "ceo" → "CEO", "what did the verge say" → "What did The Verge say").

Reading a question leans on capitals: its subject is the capitalised words, and the refusal rules check that some
passage names them. A question typed in lower case names nothing, so without this nothing would be refused for
naming what the articles lack, and role words would be mistaken for names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from assistant.keyword import KeywordView
from assistant.query import publisher_name
from ingest.embed import common_words
from ingest.sentences import is_abbreviation
from newsdesk.text import STOP_WORDS, shouted
from newsdesk.types import Passage

# Shorthand of chat and sports pages, written in lower case; an upper-case "TD" or "ISP" is an alias instead
# (newsdesk.text.ALIASES).
SHORTHAND = {
    "yr": "year", "yrs": "years", "wk": "week", "wks": "weeks", "wkt": "wicket", "wkts": "wickets",
    "pts": "points", "yds": "yards", "mins": "minutes", "hrs": "hours", "govt": "government", "dept": "department",
    "qb": "quarterback", "qbs": "quarterbacks", "ints": "interceptions", "xmas": "Christmas",
    "eps": "earnings per share", "ppl": "people", "wknd": "weekend", "w": "with", "bc": "because", "abt": "about",
    "thru": "through", "r": "are", "ur": "your", "didnt": "didn't", "doesnt": "doesn't", "wasnt": "wasn't",
}
_SHORTHAND = re.compile(rf"\b(?:{'|'.join(SHORTHAND)})\b(?![.&'’-])")  # not "r.i.p.", "r&b"
_TOKEN = re.compile(r"[^\W_][\w'’.&-]*[^\W_]|[^\W_]")
_POSSESSIVE = re.compile(r"['’]s$")
_AFTER_SENTENCE = re.compile(r"(?:^|[.!?:;\"“”]\s*|\n\s*)$")
_TITLECASE = re.compile(r"\b[A-Z][a-z]")


# "nascar 7.7b media deal - how many yrs?": the topic typed first, then the question
_TOPIC_FIRST = re.compile(
    r"^(?P<topic>(?!(?:how|what|who|whom|whose|when|where|why|which)\b)[^?]{3,}?)\s*(?:\s[-–—]\s|:\s)\s*"
    r"(?P<ask>(?:how|what|who|whom|whose|when|where|why|which|did|does|do|is|are|was|were|has|have|will|can)\b[^?]*)"
    r"\?*\s*$",
    re.IGNORECASE,
)


def spell_out(question: str) -> str:
    """`question` with lower-case shorthand written in full ("what yr" → "what year", "8 wkts" → "8 wickets"), and
    a question typed after its topic put first, the topic after it in parentheses as a follow-up carries one
    ("nascar 7.7b media deal - how many yrs?" → "how many years (nascar 7.7b media deal)")."""
    question = _SHORTHAND.sub(lambda m: SHORTHAND[m.group()], question)
    if m := _TOPIC_FIRST.match(question):
        return f"{m.group('ask').strip()} ({m.group('topic').strip()})"
    return question


def typed_in_lower_case(question: str) -> bool:
    """Whether the question writes no word in title case after its first: "who leads openai", "who's the CEO of
    binance", not "Who leads OpenAI?"."""
    first = _TOKEN.search(question)
    return not _TITLECASE.search(question, first.end() if first else 0)


def _opens_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens a sentence, a line or a quote, where any word is capitalised; a full stop of
    an abbreviation ("U.S. Soccer", "Dr. Ng") ends none."""
    if not (m := _AFTER_SENTENCE.search(text, max(0, start - 3), start)):
        return False
    dot = text.rfind(".", m.start(), start)
    return dot < 0 or text[m.start() : start].strip() != "." or not is_abbreviation(text, dot)


def _headline_case(title: str) -> bool:
    """Whether a title capitalises its words whatever they are ("The Soccer Star on the Verge of Breaking an
    89-Year-Old Record"), so its capitals say nothing of which words are names."""
    words = [w for w in _TOKEN.findall(title) if w.lower() not in STOP_WORDS and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _titled(passage: Passage) -> str:
    """A passage's text to read forms from: after its title unless the title is in headline case."""
    return passage.text if _headline_case(passage.title) else f"{passage.title}.\n{passage.text}"


class _Forms:
    """How the passages write each word: its capitalised forms away from a sentence's start, and how often it is
    written in lower case."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.upper: dict[str, Counter[str]] = {}
        self.lower: Counter[str] = Counter()
        self.text = ""
        self._read("\n".join(_titled(p) for p in passages))

    def _read(self, text: str) -> None:
        self.text += "\n" + text
        # "COUNTRY STAR CRAIG MORGAN ...": a link in capitals writes no name's case
        text = "\n".join("" if shouted(line) else line for line in text.split("\n"))
        for m in _TOKEN.finditer(text):
            word = _POSSESSIVE.sub("", m.group())
            key = word.lower()
            if word == key:
                self.lower[key] += 1
            elif not _opens_sentence(text, m.start()):
                self.upper.setdefault(key, Counter())[word] += 1

    def add(self, passages: Sequence[Passage]) -> _Forms:
        """These forms with those of more passages."""
        self._read("\n".join(_titled(p) for p in passages))
        return self

    def capitalised_pair(self, pair: str) -> bool:
        """Whether the passages write two words as `pair` ("Will Smith") away from a sentence's start more often than
        in other cases ("will smith"); opening a sentence ("The Steam Deck ...") counts neither way."""
        found = re.compile(rf"(?<![\w'’]){re.escape(pair)}(?![\w'’])", re.IGNORECASE)
        named = other = 0
        for m in found.finditer(self.text):
            if m.group() != pair:
                other += 1
            elif not _opens_sentence(self.text, m.start()):
                named += 1  # opening a sentence, it says nothing either way
        return named > other

    def cased(self, key: str, common: bool = False) -> str | None:
        """The capitalised form the passages write `key` in more often than in lower case, if any; for a `common`
        word ("fortune", "new", "verge"), at least `COMMON_CAPITALISED` times and more than twice as often, as
        what often heads a name ("The New York Times", "The Verge") is no name on its own."""
        forms = self.upper.get(key)
        if not forms:
            return None
        form, upper = forms.most_common(1)[0][0], sum(forms.values())
        strict = common and not form.isupper()  # "CEO" for "ceo" is an acronym, not a name a word heads
        if upper <= self.lower[key] * (2 if strict else 1) or (strict and upper < COMMON_CAPITALISED):
            return None
        return form


_ASKED_NOUN = re.compile(r"^(?:which|what|whose)$", re.IGNORECASE)  # "which university ...": the noun asked for
_LETTERS_AND_DIGITS = re.compile(r"(?=[a-z-]*\d)(?=\d*[a-z])[a-z\d-]{2,12}")  # letters and digits: "cop29", "ps5"
COMMON_CAPITALISED = 2  # capitalised uses a common word needs to be read as a name
SAMPLE = 10  # chunks read for how the store writes a word the retrieved passages do not


_CITING = r"(?:according\s+to|in|from|by|did|does|do|has|have|had|per|via)"
_REPORTS = r"(?:say|says|said|report|reports|reported|write|writes|wrote|cover|covers|covered|article|piece|story)"


def _publishers_named(question: str, sources: Sequence[str]) -> str:
    """`question` with each publisher of the store it cites in lower case written as the store does: after "according
    to", "did", "in", ... or before "say", "report", ... ("what did the verge say" → "what did The Verge say"), not
    elsewhere ("on the verge of collapse", "Elon Musk's fortune")."""
    for source in sorted(sources, key=len, reverse=True):
        name = publisher_name(source)
        bare = re.escape(re.sub(r"^the\s+", "", name, flags=re.IGNORECASE).lower())
        if len(bare) < 3:
            continue
        cited = re.compile(
            rf"(?<![\w'’])(?P<by>{_CITING}\s+)(?P<the>the\s+)?{bare}(?![\w'’])"
            rf"|(?<![\w'’])(?P<the2>the\s+)?{bare}(?=\s+{_REPORTS}\b)",
            re.IGNORECASE,
        )
        own_the = name.lower().startswith("the ")  # "the verge" is "The Verge"; "the harbor times" keeps its "the"
        question = cited.sub(
            lambda m: (m.group("by") or "") + ("" if own_the else m.group("the") or m.group("the2") or "") + name,
            question,
        )
    return question


def recased(question: str, passages: Sequence[Passage], index: KeywordView) -> str:
    """`question` as typed or, when it is typed in lower case (`typed_in_lower_case`), with its first letter
    capitalised and its names written as the store writes them.

    A publisher of the store is written as the store writes it where the question cites it (`_publishers_named`). A
    word is recased to the capitalised form the retrieved passages (or, when they lack it, the first chunks holding
    it; their titles unless in headline case, and never a word opening a sentence) write more often than its
    lower-case one ("binance" → "Binance", "reuters" → "Reuters"); a word of everyday
    English (`common_words`: "new", "fortune", "verge") needs `COMMON_CAPITALISED` capitalised uses and twice as
    many as lower-case ones. A code of letters and digits no chunk holds is taken for a name the refusal rules then
    look for ("cop29" → "COP29"); a word no chunk holds is left alone ("jurors" may be missing from a small store,
    and a name read from it would refuse the question). A word beside a recased one is recased too when the passages
    write the pair capitalised more often than not ("will smith" → "Will Smith", but "who will lead Binance" keeps
    "will"). The question word and the word right after "which", "what" or an opening "how" stay.
    """
    if not typed_in_lower_case(question):
        return question
    question = question[:1].upper() + question[1:]
    forms, common = _Forms(passages), common_words()
    question = _publishers_named(question, index.sources())
    tokens = list(_TOKEN.finditer(question))
    kept = {0, 1} if tokens and tokens[0].group().lower() == "how" else {0}  # "how old ...", not "... about how X"
    kept |= {k + 1 for k, m in enumerate(tokens) if _ASKED_NOUN.match(m.group())}
    out: dict[int, str] = {}
    for k, m in enumerate(tokens):
        word = m.group()
        base = _POSSESSIVE.sub("", word)
        if k in kept or not base.islower() or base in STOP_WORDS:
            continue
        usual = base in common
        form = forms.cased(base, usual)
        if form is None and (sample := index.holding(base, SAMPLE)):
            form = forms.add(sample).cased(base, usual)
        elif form is None and _LETTERS_AND_DIGITS.fullmatch(base) and index.chunks_with(base) == 0:
            form = base.upper()  # "cop29": a code no chunk holds, a name to look for, not a word of the language
        if form:
            out[k] = form + word[len(base) :]
    changed = True
    while changed:
        changed = False
        for k, m in enumerate(tokens):
            word = m.group()
            if k in out or k in kept or not word.islower():
                continue
            mine = word[:1].upper() + word[1:]
            for j in (k + 1, k - 1):
                if j not in out:
                    continue
                other = _POSSESSIVE.sub("", out[j])  # "Will Smith" for "will smith's"
                if forms.capitalised_pair(f"{mine} {other}" if j > k else f"{other} {_POSSESSIVE.sub('', mine)}"):
                    out[k], changed = mine, True
                    break
    for k in sorted(out, reverse=True):
        m = tokens[k]
        question = question[: m.start()] + out[k] + question[m.end() :]
    return _named_alone(question)


WHO_IS_OPENER = r"who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+"
"""How a question asking who someone is opens ("Who is", "who's", "Who were"), for one to match in any case."""
# "who is ingrid vasquez": after "who is", words that are not words of the language name someone
_WHO_IS_LOWER = re.compile(rf"^(?P<ask>(?i:{WHO_IS_OPENER}))(?P<name>[^?]+?)(?P<end>\s*\??\s*)$")


def _named_alone(question: str) -> str:
    """`question` with the lower-case words after "Who is" capitalised when they are all it asks about, none is a
    stop word or a verb's form ("-ing", "-ed") and one is no word of everyday English (`common_words`): "Who is
    ingrid vasquez" → "Who is Ingrid Vasquez", a person the store may lack, which the refusal rules then look for;
    "Who is the mayor" and "Who's running Brightpath" stay."""
    m = _WHO_IS_LOWER.match(question)
    if m is None:
        return question
    words = m.group("name").split()
    lower = [w for w in words if w.islower()]
    if (
        len(words) > 4
        or not lower
        or any(w.lower() in STOP_WORDS or not w[0].isalpha() or w.endswith(("ing", "ed")) for w in words)
        or all(w in common_words() for w in lower)
    ):
        return question  # "who is the mayor", "who's running Brightpath", "who is sam": no name, or a known one
    name = " ".join(w if not w.islower() else w[:1].upper() + w[1:] for w in words)
    return m.group("ask") + name + m.group("end")
