"""A crash of the local model costs the question it was answering: `assistant serve` stays up, says so in one line,
and answers the next question with a new model process."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.fixtures.core import SEED_QUESTION
from tests.fixtures.web_process import clean_env, serve_process
from tests.fixtures.web_server import iter_sse_events

pytestmark = pytest.mark.slow


def test_a_model_killed_mid_answer_costs_only_that_question(
    tmp_path: Path, example_store: Path, cache_dir: Path, gguf_model: Path
) -> None:
    env = clean_env(
        tmp_path, cache_dir, ASSISTANT_LLM__MODE="local", ASSISTANT_LLM__LOCAL_MODEL=str(gguf_model)
    )
    with serve_process(tmp_path / "serve", env, "--store", str(example_store), ready=("ok",)) as server:
        before = httpx.get(f"{server.base}/healthz").json()["local_model"]
        assert before["state"] == "running" and before["restarts"] == 0 and before["start_seconds"] > 0
        pid = before["pid"]

        os.kill(pid, signal.SIGSTOP)  # the model is busy: the question waits on it
        try:
            with httpx.stream(
                "POST", f"{server.base}/api/ask/stream", json={"question": SEED_QUESTION}, timeout=120
            ) as reply:
                events = iter_sse_events(reply)
                assert next(events) == ("delta", {"text": "According to ["})
                os.kill(pid, signal.SIGSEGV)  # delivered as it resumes: a segfault mid-answer
                os.kill(pid, signal.SIGCONT)
                rest = list(events)
        finally:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
        log = cache_dir / "logs" / "local-model.log"
        assert rest == [
            (
                "error",
                {
                    "error": "the local model stopped: killed by signal SIGSEGV; it starts again for the next question "
                    f"(log: {log})"
                },
            )
        ]

        answer = httpx.post(f"{server.base}/api/ask", json={"question": SEED_QUESTION}, timeout=120).json()
        assert answer["answerer"] == "local" and "Ba N’Daou" in answer["answer"]
        after = httpx.get(f"{server.base}/healthz").json()
        assert after["status"] == "ok"
        assert after["local_model"]["state"] == "running" and after["local_model"]["pid"] != pid
        assert after["local_model"]["restarts"] == 1
        assert after["local_model"]["last_exit"] == "killed by signal SIGSEGV"
