"""The packages form layers: `newsdesk` (settings, types, errors) at the bottom, then `ingest`, then `assistant`
(retrieval and answering), then `assistant.frontends`. Each module imports only downward, and no two modules import
each other, directly or around a loop."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.core import ROOT

OURS = ("newsdesk", "ingest", "assistant")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every module of ours and the modules of ours it imports, at any depth of its code (lazy imports count)."""
    paths = [p for package in OURS for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).strip(".")
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            found.update(t for t in targets if t.split(".")[0] in OURS)
        graph[name] = found - {name}
    return graph


def _layer(module: str) -> int:
    if module.startswith("newsdesk"):
        return 0
    if module.startswith("ingest"):
        return 1
    return 3 if module.startswith("assistant.frontends") or module == "assistant" else 2


def test_every_module_imports_only_its_own_layer_or_below() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in _imports().items()
        for target in targets
        if _layer(target) > _layer(module)
    )
    assert upward == []


def test_no_import_cycle_between_modules() -> None:
    graph = _imports()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [module, target] if target in path else [module, target])
            elif target in graph and target not in state:
                visit(target, path + [module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert cycles == []


@pytest.mark.parametrize(
    "code",
    [
        "import ingest.load",
        "import ingest.pipeline",
        "import ingest.store",
        "import newsdesk.settings, newsdesk.types",
        "from assistant import Assistant, AssistantError",
    ],
)
def test_each_layer_imports_first_in_a_fresh_interpreter(code: str) -> None:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
