"""Turn raw article text into clean text and metadata: Unicode normalisation, scraper junk, boilerplate lines
(links, captions, bylines, embedded tweets), title/date/source lines."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

# Zero-width characters, bidi controls and other invisible format characters (tag characters too, which can hide
# text from a reader but not from a model): never part of the news.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u061c\u180e\U000e0000-\U000e007f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# A footnote mark like `[3]` or `[3, 4]` in scraped text would read as the answer's citation markers: it becomes
# `(3)` or `(3, 4)`.
_MARKER = re.compile(r"\[(\s*\d+(?:\s*[,;–-]\s*\d+)*\s*)\]")

_JUNK_LINE = re.compile(
    r"""^\s*(?:
        <!--.*|!--.*|.*-->\s*$                          # HTML comments and their scraped halves
      | (?:</?[a-zA-Z][^>]*>\s*)+                         # nothing but HTML tags
      | .*\b(?:gtag|dataLayer|googletagmanager|google-analytics|fbq|_gaq)\b.*   # tracking snippets
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Boilerplate a news site puts around and between the paragraphs: the default answerer quotes sentences verbatim,
# so these would be quoted as news. `_LINE_RULES` drop a whole line, `_CUT_RULES` cut the end of one; the rule
# names are what `python -m bench.clean` counts. A rule with trigger words is tried only on a line that holds one of
# them (lower-cased): most lines skip the slow patterns. `(?-i:...)` parts are case-sensitive: capitals tell a byline
# or a teaser from a sentence.
_NAME = r"(?-i:[A-Z][\w'’.-]*(?:\ (?:[A-Z][\w'’.-]*|de|van|von|da|al))*)"  # a capitalised name: Jane Doe, Ana de Souza
_SENTENCE_START = r"(?:^|(?<=[.!?]\ )|(?<=[.!?][”\"’)]\ ))"  # where a sentence of a paragraph begins
# A photo credit ending a line: "(Photo by X/Getty Images)", "(Image credit: X)", "(AFP via Getty Images)",
# "Photograph: Name/Agency", "Credit: AP", "Mandatory Credit: Name-USA TODAY Sports", "Name | Bloomberg | Getty Images",
# "GIF by Name / The Verge"
_CREDIT = rf"""(?:
    \((?:top\ |file\ )?(?:photo|image|picture)s?(?:\ credits?)?\s*(?:by\b|:)[^()]*\)
  | \([^()]*\b(?:getty\ ?images|shutterstock|ap\ photo)\b[^()]*\)
  | (?:mandatory\ )?(?:photograph|photographer|photo|image|illustration|picture|credit|courtesy)s?(?:\ credits?)?\s*:
    \s*(?:[^.!?:]|\.(?=\S)){{1,80}}
  | {_SENTENCE_START}[^.!?]*\b(?:getty\ images|shutterstock)(?:\ file)?
  | {_SENTENCE_START}(?:gif|photo|image|video|illustration|animation)s?\ by\ {_NAME}(?:\ ?/\ ?{_NAME})*
    )$"""
_AGENCIES = r"reuters|ap|afp|epa|bloomberg|pool"  # agencies named in a photo credit
_CREDIT_WORDS = (
    "photo", "image", "picture", "illustration", "video", "gif", "animation", "credit", "courtesy", "getty",
    "shutterstock", "imago", "via ", "reuters", "afp", "epa", "bloomberg", "pool", "file",
)
_LINE_RULES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (name, triggers, re.compile(pattern, re.IGNORECASE | re.VERBOSE))
    for name, triggers, pattern in (
        # "Advertisement", "ADVERTISEMENT Article continues below this ad", "Skip to main content"
        ("advertisement", (), r"""^(?:advertisement|sponsored\ content|skip\ to\ (?:main\ )?content|share\ this\ article
            | (?:advertisement\ )?(?:article|story)\ continues\ (?:below|after)\ (?:this\ |the\ )?(?:ad|advertisement)
            )$"""),
        # links to other stories: "MORE: Title", "READ MORE: Title", "Also read: Title", "Related: Title", "See more:",
        # "MORE ON THE ELECTION:", and "Related Title of a story" (capitalised, no full stop)
        ("teaser", (), r"""^(?:read\ more|more|also\ read|read\ also|see\ (?:more|also)|recommended(?:\ reading)?
                | related(?:\ (?:articles?|stories|coverage|pages|reading))? | watch\ this\ story | you\ may\ also\ like
                ) \s*:\s*(?:$|(?-i:[A-Z0-9'"‘“]))  # what follows is a headline, capitalised
            | ^(?-i:MORE(?:\ [A-Z0-9&'’.-]+)+):
            | ^(?-i:Related\ [A-Z0-9][^.!?]*)$"""),
        # calls to action: "Click here ...", "Sign up for ...", "Subscribe to our newsletter", newsletter widgets
        ("call to action", ("click here", "sign up", "subscribe", "newsletter", "{{"), r"""
              \bclick\ here\b | ^sign\ up\ (?:for|to)\b | ^subscribe\ (?:to|for|now|today|here)\b
            | \bnewsletter\b.*\b(?:sign\ up|subscribe|inbox|privacy\ notice)\b
            | \b(?:sign\ up|subscribe)\b.*\bnewsletter\b
            | \{\{\s*[\#/^]\w+\s*\}\}"""),  # a newsletter form's template sections: {{ #verifyErrors }}
        # a photo caption: a line that starts "Image: ", "Photo by ", "Credit: ", "via Getty", a credit alone ("Getty
        # Images | Reuters", "AP Photo/File"), or a short line that ends in a credit
        ("caption", _CREDIT_WORDS, rf"""
              ^\(?(?:top\ |file\ )?(?:photo|image|picture|illustration|video)s?(?:\ credits?)?\s*(?:by\b|:)
                .{{0,150}}$
            | ^(?:credit|photograph|picture|courtesy)s?\s*:.{{0,150}}$
            | ^via\ (?:imago|getty(?:\ images)?|reuters|ap|afp)\b.{{0,800}}$  # "via Imago NASCAR, ... EDITORIAL USE"
            | ^(?:(?:getty\ images|shutterstock|imago|photo|file|{_AGENCIES})\b[\s|/,;:-]*)+$
            | ^(?=.{{1,300}}$).*?\s*{_CREDIT}"""),
        # bylines alone on a line: "By Jane Doe", "By Jane Doe and John Roe, Reuters", "Written by ...",
        # "Reporting by Jane Doe in Paris; Editing by John Roe"
        ("byline", (), rf"""^by\ {_NAME}(?:\s*(?:,|\ and|\ &)\ {_NAME})*$
            | ^written\ by\ (?-i:[A-Z]).{{0,150}}$
            | ^\(?(?-i:(?:Additional\ r|R)eporting|Writing|Editing)\ by\ (?-i:[A-Z])[^.!?]*\)?\.?$"""),
        # a live blog's note on its time stamps: "(All times Eastern)", "All times are ET."
        ("time zone", ("all times",), r"""^\(?all\ times\ (?:are\ |in\ )?(?:eastern|central|pacific|et|est|edt|ct|pt
            |gmt|bst|utc|local)(?:\ time)?\.?\)?\.?$"""),
        # an editor's note on the article itself: "Correction, 12/5/23, 2:55 PM ET: the price ... was listed
        # incorrectly in one part of the article", "Editor's note: This post was updated after publication ...",
        # "UPDATE: Nov. 27, 2023 This post has been updated with ..."; a live blog's "UPDATE: Douglas has been ruled
        # OUT" is news and stays
        ("editor's note", ("correct", "clarif", "note", "update"), r"""
              ^updated\ to\ correct\b
            | ^(?:correction|clarification|editor['’]?s\ note|update[sd]?)\b[^.!?]{0,60}?[:,]?\s
                .*?\b(?:(?:this|the)\ (?:article|story|post)\b(?!-)|(?:an\ earlier|a\ previous|the\ original)
                \ version\b|(?:after|post-)\ ?publi|(?:listed|stated|described|reported)\ incorrectly)"""),
        # "Facebook Twitter Whatsapp Reddit Email Share", "Share All sharing options for: ..."
        ("share", (), r"""^(?:(?:share|facebook|twitter|x|whatsapp|reddit|email|linkedin|pinterest|flipboard|telegram
                |print|copy\ link|messenger)\b\s*[|·,]?\s*){2,}$
            | ^share\ all\ sharing\ options\ for:"""),
        # "© AAP", "Copyright 2023 The Daily. All rights reserved."
        ("copyright", (), r"^(?:©|\(c\)\ |copyright\s+(?:©|\(c\)|\d{4}\b)).{0,150}$"),
        # navigation crumbs: three or more short items between pipes or chevrons, "Home › News › World"
        ("navigation", ("|", "›", "»"), r"^[^|›».!?]{1,30}(?:\ [|›»]\ [^|›».!?]{1,30}){2,}$"),
    )
)
_CUT_RULES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (name, triggers, re.compile(pattern, re.IGNORECASE | re.VERBOSE))
    for name, triggers, pattern in (
        # an embedded tweet's links and trailer, "pic.twitter.com/x — Name (@handle) November 19, 2023": the tweet's
        # text stays (it is a quote the article reports)
        ("tweet", ("twitter.com", "t.co/", "(@"), r"""\s*(?:https?://)?(?:pic\.twitter\.com|t\.co)/\w+
            | \s*—\s*[^—]{1,80}\(@\w{1,15}\)\s+(?-i:January|February|March|April|May|June|July|August|September
                |October|November|December)\ \d{1,2},\ \d{4}$"""),
        # a live blog's time stamps: "6d ago 23.36 GMT", "29 Oct 2023 03.08 GMT" or "9:05 p.m. —" before an entry,
        # "Updated at 23.20 GMT" on its own line
        ("timestamp", ("ago", "updated", "a.m", "p.m", "am", "pm", "gmt", "bst", "est", "edt", "cet", "pst"), r"""
              ^\d{1,2}[smhd]\ ago\s+\d{1,2}[.:]\d{2}\s+(?-i:[A-Z]{2,4})\b\s*
            | ^\d{1,2}\ (?-i:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\ \d{4}\s+\d{1,2}[.:]\d{2}\s+
                (?-i:[A-Z]{2,4})\b\s*
            | ^\d{1,2}:\d{2}\s*[ap]\.?m\.?(?:\s+(?-i:[A-Z]{2,4})\b)?\s*(?:[—–:-]\s*)?
            | ^(?:last\ )?updated(?:\ at|:)?\s+\d{1,2}[.:]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+(?-i:[A-Z]{2,4}))?$"""),
        # a page's date stamp after its headline or at the end of the text: "... for gamers? Published 14 October",
        # "Published on 31 October 2023."; "Published November 26, 2023: We've updated prices" is an editor's note
        ("dateline", ("published",), r"""(?:^|(?<=[.!?”"’]\ )|(?<=[a-z]\ ))(?-i:Published)(?:\ on)?
            \ \d{1,2}\ (?-i:January|February|March|April|May|June|July|August|September|October|November|December)
            (?:\ \d{4})?\.?$"""),
        # a page widget's "Loading" left between two sentences ("... never forget.” Loading Australia, who lost ...")
        # or alone ("Loading . . ."); "Loading the ferry took hours." stays
        ("widget", ("loading",), r"""
            (?-i:(?:^|(?<=[.!?”"’)…]\ ))Loading(?:\.\.\.|…|(?:\ ?\.){3})?(?:\ (?=[A-Z“"‘(])|$))"""),
        # the photo credit at the end of a long paragraph (a short line ending in one is a caption, dropped whole)
        # and the agencies after a caption, which stays: it names the people in the story ("... founder of Binance.
        # Getty Images | Reuters")
        ("credit", _CREDIT_WORDS, rf"\s*{_CREDIT}|(?<=[.!?])\s+getty\ images(?:\s*[|/]\s*(?:{_AGENCIES}))+$"),
        # a photo credit between two sentences of a paragraph: "U2 perform at the Sphere. Credit: Stufish Entertainment
        # Architects These are the technical specs: ..."; the names run up to the next sentence's first word
        ("inline credit", ("credit:", "photograph:", "photo:", "image:", "picture:"), r"""(?<=[.!?”"’]\ )
            (?:credit|photograph|photo|image|picture)s?:\ (?-i:(?:[A-Z][\w&.'’/-]*\ ){1,6}?)
            (?=(?-i:[A-Z][a-z]*\ [a-z]))"""),
        # from an affiliate disclosure or syndication note to the end of the line: "... we may earn a commission",
        # "This article was originally published on ...", "This article is republished from ...", "This is an
        # authorized translation of an Eos article."
        ("disclosure", ("affil", "commission", "originally", "republished", "translation"), rf"""
              {_SENTENCE_START}[^.!?]*\b(?:affil(?:i)?ate\ (?:links?|partners(?:hips?)?|commission)
                | may\ (?:earn|receive|get)\ (?:a\ |an\ )?(?:small\ )?(?:affiliate\ )?commissions?)\b.*$
            | {_SENTENCE_START}\[?(?:this|a\ version\ of\ this|adapted\ from\ an)\ (?:article|story|post)\b[^.!?]*
                \boriginally\ (?:appeared|published|ran)\b.*$
            | {_SENTENCE_START}this\ (?:(?:article|story|post)\ (?:is|was)\ republished\ from
                | is\ an?\ (?:authori[sz]ed\ )?translation\ of\ an?\ [^.!?]{{0,60}}\b(?:article|story|post))\b.*$"""),
    )
)
CUT_RULE_NAMES = tuple(name for name, _, _ in _CUT_RULES)
"""The rules that cut part of a line (the others drop whole lines), as `python -m bench.clean` names them."""
_WORD = re.compile(r"\w")  # a line with no letter or digit left after the cuts goes too
RULES_ID = hashlib.sha256(
    "\n".join(p.pattern for p in (_JUNK_LINE, *(r for _, _, r in _LINE_RULES + _CUT_RULES))).encode()
).hexdigest()[:8]
"""Identifies the boilerplate rules: a store cleaned by other rules is cleaned again on its next ingest."""

