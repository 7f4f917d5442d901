"""Read a news question for what it names: publishers and publication dates or periods, and split it into parts.

"Did TechCrunch report on X on October 13, 2023, before The Verge covered Y?" becomes two parts, each with its own
metadata filter: (TechCrunch, 2023-10-13) and (The Verge, no date). Only publishers actually present in the store
are recognised; a question that names none of them (and no date) gives an empty plan and is searched as a whole.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from newsdesk.text import ALIASES, STOP_WORDS

_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
_MONTHS["sept"] = 9
_MONTH = r"(?P<{g}>January|February|March|April|May|June|July|August|September|October|November|December" \
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_YEAR = r"(?P<{g}>(?:19|20)\d\d)"
_DATE_PATTERNS = [
    # 2023-10-13
    re.compile(r"\b" + _YEAR.format(g="y") + r"-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b"),
    # October 13, 2023 / Oct. 13 2023 / October 13th
    re.compile(
        r"\b" + _MONTH.format(g="mon") + r"\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+" + _YEAR.format(g="y") + r"\b)?"
    ),
    # 13 October 2023
    re.compile(
        r"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.format(g="mon")
        + r"(?:,?\s+" + _YEAR.format(g="y") + r"\b)?"
    ),
]
_PART_OF = r"(?:(?P<part>early|late|mid|the\s+(?:start|beginning|end|middle)\s+of)[\s-]+)?"
# (early|late|mid-) October (2023) / (late) 2023 — a period, only after a word that makes it one.
_PERIOD_PATTERNS = [
    re.compile(
        r"\b(?P<lead>in|during|from|throughout|of|since|before|after|until)\s+" + _PART_OF + _MONTH.format(g="mon")
        + r"(?:,?\s+" + _YEAR.format(g="y") + r")?\b(?!\s+\d)",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?P<lead>in|during|from|throughout|of|since|before|after|until)\s+" + _PART_OF + _YEAR.format(g="y")
               + r"\b(?!-\d)", re.IGNORECASE),
]
_OPEN_ENDED = {"since": "after", "after": "after", "before": "before", "until": "before"}


@dataclass(frozen=True)
class DateRange:
    """Publication days `first`..`last`, inclusive; matched against the `date_ts` chunk metadata."""

    first: date
    last: date

    @property
    def start_ts(self) -> int:
        """Epoch seconds of the first day."""
        return calendar.timegm(self.first.timetuple())

    @property
    def end_ts(self) -> int:
        """Epoch seconds of the last day (the day start, as `date_ts` holds)."""
        return calendar.timegm(self.last.timetuple())

    def widened(self, days: int) -> DateRange:
        """The same range `days` wider on both sides (time zones move a publication day)."""
        return DateRange(self.first - timedelta(days=days), self.last + timedelta(days=days))


@dataclass(frozen=True)
class Mention:
    """Where the question names something: its character span and what it resolves to."""

    start: int
    end: int
    sources: tuple[str, ...] = ()
    dates: DateRange | None = None


@dataclass(frozen=True)
class QueryPart:
    """One thing to search for: the text, and the publishers and days it is restricted to (empty: any)."""

    text: str
    sources: tuple[str, ...] = ()
    dates: DateRange | None = None

    def where(self) -> dict[str, Any] | None:
        """The part's restriction as a Chroma metadata filter (None when unrestricted)."""
        clauses: list[dict[str, Any]] = []
        if self.sources:
            one = len(self.sources) == 1
            clauses.append({"source": self.sources[0]} if one else {"source": {"$in": list(self.sources)}})
        if self.dates:
            clauses.append({"date_ts": {"$gte": self.dates.start_ts}})
            clauses.append({"date_ts": {"$lte": self.dates.end_ts}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def label(self) -> str:
        """A short description for logs."""
        bits = list(self.sources)
        if self.dates:
            bits.append(f"{self.dates.first}..{self.dates.last}")
        return ", ".join(bits) or "(anything)"


@dataclass(frozen=True)
class QueryPlan:
    """The question, its parts (none: nothing was recognised, search the question as a whole) and its clauses."""

    question: str
    parts: tuple[QueryPart, ...] = field(default_factory=tuple)
    clauses: tuple[str, ...] = field(default_factory=tuple)


def fold(text: str) -> str:
    """Case- and diacritics-insensitive form of `text`, one character per character (offsets are preserved)."""
    if text.isascii():
        return text.lower()
    out = []
    for ch in text:
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base.casefold() if len(base.casefold()) == 1 else ch.casefold()[:1] or ch)
    return "".join(out)


_WORDS = re.compile(r"[^\W_]+")


_BRACKETED_NOTE = re.compile(r"\s*\([^()]*\)\s*$")  # a closing note: "Saltmarsh Gazette (fictional example)"
_TAGLINE = re.compile(r"\s+[|\-–—]\s+|:\s+")  # "The Roar | Sports Writers Blog", "Live Science: The Most ..."


def publisher_name(source: str) -> str:
    """The name a source is cited by: before its tagline or section ("BBC News" for "BBC News - Technology", "Live
    Science" for "Live Science: The Most Interesting Articles") and without a closing note in brackets."""
    return _BRACKETED_NOTE.sub("", _TAGLINE.split(source, maxsplit=1)[0]).strip()


def _aliases(source: str) -> set[str]:
    """Ways a question may name `source`: in full, without a leading "The", and by its `publisher_name`."""
    names = {source, publisher_name(source)}
    out = set()
    for name in names:
        words = _WORDS.findall(fold(name))
        if words and words[0] == "the" and len(words) > 1:
            out.add(" ".join(words[1:]))
        if words:
            out.add(" ".join(words))
    return {a for a in out if len(a.replace(" ", "")) >= 3}


class SourceMatcher:
    """Finds publisher names from a known list in free text."""

    def __init__(self, sources: Iterable[str]) -> None:
        by_alias: dict[str, set[str]] = {}
        for source in {s for s in sources if s and s.strip()}:
            for alias in _aliases(source):
                by_alias.setdefault(alias, set()).add(source)
        # A full name wins over a shared head: "The Independent - Sports" is one source, "The Independent" several.
        self._sources = {alias: tuple(sorted(found)) for alias, found in by_alias.items()}
        ordered = sorted(self._sources, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![^\W_])(?:the\s+)?(?P<alias>"
                + "|".join(r"[\W_]+".join(map(re.escape, a.split())) for a in ordered)
                + r")(?![^\W_])"
            )
            if ordered
            else None
        )

    def find(self, text: str) -> list[Mention]:
        """Every publisher named in `text`, left to right. A name written all in lower case is read as an
        ordinary phrase ("on the verge of", "a fortune"), not a publisher."""
        if self._pattern is None:
            return []
        folded = fold(text)
        mentions = []
        for m in self._pattern.finditer(folded):
            if not any(ch.isupper() for ch in text[m.start("alias") : m.end()]):
                continue
            alias = " ".join(_WORDS.findall(m.group("alias")))
            mentions.append(Mention(m.start(), m.end(), sources=self._sources[alias]))
        return mentions


