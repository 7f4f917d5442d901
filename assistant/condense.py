"""Follow-up question + chat history -> one standalone question to search for.

With a language model (the LLM answerers) the model rewrites the question from `prompts/condense.txt`; when it
fails or gives nothing usable, the rules below are used instead.

Without one (extractive mode) a rule-based rewrite resolves the ways a follow-up leans on the previous turn:

- a personal pronoun (he, she, him, his, her, hers) is replaced by the person the previous turn was about: the
  name phrases of the previous answer (capitalised word runs, multi-word names first, names the question already
  held left out) ranked by how close they stand, within the answer's sentences, to the previous question's key
  words. "Who leads the interim government?" answered with "... appointed ... Colonel Major Ba N'Daou as Mali's
  interim president" turns "Who did he appoint as prime minister?" into "Who did Colonel Major Ba N'Daou appoint
  as prime minister?". When the previous question named a person and did not ask "who", that person is meant, also
  when it was typed in lower case and the answer writes the name ("how old is he" after "where did patrick kane
  grow up" asks about Patrick Kane, not the "Stanley Cup" the answer mentions).
  Possessives become "<name>'s". Refusals are skipped when looking back.
- any other reference back (it, its, they, them, their, this, these, those, there, the same), an unresolved
  personal pronoun, or an elliptical fragment ("And in 2021?", "What about Niger?") keeps its wording and gets the
  previous turn's subject in parentheses: the name the previous answer gave when that question asked which thing
  ("Which force carried out the raid?" -> "Who commands it? (Barkhane)"), else the names in the previous
  question, else (unless it asked who) a name the answer writes right before the question's words ("the Saltmarsh
  coastal railway" for "When did the coastal railway reopen?"), else the subject that question itself carried as a
  follow-up, else that whole question. After "why did everton get a points deduction" a stray name in the answer
  ("Manchester City") is not what "it" means.

A question typed with capitals that names nothing, after one that named something, gets that subject in
parentheses too ("How long is the contract?" after "How much is Shohei Ohtani's contract with the Dodgers worth?");
one typed all in lower case may name something without capitals ("who is the ceo of openai") and is left alone.

A pronoun after a name in the same question refers to that name, so such a question is left as it is. Earlier
follow-ups are resolved first, in order, so a chain of follow-ups keeps its subject. A question that does not refer
back is returned unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.evidence import content_words
from assistant.prompts import fill, load_prompt
from assistant.refusal import REFUSAL
from newsdesk.text import CALENDAR_WORDS, STOP_WORDS, TITLE_WORDS, one_line, without_markers

log = logging.getLogger(__name__)

Turn = tuple[str, str]
"""One exchange: (user question, assistant answer)."""

MAX_TURNS = 6  # turns of history shown to the model and searched for referents

_TOKEN = re.compile(r"[^\W\d_][\w'’\-]*|\d[\d,.]*|[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?]$")
_PERSONAL = frozenset("he she him his her hers".split())
# Words after "her" that show it is an object ("appoint her as", "told her that"), not a possessive.
_NOT_AFTER_POSSESSIVE = frozenset("as to that in on at for from with by and or but about after before when if".split())
_REFERRING = frozenset("it its they them their theirs this these those there".split())
_OPENER = r"(?:(?:and|but|also|so|then)\s+)?"
_WHAT_ABOUT = re.compile(_OPENER + r"(?:what|how)\s+about\b", re.I)
_CONJUNCTION = re.compile(r"(?:and|but|also)\b", re.I)
_QUESTION_START = re.compile(
    _OPENER + r"(?:who|whom|whose|what|which|when|where|why|how|did|does|do|is|are|was|were|has|have|can|will)\b", re.I
)
_NAME_JOINERS = frozenset("de da del der di du van von al bin ibn la le of".split())
_NOT_NAMES = CALENDAR_WORDS | TITLE_WORDS | {"i"}  # "CEO", "President": a title, not whom a follow-up means
_FAR = 1_000


def turns_of(history: Sequence[Any] | None) -> list[Turn]:
    """History as (user, assistant) pairs; accepts pairs or OpenAI-style {"role", "content"} messages."""
    turns: list[Turn] = []
    pending: str | None = None
    for item in history or ():
        if isinstance(item, Mapping):
            role, content = item.get("role"), item.get("content")
            if not isinstance(content, str):
                raise ValueError("history messages need a text 'content'")
            if role == "user":
                if pending is not None:
                    turns.append((pending, ""))
                pending = content
            elif role == "assistant":
                turns.append((pending or "", content))
                pending = None
            elif role != "system":
                raise ValueError(f"history role must be 'user' or 'assistant', not {role!r}")
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            user, reply = item
            if not isinstance(user, str) or not isinstance(reply, (str, type(None))):
                raise ValueError("history pairs must be (question, answer) strings")
            turns.append((user, reply or ""))
        else:
            raise ValueError("history must be a list of (question, answer) pairs or {role, content} messages")
    if pending is not None:
        turns.append((pending, ""))
    return turns[-MAX_TURNS:]


def condense(question: str, history: Sequence[Any] | None, llm: Any = None) -> str:
    """The standalone form of `question` given the chat `history`; `llm` (a LangChain chat model or LLM) is
    optional: without one, or when it fails, the rule-based rewrite is used."""
    turns = turns_of(history)
    if not turns:
        return question
    if llm is not None:
        try:
            return condense_with_llm(question, turns, llm)
        except Exception as exc:  # noqa: BLE001 - any model failure falls back to the rules
            log.warning("condense with the model failed (%s); using the rule-based rewrite", type(exc).__name__)
    return rewrite_follow_up(question, turns)


# ---- with a model -------------------------------------------------------------------------------------------


def condense_prompt(question: str, turns: Sequence[Turn]) -> str:
    """prompts/condense.txt filled with the conversation and the question."""
    lines = []
    for user, reply in turns:
        lines.append(f"User: {one_line(user)}")
        if reply:
            lines.append(f"Assistant: {one_line(without_markers(reply))}")
    return fill(load_prompt("condense"), history="\n".join(lines), question=one_line(question))


def condense_with_llm(question: str, turns: Sequence[Turn], llm: Any) -> str:
    """Ask the model for the standalone question; an empty or runaway reply raises ValueError."""
    reply = llm.invoke(condense_prompt(question, turns))
    text = reply if isinstance(reply, str) else str(getattr(reply, "content", ""))
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    rewritten = re.sub(r"^(?:standalone question|question)\s*:\s*", "", lines[0], flags=re.I) if lines else ""
    rewritten = rewritten.strip().strip("\"'“”").strip()
    if not rewritten or len(rewritten) > 3 * len(question) + 200:
        raise ValueError("the model gave no usable question")
    return rewritten


# ---- without a model ----------------------------------------------------------------------------------------


def rewrite_follow_up(question: str, turns: Sequence[Turn]) -> str:
    """The rule-based rewrite described in the module docstring."""
    resolved: list[Turn] = []
    for user, reply in turns:
        resolved.append((_rewrite_one(user, resolved), reply))
    return _rewrite_one(question, resolved)


def _rewrite_one(question: str, earlier: Sequence[Turn]) -> str:
    """Resolve `question` against `earlier` turns whose questions are already standalone."""
    if not earlier:
        return question
    words = [t.lower() for t in _TOKEN.findall(question)]
    pronouns = [i for i, w in enumerate(words) if w in _PERSONAL or w in _REFERRING]
    if pronouns and any(start < pronouns[0] for _, start, _ in _name_spans(question)):
        return question  # "What did Imogen Farrow say about her plan?": the antecedent is in the question
    rewritten, resolved = question, False
    if any(w in _PERSONAL for w in words):
        name = _person_referent(earlier)
        if name:
            rewritten, resolved = _substitute(question, name), True
    if _leans_back(rewritten, words, resolved) or _names_nothing_after_names(rewritten, earlier):
        context = _context(earlier)
        if context and context.lower() not in rewritten.lower():  # not "who did Ana Lima buy it from (Ana Lima)"
            rewritten = f"{rewritten} ({context})"
    return rewritten


def _context(earlier: Sequence[Turn]) -> str:
    """What a non-personal reference most likely points back to (see the module docstring)."""
    question, reply = next(((q, r) for q, r in reversed(earlier) if q.strip()), ("", ""))
    answer = without_markers(reply) if reply and reply.strip() != REFUSAL else ""
    if answer and _asks_for_a_thing(question) and (name := _closest_name(answer, question, people=False)):
        return name
    names = name_phrases(question)
    if names:
        return "; ".join(names)
    if answer and not _asks_who(question) and (name := _qualifier(answer, question)):
        return name
    return _carried(question) or one_line(question)


def _qualifier(answer: str, question: str) -> str | None:
    """A name of the answer written right before a key word of the question, so it says which thing the question
    was about: "the Saltmarsh coastal railway" for "When did the coastal railway reopen?"."""
    keys = _key_prefixes(question)
    tokens = _TOKEN.findall(answer)
    for name, _, end in _name_spans(answer):
        if end < len(tokens) and tokens[end].lower()[:5] in keys:
            return name
    return None


def _key_prefixes(question: str) -> set[str]:
    """The first five letters of the question's content words: how an answer's words are matched to them."""
    return {w[:5] for w in content_words(question)}


_ASKS_FOR_A_THING = re.compile(
    _OPENER + r"(?:which|what)\s+(?!(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could|about)\b)[a-z]",
    re.I,
)
_CARRIED = re.compile(r"\s\((.+)\)$")


def _asks_for_a_thing(question: str) -> bool:
    """Whether the question asks which thing ("Which force carried out the raid?", "What company bought it?"):
    then the thing its answer names is what a later "it" points back to. After a why, when, how many or who
    question, "it" still means what that question was about."""
    return bool(_ASKS_FOR_A_THING.match(question.strip()))


def _carried(question: str) -> str:
    """The subject an earlier rewritten follow-up carried in parentheses ("" if none): a chain of follow-ups
    keeps its topic ("how many points was it (why did everton get a points deduction)")."""
    m = _CARRIED.search(question.strip())
    return m.group(1) if m else ""


_ASKS_WHO = re.compile(_OPENER + r"(?:who|whom|whose)\b", re.I)


def _asks_who(question: str) -> bool:
    """Whether the question asks who ("Who ...", "And who replaced ...?")."""
    return bool(_ASKS_WHO.match(question.strip()))


def _leans_back(question: str, words: Sequence[str], resolved: bool) -> bool:
    """Whether the question still needs the previous turn's subject after personal pronouns were replaced."""
    if any(w in _PERSONAL for w in words) and not resolved:
        return True
    if any(w in _REFERRING for w in words) or re.search(r"\bthe same\b", question, re.I):
        return True
    q = question.strip()
    if (_WHAT_ABOUT.match(q) or _CONJUNCTION.match(q)) and not _is_full_question(q):
        return True
    return not resolved and len(content_words(question)) < 2


