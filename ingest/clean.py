"""Turn raw article text into clean text and metadata: Unicode normalisation, scraper junk, title/date/source lines."""

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
      | (?:advertisement|sponsored\ content|skip\ to\ (?:main\ )?content|share\ this\ article)\s*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
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


def normalize_text(text: str) -> str:
    """`strip_invisible`, then unify line breaks and runs of spaces; footnote marks `[n]` become `(n)`."""
    text = _MARKER.sub(r"(\1)", strip_invisible(text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def normalize_inline(text: str) -> str:
    """Normalise a one-line field (title, source) the same way, folded to one line."""
    return " ".join(normalize_text(text).split())


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
    """True for scraper leftovers: HTML comments, lone tags, tracking snippets, boilerplate."""
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
