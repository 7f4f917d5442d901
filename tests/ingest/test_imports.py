"""The ingest modules import on their own: `ingest` uses assistant.types/settings, and `assistant` must not pull
its core (which imports ingest) in while they load."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fixtures.core import ROOT


@pytest.mark.parametrize("first", ["ingest.load", "ingest.chunk", "ingest.store", "ingest.pipeline"])
def test_ingest_module_imports_before_the_assistant_package(first: str) -> None:
    code = f"import {first}; import ingest.load; import ingest.pipeline"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