def _year_for(month: int, corpus_span: tuple[date, date] | None) -> int:
    """The year a bare month most likely means: the latest one inside the corpus's span, else this year."""
    if corpus_span is None:
        return date.today().year
    first, last = corpus_span
    for year in range(last.year, first.year - 1, -1):
        if date(year, month, 1) <= last and date(year, month, calendar.monthrange(year, month)[1]) >= first:
            return year
    return last.year


def _month_range(year: int, month: int, part: str | None) -> DateRange:
    days = calendar.monthrange(year, month)[1]
    lo, hi = 1, days
    part = (part or "").lower()
    if part.startswith(("early", "the start", "the beginning")):
        hi = 10
    elif part.startswith(("mid", "the middle")):
        lo, hi = 11, 20
    elif part.startswith(("late", "the end")):
        lo = 21
    return DateRange(date(year, month, lo), date(year, month, hi))


def _year_range(year: int, part: str | None) -> DateRange:
    part = (part or "").lower()
    if part.startswith(("early", "the start", "the beginning")):
        return DateRange(date(year, 1, 1), date(year, 4, 30))
    if part.startswith(("mid", "the middle")):
        return DateRange(date(year, 5, 1), date(year, 8, 31))
    if part.startswith(("late", "the end")):
        return DateRange(date(year, 9, 1), date(year, 12, 31))
    return DateRange(date(year, 1, 1), date(year, 12, 31))


