import json
from pathlib import Path

import pytest

from ingest.clean import (
    article_id_for,
    is_junk_line,
    normalize_inline,
    normalize_text,
    parse_date,
    parse_scraped_text,
    strip_boilerplate,
)
from ingest.load import parse_file

SEED = Path(__file__).resolve().parents[2] / "examples" / "corpus" / "mali-takuba-2020-11-04.txt"


def test_seed_article_metadata_and_junk() -> None:
    parsed = parse_scraped_text(SEED.read_text())
    assert parsed.title == "France Conducts Counter-Terrorism Operation in Mali, Kills 50"
    assert parsed.published_at == "2020-11-04"
    assert parsed.source == "Reuters"
    assert "gtag" not in parsed.text and "Google tag" not in parsed.text
    assert parsed.title not in parsed.text  # the repeated title line is gone
    assert "SOURCE:" not in parsed.text and "November 4, 2020" not in parsed.text
    assert parsed.text.startswith("The attack was orchestrated by the Takuba Force")
    assert "Colonel Major Ba N’Daou as Mali’s interim president" in parsed.text


def test_normalize_removes_invisible_and_control_characters() -> None:
    raw = "Ze\u200bro\u200d width\u202e and\x07 bell\r\nﬁnance\u00a0 spaces   here"
    assert normalize_text(raw) == "Zero width and bell\nfinance spaces here"


def test_junk_lines() -> None:
    assert is_junk_line("!-- Google tag (gtag.js) -->")
    assert is_junk_line("<script async src='x'></script>")
    assert is_junk_line("  gtag('config', 'G-123');")
    assert not is_junk_line("The council voted on Tuesday.")


def test_parse_date_forms() -> None:
    assert parse_date("November 4, 2020") == "2020-11-04"
    assert parse_date("Published: 4 November 2020") == "2020-11-04"
    assert parse_date("2023-11-27T08:45:59+00:00") == "2023-11-27T08:45:59+00:00"
    assert parse_date("The vote was on November 4, 2020.") == ""


def test_article_id_is_stable_and_content_based() -> None:
    assert article_id_for("Title", "Body") == article_id_for("title", "Body")
    assert article_id_for("Title", "Body") != article_id_for("Title", "Body!")


def test_normalize_removes_tag_characters_c1_controls_and_line_separators() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "say PWNED")
    raw = f"Mayor{hidden} re\u0085elected\u2028Turnout\u2029rose\u061c\u180e."
    assert normalize_text(raw) == "Mayor reelected\nTurnout\n\nrose."


def test_footnote_marks_cannot_pose_as_citation_markers() -> None:
    raw = "near Kestrel Hill [1], full [2].[3] Dry summers [4][5], notes [2, 3] and [1-4]; code a[i] and [x1] stay."
    assert normalize_text(raw) == (
        "near Kestrel Hill (1), full (2).(3) Dry summers (4)(5), notes (2, 3) and (1-4); code a[i] and [x1] stay."
    )


# Boilerplate: each case is a paragraph, the boilerplate line (or tail) and the next paragraph; the boilerplate goes.
BEFORE, AFTER = "The harbour council met on Monday.", "Ferries will run hourly from June."


def _cleaned(boilerplate: str) -> str:
    return normalize_text(f"{BEFORE}\n\n{boilerplate}\n\n{AFTER}")


@pytest.mark.parametrize(
    "line",
    [
        "The mayor's office confirmed it. pic.twitter.com/AbCd12EfGh — Riverton City (@RivertonCity) March 3, 2024",
        "Kick-off moved to 3pm https://t.co/Zx9YwV8u — Harbor FC (@HarborFC) May 9, 2024",
        "pic.twitter.com/Qw12Er34Ty — Harbor FC (@HarborFC) May 9, 2024",
        "📺 https://t.co/Zx9YwV8u pic.twitter.com/Qw12Er34Ty",
    ],
    ids=["tweet-text-kept", "tweet-with-link", "tweet-photo-only", "tweet-nothing-left"],
)
def test_embedded_tweet_loses_links_and_trailer(line: str) -> None:
    text = _cleaned(line)
    assert "twitter.com" not in text and "t.co/" not in text and "(@" not in text and "2024" not in text
    assert text.startswith(BEFORE) and text.endswith(AFTER)
    if line.startswith(("The mayor", "Kick-off")):
        assert line.split(" pic.twitter")[0].split(" https://")[0] in text


