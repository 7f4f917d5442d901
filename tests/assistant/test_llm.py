"""Answerer selection (assistant/llm.py): `auto` and explicit modes, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant import llm
from assistant.llm import choose_mode, make_answerer, offered_modes
from newsdesk.errors import AnswererError
from tests.fixtures.core import make_settings


def test_auto_prefers_openai_when_a_key_or_url_is_set(tmp_path: Path, cache_dir: Path) -> None:
    settings = make_settings(tmp_path, cache_dir, mode="auto", api_key=SecretStr("sk-x"))
    assert choose_mode(settings) == "openai"
    settings = make_settings(tmp_path, cache_dir, mode="auto", base_url="http://127.0.0.1:9/v1")
    assert choose_mode(settings) == "openai"


@pytest.mark.parametrize("installed", [True, False])
def test_auto_without_key_or_url_is_extractive_and_local_only_offered(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, installed: bool
) -> None:
    """`auto` never picks the local model, installed or not (docs/answering.md: it answers fewer questions right
    than the extractive answerer); it is offered after the default, and is the default only when named."""
    monkeypatch.setattr(llm, "local_available", lambda settings: installed)
    settings = make_settings(tmp_path, cache_dir, mode="auto")
    assert choose_mode(settings) == "extractive"
    assert offered_modes(settings) == (["extractive", "local"] if installed else ["extractive"])
    settings.llm.mode = "local"
    assert choose_mode(settings) == "local"
    assert offered_modes(settings) == (["local", "extractive"] if installed else ["extractive"])


def test_auto_resolves_to_openai_with_a_key_or_url_else_extractive(tmp_path: Path, cache_dir: Path) -> None:
    cases = [({}, "extractive"), ({"api_key": SecretStr("sk-x")}, "openai"), ({"base_url": "http://h:1/v1"}, "openai")]
    for extra, expected in cases:
        assert choose_mode(make_settings(tmp_path, cache_dir, mode="auto", **extra)) == expected, extra


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