_SOURCE_LINE = re.compile(r"^\s*source\s*:\s*(?P<source>.+?)\s*$", re.IGNORECASE)
_TITLE_LINE = re.compile(r"^\s*(?:title\s*:\s*|#\s+)(?P<title>.+?)\s*$", re.IGNORECASE)
_DATE_PREFIX = re.compile(r"^\s*(?:published|date|updated|posted)(?:\s+on)?\s*:?\s*", re.IGNORECASE)
_DATE_FORMATS = (
    "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%Y/%m/%d",
    "%A, %B %d, %Y", "%d.%m.%Y", "%B %d %Y",
)
_FILENAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def strip_invisible(text: str) -> str:
    """NFKC-normalise and drop invisible and control characters (zero-width, bidi overrides, bells)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = unicodedata.normalize("NFKC", text)
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


def _normalized_lines(text: str) -> list[str]:
    """`strip_invisible`, footnote marks `[n]` as `(n)`, runs of spaces as one: the lines, stripped."""
    text = _MARKER.sub(r"(\1)", strip_invisible(text))
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n")]


def strip_boilerplate(line: str) -> tuple[str, str]:
    """A normalised line without boilerplate, and the name of the rule that cut it ('' when none did).

    A line a `_LINE_RULES` rule matches becomes ''; `_CUT_RULES` cut a tweet's links and trailer, a closing photo
    credit or disclosure, and the line becomes '' when no letter or digit is left.
    """
    lowered = line.lower()
    for name, triggers, rule in _LINE_RULES:
        if (not triggers or any(word in lowered for word in triggers)) and rule.search(line):
            return "", name
    kept, cut_by = line, ""
    for name, triggers, rule in _CUT_RULES:
        if any(word in lowered for word in triggers) and (shorter := rule.sub("", kept)) != kept:
            kept, cut_by = shorter.strip(), cut_by or name
    return (kept if not cut_by or _WORD.search(kept) else ""), cut_by


def normalize_text(text: str) -> str:
    """Normalised lines (`_normalized_lines`) without boilerplate, and at most one blank line in a row."""
    lines = [kept for line in _normalized_lines(text) if (kept := strip_boilerplate(line)[0]) or not line]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def normalize_inline(text: str) -> str:
    """Normalise a one-line field (title, source) like `normalize_text`, folded to one line, without the boilerplate
    rules."""
    return " ".join(" ".join(_normalized_lines(text)).split())


def parse_date(text: str) -> str:
    """ISO date (YYYY-MM-DD or a full ISO timestamp as given) if `text` is only a date, else ''."""
    candidate = _DATE_PREFIX.sub("", text.strip()).strip()
    if not candidate or len(candidate) > 40:
        return ""
    try:
        parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        return parsed.isoformat() if ("T" in candidate or " " in candidate.strip()) else parsed.date().isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def date_from_filename(name: str) -> str:
    """A YYYY-MM-DD found in a file name, if it is a real date."""
    match = _FILENAME_DATE.search(name)
    if not match:
        return ""
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return ""


def tidy_source(source: str) -> str:
    """`REUTERS` -> `Reuters`; short acronyms (BBC, AP) stay as they are."""
    source = normalize_inline(source)
    return source.title() if source.isupper() and len(source) > 4 else source


def is_junk_line(line: str) -> bool:
    """True for scraper leftovers: HTML comments, lone tags, tracking snippets."""
    return bool(_JUNK_LINE.match(line))


@dataclass(frozen=True)
class ParsedText:
    """A scraped text file split into metadata and clean body."""

    title: str
    text: str
    source: str
    published_at: str


def parse_scraped_text(raw: str, fallback_title: str = "") -> ParsedText:
    """Split scraped article text into title, date, source and body.

    The title is an explicit `Title:`/`# ` line or the first short line; later copies of it are dropped.
    A line that is only a date becomes `published_at`, a `SOURCE:` line becomes `source`; junk lines go.
    """
    lines = normalize_text(raw).split("\n")
    title = source = published = ""
    body: list[str] = []
    for line in lines:
        if not line:
            body.append("")
            continue
        if is_junk_line(line):
            continue
        if not title:
            explicit = _TITLE_LINE.match(line)
            if explicit or (len(line) <= 200 and not line.endswith((".", "?", "!", ":")) and not parse_date(line)):
                title = normalize_inline(explicit.group("title") if explicit else line)
                continue
        if title and normalize_inline(line).casefold() == title.casefold():
            continue
        if not source and (match := _SOURCE_LINE.match(line)):
            source = tidy_source(match.group("source"))
            continue
        if not published and (found := parse_date(line)):
            published = found
            continue
        body.append(line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip()
    return ParsedText(title=title or fallback_title, text=text, source=source, published_at=published)


def article_id_for(title: str, text: str) -> str:
    """Stable id from the cleaned content: the same article from two files gets one id."""
    digest = hashlib.sha256(f"{title.casefold()}\n{text}".encode()).hexdigest()
    return digest[:16]
