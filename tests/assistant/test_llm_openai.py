"""The `openai` answerer end to end through the `openai` package against a real llama.cpp OpenAI-compatible server
(tests/fixtures/llm_server.py, Gemma 3 270M): plain, streaming, citation check, refusal, max tokens honoured, and
one-line errors for a server that is down, too slow, or rejects the key."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant import Answer, Assistant
from assistant.refusal import REFUSAL
from ingest.load import parse_file
from newsdesk.errors import AnswererError
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings
from tests.fixtures.llm_server import SERVER_KEY
from tests.fixtures.servers import free_port

pytestmark = pytest.mark.slow

NDAOU = "Colonel Major Ba N’Daou"


def openai_assistant(store: Path, cache_dir: Path, base_url: str, **llm: object) -> Assistant:
    settings = make_settings(store, cache_dir, mode="openai", base_url=base_url, model="gemma-3-270m", max_retries=0)
    for key, value in llm.items():
        setattr(settings.llm, key, value)
    return Assistant(settings)


@pytest.fixture(scope="module")
def base_model(example_store: Path, cache_dir: Path, llm_server: str) -> Assistant:
    """The server's base model through /v1/completions (the completion prompt)."""
    return openai_assistant(example_store, cache_dir, llm_server, api="completions")


def test_seed_question_gets_verbatim_citations_or_is_flagged_unsupported(base_model: Assistant) -> None:
    """What a 270M base model writes from whole passages varies with the llama.cpp build and the passages shown;
    what this answerer guarantees is the check: every [n] left carries a verbatim quote of the cited article, and an
    answer left with none is flagged unsupported."""
    answer = base_model.ask(SEED_QUESTION)
    assert answer.answerer == "openai" and not answer.refused and answer.answer.startswith("According to")
    mali_file = EXAMPLES / "mali-takuba-2020-11-04.txt"
    mali = parse_file(mali_file, mali_file.read_bytes()).articles[0].text
    assert all(mali[c.start : c.end] == c.quote for c in answer.citations if c.title.startswith("France"))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} == {c.n for c in answer.citations}
    assert answer.unsupported == (answer.citations == [])


def test_streaming_yields_deltas_then_the_answer(base_model: Assistant) -> None:
    stream = base_model.stream(SEED_QUESTION)
    deltas = list(stream)
    final = stream.answer()
    assert isinstance(final, Answer) and all(isinstance(d, str) for d in deltas)
    assert len(deltas) >= 5  # token by token, not one block
    assert "".join(deltas).startswith("According to [") and final.passages
    assert final.dropped_markers > 0 or final.citations or final.unsupported  # the check ran on the draft


def test_chat_api_honours_max_tokens(example_store: Path, cache_dir: Path, llm_server: str) -> None:
    """llama.cpp ignores `max_completion_tokens`; the `max_tokens` sent beside it caps the reply."""
    assistant = openai_assistant(example_store, cache_dir, llm_server, api="chat", max_tokens=4)
    stream = assistant.stream(SEED_QUESTION)
    deltas = list(stream)
    final = stream.answer()
    assert final.answerer == "openai"
    assert 1 <= len(deltas) <= 4  # one delta per token
    assert final.answer and (final.unsupported == (final.citations == []))


def test_chat_api_answer_is_checked(example_store: Path, cache_dir: Path, llm_server: str) -> None:
    """The base model answers the chat prompt without markers: the answer is marked unsupported, not trusted."""
    answer = openai_assistant(example_store, cache_dir, llm_server, api="chat").ask(SEED_QUESTION)
    assert answer.answerer == "openai" and not answer.refused
    assert "[" not in answer.answer
    assert answer.unsupported and answer.citations == [] and answer.dropped_markers == 0


def test_off_topic_question_is_refused_before_the_model(example_store: Path, cache_dir: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: the refusal needs no model call
    answer = openai_assistant(example_store, cache_dir, down).ask("What is the boiling point of tungsten?")
    assert (answer.refused, answer.answer, answer.citations, answer.answerer) == (True, REFUSAL, [], "openai")


def test_server_down_is_one_line_error(example_store: Path, cache_dir: Path) -> None:
    port = free_port()
    assistant = openai_assistant(example_store, cache_dir, f"http://127.0.0.1:{port}/v1")
    with pytest.raises(AnswererError) as err:
        assistant.ask(SEED_QUESTION)
    assert str(err.value) == f"cannot reach the model server at http://127.0.0.1:{port}/v1"


def test_slow_server_times_out(example_store: Path, cache_dir: Path, llm_server: str) -> None:
    assistant = openai_assistant(example_store, cache_dir, llm_server, api="completions", timeout=0.001)
    with pytest.raises(AnswererError) as err:
        assistant.ask(SEED_QUESTION)
    assert str(err.value) == f"the model server at {llm_server} did not answer within 0.001 s"


def test_rejected_key_is_one_line_error_and_never_logged(
    example_store: Path, cache_dir: Path, llm_server_with_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sk-wrong-key-9876543210"
    assistant = openai_assistant(example_store, cache_dir, llm_server_with_key, api_key=SecretStr(wrong))
    with caplog.at_level(logging.DEBUG), pytest.raises(AnswererError) as err:
        assistant.ask(SEED_QUESTION)
    assert str(err.value) == f"the model server at {llm_server_with_key} rejected the API key (HTTP 401)"
    assert wrong not in caplog.text
    right = openai_assistant(example_store, cache_dir, llm_server_with_key, api_key=SecretStr(SERVER_KEY), max_tokens=2)
    assert right.ask(SEED_QUESTION).answerer == "openai"
    assert SERVER_KEY not in caplog.text
