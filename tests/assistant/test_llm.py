"""Answerer selection (assistant/llm.py): `auto` and explicit modes, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant.llm import choose_mode, local_available, make_answerer
from newsdesk.errors import AnswererError
from tests.fixtures.core import make_settings


def test_auto_prefers_openai_when_a_key_or_url_is_set(tmp_path: Path, cache_dir: Path) -> None:
    settings = make_settings(tmp_path, cache_dir, mode="auto", api_key=SecretStr("sk-x"))
    assert choose_mode(settings) == "openai"
    settings = make_settings(tmp_path, cache_dir, mode="auto", base_url="http://127.0.0.1:9/v1")
    assert choose_mode(settings) == "openai"


def test_auto_falls_back_to_local_then_extractive(tmp_path: Path, cache_dir: Path) -> None:
    settings = make_settings(tmp_path, cache_dir, mode="auto")
    assert choose_mode(settings) == ("local" if local_available(settings) else "extractive")
    settings.llm.local_model = tmp_path / "missing.gguf"
    assert not local_available(settings) and choose_mode(settings) == "extractive"


def test_explicit_mode_wins(tmp_path: Path, cache_dir: Path) -> None:
    settings = make_settings(tmp_path, cache_dir, mode="extractive", api_key=SecretStr("sk-x"))
    assert choose_mode(settings) == "extractive"


def test_openai_without_key_or_url_is_one_line_error(tmp_path: Path, cache_dir: Path) -> None:
    with pytest.raises(AnswererError, match=r"^the openai answerer needs an API key \(OPENAI_API_KEY\) or a server URL \(OPENAI_BASE_URL\)$"):
        make_answerer(make_settings(tmp_path, cache_dir), embeddings=None, mode="openai")  # type: ignore[arg-type]


def test_local_without_a_model_is_one_line_error(tmp_path: Path, cache_dir: Path) -> None:
    settings = make_settings(tmp_path, cache_dir, local_model=tmp_path / "missing.gguf")
    with pytest.raises(AnswererError, match=r"^the local answerer needs llama-cpp-python\[server\] and a model: make install-local"):
        make_answerer(settings, embeddings=None, mode="local")  # type: ignore[arg-type]
