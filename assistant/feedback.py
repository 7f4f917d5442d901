"""Answers given in chat and the 👍/👎 votes on them, in one SQLite file.

An answer is recorded when it is posted (question, answer text, citations JSON); a vote refers to it by id. A
person's later vote on the same answer replaces their earlier one.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from newsdesk.types import Answer

Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id  TEXT PRIMARY KEY,
    asked_at   TEXT NOT NULL,
    asked_by   TEXT NOT NULL,
    place      TEXT NOT NULL,
    question   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    refused    INTEGER NOT NULL,
    answerer   TEXT NOT NULL,
    citations  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id  TEXT NOT NULL,
    user       TEXT NOT NULL,
    rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    clicked_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user)
);
"""


@dataclass(frozen=True)
class FeedbackRow:
    """One vote with the answer it was given on."""

    clicked_at: str
    rating: Rating
    user: str
    answer_id: str
    place: str
    question: str
    answer: str
    citations: list[dict[str, Any]]

    def public(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return asdict(self)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """The SQLite file at `path` (created with its folder on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.executescript(_SCHEMA)
            with db:  # one transaction
                yield db

    def record_answer(self, answer: Answer, asked_by: str, place: str) -> str:
        """Store an answer as posted; returns the id its feedback buttons carry."""
        answer_id = uuid.uuid4().hex
        citations = json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False)
        with self._connect() as db:
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, _now(), asked_by, place, answer.question, answer.answer, int(answer.refused),
                 answer.answerer, citations),
            )
        return answer_id

    def record_vote(self, answer_id: str, user: str, rating: Rating) -> None:
        """Store a vote; the same person voting again on the same answer replaces their vote."""
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)",  # a new row, so it sorts as the latest
                (answer_id, user, rating, _now()),
            )

    def votes(self, limit: int | None = None) -> list[FeedbackRow]:
        """Votes, newest first, each with its question, answer and citations (empty if the answer is unknown)."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT f.clicked_at, f.rating, f.user, f.answer_id, a.place, a.question, a.answer, a.citations "
                "FROM feedback f LEFT JOIN answers a USING (answer_id) "
                "ORDER BY f.clicked_at DESC, f.rowid DESC LIMIT ?",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [
            FeedbackRow(clicked, rating, user, aid, place or "", question or "", text or "", json.loads(cites or "[]"))
            for clicked, rating, user, aid, place, question, text, cites in rows
        ]
