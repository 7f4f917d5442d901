"""Slack-encoded text to plain text, and a thread to question/answer history."""

from __future__ import annotations

from assistant.frontends.slack_format import ANSWER_EVENT
from assistant.frontends.slack_thread import plain_text, thread_history

BOT_ID, BOT_USER = "B0BOT", "U0BOT"


def test_plain_text_drops_own_mention_and_decodes_entities() -> None:
    text = ("<@U0BOT>  who met <@U0ALICE|alice> in <#C0NEWS|news> about <https://ex.org/a|the budget> "
            "&amp; &lt;cuts&gt;? <!here>")
    assert plain_text(text, BOT_USER) == "who met @alice in #news about the budget & <cuts>? @here"
    assert plain_text("<@U0BOT>", BOT_USER) == ""


def answer(ts: str, text: str) -> dict:
    return {"ts": ts, "bot_id": BOT_ID, "user": BOT_USER, "text": text,
            "metadata": {"event_type": ANSWER_EVENT, "event_payload": {"answer_id": "x"}}}


def person(ts: str, text: str, user: str = "U0ALICE") -> dict:
    return {"ts": ts, "user": user, "text": text}


THREAD = [
    person("100.000001", "<@U0BOT> Who leads the interim government?"),
    {"ts": "100.000002", "bot_id": BOT_ID, "user": BOT_USER, "text": "Thinking…"},  # a notice, not an answer
    answer("100.000003", "Colonel Major Ba N’Daou leads it. [1]"),
    {"ts": "100.000004", "bot_id": "B0OTHER", "text": "another bot"},
    person("100.000005", "thanks!", "U0BOB"),
    {"ts": "100.000006", "user": "U0BOB", "subtype": "channel_join", "text": "joined"},
    person("100.000007", "<@U0BOT> And &amp; the prime minister?"),
    answer("100.000008", "Moctar Ouane. [1]"),
    person("100.000009", "<@U0BOT> Who did he appoint as prime minister?"),
    answer("100.000010", "an answer posted after the question being answered"),
]


def test_thread_history_pairs_questions_with_answers() -> None:
    assert thread_history(reversed(THREAD), "100.000009", BOT_ID, BOT_USER, turns=6) == [
        ("Who leads the interim government?", "Colonel Major Ba N’Daou leads it. [1]"),
        ("And & the prime minister?", "Moctar Ouane. [1]"),
    ]


def test_thread_history_keeps_the_latest_turns() -> None:
    latest = [("And & the prime minister?", "Moctar Ouane. [1]")]
    assert thread_history(THREAD, "100.000009", BOT_ID, BOT_USER, turns=1) == latest
    assert thread_history(THREAD, "100.000009", BOT_ID, BOT_USER, turns=0) == []
    assert thread_history(THREAD, "100.000001", BOT_ID, BOT_USER, turns=6) == []


def test_timestamps_compare_as_numbers() -> None:
    thread = [person("99.000009", "early question"), answer("100.000001", "early answer")]
    assert thread_history(thread, "100.000010", BOT_ID, BOT_USER, turns=6) == [("early question", "early answer")]
