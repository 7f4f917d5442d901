"""The chat page's HTML: linked markers, highlighted passages, notes, and escaping of untrusted text."""

from __future__ import annotations

import pytest

from assistant.frontends.chat_view import Turn, answer_html, escape, failure_html, sources_html
from newsdesk.types import Answer, Citation, Passage

TEXT = "Intro sentence. The mayor, Ana <b>Ruiz</b>, said *yes*. Closing words."
QUOTE = "The mayor, Ana <b>Ruiz</b>, said *yes*."
PASSAGE = Passage(
    chunk_id="a1:100-170", article_id="a1", title="Vote [draft]", source="Daily $News",
    published_at="2024-03-12T08:00:00Z", url="https://example.org/vote?a=1&b=2", text=TEXT, start=100,
    end=100 + len(TEXT), score=0.5,
)
CITATION = Citation(
    n=1, article_id="a1", chunk_id="a1:100-170", title="Vote [draft]", source="Daily $News",
    published_at="2024-03-12T08:00:00Z", url="https://example.org/vote?a=1&b=2", quote=QUOTE,
    start=100 + TEXT.index(QUOTE), end=100 + TEXT.index(QUOTE) + len(QUOTE),
)


def answer(**kwargs: object) -> Answer:
    fields = {"question": "Who said yes?", "answer": f"{QUOTE} [1] Also [7].", "citations": [CITATION]}
    fields["passages"] = [PASSAGE]
    return Answer(**(fields | kwargs))  # type: ignore[arg-type]


def test_escape_neutralises_html_markdown_latex_and_templates() -> None:
    assert escape("<b>*x*</b> $y$ ${z} {{w}} [a](b) &") == (
        "&#60;b&#62;&#42;x&#42;&#60;/b&#62; &#36;y&#36; &#36;&#123;z&#125; &#123;&#123;w&#125;&#125; "
        "&#91;a&#93;&#40;b&#41; &#38;"
    )


def test_only_cited_markers_become_links_to_their_source() -> None:
    html = answer_html(answer(), turn=3)
    assert html.count('<a class="cite"') == 1
    assert '<a class="cite" href="#src-3-1">[1]</a>' in html
    assert "Also &#91;7&#93;." in html  # a marker with no citation stays text
    assert "<b>" not in html


def test_notes_for_refused_and_unsupported_answers_and_the_search_query() -> None:
    assert "Not answered: no article in the corpus supports an answer." in answer_html(answer(refused=True), 1)
    reason = answer(refused=True, refusal_reason="no article from <Bloomberg> in the corpus")
    assert "Not answered: no article from &#60;Bloomberg&#62; in the corpus." in answer_html(reason, 1)
    assert "Unsupported: no citation in this answer could be checked" in answer_html(answer(unsupported=True), 1)
    assert "Searched for" not in answer_html(answer(search_query="Who said yes?"), 1)
    assert "removed" not in answer_html(answer(), 1)
    assert (
        '<em class="note dropped">2 citations were removed: the passages they pointed to do not support those '
        "sentences.</em>" in answer_html(answer(dropped_markers=2), 1)
    )
    assert "Searched for: Who said yes? &#40;vote&#41;" in answer_html(answer(search_query="Who said yes? (vote)"), 1)


def test_a_source_shows_the_quote_highlighted_within_its_passage() -> None:
    html = sources_html([Turn("Who said yes?", answer())], show_all=False)
    assert '<div class="source" id="src-1-1"><span class="n">&#91;1&#93;</span>' not in html
    assert '<div class="source" id="src-1-1"><span class="n">[1]</span><blockquote class="passage">' in html
    assert "<mark>The mayor, Ana &#60;b&#62;Ruiz&#60;/b&#62;, said &#42;yes&#42;.</mark>" in html
    assert "Intro sentence. <mark>" in html and "</mark> Closing words." in html
    assert "Vote &#91;draft&#93;</span> <span class=\"meta\">— Daily &#36;News · 2024&#45;03&#45;12</span>" in html
    assert 'href="https://example.org/vote?a=1&amp;b=2"' in html
    assert "<details" not in html  # every quote is shown without a click
    assert "all-passages" not in html


def test_citations_of_one_article_are_grouped_under_one_title() -> None:
    other_text = "Elsewhere, the harbour opened."
    other = PASSAGE.model_copy(update={"chunk_id": "b1:0-30", "article_id": "b1", "title": "Harbour",
                                       "text": other_text, "start": 0, "end": len(other_text), "url": ""})
    second = CITATION.model_copy(update={"n": 3, "quote": "Closing words.", "start": 100 + TEXT.index("Closing"),
                                         "end": 100 + len(TEXT)})
    harbour = CITATION.model_copy(update={"n": 2, "article_id": "b1", "chunk_id": "b1:0-30", "title": "Harbour",
                                          "url": "", "quote": other_text, "start": 0, "end": len(other_text)})
    html = sources_html([Turn("q", answer(citations=[second, harbour, CITATION], passages=[PASSAGE, other]))], False)
    assert html.count('<div class="source-article">') == 2
    assert html.count("Vote &#91;draft&#93;") == 1 and html.count('class="article-url"') == 1
    vote, harbour_html = html.split('<div class="source-article">')[1:]
    assert vote.index('id="src-1-1"') < vote.index('id="src-1-3"')  # the article of [1] first, its quotes in order
    assert "<mark>Closing words.</mark>" in vote
    assert 'id="src-1-2"' in harbour_html and "Harbour" in harbour_html


