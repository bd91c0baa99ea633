"""The habits that keep the code as it is now: the layers (import-linter), lint and format (ruff), types (mypy on
the base package). Each runs the real tool over the real tree, as pre-commit and CI do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(*args: str) -> subprocess.CompletedProcess:
    exe = BIN / args[0]
    if not exe.exists():
        pytest.fail(f"{args[0]} is not installed in {BIN}: `make setup` installs the test extra")
    return subprocess.run([str(exe), *args[1:]], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_layers_and_no_cycles_hold():
    """pyproject.toml's import-linter contracts: base <- curate <- {evalkit, finetune} <- apps, no sibling cycles."""
    r = _tool("lint-imports", "--no-cache")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_no_import_cycle_between_any_two_modules():
    """Stronger than the sibling contract: no strongly connected set of modules anywhere in the product (function-local
    imports count, as grimp reads every import statement)."""
    import grimp

    graph = grimp.build_graph("workbench", "curate", "evalkit", "finetune", "apps")
    cycles = []
    for m in sorted(graph.modules):
        for dep in graph.find_modules_directly_imported_by(m):
            chain = graph.find_shortest_chain(importer=dep, imported=m)
            if chain:
                cycles.append(" -> ".join((m, *chain)))
    assert not cycles, "\n".join(sorted(set(cycles))[:20])


def test_ruff_lint_is_clean():
    r = _tool("ruff", "check", ".")
    assert r.returncode == 0, r.stdout[-4000:]


def test_ruff_format_is_applied():
    r = _tool("ruff", "format", "--check", ".")
    assert r.returncode == 0, r.stdout[-4000:] + "\nrun `.venv/bin/ruff format .`"


def test_base_package_type_checks():
    r = _tool("mypy", "workbench")
    assert r.returncode == 0, r.stdout[-4000:]
