"""The `assistant` command: ingest, ask, chat, retrieve, stats. Parses, calls `Assistant`, formats; nothing else."""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

from assistant.cite import by_number, dropped_note
from assistant.condense import MAX_TURNS
from assistant.core import Assistant, History
from assistant.evaluate import EvalSetup, evaluate, format_report, load_qa, store_chunking
from assistant.evidence import matching_sentence
from assistant.llm import MODES
from assistant.redact import install_redaction, redact
from ingest.watch import Batch
from newsdesk.errors import AnswererError, AssistantError, EmbeddingError
from newsdesk.openai_errors import display_url
from newsdesk.settings import Settings, load_settings
from newsdesk.text import one_line
from newsdesk.types import Answer

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
        except (AssistantError, ValueError) as exc:
            raise UserError(redact(str(exc))) from None

    return wrapper  # type: ignore[return-value]


def _settings(store: str | None, k: int | None = None) -> Settings:
    settings = load_settings()
    if store is not None:
        settings.store.path = Path(store)
        settings.store.host = None
    if k:
        settings.retrieval.k = k
    return settings


def _store_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("the store path is empty (leave --store out for the default store)")
    return value


store_option = click.option(
    "--store", "store", metavar="DIR", callback=_store_path, help="Store directory (default: settings store.path)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Answer questions over a corpus of news articles, with verbatim cited passages."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    install_redaction()  # configured secrets show as *** in log lines and tracebacks


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--prune", is_flag=True, help="Drop articles whose files are gone.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option(
    "--watch", is_flag=True,
    help="Keep watching the folders PATHS until Ctrl-C: ingest files once they settle, again when they change, and "
    "remove the articles of files deleted from them.",
)
@friendly
def ingest(paths: tuple[Path, ...], store: str | None, prune: bool, quiet: bool, watch: bool) -> None:
    """Ingest article files or folders (.txt .md .html .json .jsonl; other files in the folders are listed as
    ignored). Text that is not UTF-8 is read as Windows-1252 and said so. Exit code 1 when anything was skipped.

    Progress bars (reading, chunking, embedding) go to stderr when it is a terminal. With --watch, one report per
    batch of changes (docs/ingest.md)."""
    if watch:
        if prune:
            raise click.UsageError("--watch removes the articles of files deleted from its folders; leave out --prune")
        _watch(Assistant(_settings(store)), paths)
        return
    assistant = Assistant(_settings(store))
    report = assistant.ingest(paths, prune=prune, progress=not quiet and sys.stderr.isatty())
    for line in report.lines():
        click.echo(line, err=True)
    click.echo(report.summary())
    click.echo(f"store: {report.store}")
    again = f" --store {shlex.quote(store)}" if store else ""
    cmd = _command()
    if report.added + report.updated + report.unchanged + report.duplicates == 0 and assistant.store().count() == 0:
        click.echo(f"next: the store holds no articles yet; {cmd} ingest PATH{again} with a readable article file")
    else:
        click.echo(
            f'next: {cmd} ask "a question"{again}, {cmd} chat{again} (follow-ups), {cmd} serve{again} (chat page)'
        )
    if report.failed:
        sys.exit(1)


def _watch(assistant: Assistant, folders: tuple[Path, ...]) -> None:
    """Run a Watcher until SIGINT or SIGTERM, which stop it between batches; a second one stops it at once (the
    store stays consistent, as after any interrupted ingest)."""
    watcher = assistant.watcher(folders)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    where = ", ".join(str(f) for f in watcher.folders)
    click.echo(
        f"watching {where} every {watcher.interval:g} s, into {assistant.store().location}; Ctrl-C stops", err=True
    )
    try:
        watcher.run(stop, _show_batch)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    click.echo("stopped watching", err=True)


def _show_batch(batch: Batch) -> None:
    for line in batch.report.lines():
        click.echo(line, err=True)
    click.echo(batch.report.summary())


def _command() -> str:
    """How to run this command again, for next-step hints: `assistant` when that is what PATH finds, else the path
    it was started by (`.venv/bin/assistant` after `make demo`)."""
    started = sys.argv[0] if sys.argv else ""
    if Path(started).name != "assistant":
        return "assistant"  # python -m, or a test runner
    on_path = shutil.which("assistant")
    if on_path and Path(on_path).resolve() == Path(started).resolve():
        return "assistant"
    return shlex.quote(started)


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
    show_answer(_assistant(store, k, llm), question, None, as_json)


@cli.command()
@store_option
@click.option("--k", type=click.IntRange(1, 100), help="Passages to retrieve per question.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per answer, one per line.")
@click.option("--llm", type=click.Choice(MODES), help="Answerer (default: settings llm.mode, auto).")
@friendly
def chat(store: str | None, k: int | None, as_json: bool, llm: str | None) -> None:
    """A conversation: each question may follow up on the answers before it ("Who did he appoint?").

    On a terminal, questions are read at a `>` prompt (Ctrl-D or an empty line ends it). Otherwise standard input
    is read line by line, one question per line, and each answer is printed as `assistant ask` prints it (with
    --json, one JSON object per line).
    """
    assistant = _assistant(store, k, llm)
    location = assistant.retriever().store.location  # a missing or empty store is an error before the first question
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(f"Asking the articles in {location}; follow-ups build on earlier answers. "
                   "An empty line or Ctrl-D ends.", err=True)
    history: list[tuple[str, str]] = []
    for question in _questions(interactive):
        if not interactive and not as_json:
            click.echo(f"> {question}")
        try:
            answer = show_answer(assistant, question, history, as_json)
        except (AnswererError, EmbeddingError) as exc:
            if not interactive:
                raise
            click.echo(f"\nError: {redact(str(exc))} (ask again, or an empty line ends)", err=True)
            continue  # on a terminal the conversation goes on: a model server may be back by the next question
        history = [*history, (question, answer.answer)][-MAX_TURNS:]
        if not as_json:
            click.echo()


def _questions(interactive: bool) -> Iterator[str]:
    """The questions of a chat: typed at a prompt on a terminal, else the non-blank lines of standard input."""
    if not interactive:
        for line in sys.stdin:
            if line.strip():
                yield line.strip()
        return
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            click.echo(err=True)
            return
        if not line.strip():
            return
        yield line.strip()


def _assistant(store: str | None, k: int | None, llm: str | None) -> Assistant:
    settings = _settings(store, k)
    if llm:
        settings.llm.mode = llm  # type: ignore[assignment]
    return Assistant(settings)


def show_answer(assistant: Assistant, question: str, history: History | None, as_json: bool) -> Answer:
    """Answer one question on stdout as `ask` and `chat` print it: streamed then sources, or one JSON line."""
    if as_json:
        answer = assistant.ask(question, history)
        click.echo(json.dumps(answer.public(), ensure_ascii=False))
        return answer
    streamed: list[str] = []
    stream = assistant.stream(question, history)
    for text in stream:
        streamed.append(text)
        click.echo(text, nl=False)
    final = stream.answer()
    click.echo()
    if final.answer != "".join(streamed).strip():  # markers renumbered or dropped by the citation check
        click.echo(f"\nChecked: {final.answer}")
    click.echo(format_sources(final))
    return final


def format_sources(answer: Answer) -> str:
    """What follows the answer text on a terminal: its sources, the question searched when a follow-up or
    shorthand was rewritten (not when only its case was), and which answerer answered."""
    lines = [""]
    searched = answer.search_query
    if searched and one_line(searched).lower() != one_line(answer.question).lower():
        lines.append(f"(searched as: {searched})")
    if answer.refused:
        if answer.refusal_reason:
            lines.append(f"({answer.refusal_reason})")
        lines.append(f"(refused; answerer: {answer.answerer})")
        return "\n".join(lines).rstrip()
    if answer.unsupported:
        lines.append("(unsupported: no citation in this answer could be checked against the articles)")
    if note := dropped_note(answer):
        lines.append(f"({note})")
    for group in by_number(answer.citations):
        c = group[0]
        meta = ", ".join(p for p in (c.source, c.published_at) if p)
        lines.append(f"[{c.n}] {c.title}" + (f" — {meta}" if meta else ""))
        if c.url:
            lines.append(f"    {c.url}")
        lines.extend(f'    "{q.quote}"' for q in group)
    lines.append(f"(answerer: {answer.answerer})")
    return "\n".join(lines)


@cli.command()
@click.argument("question", required=False)
@click.option(
    "--queries", type=click.File("r"),
    help='JSONL file of {"id", "question"} lines (without "id", the line number is the id), instead of QUESTION.',
)
@store_option
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--out", type=click.File("w"), default="-", help="Where to write results (default stdout).")
@friendly
def retrieve(question: str | None, queries: Any, store: str | None, k: int, out: Any) -> None:
    """The passages QUESTION retrieves, best first, as one JSON line {"question", "passages"} (the shape of
    POST /api/retrieve); no answer is written. With --queries, one such line per query, with its "id"."""
    if (question is None) == (queries is None):
        raise click.UsageError("give a QUESTION or --queries FILE (one of the two)")
    if question is not None and not question.strip():
        raise click.UsageError("the question is empty")
    assistant = Assistant(_settings(store))
    for qid, text in [(None, question)] if question is not None else _queries(queries):
        found = {"question": " ".join(text.split()), "passages": [p.model_dump() for p in assistant.retrieve(text, k)]}
        out.write(json.dumps(found if qid is None else {"id": qid, **found}, ensure_ascii=False) + "\n")


@cli.command()
@click.argument("question")
@store_option
@click.option("--k", type=click.IntRange(1, 100), default=5, show_default=True)
@friendly
def search(question: str, store: str | None, k: int) -> None:
    """The passages QUESTION retrieves, best first (by meaning and keywords together), to read: title, source,
    date, closeness in meaning to the question, and the passage's sentence that shares most words with the
    question; no answer is written (`retrieve` gives them as JSON)."""
    if not question.strip():
        raise click.UsageError("the question is empty")
    assistant = Assistant(_settings(store))
    passages = assistant.retrieve(question, k)
    if not passages:
        click.echo("No passage found.")
    for n, p in enumerate(passages, 1):
        dated = ", ".join(x for x in (p.source, p.published_at) if x)
        close = f" (meaning {p.relevance:.2f})" if p.relevance is not None else ""
        click.echo(f"{n}. {p.title}" + (f" — {dated}" if dated else "") + close)
        if p.url:
            click.echo(f"   {p.url}")
        sentence, index = matching_sentence(question, one_line(p.text))
        shown = ("… " if index else "") + sentence[:_SHOWN] + ("…" if len(sentence) > _SHOWN else "")
        click.echo(f"   {shown}")


_SHOWN = 300  # characters of a passage's sentence `search` shows


def _queries(file: Any) -> Iterator[tuple[Any, str]]:
    """(id, question) per non-blank line of a queries file; a line without "id" has its line number as id."""
    for lineno, line in enumerate(file, 1):
        if not line.strip():
            continue
        try:
            query = json.loads(line)
            question = query["question"]
            if not isinstance(question, str) or not question.strip():
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(
                f'{file.name} line {lineno}: expected a JSON object with a "question" (and an "id")'
            ) from None
        yield query.get("id", lineno), question


@cli.command("eval")
@click.argument("qa_file", metavar="QA.jsonl", type=click.Path(path_type=Path, dir_okay=False))
@store_option
@click.option(
    "--k", type=click.IntRange(1, 100), default=10, show_default=True,
    help="Passages retrieved per question for the retrieval figures (answers take retrieval.k).",
)
@click.option("--answers", is_flag=True, help="Also answer every question and score the answers and refusals.")
@click.option(
    "--json", "json_out", type=click.Path(path_type=Path, dir_okay=False), help="Write all results as JSON here."
)
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
        answer_k=assistant.settings.retrieval.k if answers else None,
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
    """Serve the chat page at /, the HTTP API under /api (docs at /api/docs) and the OpenAI-compatible chat API
    under /v1."""
    from assistant.frontends.web import check_exposure  # imports Gradio: only here
    from assistant.frontends.web import serve as run_server

    settings = _settings(store)
    settings.server.host = host or settings.server.host
    settings.server.port = port or settings.server.port
    check_exposure(settings)
    click.echo(f"chat page: http://{settings.server.host}:{settings.server.port}/  API docs: /api/docs", err=True)
    run_server(settings)


@cli.command()
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True,
    help="stdio for a client that starts this command; http for streamable HTTP at /mcp.",
)
@click.option("--host", help="HTTP bind address (default: settings server.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="HTTP port.")
@store_option
@friendly
def mcp(transport: Literal["stdio", "http"], host: str | None, port: int, store: str | None) -> None:
    """Serve the search_news and ask_news tools to MCP clients (Claude Desktop, IDEs, agents). Over HTTP,
    server.api_token (when set) is the bearer token, and a host off loopback needs it."""
    from assistant.frontends.mcp_server import serve_mcp

    settings = _settings(store)
    settings.server.host = host or settings.server.host
    if transport == "http":
        from assistant.frontends.web import check_exposure

        check_exposure(settings)
        click.echo(f"MCP endpoint: http://{settings.server.host}:{port}/mcp", err=True)
    serve_mcp(settings, transport, port)


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


if __name__ == "__main__":  # python -m assistant.frontends.cli
    main()
