"""The page's answerer selector offers what assistant/llm.py would pick, default first."""

from pathlib import Path

from assistant import Assistant
from assistant.frontends.service import answerer_modes
from assistant.llm import local_available
from tests.fixtures.core import make_settings


def test_auto_with_a_server_url_puts_openai_first(example_store: Path, cache_dir: Path) -> None:
    settings = make_settings(example_store, cache_dir, mode="auto", base_url="http://127.0.0.1:9/v1")
    modes = answerer_modes(Assistant(settings))
    assert modes[:2] == ["openai", "extractive"]
    assert ("local" in modes) == local_available(settings)


def test_extractive_setting_is_the_default_and_openai_needs_a_server(example_store: Path, cache_dir: Path) -> None:
    modes = answerer_modes(Assistant(make_settings(example_store, cache_dir)))
    assert modes[0] == "extractive" and "openai" not in modes
