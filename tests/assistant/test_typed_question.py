"""Questions as people type them: shorthand spelled out, lower-case names recased from the store's own text."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.keyword import KeywordIndex, KeywordView
from assistant.typed_question import recased, spell_out, typed_in_lower_case
from newsdesk.types import Passage

COUPLE = "Longtime couple Will Smith and Jada Pinkett Smith married in 1997. Will Smith said he will not comment."
EXCHANGE = "The exchange Binance named Richard Teng its CEO. The University of Vellmore studied the move."
WIRE = "The figures were first reported by Reuters on Monday, Reuters repeated them, and a Reuters chart followed."


def _passage(n: int, text: str, source: str = "Harbor Times") -> Passage:
    return Passage(chunk_id=f"c{n}", article_id=f"a{n}", title=f"Story {n}", source=source, text=text, start=0,
                   end=len(text), relevance=0.5)  # fmt: skip


@pytest.fixture(scope="module")
def store_index() -> KeywordView:
    passages = [_passage(1, COUPLE), _passage(2, EXCHANGE), _passage(3, WIRE, source="Tidewater Post")]
    return KeywordIndex.build(passages, "test").view()


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [
        ("what yr did they marry", "what year did they marry"),
        ("who took 3 wkts in the last 2 wks", "who took 3 wickets in the last 2 weeks"),
        ("who won the first nba xmas game", "who won the first nba Christmas game"),
        ("how many pregnant ppl were in the study", "how many pregnant people were in the study"),
        ("how much did the film make opening wknd", "how much did the film make opening weekend"),
        ("how much is ohtani's deal w the dodgers", "how much is ohtani's deal with the dodgers"),
        ("who won the W Series", "who won the W Series"),  # a capital W is a name's
        ("how many speakers r in the vegas sphere", "how many speakers are in the vegas sphere"),
        ("who didnt pick up the phone", "who didn't pick up the phone"),
        ("best r&b album of 2023", "best r&b album of 2023"),  # "r" inside a name is no shorthand
        ("nascar 7.7b media deal - how many yrs?", "how many years (nascar 7.7b media deal)"),
        ("ozempic study: how much more likely were ppl to get it", "how much more likely were people to get it (ozempic study)"),
        ("what is the 2-for-1 deal - and who gets it?", "what is the 2-for-1 deal - and who gets it?"),  # asked first
        ("Jim Jordan - speaker vote", "Jim Jordan - speaker vote"),  # no question after the dash
        ("who had the punt return TD", "who had the punt return TD"),  # an upper-case acronym is an alias's business
        ("What year did they marry?", "What year did they marry?"),
    ],
)
def test_shorthand_is_spelled_out(typed: str, spelled: str) -> None:
    assert spell_out(typed) == spelled


def test_a_question_with_a_title_case_word_after_its_first_is_not_lower_case() -> None:
    assert typed_in_lower_case("who leads openai") and typed_in_lower_case("who's the CEO of binance")
    assert not typed_in_lower_case("Who leads OpenAI?") and not typed_in_lower_case("who leads Binance now")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("what year did jada pinkett smith marry will smith", "What year did Jada Pinkett Smith marry Will Smith"),
        ("who will lead binance", "Who will lead Binance"),  # "will" stays a verb: "Will Binance" is not written
        ("who is the ceo of binance?", "Who is the CEO of Binance?"),
        ("which university studied binance's move?", "Which university studied Binance's move?"),  # the asked noun
        ("Who leads OpenAI?", "Who leads OpenAI?"),  # typed with capitals: as typed
        ("who leads OpenAI?", "who leads OpenAI?"),
    ],
)
def test_lower_case_names_are_written_as_the_passages_write_them(
    store_index: KeywordView, typed: str, read: str
) -> None:
    retrieved = [_passage(1, COUPLE), _passage(2, EXCHANGE)]
    assert recased(typed, retrieved, store_index) == read


def test_a_line_in_capitals_writes_no_name_s_case(store_index: KeywordView) -> None:
    link = Passage(chunk_id="c9", article_id="a9", title="Star returns", text="The harbour stage reopened.\nCOUNTRY STAR "
                   "ZORAVA QUILL RETURNS TO THE HARBOUR STAGE AT 59\nThe singer Zorava Quill sang.", start=0, end=100)
    assert recased("how old is zorava quill", [link], store_index) == "How old is Zorava Quill"  # not "ZORAVA QUILL"


def test_a_name_the_passages_lack_is_read_from_chunks_holding_it_or_left(store_index: KeywordView) -> None:
    retrieved = [_passage(2, EXCHANGE)]
    assert recased("what did reuters report about binance", retrieved, store_index) == (
        "What did Reuters report about Binance"  # from the Reuters chunk, which was not retrieved
    )
    assert recased("which country will host cop29", retrieved, store_index) == "Which country will host COP29"
    assert recased("how many jurors heard binance's case", retrieved, store_index) == (
        "How many jurors heard Binance's case"  # in no chunk, but a word, not a name
    )


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("what did the tidewater post report about binance?", "What did the Tidewater Post report about Binance?"),
        ("according to harbor times, who leads binance?", "According to Harbor Times, who leads Binance?"),
        ("which firm is on the verge of a post of its own?", "Which firm is on the verge of a post of its own?"),
        ("how big is will smith's fortune?", "How big is Will Smith's fortune?"),  # everyday words stay
    ],
)
def test_a_publisher_is_recased_where_the_question_cites_it(store_index: KeywordView, typed: str, read: str) -> None:
    assert recased(typed, [_passage(1, COUPLE), _passage(2, EXCHANGE)], store_index) == read


def test_a_publisher_is_recased_by_the_name_before_its_tagline() -> None:
    source = "Deep Field: The Most Curious Articles"  # cited as "Deep Field"
    view = KeywordIndex.build([_passage(4, EXCHANGE, source=source)], "tagline").view()
    typed = "according to deep field, who leads binance?"
    assert recased(typed, [], view) == "According to Deep Field, who leads Binance?"


def test_a_question_typed_in_lower_case_is_refused_as_the_typed_one_is(assistant: Assistant) -> None:
    typed, cased = assistant.ask("what is the population of harborview?"), assistant.ask("What is the population of Harborview?")
    assert typed.refused and typed.refusal_reason == cased.refusal_reason == "no passage gives the population of Harborview"
    assert typed.question == "what is the population of harborview?"
    assert typed.search_query == "What is the population of Harborview?"



def test_a_search_typed_in_lower_case_finds_what_the_cased_one_finds(assistant: Assistant) -> None:
    typed = assistant.retrieve("what did reuters report?", 3)
    assert [p.chunk_id for p in typed] == [p.chunk_id for p in assistant.retrieve("What did Reuters report?", 3)]
    assert [p.source for p in typed] == ["Reuters"] * 3  # the publisher read as one


def test_the_word_after_how_is_what_is_asked_not_a_name(store_index: KeywordView) -> None:
    theatre = _passage(4, "The Old Vic staged the play in May. The Old Vic sold every seat of the run.")
    assert recased("how old is the theatre", [theatre], store_index) == "How old is the theatre"



def test_a_headline_s_capitals_name_nothing(store_index: KeywordView) -> None:
    def story(title: str) -> Passage:
        text = "Ona Berg steered the ferry through the channel at dawn."
        return Passage(chunk_id="c5", article_id="a5", title=title, text=text, start=0, end=len(text), relevance=0.5)

    headline = story("The Ferry That Crossed the Skerries Channel at Dawn")  # every word capitalised
    assert recased("who crossed the skerries channel", [headline], store_index) == "Who crossed the skerries channel"
    plain = story("Ona Berg crossed the Skerries channel at dawn")  # only names capitalised
    assert recased("who crossed the skerries channel", [plain], store_index) == "Who crossed the Skerries channel"


def test_a_word_after_an_abbreviation_s_full_stop_is_read_mid_sentence(store_index: KeywordView) -> None:
    yards = _passage(7, "The ferry was built by the U.S. Vellcraft yard. Vellcraft also builds tugs.")
    assert recased("who built the ferry at vellcraft", [yards], store_index) == "Who built the ferry at Vellcraft"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("who is ingrid vasquez", "Who is Ingrid Vasquez"),  # a name no chunk holds: for the refusal rules to find
        ("who is the harbour master", "Who is the harbour master"),
        ("who's running the yard", "Who's running the yard"),
        ("who is sam", "Who is sam"),  # a word of the language alone
    ],
)
def test_a_name_asked_about_alone_is_read_as_one(store_index: KeywordView, typed: str, read: str) -> None:
    assert recased(typed, [], store_index) == read
