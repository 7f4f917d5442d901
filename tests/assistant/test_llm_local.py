"""The `local` answerer: the packaged Gemma 3 270M run in-process by llama.cpp answers the seed question, cited."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from assistant import Answer, Assistant
from ingest.load import parse_file
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings
from tests.fixtures.servers import BIN

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local(example_store: Path, cache_dir: Path, gguf_model: Path) -> Assistant:
    return Assistant(make_settings(example_store, cache_dir, mode="local", local_model=gguf_model))


def test_local_model_answers_the_seed_question(local: Assistant) -> None:
    stream = local.stream(SEED_QUESTION)
    deltas = list(stream)
    final = stream.answer()
    assert isinstance(final, Answer) and final.answerer == "local"
    assert deltas[0] == "According to ["  # the completion prompt's answer start comes first
    assert "".join(deltas) == final.answer
    assert "Ba N’Daou" in final.answer and not final.unsupported and final.dropped_markers == 0
    mali_file = EXAMPLES / "mali-takuba-2020-11-04.txt"
    mali = parse_file(mali_file, mali_file.read_bytes()).articles[0].text
    assert [mali[c.start : c.end] == c.quote and "Ba N’Daou" in c.quote for c in final.citations] == [True]


def test_default_model_file_is_assembled_once(cache_dir: Path, gguf_model: Path) -> None:
    from assistant.answer_local import default_model_file

    assert gguf_model == cache_dir / "models" / "gemma-3-270m-q4_k_m.gguf"
    before = gguf_model.stat().st_mtime_ns
    assert default_model_file(cache_dir) == gguf_model and gguf_model.stat().st_mtime_ns == before


def test_the_cli_answer_is_not_interleaved_with_llama_cpp_messages(
    example_store: Path, cache_dir: Path, gguf_model: Path
) -> None:
    env = {
        **os.environ,
        "ASSISTANT_STORE__PATH": str(example_store),
        "ASSISTANT_EMBEDDING__CACHE_DIR": str(cache_dir),
        "ASSISTANT_LLM__MODE": "local",
        "ASSISTANT_LLM__LOCAL_MODEL": str(gguf_model),
    }
    done = subprocess.run([str(BIN / "assistant"), "ask", SEED_QUESTION], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr == ""  # llama.cpp's notes (model loading, its cache) go to the debug log, not the terminal
    assert "Ba N’Daou" in done.stdout.splitlines()[0] and done.stdout.rstrip().endswith("(answerer: local)")
