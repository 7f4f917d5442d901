"""The chat page in a real browser (Debian chromium + Playwright) against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from assistant import Assistant
from assistant.refusal import REFUSAL
from tests.fixtures.browser import PHONE, ask_on_page, open_page
from tests.fixtures.core import SEED_QUESTION, make_settings
from tests.fixtures.web_server import serve_in_thread

pytestmark = pytest.mark.slow

FOLLOW_UP = "Who did he appoint as prime minister?"
BA_NDAOU_QUOTE = (
    "Mali’s military junta, headed by Assimi Goïta, appointed former defence minister Colonel Major Ba N’Daou as "
    "Mali’s interim president for 18 months."
)

def only_local(page: Any, base: str) -> list[str]:
    """URLs the page requested from anywhere but the server."""
    return [u for u in page.requested if not u.startswith((base + "/", "data:", "blob:"))]


def test_seed_question_streams_an_answer_whose_quotes_are_shown_by_article(web_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(web_server + "/")
    # What the corpus holds, before any question (read when the page loads: it shows once that call returns).
    summary = page.locator("#corpus p").filter(has_text="The corpus holds")
    summary.wait_for()
    assert re.fullmatch(r"The corpus holds 5 articles from 5 sources \(.+\), published 2020-11-04 to \d{4}-\d\d-\d\d\.",
                        summary.inner_text())
    assert page.locator("#answerer input").input_value() == "Quotes from the articles (offline)"
    message = ask_on_page(page, SEED_QUESTION)
    assert "Ba N’Daou" in message.inner_text()
    assert message.locator(".answered-by").inner_text() == "Quotes from the articles (offline)"
    assert message.locator(".answer").inner_text().startswith(BA_NDAOU_QUOTE)  # the answer first
    links = message.locator("a.cite")
    assert links.count() == 1
    source = page.locator("#sources " + links.first.get_attribute("href"))
    mark = source.locator("mark")
    assert mark.is_visible() and mark.inner_text() == BA_NDAOU_QUOTE  # every quote is shown, without a click
    assert "current" not in source.get_attribute("class")
    links.first.click()
    assert "current" in source.get_attribute("class")  # the clicked [n] marks its quote
    article = page.locator("#turn-1 .source-article")
    assert article.count() == 1
    assert article.locator(".article-head").inner_text() == (
        "France Conducts Counter-Terrorism Operation in Mali, Kills 50 — Reuters · 2020-11-04"
    )
    context = source.locator("blockquote").inner_text()
    assert BA_NDAOU_QUOTE in context and len(context) > len(BA_NDAOU_QUOTE)  # shown within its passage
    # An answer quoting one article twice: one [n], one title, both quotes under it.
    several = ask_on_page(page, "What did the French forces confiscate in Mali?")
    hrefs = {several.locator("a.cite").nth(i).get_attribute("href") for i in range(several.locator("a.cite").count())}
    assert len(hrefs) == 1 and several.locator("a.cite").count() >= 2
    article = page.locator("#turn-2 .source-article")
    assert article.count() == 1 and article.locator(".source").count() == 1
    assert article.locator(".source blockquote").count() >= 2
    several.locator("a.cite").first.click()
    assert page.locator("#sources .source.current").count() == 1
    assert only_local(page, web_server) == []


def test_follow_up_uses_the_session_history_and_new_chat_forgets_it(web_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(web_server + "/")
    ask_on_page(page, SEED_QUESTION)
    follow = ask_on_page(page, FOLLOW_UP)
    assert "Moctar Ouane" in follow.locator(".answer").inner_text()
    assert follow.locator(".searched").inner_text() == (
        "Searched for: Who did Colonel Major Ba N’Daou appoint as prime minister?"
    )
    marks = page.locator("#turn-2 .source mark").all_text_contents()
    assert any("Moctar Ouane" in m for m in marks)

    page.locator("#new-chat").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    assert page.locator("#sources").inner_text().strip() == "Sources of each answer appear here."
    alone = ask_on_page(page, FOLLOW_UP)
    assert alone.locator(".searched").count() == 0  # no history left to resolve "he" with


def test_each_browser_session_has_its_own_history(web_server: str, chromium_browser: Any) -> None:
    first, second = (open_page(chromium_browser) for _ in range(2))
    try:
        for page in (first, second):
            page.goto(web_server + "/")
        ask_on_page(first, SEED_QUESTION)
        assert ask_on_page(second, FOLLOW_UP).locator(".searched").count() == 0
        assert ask_on_page(first, FOLLOW_UP).locator(".searched").count() == 1
    finally:
        for page in (first, second):
            page.context.close()


def test_all_retrieved_passages_on_request(web_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(web_server + "/")
    ask_on_page(page, SEED_QUESTION)
    assert page.locator("#sources .all-passages").count() == 0
    page.locator("#show-all input").check()
    page.locator("#sources .all-passages").wait_for()
    assert page.locator("#sources .all-passages summary").inner_text() == "All 5 retrieved passages"
    assert page.locator("#sources .all-passages li").count() == 5
    legend = page.locator("#sources .all-passages .legend").inner_text()
    assert legend.startswith("Best match first, as the search ranked them") and "Similarity is how close" in legend
    first = page.locator("#sources .all-passages li").first.inner_text()
    assert "similarity to the question 0." in first and "cited as [1]" in first
    assert "relevance 0." not in page.locator("#sources").inner_text()  # the raw score, unexplained
    page.locator("#show-all input").uncheck()
    page.locator("#sources .all-passages").wait_for(state="detached")


def test_a_refusal_is_shown_plainly(web_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(web_server + "/")
    message = ask_on_page(page, "What is the boiling point of tungsten?")
    assert message.locator(".answer").inner_text() == REFUSAL
    note = message.locator(".note.refused").inner_text()  # the reason the answerability check gave
    assert re.fullmatch(r"Not answered: no passage is close enough to the question \(best relevance 0\.\d\d < 0\.2\)\.", note)
    assert message.locator("a.cite").count() == 0
    assert page.locator("#turn-1 .no-citations").inner_text() == "No sources cited."


# What the layout tests measure, in CSS pixels: boxes of the page's parts, whether the placeholder fits on one line
# of the question box, the chat's scrolling message area and what sits over it.
LAYOUT = """() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y + scrollY, w: r.width, h: r.height,
                                                                  bottom: r.bottom + scrollY, right: r.right}; };
  const part = (sel) => box(document.querySelector(sel));
  const input = document.querySelector("#question textarea");
  const style = getComputedStyle(input);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const chat = document.querySelector("#chat");
  const scrolls = (e) => ["auto", "scroll"].includes(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight;
  const scroller = [...chat.querySelectorAll("*")].find(scrolls);
  const overlays = scroller ? [...scroller.parentElement.children].filter((e) => e !== scroller
      && e.getClientRects().length && getComputedStyle(e).visibility !== "hidden" && box(e).h > 0) : [];
  return {
    chat: part("#chat"), question: part("#question"), side: part("#side"), controls: part("#controls"),
    pageWidth: document.documentElement.scrollWidth,
    placeholder: input.placeholder, placeholderWidth: ctx.measureText(input.placeholder).width, room,
    inputClipped: input.scrollWidth > input.clientWidth || input.scrollHeight > input.clientHeight,
    scroller: scroller ? box(scroller) : null,
    overlays: overlays.map((e) => ({text: e.innerText.trim(), ...box(e)})),
  };
}"""


def test_on_a_phone_the_sources_follow_the_conversation_and_nothing_is_clipped_or_covered(
    web_server: str, chromium_browser: Any, tmp_path: Path
) -> None:
    page = open_page(chromium_browser, PHONE)
    try:
        page.goto(web_server + "/")
        page.locator("#question textarea").wait_for()
        page.screenshot(path=tmp_path / "phone-empty.png", full_page=True)
        empty = page.evaluate(LAYOUT)
        assert empty["placeholder"] == "Ask about the articles…"
        assert empty["placeholderWidth"] <= empty["room"] and not empty["inputClipped"]  # one line, not cut off
        for question in (SEED_QUESTION, FOLLOW_UP, "What will the harbour flood barriers cost?"):
            ask_on_page(page, question)
        page.screenshot(path=tmp_path / "phone-answered.png")
        page.screenshot(path=tmp_path / "phone-answered-full.png", full_page=True)
        layout = page.evaluate(LAYOUT)
    finally:
        page.context.close()
    assert layout["pageWidth"] <= PHONE["width"]  # nothing wider than the screen
    chat, question, side, controls = (layout[k] for k in ("chat", "question", "side", "controls"))
    # One column: the conversation, its question box, the sources, then the controls.
    assert chat["bottom"] <= question["y"] < question["bottom"] <= side["y"] < side["bottom"] <= controls["y"]
    assert side["y"] - question["bottom"] < 40  # the sources come straight after the question box
    assert chat["w"] > 300 and side["w"] > 300
    # The messages scroll; the "Conversation" label and the chat's buttons sit above them, not over them.
    scroller = layout["scroller"]
    assert scroller is not None and scroller["y"] > chat["y"]
    assert "Conversation" in [o["text"] for o in layout["overlays"]]
    for overlay in layout["overlays"]:
        assert overlay["bottom"] <= scroller["y"], overlay


def test_on_a_wide_screen_the_sources_sit_beside_the_conversation(web_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(web_server + "/")
    page.locator("#question textarea").wait_for()
    layout = page.evaluate(LAYOUT)
    chat, question, side, controls = (layout[k] for k in ("chat", "question", "side", "controls"))
    assert side["x"] >= chat["right"] and side["y"] <= chat["y"]
    assert chat["bottom"] <= question["y"] and question["bottom"] <= controls["y"]


# ---- the page served in this process (create_app), for what the session server cannot show ---------------------


@pytest.fixture(scope="module")
def missing_store_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[tuple[str, Path]]:
    from assistant.frontends.web import create_app

    missing = tmp_path_factory.mktemp("missing") / "store"
    with serve_in_thread(create_app(make_settings(missing, cache_dir))) as base:
        yield base, missing


def test_a_backend_failure_gives_a_friendly_message(missing_store_server: tuple[str, Path], browser_page: Any) -> None:
    base, missing = missing_store_server
    page = browser_page
    page.goto(base + "/")
    message = ask_on_page(page, SEED_QUESTION)
    assert message.inner_text() == (
        f"Sorry, the assistant could not answer just now: no store at {missing}: "
        f"run `assistant ingest PATH --store {missing}` first. Please try again."
    )
    assert page.locator("#question textarea").is_editable()


HOSTILE = {
    "title": "Harbour <img src=x onerror=\"window.pwned=1\"> report **bold** ${7*7}",
    "body": (
        "The harbour master Ines Varga said the <script>window.pwned=2</script> crane fleet will grow by "
        "[ten cranes](javascript:window.pwned=3) and $x^2$ more next spring, costing {{price}} in total."
    ),
    "source": "<b>Quay Post</b>",
    "published_at": "2024-05-01",
    "url": "javascript:window.pwned=4",
}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[str]:
    from assistant.frontends.web import create_app

    folder = tmp_path_factory.mktemp("hostile")
    (folder / "hostile.jsonl").write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    settings = make_settings(folder / "store", cache_dir)
    assert Assistant(settings).ingest([folder / "hostile.jsonl"]).failed == 0
    with serve_in_thread(create_app(settings)) as base:
        yield base


def test_article_text_is_shown_as_text_never_run(hostile_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(hostile_server + "/")
    message = ask_on_page(page, "How many cranes will the harbour master add to the crane fleet?")
    page.locator("#show-all input").check()
    page.locator("#sources .all-passages").wait_for()
    for link in message.locator("a.cite").all():
        link.click()
    text = message.locator(".answer").inner_text()
    assert "<script>window.pwned=2</script>" in text and "[ten cranes](javascript:window.pwned=3)" in text
    assert "$x^2$" in text and "{{price}}" in text
    summary = page.locator("#sources .source-article .article-head").first.inner_text()
    assert 'Harbour <img src=x onerror="window.pwned=1"> report **bold** ${7*7}' in summary
    assert "<b>Quay Post</b>" in summary
    assert page.evaluate("window.pwned") is None and page.dialogs == []
    for where in ("#chat", "#sources"):
        assert page.locator(f"{where} img, {where} script, {where} b, {where} strong, {where} .katex").count() == 0
    assert page.locator("#sources a.article-url").count() == 0  # a javascript: URL is not linked


@pytest.fixture(scope="module")
def token_server(example_store: Path, cache_dir: Path) -> Iterator[str]:
    from assistant.frontends.web import create_app

    settings = make_settings(example_store, cache_dir)
    settings.server.api_token = SecretStr("page-token-123")
    with serve_in_thread(create_app(settings)) as base:
        yield base


def test_with_a_token_the_page_asks_for_it_and_the_api_needs_it(token_server: str, browser_page: Any) -> None:
    assert httpx.post(f"{token_server}/api/ask", json={"question": SEED_QUESTION}).status_code == 401
    page = browser_page
    page.goto(token_server + "/")
    note = page.get_by_text("This page is locked with the server's API token")
    assert note.inner_text() == (
        "This page is locked with the server's API token: server.api_token, set with ASSISTANT_SERVER__API_TOKEN or "
        "api_token under [server] in assistant.toml. Enter any user name and the token as the password."
    )
    assert page.get_by_text("The same token is the Bearer token of the HTTP API").inner_text() == (
        "The same token is the Bearer token of the HTTP API (Authorization: Bearer <token>)."
    )
    page.get_by_label("username").fill("analyst")
    page.get_by_label("password").fill("wrong")
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Incorrect Credentials").wait_for()
    page.get_by_label("username").fill("analyst")
    page.get_by_label("password").fill("page-token-123")
    page.get_by_role("button", name="Login").click()
    assert "Ba N’Daou" in ask_on_page(page, SEED_QUESTION).inner_text()
