"""The Gradio chat page, mounted at / of the server: streamed answers, linked sources, per-session history.

Imports Gradio (slow: 5-12 s), so only `assistant serve` loads this module. Analytics are off and the page loads
nothing from outside the server (Gradio 6 ships its fonts and assets).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402 - analytics must be off before the import
from fastapi import FastAPI  # noqa: E402

from assistant.core import Assistant  # noqa: E402
from assistant.frontends.chat_view import (  # noqa: E402
    EMPTY_SOURCES,
    Turn,
    answer_html,
    escape,
    failure_html,
    sources_html,
    streaming_html,
)
from assistant.frontends.http_api import failure_message  # noqa: E402
from assistant.llm import describe_answerer  # noqa: E402
from newsdesk.settings import Settings  # noqa: E402

log = logging.getLogger(__name__)

# A click on an inline [n] marks that quote in the sources panel and brings it into view.
HEAD = """<script>
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.cite") : null;
  if (!link) return;
  const id = (link.getAttribute("href") || "").replace(/^#/, "");
  const source = document.getElementById(id);
  if (!source) return;
  event.preventDefault();
  event.stopPropagation();
  document.querySelectorAll("#sources .source.current").forEach((d) => d.classList.remove("current"));
  source.classList.add("current");
  source.scrollIntoView({block: "nearest"});
}, true);
</script>"""

CSS = """
#sources { max-height: 75vh; overflow-y: auto; }
#sources h4 { margin: 0.6em 0 0.3em; }
#sources .source-article { border-left: 3px solid #ccc; padding: 0.2em 0.6em; margin: 0.5em 0; }
#sources .article-head .title { font-weight: 600; }
#sources .source { display: flex; gap: 0.4em; align-items: baseline; padding: 0.1em 0.2em; }
#sources .source .n { font-weight: 600; }
#sources .source.current { background: rgba(224, 161, 0, 0.15); }
#sources blockquote { margin: 0.3em 0; white-space: pre-wrap; }
#sources mark { padding: 0 0.1em; }
#sources .meta, #sources .score, #sources .cited, #sources .legend { opacity: 0.75; }
#sources .legend { font-size: 0.9em; margin: 0.3em 0; }
a.cite { text-decoration: none; font-weight: 600; }
/* The chat's "Conversation" label takes its own line instead of floating over the messages scrolled under it. */
#chat > .wrapper > label { position: static; flex: none; align-self: flex-start; }
/* Narrow screens (the two columns stacked): the conversation and its question box, then the sources, then the
   answerer and the other controls; the sources scroll with the page. */
