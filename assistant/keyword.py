"""The keyword side: BM25 (Snowball stemming) over the store's chunks and over their single sentences, kept in one
SQLite file that each update extends instead of rebuilding.

Two BM25 indexes over the same chunks: one of whole chunks (title, source, date and text, as ingest embeds them) and
one of their single sentences, whose best match stands for the chunk. A question's clause usually paraphrases one
sentence of its evidence; in the chunk index that sentence's words are diluted by the other 250 tokens.

Storage: each word's postings (chunk or sentence keys, term frequencies, lengths) are numpy arrays in blobs, one row
per word per segment. An update (assistant/keyword_sync.py) adds one segment holding only its new chunks; a word's
rows are merged into one once they pass `_MAX_SEGMENTS`, and merging drops the chunks of removed articles, which are
otherwise only marked dead. BM25's statistics (live chunks, average length, each word's document frequency) are
taken at query time over the live chunks, so scores equal a fresh build's. The file serves every process of the
machine (WAL: readers never wait for the writer); a process holds only a few small per-chunk arrays (publisher, day,
lengths, live flag), extended from the file when another connection commits.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from ingest.chunk import embedding_text
from ingest.sentences import sentence_spans
from newsdesk.dates import day_ts
from newsdesk.types import Article, Chunk, Passage

log = logging.getLogger(__name__)

FORMAT = "sqlite-bm25-v1"
K1, B = 1.5, 0.75  # BM25 (Robertson/Lucene term-frequency part, Lucene idf)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(STOPWORDS_EN)
_CAPITALISED_PHRASE = re.compile(r"\b[A-Z][a-z]\w*(?:\s+(?:(?:of|and|for|the|&)\s+)?[A-Z][a-z]\w*)+")
_MAX_SEGMENTS = 24  # a word's newest rows are merged beyond this many
_SENTENCE_BITS = 8  # a sentence's key: its chunk's number << 8 | its place in the chunk
_CHUNKS, _SENTENCES = 0, 1  # postings levels
_CACHE_BYTES = 256 << 20  # per process: the scored postings of recently asked words
_MASKS = 32  # restrictions (publishers, days) whose chunk masks a view keeps

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources(code INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS articles(article_id TEXT PRIMARY KEY, version TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs(
    doc INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, article_id TEXT NOT NULL, title TEXT NOT NULL,
    source INTEGER NOT NULL, published_at TEXT NOT NULL, url TEXT NOT NULL, text TEXT NOT NULL,
    start INTEGER NOT NULL, stop INTEGER NOT NULL, day INTEGER NOT NULL, length INTEGER NOT NULL,
    sentences INTEGER NOT NULL, sentence_words INTEGER NOT NULL, alive INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS docs_by_article ON docs(article_id);
CREATE TABLE IF NOT EXISTS dead(seq INTEGER PRIMARY KEY, doc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS postings(
    level INTEGER NOT NULL, term TEXT NOT NULL, segment INTEGER NOT NULL,
    keys BLOB NOT NULL, tfs BLOB NOT NULL, lengths BLOB NOT NULL, PRIMARY KEY(level, term, segment)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS acronyms(letters TEXT PRIMARY KEY, chunks INTEGER NOT NULL) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class KeywordHit:
    """A chunk of the index (by its number) and its BM25 score."""

    doc: int
    score: float


def indexed_text(passage: Passage) -> str:
    """The text a chunk is keyword-indexed by: exactly what ingest embeds (title, source and date, then the text)."""
    article = Article(passage.article_id, passage.title, "", passage.source, passage.published_at, passage.url)
    chunk = Chunk(passage.chunk_id, passage.article_id, 0, passage.text, passage.start, passage.end)
    return embedding_text(article, chunk)


@dataclass(frozen=True)
class _Arrays:
    """This process's copy of the per-chunk facts at one version of the file (indexed by chunk number)."""

    version: int
    dead_seen: int  # the last row of the `dead` table taken in
    source_of: np.ndarray
    day_of: np.ndarray
    alive: np.ndarray
    length: np.ndarray
    sentences: np.ndarray
    sentence_words: np.ndarray
    source_names: dict[int, str]
    stats: tuple[int, float, int, float]  # live chunks, their average length; their sentences, average length
    source_chunks: dict[str, int]  # the publishers of the live chunks: their live chunks, most first
    date_span: tuple[date, date] | None  # the first and last publication day of the live chunks
    masks: dict[tuple[object, ...], np.ndarray | None] = field(default_factory=dict, compare=False)  # by restriction


