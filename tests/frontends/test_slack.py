"""The Slack bot end to end: signed requests over real HTTP into `assistant serve`'s /slack/events (uvicorn on
127.0.0.1), Socket Mode through `assistant slack`, and a stand-in Slack Web API recording every call.

The extractive answerer over the example store answers; nothing is mocked but Slack itself. Work done after the
acknowledgement is awaited by polling the recorder (bounded), never by sleeping.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from slack_bolt import BoltRequest

from assistant import Assistant, Settings
from assistant.frontends.cli import cli
from assistant.frontends.slack import build_app
from assistant.frontends.slack_format import ANSWER_EVENT, ERROR_REPLY, RATE_LIMITED_REPLY, THINKING
from assistant.frontends.web import create_app
from tests.fixtures.core import SEED_QUESTION, make_settings
from tests.fixtures.servers import free_port, stop
from tests.fixtures.slack_api import (
    ALICE,
    APP_TOKEN,
    BOB,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    SlackApiStandIn,
    block_action,
    channel_message,
    direct_message,
    event_callback,
    form_body,
    mention,
    signed_headers,
    until,
)
from tests.fixtures.web_server import serve_in_thread

CHANNEL = "C0NEWSROOM"
FOLLOW_UP = "Who did he appoint as prime minister?"
BA_NDAOU_QUOTE = (
    "Mali’s military junta, headed by Assimi Goïta, appointed former defence minister Colonel Major Ba N’Daou as "
    "Mali’s interim president for 18 months."
)
SOURCE_HEAD = "France Conducts Counter-Terrorism Operation in Mali, Kills 50 — Reuters, 2020-11-04"


class RecordingAssistant(Assistant):
    """The real Assistant, noting the history each question arrives with."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.asked: list[tuple[str, list[tuple[str, str]]]] = []

    def ask(self, question: str, history: Any = None, k: int | None = None) -> Any:
        self.asked.append((question, list(history or [])))
        return super().ask(question, history=history, k=k)


def slack_settings(store: Path, cache_dir: Path, api: SlackApiStandIn, feedback_db: Path, **slack: Any) -> Settings:
    """Extractive settings over `store`, talking to the stand-in."""
    settings = make_settings(store, cache_dir)
    settings.slack.bot_token = SecretStr(BOT_TOKEN)
    settings.slack.signing_secret = SecretStr(SIGNING_SECRET)
    settings.slack.api_base_url = api.base_url
    settings.slack.feedback_db = feedback_db
    for key, value in slack.items():
        setattr(settings.slack, key, value)
    return settings


