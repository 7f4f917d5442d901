"""Prompt templates: every file in prompts/ loads through `load_prompt`, from the `prompts` package that a regular
(non-editable) install ships, and a missing one is a one-line error."""

from __future__ import annotations

from importlib.resources import files

import pytest

from assistant.prompts import load_prompt
from tests.fixtures.core import ROOT

TEMPLATES = sorted(p.stem for p in (ROOT / "prompts").glob("*.txt"))


def test_the_templates_the_answerers_use_are_there() -> None:
    assert {"answer_completion", "answer_passage", "answer_system", "answer_user", "condense"} <= set(TEMPLATES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_loads_from_the_prompts_package(name: str) -> None:
    packaged = files("prompts").joinpath(f"{name}.txt")
    assert packaged.is_file()
    text = load_prompt(name)
    assert text.strip() and text == packaged.read_text(encoding="utf-8")
    assert text == (ROOT / "prompts" / f"{name}.txt").read_text(encoding="utf-8")


def test_a_missing_template_is_a_one_line_error() -> None:
    with pytest.raises(FileNotFoundError, match=r"^prompt template no_such_prompt\.txt not found in the prompts "
                       r"package or .*prompts$"):
        load_prompt("no_such_prompt")
