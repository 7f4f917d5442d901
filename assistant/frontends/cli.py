"""The `assistant` command: ingest, ask, retrieve, stats. Parses, calls `Assistant`, formats; nothing else."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from assistant.core import Assistant
from assistant.settings import ConfigError, Settings, load_settings
from assistant.types import Answer
from ingest.store import StoreError

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """A one-line error for the user; exit code 2 for usage, 1 otherwise."""

    def format_message(self) -> str:
        return self.message


def friendly(func: F) -> F:
    """Turn known failures into one line on stderr and a non-zero exit, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, StoreError, ValueError) as exc:
            raise UserError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _settings(store: str | None, k: int | None = None) -> Settings:
    settings = load_settings()
    if store:
        settings.store.path = Path(store)
        settings.store.host = None
    if k:
        settings.retrieval.k = k
    return settings


store_option = click.option(
    "--store", "store", metavar="DIR", help="Store directory (default: settings store.path)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Answer questions over a corpus of news articles, with verbatim cited passages."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--prune", is_flag=True, help="Drop articles whose files are gone.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@friendly
def ingest(paths: tuple[Path, ...], store: str | None, prune: bool, quiet: bool) -> None:
    """Ingest article files or folders (.txt .md .html .json .jsonl)."""
    assistant = Assistant(_settings(store))
    report = assistant.ingest(paths, prune=prune, progress=not quiet)
    for where, reason in report.failures:
        click.echo(f"skipped {where}: {reason}", err=True)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@cli.command()
@click.argument("question")
@store_option
@click.option("--k", type=click.IntRange(1, 100), help="Passages to retrieve.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly
def ask(question: str, store: str | None, k: int | None, as_json: bool) -> None:
    """Answer QUESTION from the corpus, citing the sentences it came from."""
    if not question.strip():
        raise click.UsageError("the question is empty")
    assistant = Assistant(_settings(store, k))
    answer = assistant.ask(question)
    if as_json:
        click.echo(json.dumps(answer.public(), ensure_ascii=False))
    else:
        click.echo(format_answer(answer))


def format_answer(answer: Answer) -> str:
    """The answer and its sources, for a terminal."""
    lines = [answer.answer, ""]
    if answer.refused:
        lines.append(f"(refused; answerer: {answer.answerer})")
        return "\n".join(lines).rstrip()
    if answer.unsupported:
        lines.append("(unsupported: no citation in this answer could be checked against the articles)")
    for c in answer.citations:
        meta = ", ".join(p for p in (c.source, c.published_at[:10]) if p)
        lines.append(f"[{c.n}] {c.title}" + (f" — {meta}" if meta else ""))
        if c.url:
            lines.append(f"    {c.url}")
        lines.append(f'    "{c.quote}"')
    lines.append(f"(answerer: {answer.answerer})")
    return "\n".join(lines)


@cli.command()
@click.option("--queries", required=True, type=click.File("r"), help='JSONL file of {"id","question"} lines.')
@store_option
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--out", type=click.File("w"), default="-", help="Where to write results (default stdout).")
@friendly
def retrieve(queries: Any, store: str | None, k: int, out: Any) -> None:
    """Retrieve passages for each query in a JSONL file; one JSON line out per query."""
    assistant = Assistant(_settings(store))
    for lineno, line in enumerate(queries, 1):
        if not line.strip():
            continue
        try:
            query = json.loads(line)
            qid, question = query["id"], query["question"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{queries.name} line {lineno}: expected a JSON object with \"id\" and \"question\"") from None
        results = [
            {key: getattr(p, key) for key in ("chunk_id", "article_id", "title", "source", "published_at", "text", "score")}
            for p in assistant.retrieve(question, k)
        ]
        out.write(json.dumps({"id": qid, "results": results}, ensure_ascii=False) + "\n")


@cli.command()
@store_option
@friendly
def stats(store: str | None) -> None:
    """What the store holds."""
    click.echo(json.dumps(Assistant(_settings(store)).stats(), indent=2, ensure_ascii=False))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="assistant")
