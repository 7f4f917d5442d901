"""Bad configuration: the CLI says what is wrong in one line and exits non-zero; `serve` stays up and reports the
problem on /healthz (and as 503 on the API), and recovers once the problem is fixed, without a restart."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.frontends.cli import cli
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings
from tests.fixtures.servers import BIN, free_port, port_open, stop, wait_until
from tests.fixtures.web_process import clean_env, serve_process
from tests.fixtures.web_server import serve_in_thread

BA_NDAOU = "Colonel Major Ba N’Daou as Mali’s interim president"


def run(*args: str) -> tuple[int, str]:
    """Exit code and stderr of `assistant ARGS`, after checking nothing went to stdout."""
    result = CliRunner().invoke(cli, list(args))
    assert result.stdout == "", result.stdout
    return result.exit_code, result.stderr


def unreachable(port: int) -> str:
    return f"cannot reach the Chroma server at 127.0.0.1:{port}: is `chroma run` serving there?"


# ---- the CLI: one line, exit 1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["ask", SEED_QUESTION], ["stats"], ["ingest", str(EXAMPLES), "-q"]])
def test_an_unreachable_chroma_server(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("ASSISTANT_STORE__HOST", "127.0.0.1")
    monkeypatch.setenv("ASSISTANT_STORE__PORT", str(port))
    assert run(*command) == (1, f"Error: {unreachable(port)}\n")


def test_a_folder_that_is_not_a_store_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "note.txt").write_text("not a store")
    for command in (["ask", SEED_QUESTION], ["stats"]):
        assert run(*command, "--store", str(folder)) == (
            1, f"Error: no store at {folder}: run `assistant ingest PATH --store {folder}` first\n"
        )
    assert [p.name for p in folder.iterdir()] == ["note.txt"]  # no Chroma files left behind


def test_a_store_path_that_is_a_file(tmp_path: Path) -> None:
    file = tmp_path / "store.txt"
    file.write_text("x")
    for command in (["ask", SEED_QUESTION], ["ingest", str(EXAMPLES), "-q"]):
        assert run(*command, "--store", str(file)) == (1, f"Error: store path {file} is a file, not a directory\n")


def test_the_wrong_embedding_model_for_an_existing_store(store_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING__MAX_LENGTH", "128")
    expected = (
        f"Error: the store at {store_copy} was built with embedding model 'all-MiniLM-L6-v2-int8', but the settings "
        "select 'all-MiniLM-L6-v2-int8-max128': use the same embedding settings or a new store\n"
    )
    for command in (["ask", SEED_QUESTION], ["ingest", str(EXAMPLES), "-q"], ["stats"]):
        assert run(*command, "--store", str(store_copy)) == (1, expected)


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ("[store\npath = 1\n", "assistant.toml: Expected ']' at the end of a table declaration (at line 1, column 7)"),
        ("[retrieval]\nk = 0\n", "retrieval.k: Input should be greater than or equal to 1"),
        ('[llm]\nmode = "gpt"\n', "llm.mode: Input should be 'auto', 'openai', 'local' or 'extractive'"),
        ("[ingest]\nchunk_tokens = 64\nchunk_overlap = 64\n", "ingest: ingest.chunk_overlap must be smaller than ingest.chunk_tokens"),
        ('[embedding]\nkind = "openai"\n', "embedding.kind 'openai' needs an API key or a server URL: set OPENAI_API_KEY or OPENAI_BASE_URL"),
    ],
)
def test_a_malformed_settings_file(toml: str, error: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_LLM__MODE", raising=False)  # the environment would override the file
    Path("assistant.toml").write_text(toml)  # the working directory is the test's own
    assert run("stats") == (1, f"Error: bad configuration: {error}\n")


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ("[retrival]\nk = 3\n", "unknown setting [retrival] in assistant.toml (did you mean [retrieval]?)"),
        ('[retrieval]\nmodee = "dense"\n', "unknown setting retrieval.modee in assistant.toml (did you mean retrieval.mode?)"),
        ("k = 3\n", "unknown setting k in assistant.toml (settings go in a section: did you mean k under [retrieval]?)"),
        (
            "[retrieval]\nkk = 3\nk = 3\n[colour]\nred = 1\n",
            (
                "unknown setting retrieval.kk in assistant.toml (did you mean retrieval.k?); unknown setting [colour] in "
                "assistant.toml"
            ),
        ),
    ],
)
def test_an_unknown_setting_in_the_file_is_named(toml: str, error: str) -> None:
    Path("assistant.toml").write_text(toml)
    assert run("stats") == (1, f"Error: {error}\n")


@pytest.mark.parametrize(
    ("variable", "error"),
    [
        ("ASSISTANT_RETRIEVAL__KK", "unknown setting ASSISTANT_RETRIEVAL__KK (did you mean retrieval.k?)"),
        ("ASSISTANT_RETRIVAL__K", "unknown setting ASSISTANT_RETRIVAL__K (did you mean retrieval.k?)"),
        ("ASSISTANT_STORE__PATH__X", "unknown setting ASSISTANT_STORE__PATH__X (did you mean store.path?)"),
        ("ASSISTANT_VERBOSE", "unknown setting ASSISTANT_VERBOSE"),
    ],
)
def test_an_unknown_setting_in_the_environment_is_named(
    variable: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "3")
    for command in (["stats"], ["ask", SEED_QUESTION], ["ingest", str(EXAMPLES), "-q"]):
        assert run(*command) == (1, f"Error: {error}\n")


def test_an_unknown_setting_in_dot_env_is_named() -> None:
    Path(".env").write_text("OPENAI_BASE_URL=http://127.0.0.1:9/v1\nASSISTANT_LLM__MOD=extractive\n")
    assert run("stats") == (1, "Error: unknown setting ASSISTANT_LLM__MOD in .env (did you mean llm.mode?)\n")


def test_a_settings_file_that_is_not_there(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "missing.toml"))
    assert run("stats") == (1, f"Error: settings file not found: {tmp_path / 'missing.toml'}\n")


# ---- serve: reports on /healthz, answers 503, recovers -----------------------------------------------------------


def health(base: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/healthz", timeout=30)
    assert response.status_code == 200
    return response.json()


def ask(base: str) -> httpx.Response:
    return httpx.post(f"{base}/api/ask", json={"question": SEED_QUESTION}, timeout=120)


def assert_degraded(base: str, problem: str) -> None:
    report = health(base)
    assert (report["status"], report["problem"]) == ("degraded", problem)
    response = ask(base)
    assert (response.status_code, response.json()) == (503, {"error": problem})


def assert_answers(base: str) -> None:
    assert health(base)["status"] == "ok"
    response = ask(base)
    assert response.status_code == 200 and BA_NDAOU in response.text


def test_serve_reports_a_missing_store_then_answers_once_it_is_ingested(tmp_path: Path, cache_dir: Path) -> None:
    from assistant.frontends.web import create_app

    store = tmp_path / "store"
    settings = make_settings(store, cache_dir)
    with serve_in_thread(create_app(settings)) as base:
        assert_degraded(base, f"no store at {store}: run `assistant ingest PATH --store {store}` first")
        assert Assistant(make_settings(store, cache_dir)).ingest([EXAMPLES]).failed == 0
        assert_answers(base)


def test_serve_reports_the_wrong_embedding_model(store_copy: Path, cache_dir: Path) -> None:
    from assistant.frontends.web import create_app

    settings = make_settings(store_copy, cache_dir)
    settings.embedding.max_length = 128
    with serve_in_thread(create_app(settings)) as base:
        assert_degraded(
            base,
            f"the store at {store_copy} was built with embedding model 'all-MiniLM-L6-v2-int8', but the settings "
            "select 'all-MiniLM-L6-v2-int8-max128': use the same embedding settings or a new store",
        )


@contextmanager
def chroma_run(path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`chroma run` on 127.0.0.1:port over `path`, until the block ends."""
    with open(path.parent / f"chroma-{port}.log", "ab") as log:
        proc = subprocess.Popen(
            [str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(port_open(port), proc, "chroma run")
        yield proc
    finally:
        stop(proc)


def test_serve_reports_an_unreachable_chroma_server_and_recovers(tmp_path: Path, cache_dir: Path) -> None:
    port = free_port()
    env = clean_env(tmp_path, cache_dir, ASSISTANT_STORE__HOST="127.0.0.1", ASSISTANT_STORE__PORT=str(port))
    with serve_process(tmp_path / "serve", env) as server:
        assert_degraded(server.base, unreachable(port))  # not running when `serve` started
        with chroma_run(tmp_path / "chroma", port):
            subprocess.run([str(BIN / "assistant"), "ingest", str(EXAMPLES), "-q"], env=env, check=True, capture_output=True)
            assert_answers(server.base)
        assert_degraded(server.base, unreachable(port))  # went away while `serve` was using it
        with chroma_run(tmp_path / "chroma", port):
            assert_answers(server.base)  # came back
        assert server.proc.poll() is None
