"""Reading publishers and dates out of news questions (assistant/query.py)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.query import DateRange, QueryPart, SourceMatcher, find_dates, fold, plan_query, with_aliases

SOURCES = [
    "TechCrunch",
    "The Verge",
    "The Age",
    "Fortune",
    "Sporting News",
    "Le Monde Diplomatique",
    "Süddeutsche Zeitung",
    "The Independent - Life and Style",
    "The Independent - Sports",
    "The Roar | Sports Writers Blog",
    "Saltmarsh Gazette (fictional example)",
    "Live Science: The Most Interesting Articles",
]
SPAN = (date(2023, 9, 26), date(2023, 12, 25))


def named(question: str) -> list[tuple[str, ...]]:
    return [m.sources for m in SourceMatcher(SOURCES).find(question)]


def day(y: int, m: int, d: int) -> DateRange:
    return DateRange(date(y, m, d), date(y, m, d))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("as reported by TechCrunch and The Verge", [("TechCrunch",), ("The Verge",)]),
        ("Did the Verge and techCrunch agree?", [("The Verge",), ("TechCrunch",)]),
        ("according to 'The Age' and FORTUNE", [("The Age",), ("Fortune",)]),
        ("What did Sporting News's report say?", [("Sporting News",)]),
        ("Did Verge cover it?", [("The Verge",)]),
        ("reported by Suddeutsche Zeitung and le monde Diplomatique", [("Süddeutsche Zeitung",), ("Le Monde Diplomatique",)]),
        ("the Independent - Sports article", [("The Independent - Sports",)]),
        (
            "as The Independent reported",
            [("The Independent - Life and Style", "The Independent - Sports")],
        ),
        ("in The Roar and in The Roar | Sports Writers Blog", [("The Roar | Sports Writers Blog",)] * 2),
        ("What did the Saltmarsh Gazette report?", [("Saltmarsh Gazette (fictional example)",)]),  # note aside
        ("What did Live Science report?", [("Live Science: The Most Interesting Articles",)]),  # tagline aside
    ],
)
def test_publishers_are_recognised_however_written(question: str, expected: list[tuple[str, ...]]) -> None:
    assert named(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "Is the company on the verge of collapse?",
        "He made a fortune in the age of AI.",
        "Who won the sporting news award?",  # all lower case: an ordinary phrase
        "TechCrunchy snacks and Fortunes told",  # only whole words
        "Which agency reported it?",
    ],
)
def test_ordinary_words_are_not_publishers(question: str) -> None:
    assert named(question) == []


def test_fold_keeps_offsets() -> None:
    text = "Süddeutsche Zeitung, Straße"
    assert len(fold(text)) == len(text)
    assert fold(text).startswith("suddeutsche zeitung")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("published on November 1, 2023", day(2023, 11, 1)),
        ("on 2023-10-12", day(2023, 10, 12)),
        ("on Oct. 5th", day(2023, 10, 5)),
        ("on 7 December 2023", day(2023, 12, 7)),
        ("in October", DateRange(date(2023, 10, 1), date(2023, 10, 31))),
        ("in late October 2023", DateRange(date(2023, 10, 21), date(2023, 10, 31))),
        ("in early November", DateRange(date(2023, 11, 1), date(2023, 11, 10))),
        ("in mid-December", DateRange(date(2023, 12, 11), date(2023, 12, 20))),
        ("in late 2023", DateRange(date(2023, 9, 1), date(2023, 12, 31))),
        ("before November 5", DateRange(date(2023, 9, 26), date(2023, 11, 4))),
        ("since December 1, 2023", DateRange(date(2023, 12, 2), date(2023, 12, 25))),
    ],
)
def test_dates_and_periods(text: str, expected: DateRange) -> None:
    assert [m.dates for m in find_dates(text, SPAN)] == [expected]


@pytest.mark.parametrize(
    "text",
    ["the 2021 deal", "a 2-0 win", "Week 14 picks", "Apple's October event"],
)
def test_numbers_that_are_not_publication_dates(text: str) -> None:
    assert find_dates(text, SPAN) == []


def test_bare_month_takes_the_year_inside_the_corpus() -> None:
    (october,) = find_dates("in October", (date(2022, 9, 1), date(2023, 3, 31)))
    assert october.dates == DateRange(date(2022, 10, 1), date(2022, 10, 31))


def test_each_date_goes_to_the_publisher_it_follows() -> None:
    question = (
        "Between the TechCrunch report on Uber published on October 13, 2023, and the TechCrunch report on its "
        "results published on November 7, 2023, did The Verge change its tone?"
    )
    plan = plan_query(question, SOURCES, SPAN)
    assert [(p.sources, p.dates) for p in plan.parts] == [
        (("TechCrunch",), day(2023, 10, 13)),
        (("TechCrunch",), day(2023, 11, 7)),
        (("The Verge",), None),
    ]
    assert all(p.text == question for p in plan.parts)


def test_a_date_before_its_publisher_and_a_second_date_for_one_publisher() -> None:
    plan = plan_query("On October 2, 2023, Fortune and TechCrunch's pieces of October 1 and October 7", SOURCES, SPAN)
    assert [(p.sources, p.dates) for p in plan.parts] == [
        (("Fortune",), day(2023, 10, 2)),
        (("TechCrunch",), day(2023, 10, 1)),
        (("TechCrunch",), day(2023, 10, 7)),
    ]


def test_a_date_with_no_publisher_is_a_part_of_its_own() -> None:
    plan = plan_query("What happened to the bridge in early November?", SOURCES, SPAN)
    assert plan.parts == (QueryPart(plan.question, (), DateRange(date(2023, 11, 1), date(2023, 11, 10))),)


def test_repeated_mentions_are_one_part_and_nothing_named_is_no_part() -> None:
    assert len(plan_query("Did TechCrunch, and later TechCrunch again, say so?", SOURCES, SPAN).parts) == 1
    assert plan_query("Who leads the interim government?", SOURCES, SPAN).parts == ()
    assert plan_query("Who is on the verge of a deal?", [], SPAN).parts == ()


def test_part_restrictions_as_chroma_filters() -> None:
    assert QueryPart("q").where() is None
    assert QueryPart("q", ("TechCrunch",)).where() == {"source": "TechCrunch"}
    both = QueryPart("q", ("A", "B"), day(2023, 11, 1)).where()
    assert both == {
        "$and": [
            {"source": {"$in": ["A", "B"]}},
            {"date_ts": {"$gte": 1698796800}},
            {"date_ts": {"$lte": 1698796800}},
        ]
    }
    assert day(2023, 11, 1).widened(1) == DateRange(date(2023, 10, 31), date(2023, 11, 2))


def test_clauses_are_searched_apart_without_publishers_or_dates() -> None:
    question = (
        "Which company, reported by both TechCrunch and The Verge on November 1, 2023, has changed how the web "
        "looks, faces an antitrust case over app payments, and spent billions to stay the default search engine?"
    )
    assert plan_query(question, SOURCES, SPAN).clauses == (
        "has changed how the web looks",
        "faces an antitrust case over app payments",
        "spent billions to stay the default search engine",
    )
    assert plan_query("Who leads the interim government?", SOURCES, SPAN).clauses == ()  # one clause: the question


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("Who is Spotify's chief financial officer?", "Who is Spotify's chief financial officer? CFO"),
        ("Who is the CEO of Lumen Robotics?", "Who is the CEO of Lumen Robotics? chief executive"),
        ("What did the FTC say?", "What did the FTC say? Federal Trade Commission"),
        ("who had the punt return TD?", "who had the punt return TD? touchdown"),
        ("Which ISP failed?", "Which ISP failed? internet service provider internet provider"),
        ("What did the US say to us about AI?", "What did the US say to us about AI?"),  # too common to search for
        ("Who leads the interim government?", "Who leads the interim government?"),
        ("who runs tessaly marine now", "who runs tessaly marine now CEO chief executive"),  # a firm's leader
        ("Who is Tessaly Marine's boss?", "Who is Tessaly Marine's boss? CEO chief executive"),
        ("Who created the Harbour Games?", "Who created the Harbour Games? creator"),  # "series creator Ana Petrov"
        ("who co-founded tessaly marine", "who co-founded tessaly marine founder"),
        ("Who wrote the harbour report?", "Who wrote the harbour report? writer author"),
    ],
)
def test_the_keyword_query_adds_the_other_form_of_an_acronym(question: str, searched: str) -> None:
    assert with_aliases(question) == searched
