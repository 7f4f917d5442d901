"""Every `assistant ...` command shown in README.md and docs/ parses against the real CLI: the command exists and
its options and arguments are the ones it takes. Nothing is run."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import click
import pytest

from assistant.frontends.cli import cli

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_BLOCK = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.MULTILINE | re.DOTALL)
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
RUNS_ASSISTANT = re.compile(r"(?:^|[\s/])assistant\s")
SEPARATORS = {"|", "||", "&&", "&", ";", ">", ">>", "2>", "<"}


def shown_commands() -> list[tuple[str, list[str]]]:
    """(where, argv after `assistant`) for each shell line of the pages that runs the assistant."""
    found = []
    for page in PAGES:
        for block in SHELL_BLOCK.findall(page.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                if not RUNS_ASSISTANT.search(line):
                    continue
                words = shlex.split(line, comments=True)
                while words and ASSIGNMENT.match(words[0]):
                    words.pop(0)
                if not words or not (words[0] == "assistant" or words[0].endswith("/assistant")):
                    continue
                args = []
                for word in words[1:]:
                    if word in SEPARATORS:
                        break
                    args.append(word)
                found.append((f"{page.relative_to(ROOT)}: assistant {' '.join(args)}", args))
    return found


COMMANDS = shown_commands()


def test_the_pages_show_commands() -> None:
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("args", [args for _, args in COMMANDS], ids=[where for where, _ in COMMANDS])
def test_a_shown_command_parses(args: list[str]) -> None:
    group = cli.make_context("assistant", list(args))
    with warnings.catch_warnings():  # Click 8.2+ deprecates protected_args; Click 9 keeps every token in args
        warnings.simplefilter("ignore", DeprecationWarning)
        name, *rest = [*getattr(group, "protected_args", []), *group.args]
    command = cli.get_command(group, name)
    assert command is not None, f"no command {name!r}"
    try:
        command.make_context(name, rest, parent=group)
    except click.BadParameter as exc:  # a file the example names but this checkout does not hold
        assert "does not exist" in str(exc) or "No such file" in str(exc), str(exc)
