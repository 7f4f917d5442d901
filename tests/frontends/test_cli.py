"""The `assistant` command: JSON schemas, reports and one-line errors (click's CliRunner, real store)."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Answer, Assistant
from assistant.frontends.cli import cli, format_sources
from newsdesk.types import Citation
from tests.fixtures.core import EXAMPLES, ROOT, SEED_QUESTION
from tests.fixtures.openai_api import RefusingOpenAI
from tests.fixtures.servers import BIN, free_port

MALI = "France Conducts Counter-Terrorism Operation in Mali, Kills 50"
CITATION_KEYS = {"n", "article_id", "chunk_id", "title", "source", "published_at", "url", "quote", "start", "end"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ask_json_schema(example_store: Path) -> None:
    code, out, _ = run("ask", SEED_QUESTION, "--store", str(example_store), "--json")
    assert code == 0
    data = json.loads(out)
    assert {"question", "answer", "refused", "citations"} <= set(data)
    assert data["question"] == SEED_QUESTION and data["refused"] is False
    assert all(set(c) >= CITATION_KEYS for c in data["citations"])
    assert any("Ba N’Daou" in c["quote"] for c in data["citations"])


def test_ask_prints_answer_and_sources(example_store: Path) -> None:
    code, out, _ = run("ask", SEED_QUESTION, "--store", str(example_store))
    assert code == 0
    assert "Ba N’Daou" in out
    assert f"[1] {MALI} — Reuters, 2020-11-04" in out


def test_a_refusal_says_why_in_plain_output_and_json(example_store: Path) -> None:
    question = "What did Bloomberg report about Lumen Robotics?"
    code, out, _ = run("ask", question, "--store", str(example_store))
    assert code == 0
    assert out.splitlines()[:3] == [
        "The articles in the corpus do not answer this question.",
        "",
        "(no article from Bloomberg in the corpus)",
    ]
    code, out, _ = run("ask", question, "--store", str(example_store), "--json")
    data = json.loads(out)
    assert (data["refused"], data["refusal_reason"]) == (True, "no article from Bloomberg in the corpus")
    code, out, _ = run("ask", SEED_QUESTION, "--store", str(example_store), "--json")
    assert json.loads(out)["refusal_reason"] is None


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("Why did the previous Lumen Robotics CEO step down?", "Lumen Robotics names interim chief executive"),
        ("What did the Saltmarsh Gazette report in April 2024?", "Coastal Rail Line Reopens After Storm Repairs"),
    ],
)
def test_questions_once_refused_for_a_title_or_a_month_are_answered(example_store: Path, question: str, title: str) -> None:
    code, out, _ = run("ask", question, "--store", str(example_store), "--json")
    data = json.loads(out)
    assert (code, data["refused"], data["refusal_reason"]) == (0, False, None)
    assert data["citations"][0]["title"] == title


PASSAGE_KEYS = {"chunk_id", "article_id", "title", "source", "published_at", "url", "text", "start", "end", "score", "relevance"}


def test_retrieve_jsonl(example_store: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "question": "flood barriers harbour"}\n{"id": "b", "question": "solar kiosks"}\n')
    code, out, _ = run("retrieve", "--queries", str(queries), "--store", str(example_store), "--k", "2")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["id"], line["question"]) for line in lines] == [("a", "flood barriers harbour"), ("b", "solar kiosks")]
    assert all(len(line["passages"]) == 2 for line in lines)
    assert set(lines[0]["passages"][0]) == PASSAGE_KEYS
    assert lines[0]["passages"][0]["title"] == "Harborview Council Passes Flood-Defence Budget"


def test_retrieve_takes_a_question_and_answers_in_the_api_shape(example_store: Path) -> None:
    code, out, _ = run("retrieve", "flood barriers", "--store", str(example_store), "--k", "3")
    assert code == 0
    (line,) = [json.loads(line) for line in out.splitlines()]
    assert set(line) == {"question", "passages"} and line["question"] == "flood barriers"
    assert len(line["passages"]) == 3 and set(line["passages"][0]) == PASSAGE_KEYS
    assert line["passages"][0]["title"] == "Harborview Council Passes Flood-Defence Budget"


def test_a_published_timestamp_is_one_date_shape_in_retrieve_and_ask(example_store: Path) -> None:
    question = "Coastal rail line reopens after storm repairs"  # published_at 2024-04-05T07:00:00Z in the file
    _, out, _ = run("retrieve", question, "--store", str(example_store), "--k", "1")
    (passage,) = json.loads(out)["passages"]
    assert (passage["title"], passage["published_at"]) == ("Coastal Rail Line Reopens After Storm Repairs", "2024-04-05")
    _, out, _ = run("ask", "When did the Saltmarsh coastal railway reopen?", "--store", str(example_store), "--json")
    dates = {c["published_at"] for c in json.loads(out)["citations"] if c["title"] == passage["title"]}
    assert dates == {"2024-04-05"}


def test_search_lists_the_passages_to_read(example_store: Path) -> None:
    code, out, _ = run("search", "flood barriers", "--store", str(example_store), "--k", "2")
    assert code == 0
    first, second = [line for line in out.splitlines() if line[:2] in ("1.", "2.")]
    assert first.startswith("1. Harborview Council Passes Flood-Defence Budget — ") and "(meaning 0." in first
    assert second.startswith("2. ")
    # under each passage, its sentence sharing most words with the question (not its opening)
    lines = out.splitlines()
    assert lines[lines.index(first) + 1] == (
        "   The town council of Harborview, a fictional coastal town used in this project's examples, voted 7 to 2 on"
        " Tuesday to spend 4.2 million crowns on new flood barriers along the harbour wall."
    )
    code, _, err = run("search", " ", "--store", str(example_store))
    assert code == 2 and "the question is empty" in err


def test_retrieve_numbers_queries_without_an_id(example_store: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"question": "solar kiosks"}\n\n{"question": "flood barriers", "id": "x"}\n')
    code, out, _ = run("retrieve", "--queries", str(queries), "--store", str(example_store), "--k", "1")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, "x"]


@pytest.mark.parametrize("args", [[], ["flood", "--queries", "q.jsonl"]])
def test_retrieve_needs_a_question_or_a_queries_file(args: list[str], example_store: Path, tmp_path: Path) -> None:
    (tmp_path / "q.jsonl").write_text('{"question": "solar kiosks"}\n')
    code, _, err = run("retrieve", *args, "--store", str(example_store))
    assert code == 2
    assert err.endswith("Error: give a QUESTION or --queries FILE (one of the two)\n")


def test_retrieve_bad_line_is_one_line_error(example_store: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"question": "fine"}\n{"id": 2, "text": "no question"}\n')
    code, _, err = run("retrieve", "--queries", str(queries), "--store", str(example_store))
    assert code == 1
    assert err == f'Error: {queries} line 2: expected a JSON object with a "question" (and an "id")\n'


def test_ingest_report_and_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    store = tmp_path / "s"
    code, out, err = run("ingest", str(EXAMPLES), str(bad), "--store", str(store), "-q")
    assert code == 1
    assert err == f"skipped {bad}: empty file\n"  # once: no log line besides it
    assert out.startswith("articles: 5 added, 0 updated, 0 unchanged, 0 duplicates, 1 skipped, 0 removed; files: 0 ignored; chunks: ")
    again = f"--store {store}"
    assert out.splitlines()[1:] == [
        f"store: {store}",
        f'next: assistant ask "a question" {again}, assistant chat {again} (follow-ups), assistant serve {again} (chat page)',
    ]


def test_ingest_reports_each_file_once_in_one_word(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "notes.csv").write_text("a,b\n")
    (folder / "program.bin").write_bytes(b"\x7fELF")
    (folder / "cafe.txt").write_bytes("Café owners protest\n\nThe café’s owner said “no”.".encode("cp1252"))
    (folder / "wire.jsonl").write_text('{"title": "Kiosks", "body": "Forty kiosks opened."}\n\n{"title": "B", "body": "cut\n')
    (folder / "empty.md").write_text(" \n")
    done = subprocess.run(  # a real process: its log lines would go to stderr too
        [str(BIN / "assistant"), "ingest", str(folder), "--store", str(tmp_path / "s")],
        check=False, capture_output=True, text=True, timeout=300,
    )
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 1
    assert err.splitlines() == [
        f"skipped {folder / 'empty.md'}: empty file",
        f"skipped {folder / 'wire.jsonl'} line 3: invalid JSON (Unterminated string starting at column 24)",
        f"ignored {folder / 'notes.csv'}: not an article file type (.csv)",
        f"ignored {folder / 'program.bin'}: not an article file type (.bin)",
        f"read {folder / 'cafe.txt'} as Windows-1252 (not UTF-8)",
    ]
    assert out.startswith("articles: 2 added, 0 updated, 0 unchanged, 0 duplicates, 2 skipped, 0 removed; files: 2 ignored; ")


@pytest.mark.parametrize("on_path", [False, True])
def test_ingest_ends_with_the_store_and_the_next_commands(on_path: bool, tmp_path: Path) -> None:
    env = dict(os.environ)
    path_dirs = [d for d in env.get("PATH", "").split(os.pathsep) if d and Path(d).resolve() != BIN.resolve()]
    env["PATH"] = os.pathsep.join([str(BIN), *path_dirs] if on_path else path_dirs)
    command = "assistant" if on_path else os.path.relpath(BIN / "assistant", tmp_path)  # as `make demo` runs it
    done = subprocess.run(
        [command, "ingest", str(EXAMPLES / "mali-takuba-2020-11-04.txt"), "-q"],
        cwd=tmp_path, env=env, check=False, capture_output=True, text=True, timeout=300,
    )
    assert (done.returncode, done.stderr) == (0, "")
    store = tmp_path / "data" / "news-assistant" / "store"  # the default store, under the test's XDG_DATA_HOME
    assert done.stdout.splitlines()[1:] == [
        f"store: {store}",
        f'next: {command} ask "a question", {command} chat (follow-ups), {command} serve (chat page)',
    ]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_ends_with_the_store_and_the_next_commands(tmp_path: Path) -> None:
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "demo-next", f"BIN={BIN}"], check=False, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "",
        f"The example corpus is in the store at {tmp_path / 'data' / 'news-assistant' / 'store'}",
        f"Next: {BIN}/assistant chat          (questions with follow-ups)",
        f'      {BIN}/assistant ask "QUESTION"',
        f"      {BIN}/assistant serve         (the chat page)",
        f"      {BIN}/assistant ingest FOLDER (your own articles; --help for more)",
    ]


def test_missing_store_is_one_line(tmp_path: Path) -> None:
    code, _, err = run("ask", "anything", "--store", str(tmp_path / "nope"))
    assert code == 1
    assert err == f"Error: no store at {tmp_path / 'nope'}: run `assistant ingest PATH --store {tmp_path / 'nope'}` first\n"


def test_an_empty_store_option_is_an_error_not_the_default_store(tmp_path: Path) -> None:
    for command in (["ask", SEED_QUESTION], ["stats"], ["ingest", str(EXAMPLES), "-q"], ["chat"]):
        code, _, err = run(*command, "--store", "")
        assert code == 2
        assert err.endswith("Error: Invalid value for '--store': the store path is empty (leave --store out for the default store)\n")
    assert not (tmp_path / "data").exists()  # the default store (under XDG_DATA_HOME) was not made


def test_an_empty_store_path_setting_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_STORE__PATH", " ")
    code, _, err = run("stats")
    assert (code, err) == (1, "Error: bad configuration: store.path: empty (leave it unset for the default store)\n")
    monkeypatch.delenv("ASSISTANT_STORE__PATH")
    with pytest.raises(ValueError, match="the store path is empty"):
        Assistant(store="")


def test_ingesting_a_missing_path_creates_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = run("ingest", str(EXAMPLES), str(tmp_path / "nope.txt"), "--store", str(store), "-q")
    assert (code, out) == (1, "")
    assert err == f"Error: nothing ingested: no such file or directory: {tmp_path / 'nope.txt'}\n"
    assert not store.exists()


def test_a_store_without_articles_is_an_error_with_the_next_step(tmp_path: Path) -> None:
    store, empty = tmp_path / "store", tmp_path / "empty.txt"
    empty.write_text("")
    code, out, _ = run("ingest", str(empty), "--store", str(store), "-q")  # made the store, put nothing in it
    assert code == 1
    assert out.splitlines()[-1] == (  # no "ask" hint that would only fail
        f"next: the store holds no articles yet; assistant ingest PATH --store {store} with a readable article file"
    )
    expected = f"Error: the store at {store} holds no articles; ingest some first: assistant ingest PATH --store {store}\n"
    for command in (["ask", SEED_QUESTION], ["ask", SEED_QUESTION, "--json"], ["retrieve", "flood barriers"], ["chat"]):
        code, out, err = run(*command, "--store", str(store))
        assert (code, out, err) == (1, "", expected)


def test_bad_configuration_is_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__K", "many")
    code, _, err = run("stats", "--store", str(tmp_path))
    assert code == 1
    assert err == "Error: bad configuration: retrieval.k: Input should be a valid integer, unable to parse string as an integer\n"


def test_malformed_settings_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "assistant.toml").write_text("[store\npath = 1\n")
    code, _, err = run("stats")
    assert code == 1
    assert err.startswith("Error: bad configuration: ") and err.count("\n") == 1


def test_empty_question_is_a_usage_error(example_store: Path) -> None:
    code, _, err = run("ask", "  ", "--store", str(example_store))
    assert code == 2
    assert err.endswith("Error: the question is empty\n")


def test_ingest_with_a_rejected_embedding_key_is_one_line(
    refusing_openai: RefusingOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-ingest-canary-0123456789abcdef"
    url = refusing_openai.url(401)
    monkeypatch.setenv("ASSISTANT_EMBEDDING__KIND", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    result = CliRunner().invoke(cli, ["ingest", str(EXAMPLES), "--store", str(tmp_path / "store"), "-q"])
    assert isinstance(result.exception, SystemExit)  # a handled failure, not an exception escaping the command
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: the embedding server at {url} rejected the API key (HTTP 401)\n"
    assert key in refusing_openai.keys  # the key was sent, quoted back by the server, and never shown


def test_a_keyless_embedding_server_is_enough_and_gets_text(
    refusing_openai: RefusingOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING__KIND", "openai")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__OPENAI_MODEL", "keyless-test-embedder")  # its vectors cached apart
    monkeypatch.setenv("ASSISTANT_EMBEDDING__CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", refusing_openai.embeddings_url())
    result = CliRunner().invoke(cli, ["ingest", str(EXAMPLES), "--store", str(tmp_path / "store"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("articles: 5 added,")
    assert refusing_openai.embedded and all(isinstance(t, str) for t in refusing_openai.embedded)
    assert any("Ba N’Daou" in t for t in refusing_openai.embedded)


def test_the_terminal_says_when_citations_were_removed() -> None:
    answer = Answer(question="q", answer="It was Ba N’Daou.", unsupported=True, dropped_markers=2, answerer="openai")
    assert format_sources(answer).splitlines() == [
        "",
        "(unsupported: no citation in this answer could be checked against the articles)",
        "(2 citations were removed: the passages they pointed to do not support those sentences.)",
        "(answerer: openai)",
    ]


def test_the_terminal_shows_an_article_once_with_each_of_its_quotes() -> None:
    first = Citation(n=1, article_id="a", chunk_id="a:0", title=MALI, source="Reuters", published_at="2020-11-04",
                     url="https://example.org/mali", quote="Ba N’Daou leads it.", start=0, end=19)
    second = first.model_copy(update={"quote": "He appointed Ouane.", "start": 20, "end": 39})
    other = Citation(n=2, article_id="b", chunk_id="b:0", title="Other", quote="Another view.", start=0, end=13)
    answer = Answer(question="q", answer="Ba N’Daou leads it. [1] Another view. [2] He appointed Ouane. [1]",
                    citations=[first, other, second])
    assert format_sources(answer).splitlines() == [
        "",
        f"[1] {MALI} — Reuters, 2020-11-04",
        "    https://example.org/mali",
        '    "Ba N’Daou leads it."',
        '    "He appointed Ouane."',
        "[2] Other",
        '    "Another view."',
        "(answerer: extractive)",
    ]


# ---- chat: a conversation, read line by line from a pipe ---------------------------------------------------------

FOLLOW_UP = "Who did he appoint as prime minister?"


def chat(store: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """`assistant chat` as a real process, its standard input a pipe of `lines`."""
    return subprocess.run(
        [str(BIN / "assistant"), "chat", "--store", str(store), *args],
        input="".join(f"{line}\n" for line in lines), check=False, capture_output=True, text=True, timeout=300,
    )


def test_chat_answers_a_follow_up_from_the_history_as_json_lines(example_store: Path) -> None:
    done = chat(example_store, [SEED_QUESTION, "", FOLLOW_UP], "--json")
    assert (done.returncode, done.stderr) == (0, "")
    first, follow = [json.loads(line) for line in done.stdout.splitlines()]
    assert first["question"] == SEED_QUESTION and any("Ba N’Daou" in c["quote"] for c in first["citations"])
    assert follow["question"] == FOLLOW_UP
    assert follow["search_query"] == "Who did Colonel Major Ba N’Daou appoint as prime minister?"
    assert any("Moctar Ouane" in c["quote"] for c in follow["citations"])


def test_chat_prints_each_answer_with_its_sources(example_store: Path) -> None:
    done = chat(example_store, [SEED_QUESTION, FOLLOW_UP])
    assert (done.returncode, done.stderr) == (0, "")
    first, follow = done.stdout.split(f"> {FOLLOW_UP}\n")
    assert first.startswith(f"> {SEED_QUESTION}\n") and "Ba N’Daou" in first
    assert f"[1] {MALI} — Reuters, 2020-11-04" in first and "(answerer: extractive)" in first
    assert "Moctar Ouane" in follow and f"{MALI} — Reuters, 2020-11-04" in follow
    assert "(searched as: Who did Colonel Major Ba N’Daou appoint as prime minister?)" in follow  # the rewrite shown
    assert "(searched as:" not in first  # a question searched as typed says nothing of it
    assert follow.rstrip().endswith("(answerer: extractive)")


class Terminal:
    """`assistant ARGS` on a pseudo-terminal: what it shows is read up to a marker, what is typed is written."""

    def __init__(self, *args: str) -> None:
        self.leader, follower = pty.openpty()
        self.proc = subprocess.Popen(
            [str(BIN / "assistant"), *args], stdin=follower, stdout=follower, stderr=follower, close_fds=True
        )
        os.close(follower)
        self.seen = b""

    def read_until(self, marker: bytes, limit: float = 300) -> str:
        """What the terminal shows up to `marker` (which must come within `limit` seconds)."""
        deadline = time.monotonic() + limit
        while marker not in self.seen:
            ready, _, _ = select.select([self.leader], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"waited for {marker!r}; the terminal shows {self.seen!r}"
            self.seen += os.read(self.leader, 65536)
        shown, self.seen = self.seen.split(marker, 1)
        return shown.decode().replace("\r\n", "\n")

    def type(self, line: str) -> None:
        os.write(self.leader, f"{line}\n".encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=60)
        os.close(self.leader)


def test_chat_on_a_terminal_prompts_and_keeps_the_conversation(example_store: Path) -> None:
    terminal = Terminal("chat", "--store", str(example_store))
    read_until, proc = terminal.read_until, terminal.proc
    try:
        greeting = read_until(b"> ")
        assert greeting == f"Asking the articles in {example_store}; follow-ups build on earlier answers. An empty line or Ctrl-D ends.\n"
        terminal.type(SEED_QUESTION)
        first = read_until(b"(answerer: extractive)\r\n\r\n> ")
        assert first.startswith(f"{SEED_QUESTION}\n") and "Ba N’Daou" in first and f"{MALI} — Reuters, 2020-11-04" in first
        terminal.type(FOLLOW_UP)
        follow = read_until(b"(answerer: extractive)\r\n\r\n> ")
        assert "Moctar Ouane" in follow
        terminal.type("")  # an empty line ends the conversation
        assert proc.wait(timeout=60) == 0
    finally:
        terminal.close()


def test_chat_on_a_terminal_goes_on_after_a_failed_answer(example_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # no model server there
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("ASSISTANT_LLM__MAX_RETRIES", "0")
    terminal = Terminal("chat", "--llm", "openai", "--store", str(example_store))
    try:
        terminal.read_until(b"> ")
        for _ in range(2):
            terminal.type(SEED_QUESTION)
            shown = terminal.read_until(b"> ")
            assert shown == f"{SEED_QUESTION}\n\nError: cannot reach the model server at {url} (ask again, or an empty line ends)\n"
        terminal.type("")
        assert terminal.proc.wait(timeout=60) == 0
    finally:
        terminal.close()


def test_chat_from_a_pipe_stops_at_a_failed_answer(example_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("ASSISTANT_LLM__MAX_RETRIES", "0")
    done = chat(example_store, [SEED_QUESTION, FOLLOW_UP], "--llm", "openai", "--json")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"Error: cannot reach the model server at {url}\n")

