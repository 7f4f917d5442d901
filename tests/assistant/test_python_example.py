"""examples/python_api.py, run as a user would: a fresh process, from a directory other than the repository's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fixtures.core import ROOT


def test_the_python_example_runs_from_any_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # the isolated environment's settings and caches, a working directory of its own
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python_api.py")], cwd=elsewhere, check=False, capture_output=True,
        text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("articles: 5 added, 0 updated, 0 unchanged, ")
    assert "Who did Colonel Major Ba N’Daou appoint as prime minister? -> " in lines[-1]
    assert "Moctar Ouane" in lines[-1]