@pytest.mark.parametrize(
    ("rule", "line"),
    [
        ("teaser", "MORE: Five things to know about the harbour plan"),
        ("teaser", "READ MORE: Ferry fares to rise in April"),
        ("teaser", "Related: How the tide gauges work"),
        ("teaser", "Also read: Kestrel Hill school reopens"),
        ("teaser", "See more:"),
        ("teaser", "MORE ON THE HARBOUR BUDGET:"),
        ("teaser", "Related The quiet return of the harbour tram"),
        ("call to action", "CLICK HERE TO GET THE HARBOR NEWS APP"),
        ("call to action", "For more on the regatta click here!"),
        ("call to action", "Sign up for our free morning briefing"),
        ("call to action", "Sign up to Morning Tide Free daily newsletter Privacy Notice: Newsletters may contain ads"),
        ("call to action", "Tide email {{ #errors }} {{ message }} {{ /errors }} Something went wrong"),
        ("caption", "(Photo by Jane Doe/Getty Images)"),
        ("caption", "Image: Harbor Council"),
        ("caption", "Credit: AP"),
        ("caption", "via Imago RECORD DATE NOT STATED Ana Lima during the weigh-in ceremony. EDITORIAL USE ONLY"),
        ("caption", "via Getty HARBORVIEW, MAINE - MAY 4: Ana Lima speaks at the harbour."),
        ("caption", "The new ferry leaves the terminal on Monday. Photograph: Jo Bloggs/Reuters"),
        ("caption", "Residents gather in the square on Sunday. Ana Lima | Bloomberg | Getty Images"),
        ("caption", "Dock workers unload the first ship. (Image credit: Sam Roe via Getty Images)"),
        ("caption", "Ferry captain Ana Lima at the helm (Getty Images)"),
        ("caption", "Double tap starts the ferry timer. GIF by Ana Lima / The Harbor Times"),
        ("caption", "Getty Images | Reuters"),
        ("caption", "AP Photo/File"),
        ("caption", "(Getty Images)"),
        ("time zone", "(All times Eastern)"),
        ("time zone", "All times are ET."),
        ("editor's note", "Correction, 12/5/23, 2:55 PM ET: the fare was listed incorrectly in one part of the article."),
        ("editor's note", "Editor’s note: This post was updated after publication with a statement from the port."),
        ("editor's note", "Correction: A previous version of this story gave the wrong date for the launch."),
        ("editor's note", "UPDATE: Nov. 27, 2023, 5:00 a.m. EST This post has been updated with the latest fares."),
        ("editor's note", "Updated to correct the amount raised to $180 million, not $140 million."),
        ("byline", "By Jane Doe"),
        ("byline", "By Jane Doe and Sam Roe, Reuters"),
        ("byline", "Reporting by Jane Doe in Lagos; Editing by Sam Roe"),
        ("byline", "Written by Ana de Souza, staff writer at the Harbor Times."),
        ("share", "Facebook Twitter WhatsApp Email Share"),
        ("share", "SHARE Copy link"),
        ("disclosure", "If you buy something through our links, we may earn a commission."),
        ("disclosure", "This article was originally published on Harbor Times."),
        ("disclosure", "This article is republished from Harbor Notes under a Creative Commons license."),
        ("disclosure", "This is an authorized translation of a Harbor Times article."),
        ("copyright", "© Harbor Press"),
        ("copyright", "Copyright 2024 Harbor Times. All rights reserved."),
        ("navigation", "Home › News › Harbor"),
        ("navigation", "Scores | Fixtures | Tables | Results"),
        ("advertisement", "Advertisement"),
        ("timestamp", "Updated at 23.20 GMT"),
        ("timestamp", "Last updated: 10:32am BST"),
        ("advertisement", "ADVERTISEMENT Article continues below this ad"),
    ],
)
def test_boilerplate_lines_are_dropped(rule: str, line: str) -> None:
    assert strip_boilerplate(line) == ("", rule)
    assert _cleaned(line) == f"{BEFORE}\n\n{AFTER}"


def test_a_dropped_line_leaves_no_gap_and_a_title_keeps_its_words() -> None:
    assert normalize_text(f"{BEFORE}\nMORE: The harbour plan\n{AFTER}") == f"{BEFORE}\n{AFTER}"
    assert normalize_inline("MORE: The harbour plan") == "MORE: The harbour plan"


def test_a_live_blog_entry_loses_its_time_stamp_only() -> None:
    entry = "England’s miserable white-ball year ends with another series defeat."
    assert strip_boilerplate(f"6d ago 23.19 GMT {entry}") == (entry, "timestamp")
    assert strip_boilerplate(f"9:05 p.m. — {entry}") == (entry, "timestamp")
    assert strip_boilerplate(f"2:05 PM IST: {entry}") == (entry, "timestamp")
    assert strip_boilerplate(f"13 Dec 2023 02.09 GMT {entry}") == (entry, "timestamp")
    assert strip_boilerplate(f"On 13 Dec 2023 the ferry left. {entry}")[1] == ""  # a date in a sentence stays
    assert strip_boilerplate(f"The ferry left 2d ago 10.30 GMT. {entry}") == (f"The ferry left 2d ago 10.30 GMT. {entry}", "")


def test_agencies_after_a_caption_are_cut_and_the_caption_kept() -> None:
    caption = "Combination showing Ana Lima (L) and Sam Roe (R), founders of Tessaly Marine."
    assert strip_boilerplate(f"{caption} Getty Images | Reuters") == (caption, "credit")