@pytest.fixture(scope="module")
def server(
    example_store: Path, cache_dir: Path, slack_api_server: SlackApiStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """`create_app(settings)` (what `assistant serve` runs) under uvicorn on 127.0.0.1, Slack configured.

    One answering worker, so answers run in arrival order: a later question finishing proves an earlier
    delivery started no work of its own."""
    feedback_db = tmp_path_factory.mktemp("slack") / "feedback.sqlite"
    settings = slack_settings(example_store, cache_dir, slack_api_server, feedback_db, workers=1,
                              user_questions_per_minute=1000, questions_per_minute=1000)
    assistant = RecordingAssistant(settings)
    with serve_in_thread(create_app(settings, assistant), limit=60) as base:
        yield {"url": f"{base}/slack/events", "assistant": assistant, "feedback_db": feedback_db}


def post(url: str, body: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body.encode(), headers=headers, timeout=10)


def send_event(
    url: str, event: dict[str, Any], event_id: str | None = None, **headers: str
) -> tuple[httpx.Response, dict[str, Any]]:
    """POST an event callback signed with the right secret; returns the response and the body sent."""
    payload = event_callback(event, event_id)
    body = json.dumps(payload)
    return post(url, body, {**signed_headers(body), **headers}), payload


def ask_in_channel(api: SlackApiStandIn, url: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
    """Alice mentions the bot; wait for the answer; returns the question, the chat.update that put the answer in
    place, and the answer message as stored."""
    question = api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {text}", thread_ts=thread_ts)
    response, _ = send_event(url, mention(question, CHANNEL))
    assert response.status_code == 200
    answer = api.wait_for_answer(CHANNEL, question)
    update = next(c for c in api.calls_to("chat.update") if c["ts"] == answer["ts"])
    return {"question": question, "update": update, "answer": answer}


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


# ---- HTTP mode ------------------------------------------------------------------------------------------------
def test_url_verification_challenge_answered(server: dict[str, Any], slack_api: SlackApiStandIn) -> None:
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd", "type": "url_verification"})
    response = post(server["url"], body, signed_headers(body))
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd"}
    assert slack_api.calls == []


def test_mention_is_acknowledged_at_once_then_answered_in_thread(
    server: dict[str, Any], slack_api: SlackApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    question = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {SEED_QUESTION}")
    with slack_api.hold("chat.postMessage") as gate:
        # The "thinking…" post is held at the stand-in: the acknowledgement must not wait for any of the work.
        response, payload = send_event(server["url"], mention(question, CHANNEL))
        assert response.status_code == 200 and response.text == ""
        assert "chat.update" not in slack_api.methods()
        gate.set()
    answer = slack_api.wait_for_answer(CHANNEL, question)
    thinking, = slack_api.calls_to("chat.postMessage")
    update, = slack_api.calls_to("chat.update")
    assert update["ts"] == answer["ts"]

    assert slack_api.calls_to("reactions.add") == [
        {"channel": CHANNEL, "timestamp": question["ts"], "name": "eyes", "team_id": "T0NEWSDESK"}
    ]
    assert thinking["channel"] == CHANNEL and thinking["thread_ts"] == question["ts"] and thinking["text"] == THINKING
    reply = slack_api.message(CHANNEL, update["ts"])
    assert update["channel"] == CHANNEL and reply["thread_ts"] == question["ts"]  # the thinking message, replaced
    assert update["metadata"]["event_type"] == ANSWER_EVENT
    assert "Ba N’Daou" in update["text"]
    texts = section_texts(update["blocks"])
    assert "*Sources*" in texts
    marker = next(t for t in texts if t.startswith("*[") and BA_NDAOU_QUOTE in t).split("*")[1]  # "[n]"
    assert f"*{marker}* {SOURCE_HEAD}\n>{BA_NDAOU_QUOTE}" in texts
    assert marker in update["text"]
    buttons = update["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["feedback_up", "feedback_down"]
    assert server["assistant"].asked[-1] == (SEED_QUESTION, [])

    # Logs name the event, never the question, the answer or a secret.
    assert payload["event_id"] in caplog.text
    for secret_or_text in ("interim government", "N’Daou", BOT_TOKEN, SIGNING_SECRET):
        assert secret_or_text not in caplog.text


def test_thread_follow_up_uses_the_thread_as_history(server: dict[str, Any], slack_api: SlackApiStandIn) -> None:
    first = ask_in_channel(slack_api, server["url"], SEED_QUESTION)
    parent_ts = first["question"]["ts"]
    follow = ask_in_channel(slack_api, server["url"], FOLLOW_UP, thread_ts=parent_ts)

    replies, = slack_api.calls_to("conversations.replies")
    assert (replies["channel"], replies["ts"], replies["include_all_metadata"]) == (CHANNEL, parent_ts, "1")
    question, history = server["assistant"].asked[-1]
    assert question == FOLLOW_UP
    assert history == [(SEED_QUESTION, first["update"]["text"])]
    assert follow["answer"]["thread_ts"] == parent_ts
    assert "Moctar Ouane" in follow["update"]["text"]
    assert any("Moctar Ouane" in t for t in section_texts(follow["update"]["blocks"]) if t.startswith("*["))


@pytest.mark.parametrize("channel_type", ["channel", "group"])
def test_a_reply_without_a_mention_in_a_thread_the_bot_answered_is_answered(
    server: dict[str, Any], slack_api: SlackApiStandIn, channel_type: str
) -> None:
    first = ask_in_channel(slack_api, server["url"], SEED_QUESTION)
    parent_ts = first["question"]["ts"]
    reply = slack_api.user_message(CHANNEL, FOLLOW_UP, user=BOB, thread_ts=parent_ts)
    response, _ = send_event(server["url"], channel_message(reply, CHANNEL, channel_type))
    assert (response.status_code, response.text) == (200, "")
    answer = slack_api.wait_for_answer(CHANNEL, reply)

    assert answer["thread_ts"] == parent_ts
    assert "Moctar Ouane" in answer["text"]
    question, history = server["assistant"].asked[-1]
    assert (question, history) == (FOLLOW_UP, [(SEED_QUESTION, first["update"]["text"])])
    replies, = slack_api.calls_to("conversations.replies")  # read once: to see the bot's answer, and as history
    assert (replies["channel"], replies["ts"]) == (CHANNEL, parent_ts)
    assert [c["timestamp"] for c in slack_api.calls_to("reactions.add")] == [parent_ts, reply["ts"]]


def test_other_channel_messages_are_left_alone(server: dict[str, Any], slack_api: SlackApiStandIn) -> None:
    answered = ask_in_channel(slack_api, server["url"], SEED_QUESTION)["question"]["ts"]
    chat = slack_api.user_message(CHANNEL, "Lunch at noon?")
    ignored = [
        slack_api.user_message(CHANNEL, SEED_QUESTION),  # not in a thread, no mention
        slack_api.user_message(CHANNEL, SEED_QUESTION, thread_ts=chat["ts"]),  # a thread the bot is not in
        slack_api.user_message(CHANNEL, f"<@{BOB}> {FOLLOW_UP}", thread_ts=answered),  # addressed to Bob
    ]
    for message in ignored:
        assert send_event(server["url"], channel_message(message, CHANNEL))[0].status_code == 200
    asked = len(server["assistant"].asked)
    ask_in_channel(slack_api, server["url"], "Who is Moctar Ouane?")  # one worker: earlier work is done

    assert len(server["assistant"].asked) == asked + 1
    assert [c["ts"] for c in slack_api.calls_to("conversations.replies")] == [chat["ts"]]
    threads = [c["thread_ts"] for c in slack_api.calls_to("chat.postMessage")]
    assert chat["ts"] not in threads and threads.count(answered) == 1  # the first answer's "thinking…" only
    assert {c["timestamp"] for c in slack_api.calls_to("reactions.add")}.isdisjoint(m["ts"] for m in ignored)


def test_a_mention_in_an_answered_thread_is_answered_once(server: dict[str, Any], slack_api: SlackApiStandIn) -> None:
    parent_ts = ask_in_channel(slack_api, server["url"], SEED_QUESTION)["question"]["ts"]
    question = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {FOLLOW_UP}", thread_ts=parent_ts)
    # Slack sends both: the message event (message.channels) and the app_mention event.
    assert send_event(server["url"], channel_message(question, CHANNEL))[0].status_code == 200
    assert send_event(server["url"], mention(question, CHANNEL))[0].status_code == 200
    slack_api.wait_for_answer(CHANNEL, question)
    ask_in_channel(slack_api, server["url"], "Who is Moctar Ouane?")  # one worker: earlier work is done
    threads = [c["thread_ts"] for c in slack_api.calls_to("chat.postMessage")]
    assert threads.count(parent_ts) == 2  # the first question's "thinking…" and the follow-up's


@pytest.mark.parametrize("how", ["forged signature", "no signature", "stale timestamp"])
def test_unverified_request_gets_401_and_nothing_happens(
    server: dict[str, Any], slack_api: SlackApiStandIn, how: str
) -> None:
    question = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {SEED_QUESTION}")
    payload = event_callback(mention(question, CHANNEL))
    body = json.dumps(payload)
    headers = {
        "forged signature": signed_headers(body, secret="not-the-signing-secret"),
        "no signature": {"Content-Type": "application/json"},
        "stale timestamp": signed_headers(body, timestamp=int(time.time()) - 600),  # Slack's limit is 5 minutes
    }[how]
    response = post(server["url"], body, headers)
    assert response.status_code == 401
    assert slack_api.calls == []
    # The same event correctly signed is then answered, once: the rejected request was not even remembered.
    assert send_event(server["url"], payload["event"], payload["event_id"])[0].status_code == 200
    slack_api.wait_for_answer(CHANNEL, question)
    assert [c["thread_ts"] for c in slack_api.calls_to("chat.postMessage")] == [question["ts"]]


def test_retried_event_gets_one_reply(server: dict[str, Any], slack_api: SlackApiStandIn) -> None:
    question = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {SEED_QUESTION}")
    first, payload = send_event(server["url"], mention(question, CHANNEL))
    retries = [
        send_event(server["url"], payload["event"], payload["event_id"],
                   **{"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})[0]
        for n in (1, 2)
    ]
    assert [r.status_code for r in [first, *retries]] == [200, 200, 200]
    ask_in_channel(slack_api, server["url"], "Who is Moctar Ouane?")  # one worker: earlier work is done
    in_thread = [c for c in slack_api.calls_to("chat.postMessage") if c.get("thread_ts") == question["ts"]]
    assert len(in_thread) == 1
    assert len([c for c in slack_api.calls_to("reactions.add") if c["timestamp"] == question["ts"]]) == 1


def test_direct_message_answered_and_bot_messages_ignored(server: dict[str, Any], slack_api: SlackApiStandIn) -> None:
    dm = "D0ALICE"
    other_bot = {"type": "message", "subtype": "bot_message", "bot_id": "B0OTHER", "text": f"{SEED_QUESTION}",
                 "ts": slack_api.next_ts(), "channel": dm, "channel_type": "im"}
    own = {"type": "message", "bot_id": BOT_ID, "user": BOT_USER_ID, "text": SEED_QUESTION,
           "ts": slack_api.next_ts(), "channel": dm, "channel_type": "im"}
    edited = {"type": "message", "subtype": "message_changed", "channel": dm, "channel_type": "im",
              "ts": slack_api.next_ts(), "message": {"user": ALICE, "text": SEED_QUESTION}}
    for event in (other_bot, own, edited):
        assert send_event(server["url"], event)[0].status_code == 200

    question = slack_api.user_message(dm, SEED_QUESTION, user=BOB)
    assert send_event(server["url"], direct_message(question, dm))[0].status_code == 200
    slack_api.wait_for_answer(dm, question)
    update, = slack_api.calls_to("chat.update")
    thinking, = slack_api.calls_to("chat.postMessage")  # only the person's question was answered
    assert (thinking["channel"], thinking["thread_ts"]) == (dm, question["ts"])
    assert BA_NDAOU_QUOTE in json.dumps(update["blocks"], ensure_ascii=False)
    assert [c["timestamp"] for c in slack_api.calls_to("reactions.add")] == [question["ts"]]


def test_feedback_click_is_stored_and_listed(
    server: dict[str, Any], slack_api: SlackApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = ask_in_channel(slack_api, server["url"], SEED_QUESTION)
    body = form_body(block_action(asked["answer"], CHANNEL, BOB, "feedback_up"))
    response = post(server["url"], body, signed_headers(body, content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 200
    thanks, = slack_api.wait_for("chat.postEphemeral")
    assert (thanks["channel"], thanks["user"], thanks["thread_ts"]) == (CHANNEL, BOB, asked["question"]["ts"])

    monkeypatch.setenv("ASSISTANT_SLACK__FEEDBACK_DB", str(server["feedback_db"]))
    result = CliRunner().invoke(cli, ["feedback", "--json"])
    assert result.exit_code == 0, result.output
    vote = json.loads(result.stdout)[0]
    assert (vote["rating"], vote["user"], vote["question"]) == ("up", BOB, SEED_QUESTION)
    assert vote["place"] == f"{CHANNEL}/{asked['question']['ts']}"
    assert "Ba N’Daou" in vote["answer"]
    assert BA_NDAOU_QUOTE in [c["quote"] for c in vote["citations"]]
    table = CliRunner().invoke(cli, ["feedback"]).stdout.splitlines()
    assert table[0].split() == ["when", "(UTC)", "vote", "user", "sources", "question"]
    assert table[1].split()[2:] == ["👍", BOB, str(len(vote["citations"])), *SEED_QUESTION.split()]


# ---- the Bolt app directly (Slack-signed requests through app.dispatch) --------------------------------------
def dispatch(app: Any, payload: dict[str, Any]) -> int:
    body = json.dumps(payload)
    return app.dispatch(BoltRequest(body=body, headers=signed_headers(body))).status


def test_rate_limited_user_gets_a_polite_reply(
    example_store: Path, cache_dir: Path, slack_api: SlackApiStandIn, tmp_path: Path
) -> None:
    settings = slack_settings(example_store, cache_dir, slack_api, tmp_path / "fb.sqlite",
                              user_questions_per_minute=1, questions_per_minute=100)
    app = build_app(Assistant(settings), settings)
    first = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {SEED_QUESTION}")
    assert dispatch(app, event_callback(mention(first, CHANNEL))) == 200
    slack_api.wait_for_answer(CHANNEL, first)
    second = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {FOLLOW_UP}")
    assert dispatch(app, event_callback(mention(second, CHANNEL))) == 200
    polite = slack_api.wait_for("chat.postMessage", 2)[-1]
    assert (polite["thread_ts"], polite["text"]) == (second["ts"], RATE_LIMITED_REPLY)
    other = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {FOLLOW_UP}", user=BOB)
    assert dispatch(app, event_callback(mention(other, CHANNEL))) == 200
    slack_api.wait_for_answer(CHANNEL, other)  # Bob has his own allowance
    assert [c["timestamp"] for c in slack_api.calls_to("reactions.add")] == [first["ts"], other["ts"]]


def test_answerer_error_becomes_a_short_reply(
    cache_dir: Path, slack_api: SlackApiStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = slack_settings(tmp_path / "no-store-here", cache_dir, slack_api, tmp_path / "fb.sqlite")
    app = build_app(Assistant(settings), settings)
    question = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {SEED_QUESTION}")
    assert dispatch(app, event_callback(mention(question, CHANNEL))) == 200
    update, = slack_api.wait_for("chat.update")
    assert update["text"] == ERROR_REPLY
    assert section_texts(update["blocks"]) == [ERROR_REPLY]
    assert "answering failed (StoreError)" in caplog.text


# ---- Socket Mode ----------------------------------------------------------------------------------------------
def test_socket_mode_answers_a_mention(
    example_store: Path, cache_dir: Path, slack_api: SlackApiStandIn, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "ASSISTANT_SLACK__API_BASE_URL": slack_api.base_url,
        "ASSISTANT_SLACK__FEEDBACK_DB": str(tmp_path / "fb.sqlite"),
        "ASSISTANT_STORE__PATH": str(example_store),
        "ASSISTANT_EMBEDDING__CACHE_DIR": str(cache_dir),
        "ASSISTANT_LLM__MODE": "extractive",
    }
    log = open(tmp_path / "slack.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "assistant"), "slack"], env=env,  # Socket Mode
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        until(lambda: slack_api.socket_connections or proc.poll() is not None, "a Socket Mode connection", 60)
        assert proc.poll() is None, (tmp_path / "slack.log").read_text()
        assert [c.token for c in slack_api.calls if c.method == "apps.connections.open"] == [APP_TOKEN]
        question = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {SEED_QUESTION}")
        envelope_id = slack_api.push_envelope(event_callback(mention(question, CHANNEL)))
        until(lambda: any(a.get("envelope_id") == envelope_id for a in slack_api.socket_acks), "the envelope ack")
        update, = slack_api.wait_for("chat.update", limit=60)
        assert BA_NDAOU_QUOTE in json.dumps(update["blocks"], ensure_ascii=False)
        assert slack_api.calls_to("chat.postMessage")[0]["thread_ts"] == question["ts"]
    finally:
        stop(proc)
        log.close()
    assert "connected to Slack over Socket Mode" in (tmp_path / "slack.log").read_text()


@pytest.mark.parametrize("args", [["slack"], ["slack", "--socket"]])
def test_socket_mode_is_the_default_and_its_errors_are_one_line(
    example_store: Path, slack_api: SlackApiStandIn, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("ASSISTANT_STORE__PATH", str(example_store))
    monkeypatch.setenv("ASSISTANT_SLACK__API_BASE_URL", slack_api.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    result = runner.invoke(cli, args)
    assert (result.exit_code, result.stderr) == (
        1, "Error: Socket Mode needs slack.app_token (SLACK_APP_TOKEN), an xapp- app-level token\n"
    )
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-revoked")
    result = runner.invoke(cli, args)
    assert (result.exit_code, result.stderr) == (1, "Error: Slack refused the Socket Mode connection: invalid_auth\n")


def test_slack_help_says_where_the_http_transport_runs() -> None:
    result = CliRunner().invoke(cli, ["slack", "--help"], terminal_width=200)
    assert result.exit_code == 0
    help_text = " ".join(result.stdout.split())
    assert "Run the Slack bot over Socket Mode until Ctrl-C (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)." in help_text
    assert (
        "The other transport, HTTP, needs no command: `assistant serve` answers Slack at POST /slack/events when "
        "SLACK_SIGNING_SECRET is set." in help_text
    )
    assert "check Check the Slack set-up" in help_text


def test_slack_check_prints_the_bot_and_its_scopes(slack_api: SlackApiStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_SLACK__API_BASE_URL", slack_api.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    result = CliRunner().invoke(cli, ["slack", "check"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "bot: newsbot (U0NEWSBOT) in workspace Newsdesk (T0NEWSDESK)",
        (
            "scopes: app_mentions:read, channels:history, chat:write, groups:history, im:history, im:read, "
            "reactions:write (includes all 6 the bot needs)"
        ),
        "Socket Mode: SLACK_APP_TOKEN works; start the bot with `assistant slack`",
        "HTTP: SLACK_SIGNING_SECRET is set; `assistant serve` answers Slack at POST /slack/events",
    ]
    assert [(c.method, c.token) for c in slack_api.calls] == [
        ("auth.test", BOT_TOKEN), ("apps.connections.open", APP_TOKEN)
    ]


def test_slack_check_when_slack_does_not_report_the_scopes(
    slack_api: SlackApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_SLACK__API_BASE_URL", slack_api.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    slack_api.granted_scopes = None
    result = CliRunner().invoke(cli, ["slack", "check"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1] == (
        "scopes: not reported by Slack (no x-oauth-scopes header); the bot needs app_mentions:read, chat:write, "
        "reactions:write, channels:history, groups:history, im:history"
    )


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ({}, "no Slack bot token: set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_APP_TOKEN": APP_TOKEN},
            (
                "Slack rejected SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token (xoxb-…) from the "
                "app's OAuth & Permissions page again"
            ),
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
             "granted": ("app_mentions:read", "chat:write", "im:history")},
            (
                "the bot token lacks the scopes reactions:write, channels:history, groups:history: add them under "
                "OAuth & Permissions → Bot Token Scopes (or create the app from examples/slack-manifest.yaml) and "
                "reinstall the app to the workspace"
            ),
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN},
            (
                "the bot cannot receive messages: set SLACK_APP_TOKEN (Socket Mode, `assistant slack`) or "
                "SLACK_SIGNING_SECRET (HTTP, inside `assistant serve`)"
            ),
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-revoked"},
            (
                "Slack rejected SLACK_APP_TOKEN (invalid_auth): it must be an app-level token (xapp-…) with the "
                "connections:write scope, from Basic Information → App-Level Tokens, and Socket Mode must be on"
            ),
        ),
    ],
)
def test_slack_check_says_what_is_wrong_in_one_line(
    slack_api: SlackApiStandIn, monkeypatch: pytest.MonkeyPatch, setup: dict[str, Any], error: str
) -> None:
    monkeypatch.setenv("ASSISTANT_SLACK__API_BASE_URL", slack_api.base_url)
    for name, value in setup.items():
        if name == "granted":
            slack_api.granted_scopes = value
        else:
            monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["slack", "check"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {error}\n")


def test_slack_check_when_slack_cannot_be_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    monkeypatch.setenv("ASSISTANT_SLACK__API_BASE_URL", closed)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    result = CliRunner().invoke(cli, ["slack", "check"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot reach Slack at {closed}: ")
    assert result.stderr.count("\n") == 1


def test_feedback_listing_without_votes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_SLACK__FEEDBACK_DB", str(tmp_path / "none.sqlite"))
    assert CliRunner().invoke(cli, ["feedback", "--json"]).stdout == "[]\n"
    result = CliRunner().invoke(cli, ["feedback"])
    expected_note = f"no feedback yet ({tmp_path / 'none.sqlite'})\n"
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", expected_note)
