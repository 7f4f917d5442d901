"""`assistant serve`: refuses to be exposed without a token, and keeps Gradio off the other commands' import path."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from assistant.frontends.cli import cli
from assistant.frontends.web import is_loopback


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("news.example.org", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serving_off_loopback_without_a_token_is_refused() -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: serving on 0.0.0.0 (not loopback) needs server.api_token: set ASSISTANT_SERVER__API_TOKEN\n"
    )


def test_the_cli_does_not_import_gradio_for_other_commands() -> None:
    code = "import sys, assistant.frontends.cli; print('gradio' in sys.modules, 'fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
