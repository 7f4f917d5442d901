"""docs/configuration.md is generated from `Settings`; this fails when a setting changed and the page did not."""

from __future__ import annotations

from pathlib import Path

from assistant.settings_doc import REGENERATE, settings_markdown
from newsdesk.settings import Settings

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_configuration_page_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == settings_markdown(), (
        f"docs/configuration.md is stale: regenerate it with `{REGENERATE}`"
    )


def test_every_field_has_a_row_and_a_description() -> None:
    page = settings_markdown()
    for group, info in Settings.model_fields.items():
        assert f"## `[{group}]`" in page
        for name, field in info.annotation.model_fields.items():  # type: ignore[union-attr]
            assert field.description, f"{group}.{name} has no description"
            assert f"`ASSISTANT_{group.upper()}__{name.upper()}`" in page


def test_the_page_does_not_depend_on_this_machine(monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "/elsewhere/data")
    monkeypatch.setenv("XDG_CACHE_HOME", "/elsewhere/cache")
    page = settings_markdown()
    assert "/elsewhere" not in page
    assert "`~/.local/share/news-assistant/store`" in page
