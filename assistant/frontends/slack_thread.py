"""Slack message text to plain text, and a thread's earlier messages to question/answer history.

Plain functions over the dicts Slack sends; nothing here talks to Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from assistant.frontends.slack_format import ANSWER_EVENT

_ANGLE = re.compile(r"<([^<>]+)>")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack's encoded message text as plain text: the bot's own mention removed, `<...>` entities turned into
    what they show, `&amp;`/`&lt;`/`&gt;` unescaped, whitespace collapsed."""

    def entity(m: re.Match[str]) -> str:
        target, _, label = m.group(1).partition("|")
        if target.startswith("@"):
            return "" if bot_user_id and target[1:] == bot_user_id else "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return label or target

    out = _ANGLE.sub(entity, text)
    out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(out.split())


def ts_key(ts: str) -> tuple[int, int]:
    """A Slack timestamp ("1700000000.000100") as a sortable pair."""
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)


def is_answer(message: Mapping[str, Any], bot_id: str | None, bot_user_id: str | None) -> bool:
    """A message this bot posted as an answer (marked by its metadata), not a notice or an error reply."""
    ours = (bot_id is not None and message.get("bot_id") == bot_id) or (
        bot_user_id is not None and message.get("user") == bot_user_id
    )
    return ours and (message.get("metadata") or {}).get("event_type") == ANSWER_EVENT


def is_from_person(message: Mapping[str, Any]) -> bool:
    """A message a person wrote (bots, edits, joins and other subtypes are not)."""
    ordinary = message.get("subtype") in (None, "thread_broadcast")
    return ordinary and not message.get("bot_id") and bool(message.get("user"))


def thread_history(
    messages: Iterable[Mapping[str, Any]],
    before_ts: str,
    bot_id: str | None,
    bot_user_id: str | None,
    turns: int,
) -> list[tuple[str, str]]:
    """(question, answer) pairs of a thread before `before_ts`, oldest first, at most `turns` of the latest:
    each answer of this bot paired with the last message a person wrote before it."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    limit = ts_key(before_ts)
    for message in sorted(messages, key=lambda m: ts_key(str(m.get("ts", "0")))):
        if ts_key(str(message.get("ts", "0"))) >= limit:
            break
        if is_answer(message, bot_id, bot_user_id):
            if pending:
                pairs.append((pending, plain_text(str(message.get("text", "")))))
            pending = None
        elif is_from_person(message):
            pending = plain_text(str(message.get("text", "")), bot_user_id) or pending
    return pairs[-turns:] if turns else []
