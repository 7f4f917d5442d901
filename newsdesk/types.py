"""The shared vocabulary: what flows from files to answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from newsdesk.dates import published_date

PublishedDate = Annotated[str, AfterValidator(published_date)]
"""A publication date as passages, citations and every front end show it: `2024-04-05`."""


@dataclass(frozen=True)
class Article:
    """One cleaned news article. Citation offsets index into `text`."""

    article_id: str
    title: str
    text: str
    source: str = ""
    published_at: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A contiguous slice `article.text[start:end]`, the unit that is embedded and retrieved."""

    chunk_id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int


class Passage(BaseModel):
    """A retrieved chunk with its article's metadata, its rank score (higher ranks first; comparable only within
    one result list) and, when the question was embedded, its cosine `relevance` to the question."""

    chunk_id: str
    article_id: str
    title: str
    source: str = ""
    published_at: PublishedDate = ""
    url: str = ""
    text: str
    start: int
    end: int
    score: float = 0.0
    relevance: float | None = None


class Citation(BaseModel):
    """Where an answer's `[n]` points: a verbatim quote with its offsets in the cleaned article text."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str = ""
    published_at: PublishedDate = ""
    url: str = ""
    quote: str
    start: int
    end: int


class Answer(BaseModel):
    """What every front end shows: the text with inline `[n]` markers and the citations behind them."""

    question: str
    answer: str
    refused: bool = False
    refusal_reason: str | None = None  # why it was refused, as a reader is shown it ("no article from X in the corpus")
    citations: list[Citation] = Field(default_factory=list)
    answerer: str = "extractive"
    answered_by: str = ""  # the answerer in plain words: "Quotes from the articles (offline)", "Written by gpt-4o-mini"
    unsupported: bool = False
    dropped_markers: int = 0
    search_query: str | None = None
    passages: list[Passage] = Field(default_factory=list)

    def public(self, with_passages: bool = False) -> dict[str, Any]:
        """The documented JSON shape (passages only on request)."""
        return self.model_dump(exclude=None if with_passages else {"passages"})
