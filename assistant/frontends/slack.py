"""The Slack bot: a slack-bolt app over `Assistant`, served at POST /slack/events (inside `assistant serve`) or over
Socket Mode (`assistant slack`).

Every request is acknowledged at once (listeners only `ack()`); the answering runs in a lazy listener on a small
thread pool, so Slack's 3-second deadline holds however long an answer takes. What to say is decided by plain
functions in slack_format / slack_thread / slack_guard; this module only moves data between Slack and `Assistant`.
Logs carry event ids, never message text or tokens.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI, Request
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from assistant.core import Assistant
from assistant.feedback import FeedbackStore
from assistant.frontends.slack_format import (
    EMPTY_QUESTION_REPLY,
    ERROR_REPLY,
    FEEDBACK_DOWN,
    FEEDBACK_THANKS,
    FEEDBACK_UP,
    RATE_LIMITED_REPLY,
    THINKING,
    SlackMessage,
    answer_messages,
    notice,
)
from assistant.frontends.slack_guard import Deduper, RateLimiter
from assistant.frontends.slack_thread import is_answer, is_from_person, plain_text, thread_history
from newsdesk.settings import ConfigError, Settings

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
WORKING_REACTION = "eyes"

# What the bot needs from Slack, and why; examples/slack-manifest.yaml lists the same (a test compares them).
BOT_SCOPES = {
    "app_mentions:read": "app_mention events: questions that mention the bot",
    "chat:write": "chat.postMessage, chat.update, chat.postEphemeral: the answers and the thanks for a vote",
    "reactions:write": "reactions.add: the :eyes: reaction on a question being answered",
    "channels:history": "message.channels events and conversations.replies in public channels (thread follow-ups)",
    "groups:history": "message.groups events and conversations.replies in private channels (thread follow-ups)",
    "im:history": "message.im events and conversations.replies in direct messages",
}
BOT_EVENTS = ("app_mention", "message.channels", "message.groups", "message.im")
_REPLIES_PAGE = 200
_REPLIES_MAX_PAGES = 5
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


class SlackBot:
    """What the bot does with each Slack request; the Bolt listeners are its methods."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings.slack
        self.feedback = FeedbackStore(settings.slack.feedback_db)
        self.events = Deduper()  # Slack's event ids: a retried delivery carries the same id
        self.messages = Deduper()  # channel:ts, so one message reaching us as two events is answered once
        self.limits = RateLimiter(settings.slack.user_questions_per_minute, settings.slack.questions_per_minute)

    # ---- middleware ------------------------------------------------------------------------------
    def drop_repeats(self, body: dict[str, Any], request: Any, next: Any) -> BoltResponse | None:  # noqa: A002
        """Acknowledge a repeated delivery of an event (Slack's retries) with 200 and do nothing else."""
        event_id = body.get("event_id")
        if event_id and not self.events.first_time(str(event_id)):
            retry = (request.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("event %s delivered again (retry %s); ignored", event_id, retry)
            return BoltResponse(status=200, body="")
        return next()

    # ---- questions -------------------------------------------------------------------------------
    def answer(self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """Reply in the question's thread: a reaction and a "thinking…" message at once, then the answer in its
        place. Runs in the lazy listener, after the request was acknowledged."""
        self._answer(event, body, client, context, thread=None)

    def answer_thread_reply(
        self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """A person's reply in a channel thread that does not mention the bot: answered as a follow-up when this
        bot has answered in that thread before (its earlier answer is in the thread), otherwise left alone. A
        reply that mentions someone else is left to them. Runs in the lazy listener."""
        mentioned = set(_USER_MENTION.findall(str(event.get("text", ""))))
        if context.bot_user_id in mentioned:
            return  # the app_mention event for this message brings it
        if mentioned:
            return  # addressed to other people
        channel, thread_ts, event_id = event["channel"], str(event["thread_ts"]), body.get("event_id", "-")
        try:
            thread = self._thread(client, channel, thread_ts)
        except SlackApiError as exc:
            log.warning("event %s: conversations.replies failed (%s)", event_id, exc.response.get("error"))
            return
        if not any(is_answer(m, context.bot_id, context.bot_user_id) for m in thread):
            log.debug("event %s: a reply in a thread without an answer of ours; ignored", event_id)
            return
        self._answer(event, body, client, context, thread=thread)

    def _answer(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        thread: list[dict[str, Any]] | None,
    ) -> None:
        """Answer `event` in its thread; `thread` is the thread's messages when already read."""
        channel, ts = event["channel"], event["ts"]
        if not self.messages.first_time(f"{channel}:{ts}"):
            return
        thread_ts = event.get("thread_ts") or ts
        event_id = body.get("event_id", "-")
        user = str(event.get("user", ""))
        log.info("question in event %s from %s in %s", event_id, user, channel)
        if not self.limits.allow(f"{context.team_id}:{user}"):
            log.info("event %s: rate limit reached for %s", event_id, user)
            self._post(client, channel, thread_ts, notice(RATE_LIMITED_REPLY))
            return
        question = plain_text(str(event.get("text", "")), context.bot_user_id)
        if not question:
            self._post(client, channel, thread_ts, notice(EMPTY_QUESTION_REPLY))
            return
        self._react(client, channel, ts, event_id)
        reply_ts = self._post(client, channel, thread_ts, notice(THINKING))
        try:
            history = self._history(client, context, channel, thread_ts, ts, thread) if thread_ts != ts else []
            answer = self.assistant.ask(question, history=history)
            answer_id = self.feedback.record_answer(answer, asked_by=user, place=f"{channel}/{thread_ts}")
            first, *rest = answer_messages(answer, answer_id)
            client.chat_update(channel=channel, ts=reply_ts, **first.payload())
            for message in rest:
                self._post(client, channel, thread_ts, message)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the person gets a reply, not silence
            log.error("event %s: answering failed (%s)", event_id, type(exc).__name__)
            log.debug("event %s: answering failed", event_id, exc_info=True)
            client.chat_update(channel=channel, ts=reply_ts, **notice(ERROR_REPLY).payload())
            return
        log.info(
            "answered event %s: answer %s, %d citations, refused=%s, %d history turns",
            event_id, answer_id, len(answer.citations), answer.refused, len(history),
        )

    def _post(self, client: WebClient, channel: str, thread_ts: str, message: SlackMessage) -> str:
        """Post into the thread; returns the new message's ts."""
        return str(client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.payload())["ts"])

    def _react(self, client: WebClient, channel: str, ts: str, event_id: str) -> None:
        """Mark the question as being worked on; a failure here is logged, never fatal."""
        try:
            client.reactions_add(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except SlackApiError as exc:
            log.warning("event %s: reactions.add failed (%s)", event_id, exc.response.get("error"))

    def _thread(self, client: WebClient, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The thread's messages with their metadata (at most `_REPLIES_MAX_PAGES` pages)."""
        messages: list[dict[str, Any]] = []
        cursor = None
        for _ in range(_REPLIES_MAX_PAGES):
            page = client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=_REPLIES_PAGE, cursor=cursor
            )
            messages.extend(page.get("messages") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
        return messages

    def _history(
        self,
        client: WebClient,
        context: BoltContext,
        channel: str,
        thread_ts: str,
        before_ts: str,
        thread: list[dict[str, Any]] | None = None,
    ) -> list[tuple[str, str]]:
        """The thread's earlier questions and this bot's answers to them, oldest first."""
        if not self.settings.history_turns:
            return []
        if thread is None:
            thread = self._thread(client, channel, thread_ts)
        return thread_history(thread, before_ts, context.bot_id, context.bot_user_id, self.settings.history_turns)

    # ---- feedback --------------------------------------------------------------------------------
    def vote(self, ack: Any, body: dict[str, Any]) -> None:
        """Store a 👍 / 👎 click on an answer (before the click is acknowledged)."""
        action = body["actions"][0]
        rating: Literal["up", "down"] = "up" if action["action_id"] == FEEDBACK_UP else "down"
        answer_id = str(action.get("value", ""))
        self.feedback.record_vote(answer_id, body["user"]["id"], rating)
        log.info("feedback %s on answer %s from %s", rating, answer_id, body["user"]["id"])
        ack()

    def thank(self, body: dict[str, Any], client: WebClient) -> None:
        """Thank the person for their vote, in a message only they see (lazy: after the acknowledgement)."""
        rating = "up" if body["actions"][0]["action_id"] == FEEDBACK_UP else "down"
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        thread_ts = (body.get("message") or {}).get("thread_ts")
        if not channel:
            log.warning("no channel to thank the voter in")
            return
        try:
            client.chat_postEphemeral(
                channel=channel, user=body["user"]["id"], thread_ts=thread_ts, text=FEEDBACK_THANKS[rating]
            )
        except SlackApiError as exc:
            log.warning("feedback thanks not posted (%s)", exc.response.get("error"))


def _acknowledge(ack: Any) -> None:
    """Acknowledge within Slack's 3 seconds; the work is done by the lazy listener."""
    ack()


def is_person_mention(event: dict[str, Any]) -> bool:
    """A mention written by a person (Bolt passes the event by this parameter name)."""
    return is_from_person(event)


def is_direct_question(event: dict[str, Any]) -> bool:
    """A person's message in a direct message with the bot."""
    return event.get("channel_type") == "im" and is_from_person(event)


def is_thread_reply(event: dict[str, Any]) -> bool:
    """A person's reply in a thread of a public or private channel (message.channels / message.groups)."""
    in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
    return event.get("channel_type") in ("channel", "group") and in_thread and is_from_person(event)


def build_app(assistant: Assistant, settings: Settings) -> App:
    """The Bolt app: mentions, direct messages and replies in threads it has answered in are answered in
    threads; feedback buttons stored.

    Nothing is sent to Slack until the first request arrives (auth.test runs then, against
    `settings.slack.api_base_url`)."""
    slack = settings.slack
    token = _secret(slack.bot_token)
    if not token:
        raise ConfigError("the Slack bot needs slack.bot_token (SLACK_BOT_TOKEN)")
    app = App(
        name="news-assistant",
        token=token,
        signing_secret=_secret(slack.signing_secret) or "",
        token_verification_enabled=False,  # no auth.test at start-up; Bolt calls it on the first request
        process_before_response=True,  # listeners only ack(), so the response still goes out at once...
        listener_executor=ThreadPoolExecutor(max_workers=slack.workers, thread_name_prefix="slack-answer"),
    )  # ...and the answering runs in the lazy listeners on `slack.workers` threads
    app.client.base_url = slack.api_base_url.rstrip("/") + "/"  # every per-request client copies it
    bot = SlackBot(assistant, settings)
    app.middleware(bot.drop_repeats)
    app.event("app_mention", matchers=[is_person_mention])(ack=_acknowledge, lazy=[bot.answer])
    app.event("message", matchers=[is_direct_question])(ack=_acknowledge, lazy=[bot.answer])
    app.event("message", matchers=[is_thread_reply])(ack=_acknowledge, lazy=[bot.answer_thread_reply])
    app.event("app_mention")(_acknowledge)  # bots' mentions: acknowledged, ignored
    app.event("message")(_acknowledge)  # channel messages, edits, bot messages: acknowledged, ignored
    app.action(FEEDBACK_UP)(ack=bot.vote, lazy=[bot.thank])
    app.action(FEEDBACK_DOWN)(ack=bot.vote, lazy=[bot.thank])
    return app


def mount_slack(app: FastAPI, assistant: Assistant, settings: Settings) -> None:
    """Serve the bot at POST /slack/events on `app`; requests must carry a valid Slack signature."""
    if not settings.slack.signing_secret or not _secret(settings.slack.signing_secret):
        raise ConfigError("the Slack endpoint needs slack.signing_secret (SLACK_SIGNING_SECRET)")
    bolt = build_app(assistant, settings)

    # slack_bolt.adapter.fastapi.SlackRequestHandler runs Bolt's blocking dispatch on the event loop; its own
    # request/response converters are used here with the dispatch moved to a worker thread instead.
    @app.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await run_in_threadpool(bolt.dispatch, bolt_request))


@dataclass(frozen=True)
class BotCheck:
    """What Slack's `auth.test` says about the bot token: who the bot is and the scopes it was granted."""

    name: str
    user_id: str
    team: str
    team_id: str
    scopes: tuple[str, ...] | None  # None: Slack's reply had no x-oauth-scopes header

    @property
    def missing(self) -> list[str]:
        """The scopes the bot needs (BOT_SCOPES) that the token lacks (none known when Slack did not say)."""
        return [scope for scope in BOT_SCOPES if self.scopes is not None and scope not in self.scopes]


_REJECTED = ("invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive")


def _client(settings: Settings, token: str) -> WebClient:
    return WebClient(token=token, base_url=settings.slack.api_base_url.rstrip("/") + "/", timeout=15)


def check_bot(settings: Settings) -> BotCheck:
    """Call auth.test with the bot token; the granted scopes come from its `x-oauth-scopes` header. Raises
    ConfigError with one line saying what is wrong."""
    token = _secret(settings.slack.bot_token)
    if not token:
        raise ConfigError("no Slack bot token: set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)")
    try:
        response = _client(settings, token).auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in _REJECTED:
            raise ConfigError(
                f"Slack rejected SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token (xoxb-…) from the app's "
                "OAuth & Permissions page again"
            ) from None
        raise ConfigError(f"Slack's auth.test failed: {error}") from None
    except OSError as exc:
        raise ConfigError(f"cannot reach Slack at {settings.slack.api_base_url}: {exc}") from None
    headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
    granted = headers.get("x-oauth-scopes")
    scopes = None if granted is None else tuple(s.strip() for s in granted.split(",") if s.strip())
    return BotCheck(
        name=str(response.get("user") or ""),
        user_id=str(response.get("user_id") or ""),
        team=str(response.get("team") or ""),
        team_id=str(response.get("team_id") or ""),
        scopes=scopes,
    )


def check_app_token(settings: Settings) -> None:
    """Ask for a Socket Mode connection URL with the app-level token (nothing connects to it). Raises
    ConfigError with one line saying what is wrong."""
    token = _secret(settings.slack.app_token) or ""
    try:
        _client(settings, token).apps_connections_open(app_token=token)
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error')}): it must be an app-level token (xapp-…) "
            "with the connections:write scope, from Basic Information → App-Level Tokens, and Socket Mode must be on"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot reach Slack at {settings.slack.api_base_url}: {exc}") from None


def socket_mode_handler(assistant: Assistant, settings: Settings) -> SocketModeHandler:
    """The bot over Socket Mode (an outgoing WebSocket; no public URL needed). Call `.connect()` on it."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = _secret(settings.slack.app_token)
    if not app_token:
        raise ConfigError("Socket Mode needs slack.app_token (SLACK_APP_TOKEN), an xapp- app-level token")
    return SocketModeHandler(build_app(assistant, settings), app_token=app_token)
