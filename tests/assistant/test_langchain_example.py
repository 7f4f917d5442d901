"""examples/langchain_chain.py, run as a user would: a fresh process, from a directory other than the repository's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.fixtures.core import ROOT


def test_the_langchain_example_runs_from_any_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # the isolated environment's settings and caches, a working directory of its own
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "langchain_chain.py")], cwd=elsewhere, check=False,
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("articles: 5 added, 0 updated, 0 unchanged, ")
    assert lines[1].startswith("Reuters 2020-11-04 ")
    assert any(re.fullmatch(r"own chain: .*interim government.* \[[123]\]", line) for line in lines)  # cites a passage
    assert any(re.match(r"\[\d\] France Conducts Counter-Terrorism Operation in Mali, Kills 50 \(Reuters, 2020-11-04\): 'Mali’s military junta", line) for line in lines)
    assert any(re.fullmatch(r"\(cited: [1-3], answerer: extractive\)", line) for line in lines)
    assert "General Marc Conruyt became the new commander of the Barkhane force" in done.stdout