_EMPTY = _Arrays(
    version=-1, dead_seen=0, source_of=np.zeros(0, np.int32), day_of=np.zeros(0, np.int64), alive=np.zeros(0, bool),
    length=np.zeros(0, np.int32), sentences=np.zeros(0, np.int32), sentence_words=np.zeros(0, np.int64),
    source_names={}, stats=(0, 1.0, 0, 1.0), source_chunks={}, date_span=None,
)  # fmt: skip


class KeywordIndex:
    """BM25 over chunks and sentences in an SQLite file: the storage, its updates (`writing`) and consistent views
    to search (`view`). Chunks are numbered in the order they were added; score arrays are indexed by that number."""

    def __init__(self, path: Path | None) -> None:
        """Open (or create) the index at `path`; None keeps it in memory, for this process only."""
        self.path = path
        self._uri = str(path) if path is not None else f"file:keyword-{uuid.uuid4().hex}?mode=memory&cache=shared"
        self._local = threading.local()
        self._lock = threading.RLock()
        self._stemmer = Stemmer.Stemmer("english")
        self._stems: dict[str, str] = {}
        self._keep_alive = self._connect()  # an in-memory database lives as long as one connection to it
        self._keep_alive.executescript(_SCHEMA)
        self._keep_alive.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
        self._arrays = _EMPTY
        self._cache: OrderedDict[tuple[int, int, str], tuple[np.ndarray, ...]] = OrderedDict()
        self._cache_bytes = 0

    @classmethod
    def build(cls, passages: Iterable[Passage], generation: str = "") -> KeywordIndex:
        """An in-memory index of `passages` (tests and one-off tools)."""
        index = cls(None)
        with index.writing() as writer:
            writer.add(list(passages))
            writer.set_meta(generation=generation)
        return index

    # ---- connections ---------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._uri, uri=self.path is None, timeout=30.0, check_same_thread=False, isolation_level=None
        )
        conn.execute("PRAGMA busy_timeout = 30000")
        if self.path is not None:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def meta(self, key: str) -> str | None:
        """A value the index keeps about itself (generation, format, sync state)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def generation(self) -> str | None:
        """The store generation the index was last brought up to (None: never)."""
        return self.meta("generation")

    @contextmanager
    def writing(self) -> Iterator[KeywordWriter]:
        """One write transaction (other processes keep reading the state before it until it commits)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield KeywordWriter(self, conn)
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('version', '1')")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # ---- views ---------------------------------------------------------------------------------------
    def view(self) -> KeywordView:
        """The index as it stands now, to search: its per-chunk facts stay fixed for the view's lifetime, while
        later updates make new views (so one question's searches agree with each other)."""
        version = int(self.meta("version") or 0)
        arrays = self._arrays
        if version != arrays.version:
            with self._lock:
                arrays = self._arrays
                if version != arrays.version:
                    arrays = self._arrays = self._load(arrays)
        return KeywordView(self, arrays)

    def _load(self, old: _Arrays) -> _Arrays:
        """`old` brought up to the file: chunks added since, chunks removed since (read in one snapshot)."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            version = int(self.meta("version") or 0)
            start = old.alive.size
            rows = conn.execute(
                "SELECT doc, source, day, alive, length, sentences, sentence_words FROM docs WHERE doc >= ? "
                "ORDER BY doc",
                (start,),
            ).fetchall()
            columns = [old.source_of, old.day_of, old.alive.copy(), old.length, old.sentences, old.sentence_words]
            if rows:
                new = np.asarray(rows, dtype=np.int64)
                grown = []
                for column, values in zip(columns, new[:, 1:].T):
                    extra = np.zeros(int(new[-1, 0]) + 1 - start, dtype=column.dtype)
                    extra[new[:, 0] - start] = values
                    grown.append(np.concatenate([column, extra]))
                columns = grown
            alive = columns[2]
            dead_seen = old.dead_seen
            for seq, doc in conn.execute("SELECT seq, doc FROM dead WHERE seq > ? ORDER BY seq", (dead_seen,)):
                if doc < alive.size:
                    alive[doc] = False
                dead_seen = seq
            names = {int(c): str(n) for c, n in conn.execute("SELECT code, name FROM sources")}
        finally:
            conn.execute("COMMIT")
        source_of, day_of, _, length, sentences, sentence_words = columns
        chunks = int(alive.sum())
        said = int(sentences[alive].sum())
        stats = (
            chunks,
            float(length[alive].sum()) / chunks if chunks else 1.0,
            said,
            float(sentence_words[alive].sum()) / said if said else 1.0,
        )
        codes, counts = np.unique(source_of[alive], return_counts=True)
        by_name = {names.get(int(c), ""): int(n) for c, n in zip(codes, counts)}
        by_name.pop("", None)
        days = day_of[alive & (day_of > 0)]
        to_date = lambda ts: datetime.fromtimestamp(int(ts), tz=UTC).date()  # noqa: E731
        return _Arrays(
            version=version, dead_seen=dead_seen, source_of=source_of, day_of=day_of, alive=alive, length=length,
            sentences=sentences, sentence_words=sentence_words, source_names=names, stats=stats,
            source_chunks=dict(sorted(by_name.items(), key=lambda kv: (-kv[1], kv[0]))),
            date_span=(to_date(days.min()), to_date(days.max())) if days.size else None,
        )  # fmt: skip

    # ---- what the file holds ---------------------------------------------------------------------------
    def has_acronym(self, letters: str) -> bool:
        """Whether `letters` are the initials of a capitalised phrase of two or more words in a live chunk ("FTC"
        for "Federal Trade Commission"), or of three or more of its words in a row."""
        row = self._conn.execute("SELECT chunks FROM acronyms WHERE letters = ?", (letters,)).fetchone()
        return bool(row and row[0] > 0)

    def article_count(self) -> int:
        """How many articles the index holds."""
        return int(self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def chunk_ids(self) -> set[str]:
        """The chunk ids of every live chunk."""
        return {str(r[0]) for r in self._conn.execute("SELECT chunk_id FROM docs WHERE alive")}

    def passages(self, docs: Sequence[int]) -> list[Passage]:
        """The chunks numbered `docs`, in that order."""
        found: dict[int, Passage] = {}
        wanted = [int(d) for d in docs]
        for i in range(0, len(wanted), 500):
            batch = wanted[i : i + 500]
            marks = ",".join("?" * len(batch))
            for row in self._conn.execute(
                "SELECT doc, chunk_id, article_id, title, sources.name, published_at, url, text, start, stop "
                f"FROM docs JOIN sources ON sources.code = docs.source WHERE doc IN ({marks})",
                batch,
            ):
                found[row[0]] = Passage(
                    chunk_id=row[1], article_id=row[2], title=row[3], source=row[4], published_at=row[5],
                    url=row[6], text=row[7], start=row[8], end=row[9],
                )  # fmt: skip
        return [found[d] for d in wanted if d in found]

    def following(self, passage: Passage) -> Passage | None:
        """The chunk of `passage`'s article that comes right after it, if any."""
        row = self._conn.execute(
            "SELECT doc FROM docs WHERE article_id = ? AND alive = 1 AND start > ? ORDER BY start LIMIT 1",
            (passage.article_id, passage.start),
        ).fetchone()
        return self.passages([row[0]])[0] if row else None

    def words(self, text: str) -> list[str]:
        """`text` as the index sees it: lower-cased words of two or more characters, stop words out, stemmed."""
        tokens = [t for t in _TOKEN.findall(text.lower()) if t not in _STOP]
        stems = self._stems
        missing = [t for t in set(tokens) if t not in stems]
        if missing:
            if len(stems) > 500_000:
                stems.clear()
            stems.update(zip(missing, self._stemmer.stemWords(missing)))
        return [stems[t] for t in tokens]

    def scored(self, arrays: _Arrays, level: int, word: str) -> tuple[np.ndarray, np.ndarray]:
        """The live chunks (or sentences) of `arrays` holding `word` and its BM25 contribution to each. The chunk
        level's scores of the most recently asked words are kept, per version of the file."""
        if level == _SENTENCES:
            keys, tfs, lengths = self.postings(arrays, level, word)
            return keys, _bm25(arrays, level, keys.size, tfs, lengths)
        keys, scores = self._cached((arrays.version, level, word), lambda: self._scored_chunks(arrays, word))
        return keys, scores

    def sentences_within(self, arrays: _Arrays, word: str, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`scored(arrays, _SENTENCES, word)` for the sentences of `chunks` (ascending) alone: BM25 is worked out
        for those postings only."""
        keys, tfs, lengths = self.postings(arrays, _SENTENCES, word)
        places = _within(keys, chunks)
        return keys[places], _bm25(arrays, _SENTENCES, keys.size, tfs[places], lengths[places])

    def postings(self, arrays: _Arrays, level: int, word: str) -> tuple[np.ndarray, ...]:
        """The live chunks (or sentences) of `arrays` holding `word`, ascending, with the word's frequency in each
        and each one's length. The sentence level's postings of the most recently asked words are kept."""
        key = (arrays.version, level, word)
        if level == _SENTENCES:
            return self._cached(key, lambda: self._read(arrays, level, word))
        return self._read(arrays, level, word)

    def _scored_chunks(self, arrays: _Arrays, word: str) -> tuple[np.ndarray, ...]:
        keys, tfs, lengths = self._read(arrays, _CHUNKS, word)
        return keys, _bm25(arrays, _CHUNKS, keys.size, tfs, lengths)

    def _cached(self, key: tuple[int, int, str], make: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
        cached = self._cache.get(key)
        if cached is not None:
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
            return cached
        found = make()
        with self._lock:
            self._cache[key] = found
            self._cache_bytes += sum(a.nbytes for a in found)
            while self._cache_bytes > _CACHE_BYTES and self._cache:
                _, dropped = self._cache.popitem(last=False)
                self._cache_bytes -= sum(a.nbytes for a in dropped)
        return found

    def _read(self, arrays: _Arrays, level: int, word: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = self._conn.execute(
            "SELECT keys, tfs, lengths FROM postings WHERE level = ? AND term = ? ORDER BY segment", (level, word)
        ).fetchall()
        keys, tfs, lengths = _unpack(level, rows)
        owners = keys >> _SENTENCE_BITS if level == _SENTENCES else keys
        if arrays.stats[0] == arrays.alive.size and (not owners.size or owners[-1] < arrays.alive.size):
            return keys, tfs, lengths  # every chunk of the view is live, and these were all added by then
        live = owners < arrays.alive.size  # chunks added after the view's version are left out
        live[live] = arrays.alive[owners[live]]
        return keys[live], tfs[live], lengths[live]


def _bm25(arrays: _Arrays, level: int, df: int, tfs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """BM25 of one word over its postings `tfs` and `lengths`, the word being in `df` live chunks (or sentences)."""
    n, average = arrays.stats[2:] if level == _SENTENCES else arrays.stats[:2]
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    tf = tfs.astype(np.float32)
    return (idf * tf / (tf + K1 * (1 - B + B * lengths.astype(np.float32) / average))).astype(np.float32)


class KeywordView:
    """A keyword index as it stood at one moment: the searches of one question all see the same chunks."""

    def __init__(self, index: KeywordIndex, arrays: _Arrays) -> None:
        self.index = index
        self._arrays = arrays
        self.generation = index.generation
        self.meta = index.meta
        self.passages = index.passages
        self.following = index.following
        self.has_acronym = index.has_acronym
        self.chunk_ids = index.chunk_ids
        self.article_count = index.article_count

    def __len__(self) -> int:
        return self._arrays.stats[0]

    def sources(self) -> list[str]:
        """Every publisher name of the live chunks."""
        return sorted(self._arrays.source_chunks)

    def source_chunks(self) -> dict[str, int]:
        """Every publisher name of the live chunks with its number of live chunks, most first."""
        return dict(self._arrays.source_chunks)

    def date_span(self) -> tuple[date, date] | None:
        """First and last publication day of the live chunks."""
        return self._arrays.date_span

    def mask(
        self, sources: Sequence[str] = (), first_ts: int | None = None, last_ts: int | None = None
    ) -> np.ndarray | None:
        """Which chunks a restriction allows (None: all of them); read-only, made once per restriction and view."""
        if not sources and first_ts is None and last_ts is None:
            return None
        a = self._arrays
        key = (tuple(sorted(set(sources))), first_ts, last_ts)
        if key in a.masks:
            return a.masks[key]
        allowed = a.alive.copy()
        if sources:
            wanted = set(sources)
            named = np.zeros(max(a.source_names, default=0) + 1, dtype=bool)
            named[[c for c, n in a.source_names.items() if n in wanted]] = True
            allowed &= named[a.source_of]
        if first_ts is not None:
            allowed &= a.day_of >= first_ts
        if last_ts is not None:
            allowed &= a.day_of <= last_ts
        allowed.flags.writeable = False
        if len(a.masks) >= _MASKS:
            a.masks.clear()
        a.masks[key] = allowed
        return allowed

    def scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every chunk for `query` (None when no query word is in the index)."""
        total: np.ndarray | None = None
        for word in self.index.words(query):
            keys, scores = self.index.scored(self._arrays, _CHUNKS, word)
            if keys.size:
                if total is None:
                    total = np.zeros(self._arrays.alive.size, dtype=np.float32)
                total[keys] += scores
        return total

    def holding(self, word: str, n: int) -> list[Passage]:
        """Up to `n` live chunks holding `word`, in the order they were indexed (not the best matches: a chunk that
        repeats a word is more often one that names something with it)."""
        scores = self.scores(word)
        if scores is None:
            return []
        return self.passages([int(d) for d in np.flatnonzero(scores > 0)[:n]])

    def scores_of(self, queries: Sequence[str]) -> list[np.ndarray | None]:
        """`scores` of each query, each a new array. When the first query's words hold those of all the others (a
        question and its clauses), each word is added up once: the first query's scores are the others' summed, plus
        those of its remaining words."""
        bags = [Counter(self.index.words(q)) for q in queries]
        rest = bags[0].copy() if len(bags) > 2 else Counter[str]()
        for bag in bags[1:]:
            rest.subtract(bag)
        if len(bags) <= 2 or min(rest.values(), default=0) < 0:
            return [self._summed(bag) for bag in bags]
        out = [self._summed(bag) for bag in bags[1:]]
        whole = self._summed(+rest)
        for found in out:
            if found is not None:
                whole = found.copy() if whole is None else np.add(whole, found, out=whole)
        return [whole, *out]

    def _summed(self, bag: Counter[str]) -> np.ndarray | None:
        total: np.ndarray | None = None
        for word, times in bag.items():
            keys, scores = self.index.scored(self._arrays, _CHUNKS, word)
            if keys.size:
                if total is None:
                    total = np.zeros(self._arrays.alive.size, dtype=np.float32)
                np.add.at(total, keys, scores if times == 1 else scores * np.float32(times))  # numpy's fastest scatter
        return total

    def sentence_scores_among(self, queries: Sequence[str], among: np.ndarray) -> list[np.ndarray | None]:
        """`sentence_scores(query, among)[among]` of each query: each word's sentences in those chunks are looked up
        once for all the queries."""
        said = [self.index.words(q) for q in queries]
        within: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for word in dict.fromkeys(w for words in said for w in words):
            keys, scores = self.index.sentences_within(self._arrays, word, among)
            if keys.size:
                within[word] = keys, scores
        out: list[np.ndarray | None] = []
        for words in said:
            found = [within[w] for w in words if w in within]
            if not found:
                out.append(None)
                continue
            keys, inverse = np.unique(np.concatenate([k for k, _ in found]), return_inverse=True)
            sums = np.bincount(inverse, weights=np.concatenate([s for _, s in found]))
            chunks = keys >> _SENTENCE_BITS
            starts = np.flatnonzero(np.r_[True, chunks[1:] != chunks[:-1]])
            best = np.zeros(among.size, dtype=np.float32)
            best[np.searchsorted(among, chunks[starts])] = np.maximum.reduceat(sums, starts)
            out.append(best)
        return out

    def sentence_scores(self, query: str, among: np.ndarray | None = None) -> np.ndarray | None:
        """Per chunk, the BM25 score of its sentence that best matches `query` (None when no query word is in
        any sentence); with `among` (chunk numbers in ascending order), only those chunks are scored."""
        found = []
        for word in self.index.words(query):
            if among is None:
                keys, scores = self.index.scored(self._arrays, _SENTENCES, word)
            else:
                keys, scores = self.index.sentences_within(self._arrays, word, among)
            if keys.size:
                found.append((keys, scores))
        if not found:
            return None
        keys, inverse = np.unique(np.concatenate([k for k, _ in found]), return_inverse=True)
        sums = np.bincount(inverse, weights=np.concatenate([s for _, s in found]))
        chunks = keys >> _SENTENCE_BITS
        starts = np.flatnonzero(np.r_[True, chunks[1:] != chunks[:-1]])
        best = np.zeros(self._arrays.alive.size, dtype=np.float32)
        best[chunks[starts]] = np.maximum.reduceat(sums, starts)
        return best

    def chunks_with(self, phrase: str) -> int | None:
        """How many live chunks hold every word of `phrase`, tokenised and stemmed as the index is (None when
        `phrase` has only stop words)."""
        words = self.index.words(phrase)
        if not words:
            return None
        found: np.ndarray | None = None
        for word in dict.fromkeys(words):
            keys, _ = self.index.scored(self._arrays, _CHUNKS, word)
            found = keys if found is None else np.intersect1d(found, keys, assume_unique=True)
            if not found.size:
                return 0
        return 0 if found is None else int(found.size)


class KeywordWriter:
    """Changes to the index inside one transaction (`KeywordIndex.writing`)."""

    def __init__(self, index: KeywordIndex, conn: sqlite3.Connection) -> None:
        self.index = index
        self.conn = conn
        self._codes: dict[str, int] = {}

    def set_meta(self, **values: str) -> None:
        """Record values the index keeps about itself."""
        self.conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    def articles(self) -> dict[str, str]:
        """Every indexed article's id and the version of it the index holds."""
        return {str(a): str(v) for a, v in self.conn.execute("SELECT article_id, version FROM articles")}

    def add(self, passages: Sequence[Passage], versions: dict[str, str] | None = None) -> None:
        """Index `passages` as one new segment; `versions` records the articles they belong to."""
        if versions:
            self.conn.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?)", list(versions.items()))
        if not passages:
            return
        index, conn = self.index, self.conn
        first = int(conn.execute("SELECT COALESCE(MAX(doc), -1) + 1 FROM docs").fetchone()[0])
        segment = int(conn.execute("SELECT COALESCE(MAX(segment), 0) + 1 FROM postings").fetchone()[0])
        vocabulary: dict[str, int] = {}
        chunk_terms: list[int] = []  # per word of every chunk, in order: its term
        chunk_lengths: list[int] = []  # per chunk
        sentence_terms: list[int] = []  # per word of every sentence, in order
        sentence_lengths: list[int] = []  # per sentence
        sentence_keys: list[int] = []  # per sentence
        headers: dict[str, tuple[list[str], set[str]]] = {}  # per article: its header's words, its title's acronyms
        rows, acronyms = [], Counter[str]()
        for doc, p in enumerate(passages, start=first):
            header = headers.get(p.article_id)
            if header is None:  # the words of what ingest embeds before the text: title, source, date
                header = headers[p.article_id] = (
                    index.words(indexed_text(p.model_copy(update={"text": ""}))),
                    _acronym_set(p.title, ""),
                )
            terms = [vocabulary.setdefault(w, len(vocabulary)) for w in header[0]]
            spans = sentence_spans(p.text)
            for place, (start, end) in enumerate(spans):
                said = [vocabulary.setdefault(w, len(vocabulary)) for w in index.words(p.text[start:end])]
                terms += said
                sentence_terms += said
                sentence_lengths.append(len(said))
                sentence_keys.append(doc << _SENTENCE_BITS | min(place, (1 << _SENTENCE_BITS) - 1))
            chunk_terms += terms
            chunk_lengths.append(len(terms))
            acronyms.update(header[1] | _acronym_set("", p.text))
            sentence_words = len(terms) - len(header[0])
            rows.append((
                doc, p.chunk_id, p.article_id, p.title, self._source_code(p.source), p.published_at, p.url, p.text,
                p.start, p.end, day_ts(p.published_at), len(terms), len(spans), sentence_words,
            ))  # fmt: skip
        conn.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)", rows)
        words = list(vocabulary)
        touched = []
        for level, terms, lengths, keys in (
            (_CHUNKS, chunk_terms, chunk_lengths, range(first, first + len(passages))),
            (_SENTENCES, sentence_terms, sentence_lengths, sentence_keys),
        ):
            found = _postings(np.asarray(terms, dtype=np.int64), np.asarray(lengths, dtype=np.int64))
            key_of, length_of = np.asarray(keys, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
            conn.executemany(
                "INSERT INTO postings VALUES (?, ?, ?, ?, ?, ?)",
                sorted(  # in key order: appending to the table's b-tree instead of inserting all over it
                    (level, words[term], segment, *_pack(level, key_of[units], tfs, length_of[units]))
                    for term, units, tfs in found
                ),
            )
            touched += [(level, words[term]) for term, _, _ in found]
        self._count_acronyms(acronyms, 1)
        self._merge(set(touched))

    def remove_articles(self, article_ids: Iterable[str]) -> int:
        """Mark the chunks of these articles dead and forget the articles; returns how many chunks."""
        ids = list(article_ids)
        removed = 0
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            docs = self.conn.execute(
                f"SELECT doc, title, text FROM docs WHERE alive AND article_id IN ({marks})", batch
            ).fetchall()
            acronyms = Counter[str]()
            for _, title, text in docs:
                acronyms.update(_acronym_set(title, text))
            self._count_acronyms(acronyms, -1)
            self.conn.executemany("UPDATE docs SET alive = 0 WHERE doc = ?", [(d,) for d, _, _ in docs])
            self.conn.executemany("INSERT INTO dead(doc) VALUES (?)", [(d,) for d, _, _ in docs])
            self.conn.execute(f"DELETE FROM articles WHERE article_id IN ({marks})", batch)
            removed += len(docs)
        return removed

    def _source_code(self, name: str) -> int:
        code = self._codes.get(name)
        if code is None:
            self.conn.execute("INSERT OR IGNORE INTO sources(name) VALUES (?)", (name,))
            code = self._codes[name] = int(
                self.conn.execute("SELECT code FROM sources WHERE name = ?", (name,)).fetchone()[0]
            )
        return code

    def _count_acronyms(self, counts: Counter[str], sign: int) -> None:
        self.conn.executemany(
            "INSERT INTO acronyms VALUES (?, ?) ON CONFLICT(letters) DO UPDATE SET chunks = chunks + excluded.chunks",
            [(letters, sign * n) for letters, n in counts.items()],
        )

    def _merge(self, touched: set[tuple[int, str]]) -> None:
        """Merge the rows of each touched word that has more than `_MAX_SEGMENTS`, dropping dead chunks."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched(level INTEGER, term TEXT)")
        self.conn.execute("DELETE FROM touched")
        self.conn.executemany("INSERT INTO touched VALUES (?, ?)", list(touched))
        crowded = self.conn.execute(
            "SELECT t.level, t.term FROM touched t JOIN postings p ON p.level = t.level AND p.term = t.term "
            "GROUP BY t.level, t.term HAVING COUNT(*) > ?",
            (_MAX_SEGMENTS,),
        ).fetchall()
        self.conn.execute("DELETE FROM touched")
        if not crowded:
            return
        dead = np.fromiter((d for (d,) in self.conn.execute("SELECT doc FROM dead")), dtype=np.int64)
        for level, term in crowded:
            sizes = self.conn.execute(
                "SELECT segment, length(keys) FROM postings WHERE level = ? AND term = ? ORDER BY segment",
                (level, term),
            ).fetchall()
            first = _merge_from([size for _, size in sizes])
            rows = self.conn.execute(
                "SELECT keys, tfs, lengths FROM postings WHERE level = ? AND term = ? AND segment >= ? "
                "ORDER BY segment",
                (level, term, sizes[first][0]),
            ).fetchall()
            keys, tfs, lengths = _unpack(level, rows)
            owners = keys >> _SENTENCE_BITS if level == _SENTENCES else keys
            keep = ~np.isin(owners, dead)
            self.conn.execute(
                "DELETE FROM postings WHERE level = ? AND term = ? AND segment >= ?", (level, term, sizes[first][0])
            )
            if keep.any():
                self.conn.execute(
                    "INSERT INTO postings VALUES (?, ?, ?, ?, ?, ?)",
                    (level, term, sizes[-1][0], *_pack(level, keys[keep], tfs[keep], lengths[keep])),
                )


def _merge_from(sizes: Sequence[int]) -> int:
    """Which of a word's rows (oldest first) to merge: the newest ones, back to the first older row that is larger
    than all of them together (it is kept as it is, so a large row is rewritten only when the rows after it have
    grown as large: each posting is copied a logarithmic number of times); all of them when that leaves one row."""
    total = 0
    for i in range(len(sizes) - 1, 0, -1):
        total += sizes[i]
        if sizes[i - 1] > total and len(sizes) - i > 1:
            return i
    return 0


def _pack(level: int, keys: Sequence[int] | np.ndarray, tfs: Sequence[int] | np.ndarray,
          lengths: Sequence[int] | np.ndarray) -> tuple[bytes, bytes, bytes]:  # fmt: skip
    key_type = np.int64 if level == _SENTENCES else np.int32
    return (
        np.asarray(keys, dtype=key_type).tobytes(),
        np.asarray(tfs, dtype=np.uint16).tobytes(),
        np.asarray(lengths, dtype=np.uint16).tobytes(),
    )


def _postings(terms: np.ndarray, lengths: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Per term, the units (chunks or sentences, by their place in `lengths`) holding it and how often: `terms` is
    every unit's words in order, `lengths` how many words each unit has."""
    if not terms.size:
        return []
    unit = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    pairs, counts = np.unique(terms << 32 | unit, return_counts=True)
    term_of, unit_of = pairs >> 32, pairs & 0xFFFFFFFF
    starts = np.flatnonzero(np.r_[True, term_of[1:] != term_of[:-1]])
    ends = np.r_[starts[1:], pairs.size]
    return [(int(term_of[a]), unit_of[a:b], counts[a:b]) for a, b in zip(starts, ends)]


def _unpack(level: int, rows: Sequence[tuple[bytes, bytes, bytes]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.uint16), empty.astype(np.uint16)
    key_type = np.int64 if level == _SENTENCES else np.int32
    keys = np.concatenate([np.frombuffer(r[0], dtype=key_type) for r in rows]).astype(np.int64)
    tfs = np.concatenate([np.frombuffer(r[1], dtype=np.uint16) for r in rows])
    lengths = np.concatenate([np.frombuffer(r[2], dtype=np.uint16) for r in rows])
    return keys, tfs, lengths


def _within(keys: np.ndarray, chunks: np.ndarray) -> np.ndarray:
    """Where the sentence postings `keys` (ascending) of `chunks` (ascending) are: each chunk's sentences are found
    by binary search, so a long posting costs as much as a short one."""
    first = np.searchsorted(keys, chunks << _SENTENCE_BITS)
    counts = np.searchsorted(keys, (chunks + 1) << _SENTENCE_BITS) - first
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(first - (np.cumsum(counts) - counts), counts) + np.arange(total)


def _acronym_set(title: str, text: str) -> set[str]:
    """The initials of every capitalised phrase of two or more words, and of each run of three or more of its
    words ("FTC" in "The Federal Trade Commission Chair")."""
    found = set()
    for m in _CAPITALISED_PHRASE.finditer(f"{title}. {text}"):
        letters = "".join(w[0] for w in m.group().split() if w[0].isupper())
        found.add(letters)
        for i in range(len(letters)):
            found.update(letters[i:j] for j in range(i + 3, len(letters) + 1))
    return found


def top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[KeywordHit]:
    """The k highest positive scores (only where `allowed`), best first."""
    if k <= 0:
        return []
    wanted = scores > 0
    if allowed is not None:
        wanted &= allowed
    positive = np.flatnonzero(wanted)
    best = positive if positive.size <= k else positive[np.argpartition(-scores[positive], k - 1)[:k]]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [KeywordHit(int(i), float(scores[i])) for i in best]
