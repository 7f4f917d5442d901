"""Read article files (.txt, .md, .html, .json, .jsonl) into Articles, reporting what cannot be read."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ingest.clean import (
    article_id_for,
    date_from_filename,
    normalize_inline,
    normalize_text,
    parse_date,
    parse_scraped_text,
    strip_invisible,
    tidy_source,
)
from newsdesk.errors import AssistantError
from newsdesk.types import Article

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES

_BODY_KEYS = ("body", "text", "content", "article", "maintext")
_DATE_KEYS = ("published_at", "published", "date", "publish_date", "pubdate")
_KNOWN_KEYS = {"title", "headline", "source", "publisher", "url", "link", *_BODY_KEYS, *_DATE_KEYS}
_DROP_TAGS = (
    "script, style, noscript, nav, header, footer, aside, form, iframe, svg, button, template, figure figcaption"
)
_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, blockquote, pre"


class LoadError(AssistantError):
    """A file that cannot be ingested; the message is the reason shown in the report."""


@dataclass
class LoadedFile:
    """The articles one file holds, the file's content hash, the encoding its text was read in, and per-record
    problems as (where, reason)."""

    path: Path
    sha256: str
    articles: list[Article] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    encoding: str = "UTF-8"


class FoundFiles(NamedTuple):
    """What `find_files` makes of the paths it is given."""

    files: list[Path]
    rejected: list[tuple[Path, str]]
    """Paths named that cannot be ingested (missing, or not an article file type), with the reason."""
    ignored: list[Path]
    """Files inside the folders named whose type is no article type (notes.csv, program.bin)."""


def find_files(paths: Iterable[Path]) -> FoundFiles:
    """Expand files and folders (recursively) into supported files. Missing or unsupported paths come back with a
    reason; other files found in the folders come back as ignored (hidden files and folders are passed over)."""
    found: list[Path] = []
    rejected: list[tuple[Path, str]] = []
    ignored: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                (found if child.suffix.lower() in SUPPORTED else ignored).append(child.resolve())
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED:
                found.append(path.resolve())
            else:
                rejected.append((path, f"unsupported file type '{path.suffix or '(none)'}'"))
        else:
            rejected.append((path, "no such file or directory"))
    found = list(dict.fromkeys(found))
    named = {*found, *(p.resolve() for p, _ in rejected)}  # a file named and inside a folder named: reported once
    return FoundFiles(found, rejected, [p for p in dict.fromkeys(ignored) if p not in named])


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, or LoadError for unreadable, empty or oversized files."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"file too large ({_human(size)} > {_human(max_bytes)} limit)")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from None
    if not data.strip():
        raise LoadError("empty file")
    return data


def _human(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in: UTF-8 (with or without BOM), BOM-marked UTF-16, else Windows-1252
    (the Western European legacy encoding, a superset of Latin-1's printable characters), else Latin-1, which
    reads any byte. Binary data is reported."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise LoadError("not valid UTF-16 text") from None
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined
        return data.decode("latin-1"), "Latin-1"


Progress = Callable[[float], None]
"""Called while a file is parsed with the share of it done so far (0..1)."""


def file_sha256(data: bytes) -> str:
    """Content hash of a file; an unchanged hash means nothing to re-ingest."""
    return hashlib.sha256(data).hexdigest()


def parse_file(path: Path, data: bytes, progress: Progress | None = None) -> LoadedFile:
    """Parse a file's bytes into Articles by its suffix; raises LoadError when nothing in it can be used. A JSON
    Lines file reports its progress line by line to `progress`."""
    loaded = LoadedFile(path=path, sha256=file_sha256(data))
    text, loaded.encoding = decode(data)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        loaded.articles.append(_article_from_text(text, path))
    elif suffix in HTML_SUFFIXES:
        loaded.articles.append(_article_from_html(text, path))
    elif suffix in JSON_SUFFIXES:
        for where, record in _json_records(text, jsonl=suffix != ".json", progress=progress):
            try:
                loaded.articles.append(article_from_record(record))
            except LoadError as exc:
                loaded.problems.append((where, str(exc)))
    else:
        raise LoadError(f"unsupported file type '{suffix}'")
    if not loaded.articles:
        raise LoadError(": ".join(loaded.problems[0]) if len(loaded.problems) == 1 else "no article text found")
    return loaded


def _finish(title: str, text: str, source: str, published_at: str, url: str, extra: dict[str, Any]) -> Article:
    if not text.strip():
        raise LoadError("no article text found")
    title = normalize_inline(title)
    return Article(
        article_id=article_id_for(title, text),
        title=title,
        text=text,
        source=source,
        published_at=published_at,
        url=strip_invisible(url).strip(),
        extra=extra,
    )


def _article_from_text(raw: str, path: Path) -> Article:
    parsed = parse_scraped_text(raw, fallback_title=path.stem.replace("-", " ").replace("_", " "))
    return _finish(
        parsed.title, parsed.text, parsed.source, parsed.published_at or date_from_filename(path.name), "", {}
    )


def _article_from_html(raw: str, path: Path) -> Article:
    tree = HTMLParser(raw)

    def meta(*names: str) -> str:
        for name in names:
            node = tree.css_first(f'meta[property="{name}"]') or tree.css_first(f'meta[name="{name}"]')
            if node and node.attributes.get("content"):
                return node.attributes["content"] or ""
        return ""

    title = meta("og:title", "twitter:title")
    if not title and (node := tree.css_first("title")):
        title = node.text()
    if not title and (node := tree.css_first("h1")):
        title = node.text()
    published = meta("article:published_time", "pubdate", "date", "dc.date")
    if not published and (node := tree.css_first("time[datetime]")):
        published = node.attributes.get("datetime") or ""
    canonical = tree.css_first('link[rel="canonical"]')
    url = meta("og:url") or (canonical.attributes.get("href") or "" if canonical else "")
    source = meta("og:site_name", "publisher", "author")

    tree.strip_tags(_DROP_TAGS.split(", "))
    root = tree.css_first("article") or tree.css_first("main") or tree.body or tree.root
    blocks = [normalize_inline(node.text(separator=" ")) for node in root.css(_BLOCKS)] if root else []
    blocks = [b for b in blocks if b and normalize_inline(b).casefold() != normalize_inline(title).casefold()]
    if not blocks and root is not None:
        blocks = [normalize_text(root.text(separator="\n"))]
    text = normalize_text("\n\n".join(blocks))
    return _finish(
        title or path.stem,
        text,
        tidy_source(source) if source else "",
        parse_date(published) or date_from_filename(path.name),
        url,
        {},
    )


def _json_records(text: str, jsonl: bool, progress: Progress | None = None) -> Iterator[tuple[str, Any]]:
    if not jsonl:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoadError(f"invalid JSON ({_at(exc.msg)} line {exc.lineno} column {exc.colno})") from None
        records = doc if isinstance(doc, list) else doc.get("articles", [doc]) if isinstance(doc, dict) else []
        for i, record in enumerate(records):
            yield f"record {i + 1}", record
        return
    lines = text.splitlines()
    step = max(1, len(lines) // 200)  # a few hundred progress reports at most
    for lineno, line in enumerate(lines, 1):
        if progress and lineno % step == 0:
            progress(lineno / len(lines))
        if not line.strip():
            continue
        try:
            yield f"line {lineno}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {lineno}", LoadError(f"invalid JSON ({_at(exc.msg)} column {exc.colno})")


def _at(msg: str) -> str:
    """A JSON error's message, ready for its position: some already end in "at" ("Unterminated string starting
    at"), the others get one ("Expecting value at")."""
    return msg if msg.endswith(" at") else f"{msg} at"


def article_from_record(record: Any) -> Article:
    """A news record (title, body|text|content, source, published_at, url; anything else kept as metadata)."""
    if isinstance(record, LoadError):
        raise record
    if not isinstance(record, dict):
        raise LoadError("record is not a JSON object")
    body = next((record[k] for k in _BODY_KEYS if isinstance(record.get(k), str) and record[k].strip()), "")
    if not body:
        raise LoadError("record has no body/text/content")
    raw_date = next((str(record[k]) for k in _DATE_KEYS if record.get(k)), "")
    extra = {
        key: value if isinstance(value, (str, int, float, bool)) else json.dumps(value, ensure_ascii=False)
        for key, value in record.items()
        if key not in _KNOWN_KEYS and value is not None
    }
    return _finish(
        str(record.get("title") or record.get("headline") or "Untitled"),
        normalize_text(body),
        tidy_source(str(record.get("source") or record.get("publisher") or "")),
        parse_date(raw_date) or normalize_inline(raw_date),
        str(record.get("url") or record.get("link") or ""),
        extra,
    )