@pytest.mark.parametrize(
    ("word", "tail", "shown"),
    [("word ", " tail", 32), ("wordy ", " tails", 26)],  # the second: 160 characters end mid-word on both sides
)
def test_a_quote_in_a_long_passage_shows_some_context_on_each_side(word: str, tail: str, shown: int) -> None:
    before, after = word * 100, tail * 100
    text = f"{before}The quote.{after}"
    long = PASSAGE.model_copy(update={"text": text, "end": 100 + len(text)})
    cited = CITATION.model_copy(update={"quote": "The quote.", "start": 100 + len(before),
                                        "end": 100 + len(before) + len("The quote.")})
    html = sources_html([Turn("q", answer(citations=[cited], passages=[long]))], show_all=False)
    quoted = html.split('<blockquote class="passage">')[1].split("</blockquote>")[0]
    assert quoted == f"…{word * shown}<mark>The quote.</mark>{tail * shown}…"


def test_a_quote_outside_the_retrieved_passages_is_shown_alone() -> None:
    html = sources_html([Turn("q", answer(passages=[]))], show_all=False)
    assert "<blockquote class=\"passage\"><mark>The mayor" in html


def test_every_retrieved_passage_on_request_newest_turn_first() -> None:
    turns = [Turn("first?", answer()), Turn("second?", answer(citations=[]))]
    html = sources_html(turns, show_all=True)
    assert html.index('id="turn-2"') < html.index('id="turn-1"')
    assert html.count("All 1 retrieved passages") == 2
    assert '<p class="no-citations">No sources cited.</p>' in html
    assert "score" not in html.replace('class="score"', "")  # the rank score means nothing to a reader
    assert '<p class="legend">Best match first, as the search ranked them: shared words and closeness' in html
    assert '<span class="cited">cited as [1]</span>' in html


def test_similarity_to_the_question_is_explained() -> None:
    ranked = answer(passages=[PASSAGE.model_copy(update={"relevance": 0.43})])
    html = sources_html([Turn("q", ranked)], show_all=True)
    notes = '<span class="score">similarity to the question 0.43</span> · <span class="cited">cited as [1]</span>'
    assert notes in html
    legend = html.split('<p class="legend">')[1].split("</p>")[0]
    assert "Similarity is how close a passage&#39;s meaning is to the question&#39;s" in legend
    assert "about 0 for unrelated text, up to 1 for the same meaning" in legend
    assert "relevance 0.43" not in html


def test_only_web_urls_are_linked() -> None:
    hostile = CITATION.model_copy(update={"url": "javascript:alert(1)"})
    assert "article-url" not in sources_html([Turn("q", answer(citations=[hostile]))], show_all=False)


def test_unanswered_turns_have_no_sources_and_failures_are_friendly() -> None:
    assert sources_html([Turn("q", failure="boom")], show_all=True) == (
        '<div class="sources-empty">Sources of each answer appear here.</div>'
    )
    assert failure_html("no store at /x") == (
        '<em class="note failure">Sorry, the assistant could not answer just now: no store at /x. '
        "Please try again.</em>"
    )


def test_the_answerer_is_named_in_plain_words_under_the_answer() -> None:
    answer = Answer(question="q", answer="It was <b>Ba</b>. [1]", answered_by="Written by gpt-4o-mini")
    assert answer_html(answer, 1).endswith('<br><small class="answered-by">Written by gpt&#45;4o&#45;mini</small>')


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        (
            {"articles": 6, "sources": {"Reuters": 3, "AP": 1, "BBC": 1, "CNN": 1, "(unknown)": 1, "NPR": 1},
             "published_from": "2020-11-04", "published_to": "2024-06-03"},
            "The corpus holds 6 articles from 5 sources (Reuters, AP, BBC, CNN, …), published 2020-11-04 to 2024-06-03.",
        ),
        ({"articles": 1, "sources": {"(unknown)": 1}, "published_from": None, "published_to": None},
         "The corpus holds 1 article."),
        ({"articles": 0, "sources": {}, "published_from": None, "published_to": None},
         "The corpus is empty: add articles with `assistant ingest FOLDER`."),
    ],
)
def test_the_page_says_what_the_corpus_holds(stats: dict, line: str) -> None:
    from assistant.frontends.page import corpus_line

    assert corpus_line(stats) == line


def test_quotes_sharing_one_number_are_one_source_with_every_quote() -> None:
    closing = CITATION.model_copy(update={"quote": "Closing words.", "start": 100 + TEXT.index("Closing"),
                                          "end": 100 + len(TEXT)})
    shared = answer(answer=f"{QUOTE} [1] Closing words. [1]", citations=[CITATION, closing])
    assert answer_html(shared, 1).count('href="#src-1-1"') == 2
    html = sources_html([Turn("q", shared)], show_all=True)
    assert html.count('id="src-1-1"') == 1  # one anchor per number
    source = html.split('id="src-1-1"')[1].split('<a class="article-url"')[0]
    assert source.count('<blockquote class="passage">') == 2
    assert source.index("<mark>The mayor") < source.index("<mark>Closing words.</mark>")
    assert "cited as [1]</span>" in html  # the retrieved passage lists the number once