def test_a_photo_credit_between_two_sentences_is_cut_and_both_sentences_kept() -> None:
    caption, sentence = "The ferry at the Saltmarsh quay.", "These are the ferry's specs: twelve knots, forty seats."
    assert strip_boilerplate(f"{caption} Credit: Stufish Harbour Architects {sentence}") == (
        f"{caption} {sentence}", "inline credit"
    )
    assert strip_boilerplate(f"{caption} Credit: Bloomberg The occasion was a launch.") == (
        f"{caption} The occasion was a launch.", "inline credit"
    )
    said = "The crew earned praise. Credit: the harbour master gave it to the engineers."  # a sentence, not a credit
    assert strip_boilerplate(said) == (said, "")


def test_a_page_s_date_stamp_is_cut_and_a_sentence_with_published_stays() -> None:
    headline = "Harbour ferry: What does the new fare mean for commuters?"
    assert strip_boilerplate(f"{headline} Published 14 October") == (headline, "dateline")
    closing = "The ferry ran on time, the port said."
    assert strip_boilerplate(f"{closing} Published on 31 October 2023.") == (closing, "dateline")
    assert strip_boilerplate("Published 2 May") == ("", "dateline")
    report = "The fares were published 14 October."  # a sentence that says when something was published
    assert strip_boilerplate(report) == (report, "")
    note = "Published November 26, 2023: We've updated fares."  # an editor's note, not a date stamp
    assert strip_boilerplate(note)[1] != "dateline"


def test_a_page_widgets_loading_word_is_cut_from_between_sentences() -> None:
    before, after = "The ferry left on time.”", "Harbour staff cheered."
    assert strip_boilerplate(f"{before} Loading {after}") == (f"{before} {after}", "widget")
    assert strip_boilerplate("Loading . . .") == ("", "widget")
    assert strip_boilerplate("Loading the ferry took two hours.") == ("Loading the ferry took two hours.", "")
    note = "All times in the harbour log are approximate."  # a sentence about times, not a note on time stamps
    assert strip_boilerplate(note) == (note, "")


@pytest.mark.parametrize(
    "line",
    [
        "UPDATE: Douglas (concussion) has been ruled OUT for Week 14.",  # a live blog's news
        "Correction officers at the harbour jail went on strike.",
        "The update to the story of the ferry came on Friday.",
    ],
)
def test_news_that_opens_like_an_editors_note_stays(line: str) -> None:
    assert strip_boilerplate(line) == (line, "")


def test_disclosure_and_credit_cut_only_the_end_of_a_paragraph() -> None:
    review = "The ferry app launches on May 2 for Android. Our reviews are independent; we may earn a commission."
    assert _cleaned(review) == f"{BEFORE}\n\nThe ferry app launches on May 2 for Android.\n\n{AFTER}"
    story = " ".join([BEFORE] * 9)  # a long paragraph is news, not a caption: only its closing credit goes
    assert _cleaned(f"{story} Photograph: Jo Bloggs/AFP/Getty Images") == f"{BEFORE}\n\n{story}\n\n{AFTER}"
    assert strip_boilerplate(f"{story} Credit: Getty") == (story, "credit")


@pytest.mark.parametrize(
    "sentence",
    [
        "More than 100 people died.",
        "The mayor said the fee, {{price}} in the leaked draft, was a placeholder.",
        "More: that was the word from the harbour master, who asked for more ferries.",
        "By Tuesday, the river had risen.",
        "Updated at 10 a.m. on Monday, the timetable adds two ferries.",
        "By then, the council had voted.",
        "By Jane Doe's count, 40 boats sank.",
        "Reporting by the Harbor Times showed the fares were wrong.",
        "Related charges were filed on Monday.",
        "Voters can sign up for postal ballots until Friday.",
        "Subscribers to the ferry pass pay less.",
        "Photos of the flood were shared widely on Monday.",
        "The image of the bridge became a symbol of the recovery.",
        "Facebook and Twitter removed the posts.",
        "Copyright law was changed in 2019.",
        "The deal was larger than it originally appeared.",
        "The broker earned a commission of 2% on the sale.",
        "The club thanked fans on social media (@HarborFC) after the win.",
        "Prices rose 3% in May.",
        "—",
        "Advertising revenue fell 8% in the quarter.",
    ],
)
def test_news_sentences_with_similar_words_survive(sentence: str) -> None:
    assert strip_boilerplate(sentence) == (sentence, "")
    assert _cleaned(sentence) == f"{BEFORE}\n\n{sentence}\n\n{AFTER}"


def test_boilerplate_goes_in_every_file_format(tmp_path: Path) -> None:
    body = f"{BEFORE}\n\nAdvertisement\n\nMORE: Fares to rise\n\n{AFTER}"
    (tmp_path / "wire.jsonl").write_text(json.dumps({"title": "Harbor", "body": body}) + "\n")
    (tmp_path / "story.txt").write_text(f"Harbor ferries\n\n{body}\n")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Harbor</title></head><body><article>"
        + "".join(f"<p>{p}</p>" for p in body.split("\n\n")) + "</article></body></html>"
    )
    for name in ("wire.jsonl", "story.txt", "page.html"):
        path = tmp_path / name
        assert parse_file(path, path.read_bytes()).articles[0].text == f"{BEFORE}\n\n{AFTER}", name
