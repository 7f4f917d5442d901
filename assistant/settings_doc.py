"""The configuration reference (docs/configuration.md), rendered from `Settings` so it cannot drift from the code.

    python -m assistant.settings_doc > docs/configuration.md

Every group of `newsdesk.settings.Settings` becomes a table of its fields: environment variable, type, default and
the field's own description. `tests/assistant/test_settings_doc.py` fails when the page is stale.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from newsdesk import settings as settings_module
from newsdesk.settings import Settings

REGENERATE = "python -m assistant.settings_doc > docs/configuration.md"

_HOME = "/nonexistent-home-for-settings-doc"  # stands in for $HOME while defaults are computed, shown as ~

INTRO = f"""\
# Configuration

<!-- Generated from newsdesk/settings.py by `{REGENERATE}`; do not edit by hand. -->

All settings live in one typed object, `newsdesk.settings.Settings` (pydantic-settings). Each value comes from
the first of these sources that sets it:

1. arguments given in code (`Settings(llm={{"mode": "extractive"}})`) and command-line options such as
   `--store` (which also selects the embedded store over a Chroma server), `--k`, `--llm`, `--host` and `--port`;
2. environment variables: `ASSISTANT_<GROUP>__<FIELD>` (for example `ASSISTANT_STORE__PATH`,
   `ASSISTANT_LLM__MODE`; names are not case-sensitive), plus the conventional names listed in the tables
   (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET`, `SLACK_APP_TOKEN`), which
   apply when no other source sets that field;
3. a `.env` file in the working directory, with the `ASSISTANT_` names (the conventional names are read from
   the environment only);
4. a TOML file: `assistant.toml` in the working directory, or the file named by `ASSISTANT_CONFIG` (an error if
   that file does not exist), with one table per group;
5. the defaults below.

```toml
[store]
path = "/data/news-store"

[llm]
mode = "openai"
base_url = "http://127.0.0.1:8081/v1"
model = "qwen2.5-7b-instruct"
```

A value that fails validation (a wrong type, a number out of range, a malformed TOML file) stops every command
with one line, such as `Error: bad configuration: retrieval.k: Input should be greater than or equal to 1`.
Paths under `~/.local/share/news-assistant` and `~/.cache/news-assistant` follow `$XDG_DATA_HOME` and
`$XDG_CACHE_HOME` when those are set. Secrets (API keys, tokens, the signing secret) are never printed or logged.
"""


@contextmanager
def _neutral_home() -> Iterator[None]:
    """Compute default paths as for a user with no XDG variables, so the page is the same on every machine."""
    saved = {k: os.environ.get(k) for k in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")}
    os.environ["HOME"] = _HOME
    os.environ.pop("XDG_DATA_HOME", None)
    os.environ.pop("XDG_CACHE_HOME", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _type_name(annotation: Any) -> str:
    """A reader's name for a field type: `int`, `path`, `secret`, `` `a` | `b` ``, with `, optional` for None."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " | ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = " or ".join(_type_name(a) for a in args)
        return f"{inner}, optional" if len(args) < len(typing.get_args(annotation)) else inner
    if isinstance(annotation, type):
        if issubclass(annotation, SecretStr):
            return "secret"
        if issubclass(annotation, Path):
            return "path"
        return annotation.__name__
    return str(annotation)


def _bounds(info: FieldInfo) -> str:
    """The field's numeric bounds, e.g. `≥ 1, ≤ 100`."""
    marks: list[str] = []
    for meta in info.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(meta, attr, None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                marks.append(f"{sign} {value}")
    return ", ".join(marks)


def _default(info: FieldInfo) -> str:
    factory = cast("Callable[[], Any] | None", info.default_factory)  # Settings' factories take no arguments
    if factory is not None:
        with _neutral_home():
            value = factory()
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, Path):
        text = str(value)
        return f"`~{text[len(_HOME):]}`" if text.startswith(_HOME) else f"`{text}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`' if value else '`""`'
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _aliases() -> dict[tuple[str, str], str]:
    return dict(getattr(settings_module, "_CONVENTIONAL_ENV", {}))


def _group_table(group: str, model: type[BaseModel]) -> list[str]:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    delimiter = str(Settings.model_config.get("env_nested_delimiter", "__"))
    aliases = _aliases()
    lines = [
        f"## `[{group}]`",
        "",
        _cell(model.__doc__ or ""),
        "",
        "| field | environment variable | type | default | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, info in model.model_fields.items():
        env = f"`{prefix}{group}{delimiter}{name}`".upper()
        if (group, name) in aliases:
            env += f", `{aliases[(group, name)]}`"
        kind = _type_name(info.annotation)
        bounds = _bounds(info)
        if bounds:
            kind += f" ({bounds})"
        lines.append(
            f"| `{name}` | {env} | {_cell(kind)} | {_default(info)} | {_cell(info.description or '')} |"
        )
    return lines


def settings_markdown() -> str:
    """The whole configuration page as Markdown: the fixed introduction, then one table per settings group."""
    parts = [INTRO]
    for group, info in Settings.model_fields.items():
        model = info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            parts.append("\n".join(_group_table(group, model)) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(settings_markdown(), end="")
