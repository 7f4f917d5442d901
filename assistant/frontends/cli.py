"""The `assistant` command: ingest, ask, retrieve, stats. Parses, calls `Assistant`, formats; nothing else."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from assistant.core import Assistant
from assistant.evaluate import EvalSetup, evaluate, format_report, load_qa, store_chunking
from assistant.cite import dropped_note
from assistant.llm import MODES, AnswererError
from assistant.openai_errors import display_url
from assistant.redact import redact
from assistant.settings import ConfigError, Settings, load_settings
from assistant.types import Answer
from ingest.embed import EmbeddingError
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
        except (ConfigError, StoreError, AnswererError, EmbeddingError, ValueError) as exc:
            raise UserError(redact(str(exc))) from None

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
@click.option("--llm", type=click.Choice(MODES), help="Answerer (default: settings llm.mode, auto).")
@friendly
def ask(question: str, store: str | None, k: int | None, as_json: bool, llm: str | None) -> None:
    """Answer QUESTION from the corpus, citing the sentences it came from (streamed unless --json)."""
    if not question.strip():
        raise click.UsageError("the question is empty")
    settings = _settings(store, k)
    if llm:
        settings.llm.mode = llm  # type: ignore[assignment]
    assistant = Assistant(settings)
    if as_json:
        click.echo(json.dumps(assistant.ask(question).public(), ensure_ascii=False))
        return
    streamed: list[str] = []
    answer: Answer | None = None
    for item in assistant.stream(question):
        if isinstance(item, Answer):
            answer = item
        else:
            streamed.append(item)
            click.echo(item, nl=False)
    assert answer is not None
    click.echo()
    if answer.answer != "".join(streamed).strip():  # markers renumbered or dropped by the citation check
        click.echo(f"\nChecked: {answer.answer}")
    click.echo(format_sources(answer))


def format_sources(answer: Answer) -> str:
    """What follows the answer text on a terminal: its sources and which answerer answered."""
    lines = [""]
    if answer.refused:
        lines.append(f"(refused; answerer: {answer.answerer})")
        return "\n".join(lines).rstrip()
    if answer.unsupported:
        lines.append("(unsupported: no citation in this answer could be checked against the articles)")
    if note := dropped_note(answer):
        lines.append(f"({note})")
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


@cli.command("eval")
@click.argument("qa_file", metavar="QA.jsonl", type=click.Path(path_type=Path, dir_okay=False))
@store_option
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True, help="Passages retrieved per question.")
@click.option("--answers", is_flag=True, help="Also answer every question and score the answers and refusals.")
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False), help="Write all results as JSON here.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@friendly
def eval_command(qa_file: Path, store: str | None, k: int, answers: bool, json_out: Path | None, quiet: bool) -> None:
    """Score retrieval (and with --answers, answers) on QA.jsonl: questions with gold evidence facts."""
    items = load_qa(qa_file)
    assistant = Assistant(_settings(store))
    tokens, overlap = store_chunking(assistant.store(), assistant.settings.ingest)
    rerank = assistant.settings.rerank
    setup = EvalSetup(
        store=assistant.store().location, k=k, chunk_tokens=tokens, chunk_overlap=overlap,
        reranker=f"{rerank.model or '(default model)'} at {display_url(rerank.url)}" if rerank.url else None,
    )
    report = evaluate(
        items,
        lambda q: assistant.retrieve(q, k),
        setup,
        ask=assistant.ask if answers else None,
        progress=not quiet,
    )
    if json_out:
        json_out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(format_report(report))


@cli.command()
@store_option
@friendly
def stats(store: str | None) -> None:
    """What the store holds."""
    click.echo(json.dumps(Assistant(_settings(store)).stats(), indent=2, ensure_ascii=False))


@cli.command()
@click.option("--host", help="Bind address (default: settings server.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Bind port (default: settings server.port, 8080).")
@store_option
@friendly
def serve(host: str | None, port: int | None, store: str | None) -> None:
    """Serve the chat page at / and the HTTP API under /api (docs at /api/docs)."""
    from assistant.frontends.web import check_exposure, serve as run_server  # imports Gradio: only here

    settings = _settings(store)
    settings.server.host = host or settings.server.host
    settings.server.port = port or settings.server.port
    check_exposure(settings)
    click.echo(f"chat page: http://{settings.server.host}:{settings.server.port}/  API docs: /api/docs", err=True)
    run_server(settings)


@cli.group(invoke_without_command=True)
@click.option("--socket", "socket_mode", is_flag=True, help="Socket Mode: the default, accepted for older scripts.")
@store_option
@click.pass_context
@friendly
def slack(ctx: click.Context, socket_mode: bool, store: str | None) -> None:
    """Run the Slack bot over Socket Mode until Ctrl-C (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN).

    The other transport, HTTP, needs no command: `assistant serve` answers Slack at POST /slack/events when
    SLACK_SIGNING_SECRET is set. `assistant slack check` tests the tokens and scopes; the app itself can be
    created from examples/slack-manifest.yaml.
    """
    if ctx.invoked_subcommand is not None:
        return
    from slack_sdk.errors import SlackApiError

    from assistant.frontends.slack import socket_mode_handler

    settings = _settings(store)
    handler = socket_mode_handler(Assistant(settings), settings)
    try:
        handler.connect()
    except SlackApiError as exc:
        raise UserError(f"Slack refused the Socket Mode connection: {exc.response.get('error')}") from None
    except OSError as exc:
        raise UserError(f"cannot reach Slack at {settings.slack.api_base_url}: {exc}") from None
    click.echo("connected to Slack over Socket Mode; Ctrl-C stops", err=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()


@slack.command("check")
@friendly
def slack_check() -> None:
    """Check the Slack set-up: call auth.test with the bot token and print the bot's name and granted scopes, and
    test the app-level token (Socket Mode). Anything wrong is one line on stderr and exit code 1."""
    from assistant.frontends.slack import BOT_SCOPES, check_app_token, check_bot

    settings = load_settings()
    bot = check_bot(settings)
    if bot.missing:
        raise UserError(
            f"the bot token lacks the scopes {', '.join(bot.missing)}: add them under OAuth & Permissions → "
            "Bot Token Scopes (or create the app from examples/slack-manifest.yaml) and reinstall the app to the "
            "workspace"
        )
    app_token, signing_secret = (
        bool(s and s.get_secret_value()) for s in (settings.slack.app_token, settings.slack.signing_secret)
    )
    if not app_token and not signing_secret:
        raise UserError(
            "the bot cannot receive messages: set SLACK_APP_TOKEN (Socket Mode, `assistant slack`) or "
            "SLACK_SIGNING_SECRET (HTTP, inside `assistant serve`)"
        )
    if app_token:
        check_app_token(settings)
    click.echo(f"bot: {bot.name} ({bot.user_id}) in workspace {bot.team} ({bot.team_id})")
    if bot.scopes is None:
        click.echo(f"scopes: not reported by Slack (no x-oauth-scopes header); the bot needs {', '.join(BOT_SCOPES)}")
    else:
        click.echo(f"scopes: {', '.join(bot.scopes)} (includes all {len(BOT_SCOPES)} the bot needs)")
    if app_token:
        click.echo("Socket Mode: SLACK_APP_TOKEN works; start the bot with `assistant slack`")
    if signing_secret:
        click.echo("HTTP: SLACK_SIGNING_SECRET is set; `assistant serve` answers Slack at POST /slack/events")


@cli.command()
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Newest votes to show.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (with answers and citations).")
@friendly
def feedback(limit: int, as_json: bool) -> None:
    """List the 👍 / 👎 votes given on Slack answers, newest first."""
    from assistant.feedback import FeedbackStore

    path = load_settings().slack.feedback_db
    votes = FeedbackStore(path).votes(limit)
    if as_json:
        click.echo(json.dumps([v.public() for v in votes], ensure_ascii=False, indent=1))
        return
    if not votes:
        click.echo(f"no feedback yet ({path})", err=True)
        return
    click.echo(f"{'when (UTC)':<20}  {'vote':<4}  {'user':<12}  {'sources':>7}  question")
    for v in votes:
        question = v.question if len(v.question) <= 70 else v.question[:69] + "…"
        mark = "👍" if v.rating == "up" else "👎"
        when = v.clicked_at[:19].replace("T", " ")
        click.echo(f"{when:<20}  {mark:<4}  {v.user:<12}  {len(v.citations):>7}  {question}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="assistant")
