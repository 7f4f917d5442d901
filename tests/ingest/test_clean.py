from pathlib import Path

from ingest.clean import article_id_for, is_junk_line, normalize_text, parse_date, parse_scraped_text

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
