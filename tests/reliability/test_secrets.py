"""Secrets (API keys, Slack tokens and signing secret, the server's API token) never appear in logs, error messages,
`assistant stats`, the page or API responses: recognisable fake secrets are configured, the CLI, the API, the page
and Slack are exercised with DEBUG logging, and everything captured is searched for them. An OpenAI-compatible
stand-in that echoes the key it was sent (as some proxies do) makes sure a secret really is in play."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant import Assistant
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings
from tests.fixtures.openai_api import RefusingOpenAI
from tests.fixtures.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    SlackApiStandIn,
    event_callback,
    mention,
    signed_headers,
)
from tests.fixtures.web_process import clean_env, serve_process

ASSISTANT = str(Path(sys.executable).parent / "assistant")
OPENAI_KEY = "sk-canary-openai-5f3a9c1e7b2d4608"
API_TOKEN = "canary-api-token-8e61b0d4c2a7"
SECRETS = {
    "OPENAI_API_KEY": OPENAI_KEY,
    "ASSISTANT_SERVER__API_TOKEN": API_TOKEN,
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "SLACK_APP_TOKEN": APP_TOKEN,
}
CHANNEL = "C0SECRETS"


def leaks(text: str) -> list[str]:
    """The names of the secrets found in `text`."""
    return [name for name, value in SECRETS.items() if value in text]


def test_log_records_tracebacks_and_error_messages_mask_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant.frontends.http_api import failure_message
    from assistant.redact import RedactingFilter, redact
    from ingest.store import StoreError

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    Assistant(make_settings(tmp_path / "store", cache_dir))  # registers the settings' secrets
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())  # as the entry points do on their handlers
    try:
        raise RuntimeError(f"upstream refused key {OPENAI_KEY}")
    except RuntimeError as exc:
        logging.getLogger("tests.secrets").error("calling with %s and %s failed", BOT_TOKEN, APP_TOKEN, exc_info=exc)
        message = failure_message(exc)
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert leaks(text) == [] and "calling with *** and *** failed" in text and "upstream refused key ***" in text
    assert failure_message(StoreError(f"server said {API_TOKEN}")) == "server said ***"
    assert leaks(message + redact(f"{SIGNING_SECRET}!")) == []


def test_a_crash_traceback_masks_secrets_once_redaction_is_installed(tmp_path: Path, cache_dir: Path) -> None:
    """What the entry points do (and a program using the Python API can do): `install_redaction()`."""
    code = (
        "from assistant import Assistant, load_settings\n"
        "from assistant.redact import install_redaction\n"
        "install_redaction()\n"
        f"settings = load_settings(); settings.store.path = __import__('pathlib').Path({str(tmp_path / 's')!r})\n"
        "Assistant(settings)\n"
        f"raise RuntimeError('upstream refused key {OPENAI_KEY}')\n"
    )
    env = {**clean_env(tmp_path, cache_dir), **SECRETS}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith("RuntimeError: upstream refused key ***")
    assert leaks(result.stdout + result.stderr) == []


def test_the_cli_never_shows_a_secret(tmp_path: Path, cache_dir: Path, refusing_openai: RefusingOpenAI) -> None:
    base_url, server = refusing_openai.url(401), refusing_openai
    env = {**clean_env(tmp_path, cache_dir), **SECRETS, "OPENAI_BASE_URL": base_url}
    store = str(tmp_path / "store")

    def assistant(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ASSISTANT, "-vv", *args], env={**env, **extra}, capture_output=True, text=True, cwd=tmp_path)

    runs = [
        assistant("ingest", str(EXAMPLES), "--store", store, "-q"),
        assistant("stats", "--store", store),
        assistant("ask", SEED_QUESTION, "--store", store, "--json"),
        assistant("ask", SEED_QUESTION, "--store", str(tmp_path / "missing")),
        assistant("stats", ASSISTANT_STORE__HOST="127.0.0.1", ASSISTANT_STORE__PORT="9"),
        # The model server, then the embedding server, refuse the key, quoting it back:
        assistant("ask", SEED_QUESTION, "--store", store, ASSISTANT_LLM__MODE="openai"),
        assistant("ingest", str(EXAMPLES), "--store", str(tmp_path / "openai-store"), "-q", ASSISTANT_EMBEDDING__KIND="openai"),
    ]
    assert [r.returncode for r in runs] == [0, 0, 0, 1, 1, 1, 1]
    assert json.loads(runs[1].stdout)["articles"] == 5
    assert OPENAI_KEY in server.keys  # the key was really sent, and really echoed back
    rejected = f"server at {base_url} rejected the API key (HTTP 401)"
    for run, what in zip(runs[-2:], ("model", "embedding")):  # one line among the -vv debug log, no traceback
        assert f"Error: the {what} {rejected}" in run.stderr.splitlines() and "Traceback" not in run.stderr
    assert [(i, leaks(r.stdout + r.stderr)) for i, r in enumerate(runs) if leaks(r.stdout + r.stderr)] == []


@pytest.fixture(scope="module")
def secret_server(
    example_store: Path,
    cache_dir: Path,
    slack_api_server: SlackApiStandIn,
    refusing_openai: RefusingOpenAI,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """`assistant -vv serve` with every secret configured: API token, OpenAI key (the echoing server), Slack."""
    work = tmp_path_factory.mktemp("secret-server")
    env = {
        **clean_env(work, cache_dir),
        **SECRETS,
        "OPENAI_BASE_URL": refusing_openai.url(401),
        "ASSISTANT_SLACK__API_BASE_URL": slack_api_server.base_url,
        "ASSISTANT_SLACK__FEEDBACK_DB": str(work / "feedback.sqlite"),
    }
    with serve_process(work, env, "-vv", "--store", str(example_store)) as server:
        yield server


def test_the_server_never_shows_a_secret(secret_server: Any, slack_api: SlackApiStandIn) -> None:
    base = secret_server.base
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    seen: list[httpx.Response] = []
    with httpx.Client(base_url=base, timeout=120) as client:

        def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = client.request(method, path, **kwargs)
            seen.append(response)
            return response

        assert call("GET", "/healthz").json() == {"status": "ok"}  # no store path or problem text without the token
        assert call("GET", "/healthz", headers=auth).json()["chunks"] > 0
        for path in ("/api/openapi.json", "/api/docs"):  # the API docs: the token, as bearer or as a password
            locked = call("GET", path)
            assert (locked.status_code, locked.headers["www-authenticate"]) == (401, 'Basic realm="news-assistant API docs"')
            assert call("GET", path, headers=auth).status_code == 200
            assert call("GET", path, auth=("anyone", API_TOKEN)).status_code == 200
            assert call("GET", path, auth=("anyone", "wrong")).status_code == 401
        assert call("POST", "/api/ask", json={"question": SEED_QUESTION}).status_code == 401
        assert call("POST", "/api/ask", json={"question": SEED_QUESTION}, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert call("POST", "/api/ask", json={"question": SEED_QUESTION}, headers=auth).status_code == 200
        call("POST", "/api/ask", json={"question": SEED_QUESTION, "llm": "openai"}, headers=auth)
        call("POST", "/api/ask/stream", json={"question": SEED_QUESTION, "llm": "openai"}, headers=auth)
        assert call("POST", "/api/retrieve", json={"question": SEED_QUESTION}, headers=auth).status_code == 200
        call("POST", "/api/ask", json={"question": SEED_QUESTION, "k": "many"}, headers=auth)
        for path in ("/api/openapi.json", "/api/docs", "/", "/config"):
            call("GET", path)
        assert call("POST", "/login", data={"username": "analyst", "password": "wrong"}).status_code >= 400
        assert call("POST", "/login", data={"username": "analyst", "password": API_TOKEN}).status_code == 200
        assert call("GET", "/config").status_code == 200  # the page's configuration, now logged in

        question = slack_api.user_message(CHANNEL, f"<@{BOT_USER_ID}> {SEED_QUESTION}")
        body = json.dumps(event_callback(mention(question, CHANNEL)))
        assert call("POST", "/slack/events", content=body, headers=signed_headers(body)).status_code == 200
        answer = slack_api.wait_for_answer(CHANNEL, question)
        forged = signed_headers(body, secret="not-the-signing-secret")
        assert call("POST", "/slack/events", content=body, headers=forged).status_code == 401

    assert "Ba N’Daou" in json.dumps(answer, ensure_ascii=False)
    responses = [(r.request.url.path, r.status_code, leaks(r.text + json.dumps(dict(r.headers)))) for r in seen]
    assert [r for r in responses if r[2]] == []
    posted = json.dumps([c.params for c in slack_api.calls], ensure_ascii=False)  # what the bot sent Slack
    assert leaks(posted) == []
    log = secret_server.log.read_text(encoding="utf-8", errors="replace")
    assert "DEBUG" in log
    assert leaks(log) == []


@pytest.mark.parametrize(
    ("toml", "env", "host"),
    [
        ('[server]\nhost = "0.0.0.0"\n', {}, "0.0.0.0"),
        ("", {"ASSISTANT_SERVER__HOST": "::", "ASSISTANT_SERVER__API_TOKEN": ""}, "::"),
        ('[server]\nhost = "192.168.1.5"\napi_token = ""\n', {}, "192.168.1.5"),
    ],
)
def test_serve_off_loopback_refuses_to_start_without_a_token(
    toml: str, env: dict[str, str], host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from assistant.frontends.cli import cli
    from assistant.frontends.web import check_exposure
    from newsdesk.settings import load_settings

    Path("assistant.toml").write_text(toml)  # the working directory is the test's own
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--port", "9"])
    assert (result.exit_code, result.stderr) == (
        1, f"Error: serving on {host} (not loopback) needs server.api_token: set ASSISTANT_SERVER__API_TOKEN\n"
    )
    monkeypatch.setenv("ASSISTANT_SERVER__API_TOKEN", API_TOKEN)
    check_exposure(load_settings())  # with a token the same address is allowed
