"""The answerability check (assistant/answerable.py): each rule refuses what it should and lets answerable
questions through, on a small fictional corpus (tests/data/answerable/articles.jsonl)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.answerable import (
    ALIASES,
    Reading,
    absent_names,
    asked_attribute,
    asked_kind,
    asked_thing,
    counted_thing,
    defined_thing,
    initials,
    looks_like_publisher,
    missing_attribute,
    missing_count,
    missing_currency,
    missing_departure,
    missing_from_source,
    missing_kind,
    missing_partner,
    missing_premise,
    missing_report,
    missing_result,
    missing_role,
    missing_ruling,
    missing_subject,
    missing_successor,
    missing_thing,
    missing_words,
    missing_year,
    names,
    subject_names,
    unanswerable_reason,
    unknown_publishers,
    variants,
)
from assistant.core import Assistant
from assistant.keyword import KeywordIndex, KeywordView
from assistant.refusal import REFUSAL
from newsdesk.settings import RetrievalSettings
from newsdesk.types import Passage
from tests.fixtures.core import make_settings

ARTICLES = Path(__file__).parents[1] / "data" / "answerable" / "articles.jsonl"
SOURCES = ["Harbor Gazette", "The Valley Times", "Metro Wire"]


def _passages() -> list[Passage]:
    rows = [json.loads(line) for line in ARTICLES.read_text().splitlines()]
    return [
        Passage(chunk_id=f"c{i}", article_id=f"a{i}", title=r["title"], source=r["source"],
                published_at=r["published_at"], url=r["url"], text=r["body"], start=0, end=len(r["body"]),
                relevance=0.5)
        for i, r in enumerate(rows)
    ]


@pytest.fixture(scope="module")
def index() -> KeywordView:
    return KeywordIndex.build(_passages(), "test").view()


@pytest.fixture(scope="module")
def ferry_assistant(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Assistant:
    assistant = Assistant(make_settings(tmp_path_factory.mktemp("answerable-store"), cache_dir))
    assistant.ingest([ARTICLES])
    return assistant


# ---- rule 1: a publisher the store does not hold ------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("What did a Bloomberg article say about Tessaly Marine?", ["Bloomberg"]),
        ("Considering an article by Harbor Gazette and another by Forbes, who builds the ferries?", ["Forbes"]),
        ("Did the Reuters report and an article in The Wall Street Journal agree?", ["Wall Street Journal", "Reuters"]),
        ("Was the Quarry Bay line covered, as reported by The Daily Lantern?", ["Daily Lantern"]),
        ("What did Bloomberg report about Tessaly Marine?", ["Bloomberg"]),
        ("Did The Daily Lantern cover the ferry fares?", ["Daily Lantern"]),
        ("Haaretz covered the crossing: what did it say?", ["Haaretz"]),
        ("Who builds the ferries, according to The New York Times?", ["New York Times"]),
        ("What did Bloomberg's report say about the welders?", ["Bloomberg"]),
    ],
)
def test_a_publisher_missing_from_the_store_is_found(question: str, unknown: list[str]) -> None:
    assert sorted(unknown_publishers(question, SOURCES)) == sorted(unknown)


@pytest.mark.parametrize(
    "question",
    [
        "What did a Harbor Gazette article say about Tessaly Marine?",
        "Did an article by The Valley Times and another by Metro Wire name the chair?",
        "Was the report in May about the Quarry Bay ferry line?",  # a month, not a publisher
        "What does the article on Tessaly Marine say about welders?",  # "on": a topic, not a publisher
        "What did the Harbor Gazette report in April 2024?",
        "What did Metro Wire report on Monday?",
        "Who builds the ferries, according to Odile Marchetti?",  # a person cited, not a publisher
        "What did Tessaly Marine report in May?",  # a company reporting, not a publisher
        "Did Rufus Adeyemi say so, according to The Valley Times?",
    ],
)
def test_known_publishers_and_topics_are_not_unknown_publishers(question: str) -> None:
    assert unknown_publishers(question, SOURCES) == []


def test_a_short_form_of_a_known_source_is_known() -> None:
    sources = ["BBC News - Technology", "The Independent - Sports"]
    assert unknown_publishers("Did a BBC article and an article by The Independent agree?", sources) == []
    assert unknown_publishers("Did a BBC Sport article say so?", sources) == ["BBC Sport"]


def test_what_looks_like_a_publisher() -> None:
    assert [looks_like_publisher(n) for n in ("Bloomberg", "The Daily Lantern", "Quarry Herald", "Odile Marchetti",
                                               "Tessaly Marine", "Times")] == [True, True, True, False, False, False]


# ---- rule 2: a name no chunk contains ------------------------------------------------------------------------
def test_names_skip_sentence_starts_and_known_publishers() -> None:
    question = "Did Odile Marchetti tell Metro Wire that Tessaly Marine would hire? Rufus Adeyemi said so."
    assert names(question, SOURCES) == ["Odile Marchetti", "Tessaly Marine", "Adeyemi"]


def test_a_questions_first_word_is_kept_where_the_passages_write_it_inside_the_name() -> None:
    question = "Quarry Bay ferry fares in euros?"
    assert names(question, SOURCES) == ["Bay"]
    assert names(question, SOURCES, ["Fares on the Quarry Bay line hold."]) == ["Quarry Bay"]
    assert names(question, SOURCES, ["Quarry Bay fares hold."]) == ["Bay"]  # a sentence's start shows nothing
    former = "Former Harbour Chief Ana Ruiz spoke?"
    assert names(former, SOURCES, ["The former Harbour Chief spoke."]) == ["Harbour", "Ana Ruiz"]


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("Why did the previous Venn Harbour Authority CEO step down?", ["Venn Harbour Authority"]),
        ("What did the Harbor Gazette report in April 2024?", []),
        ("Did President Odile Marchetti speak on Wednesday in May?", ["Odile Marchetti"]),
        ("Did Prime Minister Ana Ruiz and Dr Rufus Adeyemi meet the CFO on Friday?", ["Ana Ruiz", "Rufus Adeyemi"]),
        ("What did the FTC and the U.S. say? Why? When? Who?", ["FTC", "U.S."]),
        ("Is the WHO worried about the ferries?", ["WHO"]),  # an acronym, not a question word
        ("Does the Venn Harbour Authority Chief Executive Tomas Lindqvist agree?", ["Venn Harbour Authority", "Tomas Lindqvist"]),
        ("When could people order Tessaly Marine's Quarry Bay ferry?", ["Tessaly Marine's", "Quarry Bay"]),  # two names
        ("Did the Kestrels' Lakeside Stadium reopen?", ["Kestrels'", "Lakeside Stadium"]),
        ("What was the score of Raiders vs. Lions on Monday?", ["Raiders", "Lions"]),  # "vs." ends no sentence
        ("How much revenue did Tessaly Marine report in Q3 2023?", ["Tessaly Marine"]),  # a quarter, no name
        ("Did Tessaly Marine's FY24 sales fall?", ["Tessaly Marine's"]),
        ("What is the Kestrel ferry's battery capacity in Whr?", ["Kestrel"]),  # a unit, no name
    ],
)
def test_months_weekdays_titles_and_question_words_are_not_names(question: str, found: list[str]) -> None:
    assert names(question, SOURCES) == found


def test_subject_names_drop_the_possessive_endings() -> None:
    assert subject_names("Did the Kestrels' Lakeside Stadium sell Tessaly Marine's ferry?", SOURCES) == [
        "Kestrels", "Lakeside Stadium", "Tessaly Marine"
    ]


def test_aliases_and_acronyms() -> None:
    assert variants("CEO") == ["CEO", "chief executive"]
    assert variants("US") == ["US", "United States", "America", "U.S."]  # "the most downloaded app in the U.S."
    assert variants("Harbour KO II")[-1] == "Harbour K.O. II"  # "the K.O. II sampler"; "II" is a numeral
    assert variants("U.K.") == ["U.K.", "United Kingdom", "Britain"]
    assert variants("RWC") == ["RWC", "Rugby World Cup"]
    assert "West Indies T20" in variants("WI T20")  # an acronym inside a name
    assert variants("Federal Trade Commission") == ["Federal Trade Commission", "FTC"]
    assert variants("Securities and Exchange Commission") == ["Securities and Exchange Commission", "SEC"]
    assert initials("National Aeronautics and Space Administration") == "NASA"
    assert all(key == key.lower() and longs for key, longs in ALIASES.items())


def test_an_acronym_is_found_by_the_initials_of_a_phrase_in_the_corpus(index: KeywordView) -> None:
    assert index.has_acronym("CSR") and index.has_acronym("VHA") and not index.has_acronym("XQZ")
    assert absent_names("Why did the CSR open an inquiry into the VHA?", index, 0) == []
    assert absent_names("Why did the FTC open an inquiry into the VHA?", index, 0) == ["FTC"]


def test_chunks_with_counts_chunks_holding_every_word(index: KeywordView) -> None:
    assert index.chunks_with("Tessaly Marine") == 2
    assert index.chunks_with("Odile Marchetti's") == 2  # stemmed and tokenised as indexed
    assert index.chunks_with("Rufus Marchetti") == 0  # both words occur, never in one chunk
    assert index.chunks_with("Zanzibar") == 0
    assert index.chunks_with("the of") is None  # stop words only


def test_absent_names_are_those_in_at_most_max_chunks(index: KeywordView) -> None:
    question = "Did Tessaly Marine hire Rufus Adeyemi before Ingrid Vasquez joined Port Venn?"
    assert absent_names(question, index, 0) == ["Ingrid Vasquez"]
    assert absent_names(question, index, 1) == ["Rufus Adeyemi", "Ingrid Vasquez", "Port Venn"]


# ---- the combined decision ---------------------------------------------------------------------------------
def test_a_margin_of_victory_asks_for_a_score_not_an_amount() -> None:
    assert asked_kind("how much did the Gulls beat the Herons by") is None
    assert asked_kind("How much did the Gulls pay for the Herons' striker?") == "sum of money"


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What did a Bloomberg article say about the Quarry Bay ferry?", "no article from Bloomberg in the corpus"),
        ("What did Bloomberg report about the Venn Harbour Authority?", "no article from Bloomberg in the corpus"),
        ("Did an article by Forbes or a Reuters report name the shipyard?", "no article from Forbes or Reuters in the corpus"),
        ("Who runs the Venn Harbour Authority, according to The Morning Lantern?",
         "no article from Morning Lantern in the corpus"),
        ("Did Bloomberg say the Venn Harbour Authority chief quit?", "no article from Bloomberg in the corpus"),
        ("How many welders will Ingrid Vasquez hire at the shipyard?", "no article mentions Ingrid Vasquez"),
        ("How much did Venn Harbour Authority CFO Ingrid Vasquez earn in April?", "no article mentions Ingrid Vasquez"),
        ("Did Ingrid Vasquez or Bram Okafor buy a ferry?", "no article mentions Ingrid Vasquez or Bram Okafor"),
        ("What is the population of Port Venn?", "no passage gives the population of Port Venn"),
        ("How old is Odile Marchetti?", "no passage gives the age of Odile Marchetti"),
        ("What is Odile Marchetti's salary?", "no passage gives the salary of Odile Marchetti"),
        ("What is Odile Marchetti's salary on her board contract?", "no passage gives the salary of Odile Marchetti"),
        ("How tall is Mirela Osei?", "no passage gives the height of Mirela Osei"),
    ],
)
def test_each_rule_gives_its_reason(index: KeywordIndex, question: str, reason: str) -> None:
    assert unanswerable_reason(question, _passages(), index, RetrievalSettings()) == reason


def test_low_relevance_is_still_refused(index: KeywordView) -> None:
    passages = [p.model_copy(update={"relevance": 0.1}) for p in _passages()]
    reason = unanswerable_reason("How much is a monthly pass?", passages, index, RetrievalSettings())
    assert reason == "no passage is close enough to the question (best relevance 0.10 < 0.2)"
    # a name alone is far in meaning from any passage about it: asked what or who it is, it is not refused
    assert unanswerable_reason("Who is Odile Marchetti?", passages, index, RetrievalSettings()) is None
    assert unanswerable_reason("What is Tessaly Marine?", passages, index, RetrievalSettings()) is None
    assert unanswerable_reason("Who is Ingrid Vasquez?", passages, index, RetrievalSettings()) == (
        "no article mentions Ingrid Vasquez"
    )


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("What is Beeper Mini?", "Beeper Mini"),
        ("what's the EU AI Act", "EU AI Act"),
        ("Who is Eylon Levy?", "Eylon Levy"),
        ("Who is Spotify's chief financial officer?", None),  # a role, asked for a name
        ("Who is the CEO of Binance?", None),
        ("What is Betashares buying?", None),
        ("What is the CRISPR therapy for HIV being tested in humans called?", None),
    ],
)
def test_what_or_who_a_named_thing_is(question: str, thing: str | None) -> None:
    assert defined_thing(question) == thing


def test_rules_can_be_turned_off(index: KeywordView) -> None:
    off = RetrievalSettings(check_publishers=False, max_name_chunks=-1)
    for question in ("What did a Bloomberg article say about the ferry?", "Did Ingrid Vasquez buy a ferry?"):
        assert unanswerable_reason(question, _passages(), index, off) is None


@pytest.mark.parametrize(
    "question",
    [
        "Who builds the electric boats for the Quarry Bay ferry line?",
        "According to a Harbor Gazette article, what did Odile Marchetti say about the crossing?",
        "Did The Valley Times report that Tessaly Marine would hire welders?",
        "Why did the previous Venn Harbour Authority CEO step down?",  # the article says "chief executive"
        "What did the Harbor Gazette report in April 2024?",  # a month is not a name
        "Who is the acting CEO of the VHA since Wednesday?",  # initials of "Venn Harbour Authority"
        "What did President Odile Marchetti say on Thursday in May about the crossing?",
        "What is the price of a monthly pass on the Quarry Bay ferry line?",  # "will still cost forty crowns"
        "What was the cost of the Quarry Bay contract?",  # no passage gives it, but the question names no one
    ],
)
def test_answerable_questions_pass(index: KeywordIndex, question: str) -> None:
    assert unanswerable_reason(question, _passages(), index, RetrievalSettings()) is None


# ---- rule 4: an attribute no passage about the subject gives -------------------------------------------------
@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What is the population of Harborview?", ("population", "Harborview")),
        ("what's the current population of the Quarry Bay district", ("population", "Quarry Bay district")),
        ("What is Sam Altman's salary?", ("salary", "Sam Altman")),
        ("How old is Odile Marchetti?", ("age", "Odile Marchetti")),
        ("How many people live in Port Venn?", ("population", "Port Venn")),
        ("What is the price of Lumen Robotics shares?", ("price", "Lumen Robotics shares")),
        ("How rich is Rufus Adeyemi?", ("net worth", "Rufus Adeyemi")),
        ("What is Rufus Adeyemi's salary as managing director?", ("salary", "Rufus Adeyemi")),
        ("What are Selin Ocak's weekly wages at Brightpath?", ("salary", "Selin Ocak")),
        ("What was Tomas Greer's net worth when he left?", ("net worth", "Tomas Greer")),
        ("How much did Odile Marchetti earn last year?", ("salary", "Odile Marchetti")),
        ("What is the retail price of Lumen Robotics' warehouse robot?", ("price", "Lumen Robotics' warehouse robot")),
        ("What salary will Rufus Adeyemi earn as managing director?", ("salary", "Rufus Adeyemi")),
        ("What revenue did Lumen Robotics report for 2022?", ("revenue", "Lumen Robotics")),
        ("In what year was Odile Marchetti born?", ("date of birth", "Odile Marchetti")),
        ("When was harbour master Ilse Marrow born?", ("date of birth", "harbour master Ilse Marrow")),
        ("What did Anton Petrov weigh in at for the title fight?", ("weight", "Anton Petrov")),
        ("How much does Anton Petrov weigh?", ("weight", "Anton Petrov")),
        ("What did Brightpath install along the river?", None),
        ("Who sets the price of a monthly pass?", None),
        ("Does the Metro Wire article suggest that ferry prices rise, while the Harbor Gazette reports a new boat?", None),
        ("How much will Harborview spend on flood barriers?", None),
    ],
)
def test_the_asked_for_attribute_is_read_from_plain_questions_only(
    question: str, asked: tuple[str, str] | None
) -> None:
    assert asked_attribute(question) == asked


def test_an_attribute_given_by_a_passage_about_the_subject_is_not_refused(index: KeywordView) -> None:
    text = "Port Venn, home to 12,000 residents, builds ferries."
    extra = Passage(chunk_id="cx", article_id="ax", title="Port Venn", text=text, start=0, end=len(text), relevance=0.5)
    question = "What is the population of Port Venn?"
    assert unanswerable_reason(question, [*_passages(), extra], index, RetrievalSettings()) is None
    other = extra.model_copy(update={"text": "Quarry Bay, home to 12,000 residents, builds ferries."})
    reason = unanswerable_reason(question, [*_passages(), other], index, RetrievalSettings())
    assert reason == "no passage gives the population of Port Venn"  # residents, but of another place


def test_a_birth_date_needs_a_passage_saying_born() -> None:
    question = "In what year was Odile Marchetti born?"
    text = "Odile Marchetti, chair of the harbour board since 1995, said the boats would cut the crossing."
    said = Passage(chunk_id="c1", article_id="a1", title="Ferries", text=text, start=0, end=len(text), relevance=0.5)
    reading = Reading(question, [said])
    assert missing_attribute(reading) == "no passage gives the date of birth of Odile Marchetti"  # 1995 is no birth
    born = said.model_copy(update={"text": "Odile Marchetti, born in Port Venn in 1961, chairs the harbour board."})
    assert missing_attribute(Reading(question, [born])) is None


def test_a_weight_is_a_number_with_its_unit() -> None:
    question = "What did Anton Petrov weigh in at for the title fight?"
    division = _news("Cruiserweight Anton Petrov won the title fight in the first round.")
    assert missing_attribute(Reading(question, [division])) == "no passage gives the weight of Anton Petrov"
    weighed = _news("Anton Petrov weighed in at 90.3kg on Friday.")
    assert missing_attribute(Reading(question, [weighed])) is None


def test_an_attribute_is_given_in_a_sentence_about_the_subject() -> None:
    question = "What is Harborview harbour master Maria Lopez's salary?"
    other = _news("Maria Lopez welcomed the new pilot. The pilot will be paid $90,000 a year, the board said.")
    assert missing_attribute(Reading(question, [other])) == (
        "no passage gives the salary of Harborview harbour master Maria Lopez"
    )  # the passage names her and a salary, but the salary is another's
    follows = _news("Maria Lopez has run the harbour since 2019. She is paid $85,000 a year.")
    assert missing_attribute(Reading(question, [follows])) is None  # the sentence after the one naming her
    surname = _news("The board praised Maria Lopez. Lopez earns $85,000 a year.")
    assert missing_attribute(Reading(question, [surname])) is None  # named by her surname


# ---- rule 5: a count no passage gives ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("How many paying subscribers does Deft have, according to TechCrunch?", "paying subscribers"),
        ("How many people watched the final season?", "people"),
        ("How many tons of tire wear particles do cars emit every year?", "tons of tire wear particles"),
        ("how many Ray-Ban Meta smart glasses were sold?", "Ray-Ban Meta smart glasses"),
        ("How many fossil fuel lobbyists attended the summit?", "fossil fuel lobbyists"),  # up to a verb in the past
        ("How much does the ferry pass cost?", None),
        ("Who counted the ferries?", None),
    ],
)
def test_what_a_how_many_question_counts(question: str, thing: str | None) -> None:
    assert counted_thing(question) == thing


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Brightpath has installed forty solar-powered kiosks along the river.", None),
        ("Cars emit 6 million tons of tire wear particles every year.", None),
        ("Brightpath was fined over its 40-kiosk roll-out along the river.", None),  # "40-kiosk"
        ("The kiosks along the river are solar-powered; more are planned.", "no passage gives a number of kiosks"),
        ("Brightpath has 40 staff and 3 boats.", "no passage gives a number of kiosks"),
    ],
)
def test_a_count_is_refused_only_when_no_passage_writes_a_number_before_the_thing(
    text: str, reason: str | None
) -> None:
    passage = Passage(chunk_id="c", article_id="a", title="Kiosks", text=text, start=0, end=len(text), relevance=0.5)
    question = "How many kiosks has Brightpath put up?" if "tire" not in text else "How many tons of particles?"
    assert missing_count(Reading(question, [passage])) == reason


def test_a_person_s_count_must_be_that_person_s() -> None:
    question = "How many goals did Maria Lopez score against Tessaly?"
    other = _news("Maria Lopez started against Tessaly. Ona Berg scored 3 goals in the second half.")
    assert missing_count(Reading(question, [other])) == "no passage gives a number of goals"
    hers = _news("Maria Lopez started against Tessaly. The striker scored 3 goals in the second half.")
    assert missing_count(Reading(question, [hers])) is None  # no one else named before the number
    named = _news("Ona Berg watched as Lopez scored 3 goals against Tessaly.")
    assert missing_count(Reading(question, [named])) is None  # the sentence names her


def test_a_possessive_counted_thing_is_counted_as_a_plain_one() -> None:
    suit = _news("A coalition of 42 states is suing Tessaly Marine over the ferry contracts.")
    assert missing_count(Reading("How many states' attorneys general are suing Tessaly Marine?", [suit])) is None


def test_a_place_code_after_a_name_is_a_name_of_its_own() -> None:
    assert names("Did the Quarry Bay Pass UK price rise?") == ["Quarry Bay Pass", "UK"]
    assert names("What did the US Virgin Islands say?") == ["US Virgin Islands"]


def test_a_count_must_come_from_a_passage_that_names_the_subject() -> None:
    def passage(text: str) -> Passage:
        return Passage(chunk_id="c", article_id="a", title="News", text=text, start=0, end=len(text), relevance=0.5)

    question = "How many employees does Brightpath have?"
    other = passage("VinFast cut 35 employees last week, a former employee said.")
    assert missing_count(Reading(question, [other])) == "no passage gives a number of employees"
    assert missing_count(Reading(question, [other, passage("Brightpath, with 40 employees, installs kiosks.")])) is None
    assert missing_count(Reading("How many weeks has 1989 spent in the UK charts?",
                         [passage("It has spent 325 weeks in the UK charts.")])) is None  # "UK": a short name


def test_a_count_may_come_from_another_passage_of_an_article_that_names_the_subject() -> None:
    question = "How many cycles did the NTU hydrogel battery survive?"
    named = Passage(chunk_id="b:0", article_id="b", title="Batteries", text="NTU researchers built a hydrogel battery.",
                    start=0, end=41, relevance=0.5)
    cycles = "The battery kept its capacity over 18,000 charge cycles."
    later = Passage(chunk_id="b:1", article_id="b", title="Batteries", text=cycles, start=42, end=42 + len(cycles))
    elsewhere = later.model_copy(update={"article_id": "c", "chunk_id": "c:1"})
    assert missing_count(Reading(question, [named, later])) is None
    assert missing_count(Reading(question, [named, elsewhere])) == "no passage gives a number of cycles"


def test_assistant_refuses_the_population_of_harborview(assistant: Assistant) -> None:
    answer = assistant.ask("What is the population of Harborview?")
    assert answer.refused and answer.answer == REFUSAL and answer.citations == []
    assert answer.refusal_reason == "no passage gives the population of Harborview"
    spend = assistant.ask("How much will Harborview spend on flood barriers?")
    assert not spend.refused and "4.2 million crowns" in spend.citations[0].quote


def _news(text: str, title: str = "News", source: str = "", published_at: str = "") -> Passage:
    return Passage(chunk_id="c", article_id="a", title=title, source=source, published_at=published_at, text=text,
                   start=0, end=len(text), relevance=0.5)


def test_a_measure_outside_the_list_needs_its_word_and_a_number() -> None:
    question = "What was the attendance at Lakeside Stadium's opening match?"
    assert asked_attribute(question) == ("attendance", "Lakeside Stadium's opening match")
    match = _news("Lakeside Stadium's opening match ended 2-1 after a late goal.")
    assert missing_attribute(Reading(question, [match])) == "no passage gives the attendance of Lakeside Stadium's opening match"
    crowd = _news("The match at Lakeside Stadium was attended by 12,400 fans.")
    assert missing_attribute(Reading(question, [match, crowd])) is None
    crowd = _news("Lakeside Stadium's opening match drew a crowd of 9,000.")
    assert missing_attribute(Reading(question, [crowd])) is None
    reservoir = _news("The Kestrel Hill reservoir will hold 12 billion litres.")  # a capacity, in other words
    assert asked_attribute("What is the capacity of the Kestrel Hill reservoir?") is None
    assert missing_attribute(Reading("What is the capacity of the Kestrel Hill reservoir?", [reservoir])) is None
    rate = _news("Tessaly Marine's yards run at 97% occupancy.")
    assert missing_attribute(Reading("What is the occupancy rate of Tessaly Marine's yards?", [rate])) is None


def test_a_count_needs_a_sentence_that_counts_what_the_question_asks() -> None:
    question = "How many ferries has Tessaly Marine sold?"
    built = _news("Tessaly Marine is a shipyard. Its yard at Port Venn built 12 ferries in its first decade.")
    assert missing_count(Reading(question, [built])) == "no passage gives a number of ferries"
    assert missing_count(Reading(question, [built, _news("Tessaly Marine has sold 3 ferries to Quarry Bay.")])) is None
    assert missing_count(Reading(question, [_news("Tessaly Marine launched 3 ferries this spring.")])) is None  # named
    after = _news("Tessaly Marine sold more ferries than ever last year. The yard delivered 14 ferries to four ports.")
    assert missing_count(Reading(question, [after])) is None  # the count in the sentence after the question's words
    years = _news("Tessaly Marine ran 2023 ferries trials.")  # a year counts nothing
    assert missing_count(Reading("How many ferries did Tessaly Marine run?", [years])) == "no passage gives a number of ferries"


# ---- rule 6: the kind of answer asked for ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did Mirela Osei step down?", "date"),
        ("In what year was Tessaly Marine founded?", "date"),
        ("How much did the Saltmarsh repairs cost?", "sum of money"),
        ("What did Tessaly Marine pay for the Port Venn yard?", "sum of money"),
        ("What transfer fee did Lakeside FC pay for Omar Reyes?", "sum of money"),
        ("What did Lakeside FC pay Omar Reyes?", "sum of money"),  # paid to someone, named
        ("What did Lakeside FC pay attention to?", None),
        ("What fee structure did the harbour board choose?", None),
        ("How much rain fell on Harborview?", "amount"),
        ("Which bakery chain sponsors Lakeside Stadium?", "organisation"),
        ("Which party does Ana Petrov represent?", "organisation"),
        ("Which parish is Fr. Dan Mercer the pastor of?", "organisation"),
        ("What score did the Harbor Times give the ferry app?", "rating"),
        ("How many stars did the Saltmarsh diner get?", "rating"),
        ("What was the score of the Harbour Cup final?", None),  # a game's score, not a review's verdict
        ("Who is acting chief executive of the VHA?", None),
        ("Why did Mirela Osei step down?", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


def test_a_date_must_sit_near_the_question_s_words_in_a_passage_about_the_subject() -> None:
    question = "When did Harborview approve the flood budget?"
    undated = _news(
        "Harborview's council approved the flood budget. The mayor thanked the engineers. A parade was held on Tuesday."
    )
    assert missing_kind(Reading(question, [undated])) == "no passage about Harborview gives a date for “approve”, “flood”, “budget”"
    dated = _news("Harborview's council approved the flood budget on Tuesday.")
    assert missing_kind(Reading(question, [undated, dated])) is None
    named = _news("Tuesday brought a long debate to Harborview.")  # the subject and a date, but not the act asked about
    assert missing_kind(Reading(question, [named])) == missing_kind(Reading(question, [undated]))
    assert missing_kind(Reading("When did Harborview hold its debate?", [named])) is None
    after = _news("Harborview's council approved the flood budget. It passed on Tuesday by nine votes to two.")
    assert missing_kind(Reading(question, [after])) is None  # the date in the sentence after the question's words
    assert missing_kind(Reading("When did the VHA approve the budget?", [undated])) is None  # the subject is named otherwise
    on_sale = _news("The Harborview Pass will go on sale on November 16th at 1pm.")
    assert missing_kind(Reading("when does the Harborview Pass come out", [on_sale])) is None  # "come out": on sale


def test_a_rating_must_be_written_as_one_in_a_passage_about_the_reviewed_thing() -> None:
    question = "What score did the Harbor Times give Tessaly Ferry?"
    review = _news("Tessaly Ferry review: a joy to ride. Its 5-star cabins are smooth and the game's score is 2-1.")
    assert missing_kind(Reading(question, [review])) == "no passage about Harbor Times or Tessaly Ferry gives a rating"
    rated = _news("Tessaly Ferry review: a joy to ride. Verdict: 4/5.")
    assert missing_kind(Reading(question, [review, rated])) is None
    stars = _news("We give the Tessaly Ferry four stars.")
    assert missing_kind(Reading("How many stars did Tessaly Ferry get?", [stars])) is None


def test_a_year_must_be_written_as_one_when_the_question_asks_the_year() -> None:
    vague = _news("Harborview's flood budget was approved at Christmas, in the council's opening season.")
    assert missing_kind(Reading("In what year did Harborview approve the flood budget?", [vague])) == (
        "no passage about Harborview gives a year for “approve”, “flood”, “budget”"
    )
    assert missing_kind(Reading("When did Harborview approve the flood budget?", [vague])) is None  # any date will do
    dated = _news("Harborview's flood budget was approved in 2019.")
    assert missing_kind(Reading("In what year did Harborview approve the flood budget?", [vague, dated])) is None


def test_an_acronym_of_a_name_is_the_name_spelled_out() -> None:
    question = "When is OM's sentencing?"
    spelled = _news("Odile Marchetti's sentencing is set for February.")
    assert missing_kind(Reading(question, [spelled])) is None  # "OM" is Odile Marchetti
    assert unknown_publishers("How much revenue did Tessaly Marine report in Q3 2023?", SOURCES) == []


def test_a_price_paid_may_be_written_as_a_purchase_in_any_currency() -> None:
    question = "How much did Odile Marchetti pay for Tessaly Marine?"
    bought = _news("Odile Marchetti bought Tessaly Marine for NIS 405 million from its founders.")
    assert missing_kind(Reading(question, [bought])) is None  # "bought for" is a price paid; "NIS 405 million" a sum
    rented = _news("Odile Marchetti bought Tessaly Marine from its founders.")
    assert missing_kind(Reading(question, [rented])) == (
        "no passage about Odile Marchetti or Tessaly Marine gives a sum of money for “pay”"
    )


def test_a_price_paid_between_two_named_parties_names_both() -> None:
    question = "How much did Odile Marchetti pay to buy Tessaly Marine?"
    story = _news(
        "Tessaly Marine began as a weekend project. In those days its founders were self-funded, buying their own"
        " tools and spending just $70 on flyers."
    )
    assert missing_kind(Reading(question, [story])) == (
        "no passage about Odile Marchetti or Tessaly Marine gives a sum of money for “pay”, “buy”"
    )
    deal = _news("Tessaly Marine was sold last year. Odile Marchetti paid $70 million for it.")
    assert missing_kind(Reading(question, [deal])) is None  # the sentence before names the other party


def test_a_later_chunk_of_an_article_about_the_subject_is_about_it_too() -> None:
    question = "How much in gold bars did investigators find at Sen. Bob Menendez's home?"
    first = _news("Sen. Bob Menendez pleaded not guilty on Wednesday.").model_copy(update={"chunk_id": "a:0"})
    later = _news("A raid of Menendez's house turned up $100,000 in gold bars.").model_copy(update={"chunk_id": "a:1"})
    assert missing_kind(Reading(question, [first, later])) is None  # same article: "Menendez" is Bob Menendez
    other = later.model_copy(update={"article_id": "b"})
    assert missing_kind(Reading(question, [first, other])) == (
        "no passage about Bob Menendez gives an amount for “gold”, “bars”, “investigators”"
    )


def test_the_act_asked_about_may_be_written_in_another_word_but_not_in_a_longer_one() -> None:
    question = "When did Odile Marchetti found Tessaly Marine?"
    established = _news("Odile Marchetti established Tessaly Marine at Port Venn in 1971.")
    assert missing_kind(Reading(question, [established])) is None
    founder = _news("Tessaly Marine's founder Odile Marchetti. The yard opened its second dock in 1988.")
    assert missing_kind(Reading(question, [founder])) is None  # "founder" names the act, the date follows
    foundation = _news("The Odile Marchetti foundation gave Tessaly Marine's apprentices a grant in 2019.")
    assert missing_kind(Reading(question, [foundation])) == (
        "no passage about Odile Marchetti or Tessaly Marine gives a date for “found”"
    )


def test_a_sum_of_money_must_be_written_as_one() -> None:
    question = "How much did the repairs to the Saltmarsh railway cost?"
    weeks = _news("The Saltmarsh railway reopened after six weeks of repairs costing far more than planned.")
    assert missing_kind(Reading(question, [weeks])) == (
        "no passage about Saltmarsh gives a sum of money for “repairs”"
    )
    assert missing_kind(Reading(question, [_news("The Saltmarsh repairs cost forty crowns a metre.")])) is None
    assert missing_kind(Reading(question, [_news("Repairs to the Saltmarsh line cost €2.1 million.")])) is None


def test_a_price_must_be_given_for_the_thing_asked_about() -> None:
    question = "How much does a fishing licence cost in Harborview?"
    offer = _news(
        "Harborview's bait shop has applied for a fishing licence. "
        "Its opening offer gives new anglers $20 back on their first rod."
    )
    assert missing_kind(Reading(question, [offer])) == "no passage about Harborview gives a sum of money for “licence”"
    priced = _news("Harborview will issue its first fishing licences in May. Each costs $35 a season.")
    assert missing_kind(Reading(question, [priced])) is None  # the sentence before names the thing this one prices
    named = _news("A Harborview licence will set anglers back $35.")
    assert missing_kind(Reading(question, [named])) is None


def test_an_organisation_must_be_named_beside_the_subject_or_the_question_s_words() -> None:
    question = "Which company builds the Quarry Bay electric ferries?"
    plain = _news("The Quarry Bay ferry line will run two electric boats from September.")
    assert missing_kind(Reading(question, [plain])) == (
        "no passage about Quarry Bay gives an organisation for “company”, “builds”, “electric”"
    )
    built = _news("The boats for Quarry Bay are built by Tessaly Marine at Port Venn.")
    assert missing_kind(Reading(question, [plain, built])) is None
    # a person given a role is no organisation the small model misread
    director = _news("Port director Helga Marsh said the Quarry Bay electric ferries would cut crossing times.")
    assert missing_kind(Reading(question, [director])) == missing_kind(Reading(question, [plain]))


def test_a_person_still_to_come_must_be_named_as_such() -> None:
    question = "Who will be Tessaly Marine's next chairman?"
    past = _news(
        "Tessaly Marine chairman Arjun Mehta died on Monday. Mehta led Tessaly Marine for twenty years, and the yard's "
        "founder Odile Marchetti called him a friend."
    )
    assert missing_successor(Reading(question, [past])) == "no passage says who will be Tessaly Marine's next chairman"
    named = _news("Tessaly Marine said Dana Whitlock will take over as chairman in June.")
    assert missing_successor(Reading(question, [past, named])) is None
    assert missing_successor(Reading("Who was Tessaly Marine's chairman?", [past])) is None  # not a person still to come
    acting = _news("Tessaly Marine said its finance director, Tomas Lindqvist, would serve as acting chairman.")
    assert missing_successor(Reading("Who will replace Arjun Mehta at Tessaly Marine?", [past, acting])) is None  # "acting"
    assert missing_successor(Reading("Who will be the next chairman?", [past])) is None  # no subject named


def test_who_replaced_someone_must_be_named_as_such() -> None:
    founder = _news("Tessaly Marine was led by co-founder and CEO Arjun Mehta until he resigned in May.")
    question = "Who replaced Arjun Mehta as CEO of Tessaly Marine?"
    assert missing_successor(Reading(question, [founder])) == (
        "no passage says who replaced Arjun Mehta as CEO of Tessaly Marine"
    )
    new_ceo = _news("Dana Whitlock, Tessaly Marine's head of ferries, will be the new CEO, Arjun Mehta said.")  # "CEO"
    assert missing_successor(Reading(question, [founder, new_ceo])) is None
    assert missing_successor(Reading("Who took over as CEO of Tessaly Marine?", [founder])) == (
        "no passage says who took over as CEO of Tessaly Marine"
    )
    # one who "will" do something, or a "New Year" party, is no one named in his place
    party = _news("Tessaly Marine's CEO office said Dana Whitlock will host its New Year party for the yard.")
    assert missing_successor(Reading(question, [founder, party])) == (
        "no passage says who replaced Arjun Mehta as CEO of Tessaly Marine"
    )
    assert missing_successor(Reading("Who will replace Arjun Mehta as CEO of Tessaly Marine?", [founder, party])) is None


def test_the_holder_of_a_role_needs_a_passage_about_the_subject_naming_the_role() -> None:
    yard = _news("Tessaly Marine's chief executive, Arjun Mehta, opened the yard. Its ferries cross in eleven minutes.")
    assert missing_role(Reading("Who is Tessaly Marine's CTO?", [yard])) == "no passage about Tessaly Marine names its CTO"
    assert missing_role(Reading("Who is the CFO of Tessaly Marine?", [yard])) == (
        "no passage about Tessaly Marine names its CFO"
    )
    assert missing_role(Reading("Who is Tessaly Marine's CEO?", [yard])) is None  # "chief executive" is the CEO
    assert missing_role(Reading("Who is the chief executive of Tessaly Marine?", [yard])) is None
    cto = _news("Tessaly Marine hired Dana Whitlock as chief technology officer.")
    assert missing_role(Reading("Who is Tessaly Marine's CTO?", [yard, cto])) is None
    assert missing_role(Reading("Who is the head of Tessaly Marine?", [yard])) is None  # any title may fill "head"
    critics = _news("Dana Whitlock, a journalist, said that Tessaly Marine is overrated.")
    assert missing_role(Reading("Who is the head of Tessaly Marine?", [critics])) == (
        "no passage about Tessaly Marine names its head"  # no leader's title at all
    )
    assert missing_role(Reading("Who is Tessaly Marine's welding foreman?", [yard])) is None  # not a title
    other = _news("Kestrel Yards' CTO, Ilse Brandt, spoke after Tessaly Marine's launch.", title="Kestrel Yards")
    assert missing_role(Reading("Who is Tessaly Marine’s CTO?", [yard, other])) is None  # both named: the answerer judges
    roundup = _news("Tessaly Marine opened a yard. In other news, Pie Insurance named Audra Lane as its CTO.")
    assert missing_role(Reading("Who is Tessaly Marine's CTO?", [roundup])) == (  # another firm's CTO
        "no passage about Tessaly Marine names its CTO"
    )
    call = _news("Tessaly Marine opened a yard. In a call with investors, CTO Dana Whitlock said orders had doubled.")
    assert missing_role(Reading("Who is Tessaly Marine's CTO?", [call])) is None  # the article's own CTO
    # "chief financial officer" whole: "financial services" is no such officer; "chief executive" is written "CEO"
    services = _news("Tessaly Marine offers financial services to skippers. Its chief executive is Arjun Mehta.")
    assert missing_role(Reading("Who is the chief financial officer of Tessaly Marine?", [services])) == (
        "no passage about Tessaly Marine names its chief financial officer"
    )
    ceo = _news("Tessaly Marine's CEO, Arjun Mehta, opened the yard.")
    assert missing_role(Reading("Who is the chief executive of Tessaly Marine?", [ceo])) is None
    # a head coach is often written "its next coach"
    coach = _news("Tessaly Marine's rowing club has hired Dana Whitlock as its next coach, the yard said.")
    assert missing_role(Reading("Who is the new head coach of Tessaly Marine?", [coach])) is None
    assert missing_role(Reading("Who is the new head coach of Tessaly Marine?", [yard])) == (
        "no passage about Tessaly Marine names its head coach"
    )
    # the role held by no one named: an author's line at the foot of a column
    byline = _news("Skippers should spread their savings. The author is President & Head, Tessaly Marine")
    assert missing_role(Reading("Who is the president of Tessaly Marine?", [byline])) == (
        "no passage about Tessaly Marine names its president"
    )


def test_a_sum_asked_in_a_currency_needs_a_passage_writing_one_in_it() -> None:
    fares = _news("A monthly pass on the Quarry Bay ferry costs €40, Tessaly Marine said. Tickets go on sale in May.")
    question = "How much does a monthly pass on the Quarry Bay ferry cost in the US?"
    assert missing_currency(Reading(question, [fares])) == "no passage about Quarry Bay gives a sum in dollars"
    assert missing_currency(Reading("What is the UK price in pounds of a Quarry Bay pass?", [fares])) == (
        "no passage about Quarry Bay gives a sum in pounds"
    )
    assert missing_currency(Reading("How much does a Quarry Bay pass cost in the EU?", [fares])) is None  # €40
    assert missing_currency(Reading("How much does a Quarry Bay pass cost?", [fares])) is None  # no currency asked
    dollars = _news("In the US the Quarry Bay pass will cost 45 dollars.")
    assert missing_currency(Reading(question, [fares, dollars])) is None
    assert missing_currency(Reading("Why did the Quarry Bay fares rise in the US?", [fares])) is None  # no sum asked
    assert missing_currency(Reading("price of a Quarry Bay pass in the US", [fares])) == (  # typed as a search
        "no passage about Quarry Bay gives a sum in dollars"
    )
    prize = _news("The Quarry Bay regatta's winners share a prize of 11 million Swedish crowns ($1 million).")
    assert missing_currency(Reading("What was the Quarry Bay regatta prize money in euros?", [prize])) == (
        "no passage about Quarry Bay gives a sum in euros"
    )
    # a sum of another firm the article names is no sum of the subject
    other = _news("Tessaly Marine bought the Quarry Bay ferry. Kestrel Yards raised €18 million in March.")
    assert missing_currency(Reading("How much did Tessaly Marine pay for the Quarry Bay ferry in euros?", [other])) == (
        "no passage about Tessaly Marine or Quarry Bay gives a sum in euros"
    )
    paid = _news("Tessaly Marine bought the Quarry Bay ferry. The deal was worth €18 million.")
    assert missing_currency(Reading("How much did Tessaly Marine pay for the Quarry Bay ferry in euros?", [paid])) is None


def test_a_short_question_s_own_words_must_be_in_a_passage_about_its_subject() -> None:
    question = "What prison sentence did Odile Marchetti receive?"
    board = _news("Odile Marchetti told the harbour board that fares will not rise.")
    assert missing_words(Reading(question, [board])) == (
        "no passage about Odile Marchetti has “prison”, “sentence” or “receive”"
    )
    jailed = _news("Odile Marchetti was sentenced to two years.")  # "sentenced": endings aside
    assert missing_words(Reading(question, [board, jailed])) is None
    arr = _news("Tessaly Marine's ARR is about €50 million.")  # an acronym of the question's words
    assert missing_words(Reading("What is Tessaly Marine's annual recurring revenue?", [arr])) is None
    assert missing_words(Reading("Why did Odile Marchetti resign?", [board])) is None  # one word of its own: a synonym may do
    # "old" asks for a number; "passed away" is two words for one: too few of its own to judge by
    assert missing_words(Reading("How old was Odile Marchetti when she passed away?", [board])) is None


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("How much severance did Odile Marchetti receive?", "severance"),
        ("What valuation did Tessaly Marine raise its round at?", "valuation"),
        ("What is the towing capacity of the Kestrel tug?", "capacity"),
        ("What annual list price has Tessaly Marine set for its ferry pass?", "price"),
        ("How much prize money did Tessaly Marine win?", "prize"),  # past a head that says the kind of answer
        # the kind of answer, not a thing an article writes
        ("What year did Odile Marchetti join the board?", None),
        ("How much money has Tessaly Marine raised?", None),
        ("What is the name of Tessaly Marine's new ferry?", None),
        ("How much did Tessaly Marine pay?", None),
        ("How much per month does the ferry pass cost?", None),
    ],
)
def test_the_thing_a_question_asks_for_is_its_head_noun(question: str, thing: str | None) -> None:
    assert asked_thing(question) == thing


def test_the_thing_asked_for_must_be_in_a_passage_about_the_subject() -> None:
    question = "What valuation did Tessaly Marine raise its round at?"
    round_ = _news("Tessaly Marine raised €20 million in a round led by Harbour Capital.")
    assert missing_thing(Reading(question, [round_])) == "no passage about Tessaly Marine mentions a valuation"
    valued = _news("The round valued Tessaly Marine at €200 million.")  # "valued": endings aside
    assert missing_thing(Reading(question, [round_, valued])) is None
    sales = _news("Tessaly Marine's sales reached €50 million last year.")  # another word for the same thing
    assert missing_thing(Reading("How much revenue did Tessaly Marine report last year?", [sales])) is None
    cagr = _news("Tessaly Marine expects a CAGR of 12% for ferry traffic.")  # an acronym of the question's words
    assert missing_thing(Reading("What annual growth rate does Tessaly Marine forecast?", [cagr])) is None
    assert missing_thing(Reading("What valuation did the round reach?", [round_])) is None  # names no one
    # "Who was the referee for ...?" asks for a person by what they did; a title is rule 14's
    match = _news("Tessaly Marine won a friendly with Harbour FC 3-1. Ana Lima scored twice for Tessaly Marine.")
    assert missing_thing(Reading("Who was the referee for the Tessaly Marine friendly?", [match])) == (
        "no passage about Tessaly Marine mentions a referee"
    )
    assert missing_thing(Reading("Who was the winner of the Tessaly Marine friendly?", [match])) is None  # "won"
    assert asked_thing("Who is the CEO of Tessaly Marine?") is None
    # another firm's valuation in a passage about the subject is not the subject's
    other = _news("Tessaly Marine raised €20 million. Rival Kestrel Yards raised at a €90 million valuation.")
    assert missing_thing(Reading(question, [other])) == "no passage about Tessaly Marine mentions a valuation"
    own = _news("Tessaly Marine raised €20 million. The round came at a €90 million valuation, Harbour Capital said.")
    assert missing_thing(Reading(question, [own])) is None  # a name after the valuation is no owner of it


def test_the_one_publisher_a_question_cites_must_name_its_subject() -> None:
    sources = ["Harbor Gazette", "Metro Wire"]
    question = "Which shipyard did the Harbor Gazette say hired Odile Marchetti?"
    fares = _news("Fares will not rise, Odile Marchetti told the harbour board.", source="Metro Wire")
    boats = _news("The Quarry Bay ferry line will run two electric boats.", source="Harbor Gazette")
    assert missing_from_source(Reading(question, [fares, boats], sources)) == (
        "no article from Harbor Gazette mentions Odile Marchetti"
    )
    hired = _news("Tessaly Marine hired Odile Marchetti in May.", source="Harbor Gazette")
    assert missing_from_source(Reading(question, [fares, boats, hired], sources)) is None
    both = "Did the Harbor Gazette and Metro Wire both quote Odile Marchetti?"  # two publishers: not this rule's
    assert missing_from_source(Reading(both, [fares], sources)) is None


def test_a_year_the_question_names_must_be_in_a_passage() -> None:
    question = "Who won the Harborview regatta in 2002?"
    later = _news("Harborview's regatta was won by the Port Venn crew in 2023.", published_at="2023-06-01")
    assert missing_year(Reading(question, [later])) == "no passage mentions 2002"
    assert missing_year(Reading(question, [later, _news("The 2002 regatta went to Quarry Bay.")])) is None
    assert missing_year(Reading(question, [_news("The regatta.", published_at="2002-07-01")])) is None
    assert missing_year(Reading("What did Tech News 2017 say?", [later], ["Tech News 2017"])) is None  # a publisher's name
    decade = "What led Marta Quell to leave the harbour board in the early 1980s?"  # a decade, not the year 1980
    assert missing_year(Reading(decade, [later])) is None
    # "held every year since 2002" says nothing of the 2002 regatta, unless the question asks since when
    since = _news("Harborview has held the regatta every year since 2002.", published_at="2023-06-01")
    assert missing_year(Reading(question, [later, since])) == "no passage mentions 2002"
    assert missing_year(Reading("Has Harborview held the regatta every year since 2002?", [since])) is None


def test_what_someone_reported_about_a_topic_must_be_in_their_passages() -> None:
    sources = ["Harbor Gazette", "Metro Wire"]
    order = _news("Tessaly Marine won an order for a third ferry.", source="Harbor Gazette")
    question = "What did the Harbor Gazette report about Tessaly Marine's profits?"
    assert missing_report(Reading(question, [order], sources)) == "no article from Harbor Gazette covers Tessaly Marine's profits"
    profit = _news("Tessaly Marine's profit rose.", source="Metro Wire")
    assert missing_report(Reading(question, [order, profit], sources)) == (
        "no article from Harbor Gazette covers Tessaly Marine's profits"  # another publisher's passage
    )
    assert missing_report(Reading(question, [_news("Tessaly Marine profits doubled.", source="Harbor Gazette")], sources)) is None
    said = _news("Fares will not rise, Odile Marchetti told the harbour board.")
    assert missing_report(Reading("What did Odile Marchetti say about the fares?", [said], sources)) is None
    assert missing_report(Reading("What did Odile Marchetti say about the welders?", [said], sources)) == (
        "no passage has Odile Marchetti on the welders"
    )
    assert missing_report(Reading("Why did Odile Marchetti speak?", [said], sources)) is None
    question = "What did Metro Wire report about how Tessaly Marine will spend its welding grant?"
    grant = _news("Tessaly Marine won a welding contract.", source="Metro Wire")  # one word of three
    assert missing_report(Reading(question, [grant], sources)) == (
        "no article from Metro Wire covers how Tessaly Marine will spend its welding grant"
    )
    spend = _news("Tessaly Marine will spend the grant on welding bays.", source="Metro Wire")
    assert missing_report(Reading(question, [grant, spend], sources)) is None
    # after an event: the passage must name the speaker and the event's names; its words may differ ("defeat")
    match = _news("“There is no need for an explanation,” said Ana Lima after the Gulls' 5-1 defeat to the Herons.")
    question = "What did Ana Lima say after the Gulls lost 5-1 to the Herons?"
    assert missing_report(Reading(question, [match], sources)) is None
    assert missing_report(Reading("What did Sam Roe say after the Gulls lost 5-1 to the Herons?", [match], sources)) == (
        "no passage has Sam Roe on what came after the Gulls lost 5-1 to the Herons"
    )


# ---- through Assistant: every answerer is guarded ------------------------------------------------------------
def test_assistant_refuses_with_the_unchanged_message_and_logs_why(
    ferry_assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="assistant.core"):
        answer = ferry_assistant.ask("What did a Bloomberg article say about Tessaly Marine's new order?")
    assert answer.refused and answer.answer == REFUSAL
    assert "no article from Bloomberg in the corpus" in caplog.text
    assert answer.refusal_reason == "no article from Bloomberg in the corpus"
    absent = ferry_assistant.ask("How many welders will Ingrid Vasquez hire at Tessaly Marine?")
    assert absent.refused and absent.answer == REFUSAL
    assert absent.refusal_reason == "no article mentions Ingrid Vasquez"
    assert absent.public()["refusal_reason"] == "no article mentions Ingrid Vasquez"


def test_assistant_answers_an_answerable_question(ferry_assistant: Assistant) -> None:
    answer = ferry_assistant.ask("How many welders will Tessaly Marine hire this summer?")
    assert not answer.refused
    assert answer.citations[0].title == "Tessaly Marine wins second harbour order"
    assert "forty welders" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("Why did the previous Venn Harbour Authority CEO step down?", "Coastal Shipping Regulator opened an inquiry"),
        ("What did the Harbor Gazette report in April 2024?", "Mirela Osei"),
    ],
)
def test_false_refusals_of_old_are_answered(ferry_assistant: Assistant, question: str, quoted: str) -> None:
    answer = ferry_assistant.ask(question)
    assert not answer.refused and answer.refusal_reason is None
    assert any(quoted in c.quote for c in answer.citations)


def test_a_short_question_whose_names_no_passage_names_is_refused() -> None:
    vacuums = _news("This robot vacuum has dropped to $199 for Black Friday.")
    question = "How much did Microsoft offer to acquire the robot vacuum maker?"
    assert missing_subject(Reading(question, [vacuums])) == "no passage retrieved names Microsoft"
    assert missing_subject(Reading(question, [vacuums, _news("Microsoft sold more consoles.")])) is None
    by_surname = _news("Marchetti moved to Lisbon in March.")
    assert missing_subject(Reading("Where did Odile Marchetti move?", [by_surname])) is None  # by her surname
    spelled = _news("The Valdria Harbour Authority named an acting chief executive.")
    assert missing_subject(Reading("Who is acting CEO of the VHA?", [spelled])) is None  # the acronym spelled out
    provider = _news("Harbour internet service provider TideNet collapsed for lack of fuel.")
    assert missing_subject(Reading("which harbour ISP collapsed?", [provider])) is None  # a common noun's acronym
    punt = _news("The Gulls scored first on a punt returned for a touchdown by Ana Lima.")
    assert missing_subject(Reading("who had the punt return TD for the gulls?", [punt])) is None
    long = "How much did Microsoft offer to acquire the robot vacuum maker that a Verge review praised in the autumn?"
    assert missing_subject(Reading(long, [vacuums])) is None  # a long question's names span several articles


def test_an_attribute_is_the_last_name_s_when_others_place_it() -> None:
    question = "What is Tessaly Marine chairman Rufus Adeyemi's net worth?"
    firm = _news("Tessaly Marine is worth $2 billion after the ferry orders.")
    assert missing_attribute(Reading(question, [firm])) == (
        "no passage gives the net worth of Tessaly Marine chairman Rufus Adeyemi"
    )
    assert missing_attribute(Reading(question, [firm, _news("Rufus Adeyemi's fortune is put at $40 million.")])) is None


def test_who_won_needs_a_result_of_the_contest_named() -> None:
    def passage(text: str, title: str = "News") -> Passage:
        return Passage(chunk_id="c", article_id="a", title=title, text=text, start=0, end=len(text), relevance=0.5)

    question = "Who won the Harbour Cup final?"
    preview = passage("The Harbour Cup final could be won by either side. The Gulls won the league in 2019.")
    assert missing_result(Reading(question, [preview])) == "no passage says who won the Harbour Cup final"
    report = passage("Kickoff was at noon. The Gulls beat the Herons 3-1 in the Harbour Cup final.")
    assert missing_result(Reading(question, [preview, report])) is None
    titled = passage("Kickoff was at noon.", title="Gulls win the Harbour Cup, 3-1")
    assert missing_result(Reading(question, [titled])) is None
    assert missing_result(Reading("Who won the mayoral election in Orlen?", [passage(
        "Voters in the town of Orlen reelected mayor Ana Petrov on Sunday with 61 percent of the vote.")])) is None
    # a part of the contest is not the contest: "won Game 2 of the Harbour Series" is no winner of the series
    game = passage("The Gulls, behind Ana Petrov's pitching, have won Game 2 of the Harbour Series!")
    assert missing_result(Reading("Who won the Harbour Series?", [game])) == "no passage says who won the Harbour Series"
    assert missing_result(Reading("Who won Game 2 of the Harbour Series?", [game])) is None
    other_year = passage("The Gulls won the 2022 Harbour Series. Herons 9-1 Gulls, FINAL, in a Harbour Series game.")
    assert missing_result(Reading("Who won the 2023 Harbour Series?", [other_year])) == (
        "no passage says who won the 2023 Harbour Series"
    )
    assert missing_result(Reading("Who won the 2022 Harbour Series?", [other_year])) is None
    # what is still to come, last year's final, and a result without the contest's own words are not its result
    preview = passage("In the Harbour Cup final, the Gulls will face a Herons side whose captain beat Omar Reyes. "
                      "The Gulls, who lost last year's final to the Herons, were champions in 2019. "
                      "Meanwhile the Gulls prevailed over the Terns to seal a Harbour Cup finals spot.")
    assert missing_result(Reading("Who won the Harbour Cup grand final?", [preview])) == (
        "no passage says who won the Harbour Cup grand final"
    )
    dream = passage("Omar Reyes's dream of leading the Herons past the Gulls in the Harbour Cup grand final was "
                    "blown up by Ana Lima's double triumph.")
    assert missing_result(Reading("Who won the Harbour Cup grand final?", [dream])) == (
        "no passage says who won the Harbour Cup grand final"
    )
    report = passage("The Gulls beat the Herons 3-1 to win the Harbour Cup grand final.")
    assert missing_result(Reading("Who won the Harbour Cup grand final?", [preview, report])) is None
    semi = passage("The Gulls beat the Herons 3-1 in the Harbour Cup semi-final.")
    assert missing_result(Reading(question, [semi])) == "no passage says who won the Harbour Cup final"
    assert missing_result(Reading("Who won the Harbour Cup semifinal?", [semi])) is None
    assert missing_result(Reading("Who won the final?", [preview])) is None  # no contest named: not judged
    assert missing_result(Reading("Who founded Brightpath?", [preview])) is None


def test_why_someone_left_needs_a_passage_telling_of_their_departure() -> None:
    def passage(text: str, title: str = "News") -> Passage:
        return Passage(chunk_id="c", article_id="a", title=title, text=text, start=0, end=len(text), relevance=0.5)

    stays = passage("Ana Lima will stay on as CEO of Tessaly Marine. Sam Roe, the former CFO, resigned in May.")
    question = "Why did Ana Lima step down as Tessaly Marine CEO?"
    assert missing_departure(Reading(question, [stays])) == "no passage says Ana Lima stepped down"
    assert missing_departure(Reading("Why was Ana Lima fired?", [stays])) == "no passage says Ana Lima was fired"
    named = passage("Ana Lima resigned on Friday over the ferry contract.")
    assert missing_departure(Reading(question, [stays, named])) is None
    after = passage("Ana Lima ran Tessaly Marine for ten years. She stepped down on Friday.")
    assert missing_departure(Reading(question, [after])) is None
    founder = passage("The founder, as you may recall, resigned from the board in 2020.", title="Ana Lima on ferries")
    assert missing_departure(Reading(question, [founder])) is None
    assert missing_departure(Reading("Why did Ana Lima buy Harbour Lines?", [stays])) is None
    never = passage("WATCH: Ana Lima on the ferries: 'I have never quit being a sailor'")
    assert missing_departure(Reading("Why did Ana Lima quit the navy?", [never])) == "no passage says Ana Lima quit"


def test_why_an_act_was_done_needs_a_passage_telling_of_it() -> None:
    launch = _news("The Harborview Pass went on sale on November 16th, as Tessaly Marine had announced.")
    question = "Why did Tessaly Marine delay the Harborview Pass?"
    assert missing_premise(Reading(question, [launch])) == (
        "no passage about Tessaly Marine or Harborview Pass has “delay” or a word for it"
    )
    pushed = _news("Tessaly Marine pushed back the Harborview Pass by a month after a fire at the yard.")
    assert missing_premise(Reading(question, [launch, pushed])) is None  # the same act in other words
    assert missing_premise(Reading("Why did Tessaly Marine sue the port?", [launch])) == (
        "no passage about Tessaly Marine has “sue” or a word for it"
    )
    suit = _news("Tessaly Marine filed a lawsuit against the port on Friday.")
    assert missing_premise(Reading("Why did Tessaly Marine sue the port?", [suit])) is None
    assert missing_premise(Reading("Why did Tessaly Marine buy the yard?", [launch])) is None  # not an act it reads
    honour = _news("Tessaly Marine accepted the Harbour Prize on Friday, its chief executive said.")
    assert missing_premise(Reading("Why did Tessaly Marine turn down the Harbour Prize?", [honour])) == (
        "no passage about Tessaly Marine or Harbour Prize has “turn down” or a word for it"
    )
    declined = _news("Tessaly Marine declined the Harbour Prize, citing its safety record.")
    assert missing_premise(Reading("Why did Tessaly Marine refuse the Harbour Prize?", [declined])) is None


def test_a_deal_with_a_named_partner_needs_a_passage_pairing_them() -> None:
    signed = _news("Ana Petrov agrees to 10-year, $70 million deal with the Gulls. Her contract breaks the record "
                     "set last winter by Herons captain Omar Reyes.")
    assert missing_partner(Reading("How much is Ana Petrov's contract with the Gulls worth?", [signed])) is None
    assert missing_partner(Reading("When did Ana Petrov sign with the Herons?", [signed])) == (
        "no passage tells of Ana Petrov signing with the Herons"  # the Herons are named, but far from her contract
    )
    assert missing_partner(Reading("How much is Ana Petrov's deal with the Herons worth?", [signed])) == (
        "no passage tells of a deal between Ana Petrov and the Herons"
    )
    assert missing_partner(Reading("When did the Herons sign a deal?", [signed])) is None  # no partner named
    assert missing_partner(Reading("Who did Ana Petrov play with?", [signed])) is None  # no deal asked about
    assert missing_partner(Reading("Which partners supply the Gulls' 'Play with Herons' show?", [signed])) is None


def test_a_verdict_asked_about_needs_a_passage_telling_it_as_given() -> None:
    pending = _news("If Judge Mara Quill rules against Tessaly Marine, the port may reopen its tender. "
                    "Judge Mara Quill ruled to make the exhibit list public.")
    assert missing_ruling(Reading("Did Judge Mara Quill find that Tessaly Marine broke the lease?", [pending])) == (
        "no passage tells of Judge Mara Quill finding that Tessaly Marine broke the lease"
    )
    ruled = _news("Judge Mara Quill ruled on Friday that Tessaly Marine broke its lease with the port.")
    assert missing_ruling(Reading("Did Judge Mara Quill find that Tessaly Marine broke the lease?", [ruled])) is None
    assert missing_ruling(Reading("Did the court rule on the lease?", [pending])) is None  # names no one at all
    hearing = _news("Tessaly Marine filed a motion to dismiss the ferry lawsuit. A hearing for that motion has been "
                    "scheduled for 18 October. Ana Lima, a parent in the suit, found that the ferry ran late.")
    assert missing_ruling(Reading("Did the judge throw out the Tessaly Marine ferry lawsuit?", [hearing])) == (
        "no passage tells of the judge throwing out the Tessaly Marine ferry lawsuit"  # a parent's finding is no verdict
    )
    thrown = _news("A judge dismissed the Tessaly Marine ferry lawsuit on 18 October.")
    assert missing_ruling(Reading("Did the judge throw out the Tessaly Marine ferry lawsuit?", [thrown])) is None
    assert missing_ruling(Reading("Did Judge Mara Quill visit the port?", [pending])) is None  # no verdict asked


def test_a_person_s_attribute_may_be_given_by_surname_in_another_chunk_of_their_article() -> None:
    question = "How old is Omar Reyes?"
    first = Passage(chunk_id="c1", article_id="a", title="Reyes vs Brell", text="Omar Reyes (27-0) fights on Saturday.",
                    start=0, end=38, relevance=0.5)
    later = Passage(chunk_id="c2", article_id="a", title="Reyes vs Brell", start=38, end=120, relevance=0.4,
                    text="Fresh off a win in March, the 26-year-old Reyes is the favourite.")
    assert missing_attribute(Reading(question, [first, later])) is None
    far = Passage(chunk_id="c2", article_id="a", title="Reyes vs Brell", start=38, end=220, relevance=0.4,
                  text="Reyes is one of the best-known fighters on a card that the promoter, who has staged shows in "
                       "the city for two decades and more, pays $2 million to stage.")
    assert missing_attribute(Reading("What is Omar Reyes's salary?", [first, far])) == (
        "no passage gives the salary of Omar Reyes"  # "pays" is the promoter's, far from his name
    )
    aged = Passage(chunk_id="c2", article_id="a", title="Reyes vs Brell", start=38, end=150, relevance=0.4,
                   text="Reyes was far from impressive in March. Regardless, the 35-year-old is ready to fight.")
    assert missing_attribute(Reading(question, [first, aged])) is None  # the person by their age, after their name
