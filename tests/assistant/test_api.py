"""The Python API: `Assistant.ask/stream(question, history, k, llm)`, the stream object, the answerers on offer, the
caller's settings left alone, and one base error class."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Answer, AnswererError, Assistant, AssistantError, ConfigError, EmbeddingError
from assistant.local_server import local_available
from ingest.load import LoadError
from ingest.store import StoreError
from tests.fixtures.core import SEED_QUESTION, make_settings


def test_stream_yields_text_then_gives_the_same_answer_ask_gives(example_store: Path, cache_dir: Path) -> None:
    assistant = Assistant(make_settings(example_store, cache_dir))
    stream = assistant.stream(SEED_QUESTION)
    texts = list(stream)
    answer = stream.answer()
    assert texts and all(isinstance(t, str) for t in texts)
    assert isinstance(answer, Answer) and "".join(texts).strip() == answer.answer
    assert answer.model_dump() == assistant.ask(SEED_QUESTION).model_dump()


def test_answer_reads_the_rest_of_a_stream_not_yet_read(example_store: Path, cache_dir: Path) -> None:
    answer = Assistant(make_settings(example_store, cache_dir)).stream(SEED_QUESTION).answer()
    assert answer.citations and "Ba N’Daou" in answer.answer


def test_the_answerer_is_chosen_per_call(example_store: Path, cache_dir: Path) -> None:
    assistant = Assistant(make_settings(example_store, cache_dir))
    assert assistant.ask(SEED_QUESTION, llm="extractive").answerer == "extractive"
    with pytest.raises(ValueError, match=r"^unknown answerer 'gpt' \(expected one of openai, local, extractive\)$"):
        assistant.stream(SEED_QUESTION, llm="gpt")  # refused when called, before anything is read


def test_an_empty_question_is_refused_when_stream_is_called(example_store: Path, cache_dir: Path) -> None:
    with pytest.raises(ValueError, match="^the question is empty$"):
        Assistant(make_settings(example_store, cache_dir)).stream("  \n ")


def test_the_store_argument_leaves_the_callers_settings_unchanged(
    example_store: Path, cache_dir: Path, tmp_path: Path
) -> None:
    settings = make_settings(example_store, cache_dir)
    before = settings.model_dump()
    assistant = Assistant(settings, store=tmp_path / "other")
    assert settings.model_dump() == before
    assert assistant.settings.store.path == tmp_path / "other" and assistant.settings.store.host is None


def test_auto_with_a_server_url_offers_openai_first(example_store: Path, cache_dir: Path) -> None:
    settings = make_settings(example_store, cache_dir, mode="auto", base_url="http://127.0.0.1:9/v1")
    modes = Assistant(settings).answerer_modes()
    assert modes[:2] == ["openai", "extractive"]
    assert ("local" in modes) == local_available(settings)


def test_extractive_setting_is_the_default_and_openai_needs_a_server(example_store: Path, cache_dir: Path) -> None:
    modes = Assistant(make_settings(example_store, cache_dir)).answerer_modes()
    assert modes[0] == "extractive" and "openai" not in modes


@pytest.mark.parametrize("error", [AnswererError, ConfigError, EmbeddingError, LoadError, StoreError])
def test_every_error_meant_for_the_user_is_an_assistant_error(error: type[Exception]) -> None:
    assert issubclass(error, AssistantError)
