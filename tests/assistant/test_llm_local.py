"""The `local` answerer: the packaged Gemma 3 270M run in-process by llama.cpp answers the seed question, cited."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Answer, Assistant
from ingest.load import load_file
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local(example_store: Path, cache_dir: Path, gguf_model: Path) -> Assistant:
    return Assistant(make_settings(example_store, cache_dir, mode="local", local_model=gguf_model))


def test_local_model_answers_the_seed_question(local: Assistant) -> None:
    items = list(local.stream(SEED_QUESTION))
    final = items[-1]
    assert isinstance(final, Answer) and final.answerer == "local"
    assert items[0] == "According to ["  # the completion prompt's answer start comes first
    assert "".join(items[:-1]) == final.answer
    assert "Ba N’Daou" in final.answer and not final.unsupported and final.dropped_markers == 0
    mali = load_file(EXAMPLES / "mali-takuba-2020-11-04.txt", 10**7).articles[0].text
    assert [mali[c.start : c.end] == c.quote and "Ba N’Daou" in c.quote for c in final.citations] == [True]


def test_default_model_file_is_assembled_once(cache_dir: Path, gguf_model: Path) -> None:
    from assistant.answer_local import default_model_file

    assert gguf_model == cache_dir / "models" / "gemma-3-270m-q4_k_m.gguf"
    before = gguf_model.stat().st_mtime_ns
    assert default_model_file(cache_dir) == gguf_model and gguf_model.stat().st_mtime_ns == before
