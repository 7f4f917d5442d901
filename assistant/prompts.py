"""Prompts for the language-model answerers: the templates in prompts/, filled with passages that fit a token budget.

Templates use `{name}` placeholders (filled by plain replacement, so braces elsewhere are left alone):

- prompts/answer_system.txt + prompts/answer_user.txt: the chat prompt (instruction-tuned models, OpenAI API).
- prompts/answer_completion.txt: the completion prompt for base models (the local model, `llm.api = completions`).
  Whatever follows its last ``Answer:`` is the start of the answer, written for the model: the model continues it
  and it is part of the answer text.
- prompts/answer_passage.txt: how one passage is shown, fenced in ``<passage n="..">`` tags; fence tags inside
  article text are defused so a passage cannot close its fence and pose as instructions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.refusal import REFUSAL
from ingest.sentences import sentence_spans
from ingest.tokens import count_tokens
from newsdesk.text import one_line
from newsdesk.types import Passage

SOURCE_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"  # a source checkout's prompts/
ANSWER_MARK = "Answer:"
COMPLETION_STOP = ["\n"]  # a base model's answer is one line; it would go on with another "Question:"
MIN_PARTIAL_TOKENS = 48  # a passage cut shorter than this is left out instead

_FENCE = re.compile(r"<(/?)(passage)", re.IGNORECASE)


@lru_cache(maxsize=16)
def load_prompt(name: str) -> str:
    """The text of prompts/<name>.txt: from the installed `prompts` package, else from the source checkout (an
    editable install made before `prompts` was a package, or a run from the source tree without installing)."""
    filename = f"{name}.txt"
    for folder in _template_folders():
        template = folder.joinpath(filename)
        if template.is_file():
            return template.read_text(encoding="utf-8")
    raise FileNotFoundError(f"prompt template {filename} not found in the prompts package or {SOURCE_PROMPTS}")


def _template_folders() -> list[Traversable]:
    """The installed `prompts` package when it can be imported, then a source checkout's prompts/."""
    try:
        return [files("prompts"), SOURCE_PROMPTS]
    except ModuleNotFoundError:
        return [SOURCE_PROMPTS]


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, **values: str) -> str:
    """`template` with each `{name}` replaced by its value, in one pass: a value that itself holds `{question}` or
    `{text}` (an article, a title) stays as written; names not given stay as they are."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def defuse(text: str) -> str:
    """Article text that cannot open or close a passage fence."""
    return _FENCE.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", text)


def render_passage(n: int, passage: Passage) -> str:
    """Passage `n` as the model sees it: fenced, with title, source and date."""
    parts = (
        f"Source: {passage.source}" if passage.source else "",
        f"Date: {passage.published_at[:10]}" if passage.published_at else "",
    )
    meta = " | ".join(part for part in parts if part)
    template = load_prompt("answer_passage")
    if not meta:
        template = template.replace("{meta}\n", "")
    title = defuse(" ".join(passage.title.split()))
    return fill(template, n=str(n), title=title, meta=defuse(meta), text=defuse(passage.text.strip())).strip()


def fit_passages(passages: Sequence[Passage], budget: int) -> list[Passage]:
    """The passages, best first, that fit in `budget` tokens (cl100k) as rendered; the first one that does not fit
    is cut at a sentence end (its offsets stay valid), and the rest are left out."""
    kept: list[Passage] = []
    used = 0
    for passage in passages:
        cost = count_tokens(render_passage(len(kept) + 1, passage))
        if used + cost <= budget:
            kept.append(passage)
            used += cost
            continue
        cut = _cut_to_fit(passage, len(kept) + 1, budget - used)
        if cut is not None:
            kept.append(cut)
        break
    return kept


def focus_passages(
    passages: Sequence[Passage], question_vector: Sequence[float], embeddings: Embeddings, sentences: int
) -> list[Passage]:
    """Each passage narrowed to `sentences` consecutive sentences around its sentence closest to the question
    (cosine of the sentence vectors); still a verbatim slice of the article, offsets adjusted."""
    question = np.asarray(question_vector, dtype=np.float32)
    focused = []
    for passage in passages:
        spans = sentence_spans(passage.text)
        if len(spans) <= sentences:
            focused.append(passage)
            continue
        vectors = np.asarray(embeddings.embed_documents([passage.text[s:e] for s, e in spans]), dtype=np.float32)
        best = int(np.argmax(vectors @ question))
        first = max(0, min(best - (sentences - 1) // 2, len(spans) - sentences))
        start, end = spans[first][0], spans[first + sentences - 1][1]
        focused.append(
            passage.model_copy(
                update={"text": passage.text[start:end], "start": passage.start + start, "end": passage.start + end}
            )
        )
    return focused


def _cut_to_fit(passage: Passage, n: int, room: int) -> Passage | None:
    if room < MIN_PARTIAL_TOKENS:
        return None
    best = None
    for _, end in sentence_spans(passage.text):
        trial = passage.model_copy(update={"text": passage.text[:end], "end": passage.start + end})
        if count_tokens(render_passage(n, trial)) > room:
            break
        best = trial
    return best


def passages_block(passages: Sequence[Passage]) -> str:
    """All passages, numbered from 1, fenced and separated by blank lines."""
    return "\n\n".join(render_passage(n, p) for n, p in enumerate(passages, 1))


@dataclass(frozen=True)
class ChatPrompt:
    """The system and user messages of the chat prompt."""

    system: str
    user: str


def chat_prompt(question: str, passages: Sequence[Passage]) -> ChatPrompt:
    """The chat prompt for `question` over `passages` (already fitted)."""
    system = fill(load_prompt("answer_system"), refusal=REFUSAL)
    user = fill(load_prompt("answer_user"), passages=passages_block(passages), question=one_line(question))
    return ChatPrompt(system.strip(), user.strip())


@dataclass(frozen=True)
class CompletionPrompt:
    """A completion prompt and the answer start it ends with (the model continues `answer_start`)."""

    text: str
    answer_start: str


def completion_prompt(question: str, passages: Sequence[Passage]) -> CompletionPrompt:
    """The completion prompt for base models."""
    text = fill(load_prompt("answer_completion"), refusal=REFUSAL, passages=passages_block(passages),
                question=one_line(question)).rstrip("\n")
    head, _, start = text.rpartition(ANSWER_MARK)
    if not head:
        raise ValueError(f"prompts/answer_completion.txt must end with a line starting '{ANSWER_MARK}'")
    return CompletionPrompt(text, start.lstrip())