def _names_nothing_after_names(question: str, earlier: Sequence[Turn]) -> bool:
    """Whether the question, typed with capitals, names nothing while the one before it wrote a name in capitals:
    "How old is the prime minister?" after "Who leads Mali's interim government?" asks about Mali's. (A question
    typed in lower case, "who is the ceo of openai", may name something all the same, so it is left as it is.)"""
    before = next((q for q, _ in reversed(earlier) if q.strip()), "")
    typed_cased = question.strip()[:1].isupper()
    return typed_cased and not name_phrases(question) and bool(name_phrases(_CARRIED.sub("", before.strip())))


def _is_full_question(question: str) -> bool:
    """Led by a question word or auxiliary (after an optional "and"/"but"), not "what about", two content words."""
    q = question.strip()
    return bool(_QUESTION_START.match(q)) and not _WHAT_ABOUT.match(q) and len(content_words(q)) >= 2


def _substitute(question: str, name: str) -> str:
    """Replace personal pronouns by `name`; possessive "his"/"her <noun>"/"hers" become "<name>'s"."""

    def repl(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word in ("his", "hers"):
            return f"{name}'s"
        if word == "her":
            following = question[m.end() :].lstrip()
            nxt = _TOKEN.match(following)
            possessive = (
                nxt is not None and nxt.group(0)[0].isalpha() and nxt.group(0).lower() not in _NOT_AFTER_POSSESSIVE
            )
            return f"{name}'s" if possessive else name
        return name

    return re.sub(r"\b(?:he|she|him|his|hers|her)\b", repl, question, flags=re.I)


def _person_referent(earlier: Sequence[Turn]) -> str | None:
    """The person the latest informative turn was about (see the module docstring), or None."""
    for user, reply in reversed(earlier):
        asks_who = _asks_who(user)
        named_in_question = [n for n in name_phrases(user) if len(n.split()) > 1] or _typed_lower(user, reply)
        if named_in_question and not asks_who:
            return named_in_question[0]
        if not reply or reply.strip() == REFUSAL:
            continue
        best = _closest_name(without_markers(reply), user)
        if best:
            return best
        if named_in_question:
            return named_in_question[0]
    return None


def _typed_lower(question: str, reply: str) -> list[str]:
    """The names the question wrote in lower case that the answer writes as names, in full as the question gives
    them ("Patrick Kane" for "where did patrick kane grow up" answered "... potential landing spots for Kane")."""
    words = [t for t in _TOKEN.findall(question) if t[0].isalpha()]
    low = [w.lower() for w in words]
    out = []
    text = without_markers(reply)
    opening = [t for t in _TOKEN.findall(text) if _is_capitalised(t) and t.lower() not in STOP_WORDS]  # "Kane grew"
    for name in [*name_phrases(text), *opening]:
        parts = name.lower().split()
        for i in range(len(low) - len(parts) + 1):
            if low[i : i + len(parts)] == parts and all(w.islower() for w in words[i : i + len(parts)]):
                # a surname the answer gives alone: with the first name before it ("patrick kane")
                first = i - 1 if len(parts) == 1 and i and not _asks_or_joins(low[i - 1]) else i
                full = " ".join(w.capitalize() for w in words[first : i + len(parts)])
                if full not in out:
                    out.append(full)
    return out


def _asks_or_joins(word: str) -> bool:
    """Whether a lower-case word is a question word, an auxiliary or a joining word, not part of a name."""
    return word in _STOPLIKE or word in STOP_WORDS or bool(_QUESTION_START.fullmatch(word))


def _closest_name(answer: str, question: str, people: bool = True) -> str | None:
    """The answer's name phrase nearest to the question's key words, leaving out names the question already
    holds; for `people`, multi-word names first."""
    keys = _key_prefixes(question)
    asked = {w.lower() for n in name_phrases(question) for w in n.split()}
    found = [f for f in _name_spans(answer) if not (people and f[0].startswith("The "))]  # "The Athletic": no one
    if not found:
        return None
    tokens = _TOKEN.findall(answer)
    key_at = [i for i, t in enumerate(tokens) if t.lower()[:5] in keys and t.lower() not in asked]
    sentence_of = _sentence_index(tokens)
    multi = [f for f in found if len(f[0].split()) > 1 and not set(f[0].lower().split()) <= asked]
    fresh = [f for f in found if not set(f[0].lower().split()) <= asked]
    pool = (multi or fresh) if people else fresh
    if not pool:
        return None

    def distance(item: tuple[str, int, int]) -> tuple[int, int]:
        _, start, end = item
        near = [
            min(abs(i - start), abs(i - (end - 1)))
            for i in key_at
            if sentence_of[i] == sentence_of[start] and not start <= i < end
        ]
        return (min(near) if near else _FAR, start)

    return min(pool, key=distance)[0]


def _sentence_index(tokens: Sequence[str]) -> list[int]:
    out, n = [], 0
    for t in tokens:
        out.append(n)
        if _SENTENCE_END.match(t):
            n += 1
    return out


def name_phrases(text: str) -> list[str]:
    """Capitalised word runs of `text` that read as names, in order of first appearance, without duplicates."""
    seen: list[str] = []
    for name, _, _ in _name_spans(text):
        if name not in seen:
            seen.append(name)
    return seen


def _name_spans(text: str) -> list[tuple[str, int, int]]:
    """(name, first token, end token) for each name phrase; a sentence's first word counts only when it is
    capitalised somewhere else too, or begins a longer name."""
    tokens = _TOKEN.findall(without_markers(text))
    starts = {0} | {i + 1 for i, t in enumerate(tokens) if _SENTENCE_END.match(t)}
    mid_capitals = {t for i, t in enumerate(tokens) if i not in starts and _is_capitalised(t)}
    spans, i = [], 0
    while i < len(tokens):
        if not _is_capitalised(tokens[i]):
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and (
            _is_capitalised(tokens[j])
            or (tokens[j] in _NAME_JOINERS and j + 1 < len(tokens) and _is_capitalised(tokens[j + 1]))
        ):
            j += 1
        words = [_strip_possessive(t) for t in tokens[i:j]]
        first = i
        if i in starts and (words[0].lower() in _STOPLIKE or (j - i == 1 and tokens[i] not in mid_capitals)):
            words, first = words[1:], i + 1
        if words:
            spans.append((" ".join(words), first, j))
        i = j
    return spans


_STOPLIKE = frozenset("the a an in on at for by with from and or but this that these those it its".split())


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper() and token.lower() not in _NOT_NAMES and token[:1].isalpha()


def _strip_possessive(token: str) -> str:
    return re.sub(r"['’]s$", "", token)