@media (max-width: 720px) {
  #layout { flex-direction: column; }
  #main { display: contents; }
  #side { order: 1; }
  #controls { order: 2; }
  #sources { max-height: none; }
}
.note.failure { color: #b00020; }
.searched { opacity: 0.7; }
"""


# The login shown when `server.api_token` is set: the token locks the page as well as the API.
LOGIN_MESSAGE = (
    "<p>This page is locked with the server's API token: <code>server.api_token</code>, set with "
    "<code>ASSISTANT_SERVER__API_TOKEN</code> or <code>api_token</code> under <code>[server]</code> in "
    "<code>assistant.toml</code>. Enter any user name and the token as the password.</p>"
    "<p>The same token is the Bearer token of the HTTP API (<code>Authorization: Bearer &lt;token&gt;</code>).</p>"
)


PLACEHOLDER = "Ask about the articles…"  # short: one line even on a phone


class ChatPage:
    """The page's event handlers over the shared assistant; the chat history lives in a per-session gr.State."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.modes = assistant.answerer_modes()

    def respond(self, question: str, mode: str, show_all: bool, turns: list[Turn]) -> Iterator[tuple[Any, ...]]:
        """Stream one answer: (chat messages, sources panel, session turns, cleared input box)."""
        question = " ".join((question or "").split())
        if not question:
            yield gr.skip(), gr.skip(), turns, ""
            return
        history = [(t.question, t.reply_text()) for t in turns if t.answer is not None]
        turns = [*turns, Turn(question)]
        yield messages(turns, ""), gr.skip(), turns, ""
        text = ""
        try:
            if mode not in self.modes:
                raise ValueError(f"unknown answerer {mode!r}; this page offers: {', '.join(self.modes)}")
            stream = self.assistant.stream(question, history, llm=mode)
            for delta in stream:
                text += delta
                yield messages(turns, text), gr.skip(), turns, ""
            turns[-1].answer = stream.answer()
        except Exception as exc:  # noqa: BLE001 - the page shows a friendly message for any failure
            turns[-1].failure = failure_message(exc)
        yield messages(turns), sources_html(turns, show_all), turns, ""

    def corpus_summary(self) -> str:
        """What the corpus holds, in one line: articles, sources and the date range."""
        try:
            stats = self.assistant.summary()
        except Exception as exc:  # noqa: BLE001 - the page still loads; the question box reports the problem too
            return f"The corpus cannot be read: {failure_message(exc)}"
        return corpus_line(stats)

    @staticmethod
    def new_chat() -> tuple[list[Any], str, list[Turn]]:
        """An empty conversation."""
        return [], EMPTY_SOURCES, []

    @staticmethod
    def toggle_passages(show_all: bool, turns: list[Turn]) -> str:
        """Re-draw the sources panel with or without every retrieved passage."""
        return sources_html(turns, show_all)


def messages(turns: list[Turn], partial: str | None = None) -> list[dict[str, str]]:
    """The chat as Gradio messages; the last turn shows `partial` text while it is being answered."""
    out = []
    for number, turn in enumerate(turns, 1):
        out.append({"role": "user", "content": escape(turn.question)})
        if turn.answer is not None:
            out.append({"role": "assistant", "content": answer_html(turn.answer, number)})
        elif turn.failure is not None:
            out.append({"role": "assistant", "content": failure_html(turn.failure)})
        elif partial is not None:
            out.append({"role": "assistant", "content": streaming_html(partial)})
    return out


def corpus_line(stats: dict[str, Any]) -> str:
    """"The corpus holds 14 articles from 5 sources (Reuters, AP, ...), published 2020-11-04 to 2024-04-05." """
    articles, sources = stats["articles"], [s for s in stats["sources"] if s != "(unknown)"]
    if not articles:
        return "The corpus is empty: add articles with `assistant ingest FOLDER`."
    named = ", ".join(sources[:4]) + (", …" if len(sources) > 4 else "")
    text = f"The corpus holds {articles} article{'s' * (articles != 1)}"
    if sources:
        text += f" from {len(sources)} source{'s' * (len(sources) != 1)} ({named})"
    if stats["published_from"]:
        text += f", published {stats['published_from']} to {stats['published_to']}"
    return text + "."


def build_page(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The Blocks of the chat page."""
    page = ChatPage(assistant)
    limit = settings.server.max_concurrency
    with gr.Blocks(title="News assistant", analytics_enabled=False) as blocks:
        turns = gr.State([])
        gr.Markdown(
            "### News assistant\nAsk about the articles in the corpus (say, *Who leads the interim government?*); "
            "every answer cites the passages it quotes. Follow-up questions use the conversation so far. "
            "[HTTP API](/api/docs)"
        )
        gr.Markdown(page.corpus_summary, elem_id="corpus")  # a callable value: read again on each page load
        with gr.Row(elem_id="layout"):
            with gr.Column(scale=3, elem_id="main"):
                chat = gr.Chatbot(
                    label="Conversation", elem_id="chat", height=520, feedback_options=None, buttons=["copy"]
                )
                question = gr.Textbox(
                    placeholder=PLACEHOLDER,
                    show_label=False,
                    elem_id="question",
                    max_length=2000,
                    submit_btn="Ask",
                )
                with gr.Row(elem_id="controls"):
                    mode = gr.Dropdown(
                        [(describe_answerer(m, settings), m) for m in page.modes],
                        value=page.modes[0],
                        label="Answers",
                        elem_id="answerer",
                        scale=2,
                    )
                    show_all = gr.Checkbox(label="Show all retrieved passages", elem_id="show-all", scale=2)
                    new_chat = gr.Button("New chat", elem_id="new-chat", scale=1)
            with gr.Column(scale=2, elem_id="side"):
                gr.Markdown("#### Sources")
                sources = gr.HTML(EMPTY_SOURCES, elem_id="sources")
        question.submit(
            page.respond,
            [question, mode, show_all, turns],
            [chat, sources, turns, question],
            concurrency_limit=limit,
            api_visibility="private",
            show_progress="minimal",
        )
        new_chat.click(page.new_chat, None, [chat, sources, turns], api_visibility="private")
        chat.clear(page.new_chat, None, [chat, sources, turns], api_visibility="private")
        show_all.change(page.toggle_passages, [show_all, turns], sources, api_visibility="private")
    return blocks


def mount_page(app: FastAPI, assistant: Assistant, settings: Settings) -> None:
    """Mount the page at / of `app`; with `server.api_token` set the page asks for it as the password."""
    token = settings.server.api_token.get_secret_value() if settings.server.api_token else ""

    def check(username: str, password: str) -> bool:
        return hmac.compare_digest(password.encode(), token.encode())

    gr.mount_gradio_app(
        app,
        build_page(assistant, settings),
        path="/",
        footer_links=[],
        run_history=False,
        auth=check if token else None,
        auth_message=LOGIN_MESSAGE if token else None,
        ssr_mode=False,
        mcp_server=False,
        css=CSS,
        head=HEAD,
    )
