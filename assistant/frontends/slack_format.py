"""An `Answer` as Slack messages: mrkdwn text, a Sources block, 👍/👎 buttons, split at Slack's block limits.

Plain functions over plain data; nothing here talks to Slack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.cite import by_number, dropped_note
from newsdesk.types import Answer, Citation

SECTION_LIMIT = 3000  # characters of text in one section block
BLOCKS_PER_MESSAGE = 50
TEXT_LIMIT = 3000  # the notification/fallback `text` we send beside the blocks

FEEDBACK_BLOCK = "feedback"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
ANSWER_EVENT = "news_assistant_answer"  # message metadata event_type that marks a bot message as an answer

THINKING = ":hourglass_flowing_sand: Thinking…"
ERROR_REPLY = "Sorry, something went wrong while answering. Please try again in a minute."
RATE_LIMITED_REPLY = "I'm getting more questions than I can answer right now. Please wait a minute and ask again."
EMPTY_QUESTION_REPLY = "Ask me a question about the news articles, and I'll answer with the passages I used."
UNSUPPORTED_NOTE = (
    ":warning: Unsupported: none of this answer's citations could be checked against the articles, so treat it "
    "with care."
)
FEEDBACK_THANKS = {"up": "Thanks, your 👍 was recorded.", "down": "Thanks, your 👎 was recorded."}


@dataclass
class SlackMessage:
    """One chat.postMessage / chat.update payload: fallback text, blocks and optional metadata."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        """Keyword arguments for the Web API call."""
        out: dict[str, Any] = {"text": self.text, "blocks": self.blocks}
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters, so article text cannot mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """`<url|label>` for http(s) URLs; only the escaped label otherwise."""
    if not re.match(r"https?://\S+$", url):
        return escape(label)
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{escape(label)}>"


_MD_LINK = re.compile(r"\[([^\[\]\n]+)\]\((https?://[^\s()]+)\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*$", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.MULTILINE)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![*\w])")


def to_mrkdwn(markdown: str) -> str:
    """Markdown (as answerers write it) to Slack mrkdwn; `[n]` markers are kept, everything else escaped."""
    links: list[str] = []

    def keep_link(m: re.Match[str]) -> str:
        links.append(link(m.group(2), m.group(1)))
        return f"\x00{len(links) - 1}\x00"

    text = _MD_LINK.sub(keep_link, markdown)
    text = escape(text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = _ITALIC.sub(r"_\1_", text)  # before bold and headings, which produce *single* stars
    text = _BOLD.sub(r"*\2*", text)
    text = _HEADING.sub(lambda m: f"*{m.group(1)}*", text)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word boundary when possible,
    never inside a `<url|label>` link or an `&amp;` escape."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = 0
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep)
            if at >= limit // 2 and (cut := _unbroken(window, at + len(sep.rstrip()))):  # "." stays with its sentence
                break
        cut = cut or _unbroken(window, limit) or limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _unbroken(text: str, cut: int) -> int:
    """`cut`, moved back so it does not fall inside a `<...>` link or an `&...;` escape."""
    head = text[:cut]
    open_link = head.rfind("<")
    if open_link > head.rfind(">"):
        cut = open_link
    amp = text.rfind("&", 0, cut)
    if amp != -1 and amp > cut - 5 and ";" not in text[amp:cut]:
        cut = amp
    return cut


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block (text must already fit SECTION_LIMIT)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def source_block(citation: Citation, more: Sequence[Citation] = ()) -> dict[str, Any]:
    """`[n]` title — source, date (linked to the url), then the quoted passage, and under it the article's `more`
    quotes that carry the same `[n]`, one per line."""
    meta = ", ".join(p for p in (citation.source, citation.published_at[:10]) if p)
    head = f"*[{citation.n}]* {link(citation.url, citation.title) if citation.url else escape(citation.title)}"
    if meta:
        head += f" — {escape(meta)}"
    quotes = [citation, *more]
    room = (SECTION_LIMIT - len(head) - 10 - 2 * (len(quotes) - 1)) // len(quotes)
    lines = []
    for c in quotes:
        quote = escape(" ".join(c.quote.split()))
        if len(quote) > room:
            quote = quote[: _unbroken(quote, room)].rstrip() + "…"
        lines.append(f">{quote}")
    return section("\n".join([head, *lines]))


def feedback_block(answer_id: str) -> dict[str, Any]:
    """The 👍 / 👎 buttons; their value is the stored answer's id."""

    def button(emoji: str, action_id: str) -> dict[str, Any]:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": emoji, "emoji": True},
            "action_id": action_id,
            "value": answer_id,
        }

    buttons = [button("👍", FEEDBACK_UP), button("👎", FEEDBACK_DOWN)]
    return {"type": "actions", "block_id": FEEDBACK_BLOCK, "elements": buttons}


def answer_blocks(answer: Answer) -> list[dict[str, Any]]:
    """Every block of the reply, before splitting into messages (buttons excluded)."""
    blocks = [section(piece) for piece in split_text(to_mrkdwn(answer.answer))]
    if answer.refused:
        if answer.refusal_reason:
            reason = f"({escape(answer.refusal_reason)})"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": reason}]})
        return blocks
    if answer.answered_by:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(answer.answered_by)}]})
    if answer.unsupported:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": UNSUPPORTED_NOTE}]})
    if note := dropped_note(answer):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f":scissors: {note}"}]})
    if answer.citations:
        blocks.append({"type": "divider"})
        blocks.append(section("*Sources*"))
        blocks.extend(source_block(group[0], group[1:]) for group in by_number(answer.citations))
    return blocks


def answer_messages(answer: Answer, answer_id: str) -> list[SlackMessage]:
    """The reply as one or more messages of at most 50 blocks; the first carries the answer metadata, the last
    the feedback buttons."""
    blocks = answer_blocks(answer) + [feedback_block(answer_id)]
    chunks = [blocks[i : i + BLOCKS_PER_MESSAGE] for i in range(0, len(blocks), BLOCKS_PER_MESSAGE)]
    fallback = to_mrkdwn(answer.answer)
    if len(fallback) > TEXT_LIMIT:
        fallback = split_text(fallback, TEXT_LIMIT - 1)[0] + "…"
    messages = [SlackMessage(text=fallback if i == 0 else "(continued)", blocks=c) for i, c in enumerate(chunks)]
    messages[0].metadata = {"event_type": ANSWER_EVENT, "event_payload": {"answer_id": answer_id}}
    return messages


def notice(text: str) -> SlackMessage:
    """A one-section message for the bot's own words (thinking, errors, limits)."""
    return SlackMessage(text=escape(text), blocks=[section(escape(text))])