def _open_ended(lead: str | None, span: DateRange, corpus_span: tuple[date, date] | None) -> DateRange:
    """"before October" / "since October 5": from the corpus start, or up to its end."""
    side = _OPEN_ENDED.get((lead or "").lower())
    lowest, highest = corpus_span or (date(1900, 1, 1), date(2999, 12, 31))
    if side == "before":
        return DateRange(min(lowest, span.first - timedelta(days=1)), span.first - timedelta(days=1))
    if side == "after":
        return DateRange(span.last + timedelta(days=1), max(highest, span.last + timedelta(days=1)))
    return span


def find_dates(text: str, corpus_span: tuple[date, date] | None = None) -> list[Mention]:
    """Publication days and periods named in `text`: full dates ("November 1, 2023", "2023-11-01"), and periods
    after a word that makes them one ("in October", "in late 2023", "before November 5"). A bare year or month
    with no such word ("the 2021 deal") is content, not a date to filter on."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            month = int(m.group("m")) if "m" in m.groupdict() and m.group("m") else _MONTHS[m.group("mon").lower()]
            year = int(m.group("y")) if m.group("y") else _year_for(month, corpus_span)
            try:
                day = date(year, month, int(m.group("d")))
            except ValueError:
                continue
            start = m.start()
            lead = re.search(r"\b(since|before|after|until)\s+(?:on\s+)?$", text[max(0, start - 12) : start], re.I)
            span = _open_ended(lead.group(1) if lead else None, DateRange(day, day), corpus_span)
            found.append(Mention(start, m.end(), dates=span))
            taken.append((m.start(), m.end()))
    for pattern in _PERIOD_PATTERNS:
        for m in pattern.finditer(text):
            begin = m.start("part") if m.group("part") else (m.start("mon") if "mon" in m.groupdict() else m.start("y"))
            if not free(begin, m.end()):
                continue
            groups = m.groupdict()
            if groups.get("mon"):
                month = _MONTHS[groups["mon"].lower().rstrip(".")]
                year = int(groups["y"]) if groups.get("y") else _year_for(month, corpus_span)
                span = _month_range(year, month, groups.get("part"))
            else:
                span = _year_range(int(groups["y"]), groups.get("part"))
            found.append(Mention(begin, m.end(), dates=_open_ended(groups.get("lead"), span, corpus_span)))
            taken.append((begin, m.end()))
    return sorted(found, key=lambda x: x.start)


_CLAUSE_BREAK = re.compile(r"[,;:?!()]|\s(?:and|while|whereas|but|yet|or|as well as)\s", re.IGNORECASE)
_CLAUSE_WORD = re.compile(r"[^\W_]+")
# Words that say where or how something was reported, not what: they do not make a clause worth searching alone.
_NOT_CONTENT = STOP_WORDS | frozenset(
    """both either other another same later earlier following article articles report reports reported reporting
    according suggest suggests suggested indicate indicates published publish story stories coverage covered news
    source sources piece""".split()
)


def clauses(question: str, named: Sequence[Mention] = ()) -> tuple[str, ...]:
    """The question's clauses ("has influenced the internet's appearance", "invested billions to be the default
    search engine"), each searched on its own: a multi-hop question's evidence usually backs one clause each.
    Publisher and date mentions are cut out first; clauses of fewer than three content words are dropped."""
    text = list(question)
    for m in named:
        text[m.start : m.end] = "," * (m.end - m.start)
    out = []
    for piece in _CLAUSE_BREAK.split("".join(text)):
        words = [w for w in _CLAUSE_WORD.findall(piece.casefold()) if w not in _NOT_CONTENT]
        if len(words) >= 3:
            out.append(" ".join(piece.split()))
    return tuple(dict.fromkeys(out)) if len(out) > 1 else ()


@functools.lru_cache(maxsize=8)
def _matcher(sources: tuple[str, ...]) -> SourceMatcher:
    """One matcher per list of publishers (building one folds every name and compiles a pattern)."""
    return SourceMatcher(sources)


def plan_query(question: str, sources: Sequence[str], corpus_span: tuple[date, date] | None = None) -> QueryPlan:
    """Split `question` into parts by the publishers and dates it names.

    Each publisher mention is a part; a date belongs to the nearest publisher mention before it that has none yet
    (else the next one after it), and a date with no publisher left is a part of its own. Repeated identical parts
    are kept once.
    """
    named = _matcher(tuple(sources)).find(question)
    dated = find_dates(question, corpus_span)
    slots: list[list[Any]] = [[m, None] for m in named]
    loose: list[DateRange] = []
    for d in dated:
        before = [s for s in slots if s[0].end <= d.start]
        free_after = [s for s in slots if s[0].start >= d.end and s[1] is None]
        free_before = [s for s in before if s[1] is None]
        if before and before[-1][1] is None:
            before[-1][1] = d.dates
        elif free_after:
            free_after[0][1] = d.dates
        elif free_before:
            free_before[-1][1] = d.dates
        elif before:  # a second date for the same publisher: "TechCrunch's articles of October 1 and October 7"
            slots.append([before[-1][0], d.dates])
        else:
            loose.append(d.dates)  # type: ignore[arg-type]
    parts = [QueryPart(question, mention.sources, dates) for mention, dates in slots]
    parts.extend(QueryPart(question, (), d) for d in loose)
    return QueryPlan(question, tuple(dict.fromkeys(parts)), clauses(question, [*named, *dated]))


_BROAD = frozenset("us usa uk eu un ai ev evs gop".split())  # too common a word to search for: every story has one


def _alias_patterns() -> list[tuple[re.Pattern[str], tuple[str, ...]]]:
    out = []
    for short, longs in ALIASES.items():
        if short in _BROAD:
            continue
        out.append((re.compile(rf"\b{short.upper()}s?\b"), longs))  # an acronym as written: "US", never "us"
        for long in longs:
            out.append((re.compile(rf"\b{re.escape(long)}\b", re.IGNORECASE), (short.upper(),)))
    return out


_ALIAS_PATTERNS = [
    *_alias_patterns(),
    # "Who runs Binance now?", "Binance's boss": a firm's leader is written as its CEO
    (re.compile(r"\bwho\s+runs\b|\bboss(?:es)?\b", re.IGNORECASE), ("CEO", "chief executive")),
    # "Who created Pokémon?": a maker is often written by the noun ("series creator Satoshi Tajiri")
    *(
        (re.compile(rf"\bwho\s+(?:co-?)?{verb}\b", re.IGNORECASE), nouns)
        for verb, nouns in (
            ("founded", ("founder",)), ("created", ("creator",)), ("invented", ("inventor",)),
            ("designed", ("designer",)), ("directed", ("director",)), ("composed", ("composer",)),
            ("wrote", ("writer", "author")),
        )
    ),
]


def with_aliases(text: str) -> str:
    """`text` followed by the other forms (ALIASES) of the acronyms and phrases it writes: "Who is Spotify's CFO?"
    also searches "chief financial officer", "chief executive" also "CEO"."""
    extra = [form for pattern, forms in _ALIAS_PATTERNS if pattern.search(text) for form in forms]
    return " ".join([text, *dict.fromkeys(extra)])
