"""Every repository path (with a file extension) that the README, the docs, the product code, its YAML and the scripts
name exists, so a move or a rename can't leave a pointer to nothing (a hint that names a docs page must lead to one)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOPS = ("workbench", "curate", "evalkit", "finetune", "apps", "suites", "tests", "benchmarks", "demo", "data", "docs",
        "scripts")  # fmt: skip
# A user's own files in the docs' examples (their repository, not ours).
USER_FILES = {"data/train.jsonl", "suites/my-suite.yaml"}
PATH = re.compile(rf"(?<![\w./-])((?:{'|'.join(TOPS)})/[\w./<>*-]*[\w*>])")


def _named_paths() -> dict[str, set[str]]:
    files = subprocess.run(["git", "ls-files", "README.md", "docs/*.md", "*.py", "*.sh", "*.yaml", "*.yml", "Makefile", ".ci/run", ":!tests/"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    named: dict[str, set[str]] = {}
    for f in files:
        if not (REPO / f).exists():  # deleted in the work tree, not yet committed
            continue
        for m in PATH.finditer((REPO / f).read_text(encoding="utf-8")):
            path = m.group(1).rstrip(".")
            # placeholders (curate/stages/<name>.py, demo/NN_*.sh) and words that only look like paths (docs/s)
            if (
                "<" in path
                or "NN" in path
                or "NAME" in path
                or path in USER_FILES
                or not re.search(r"\.[a-z]{1,5}$", path)
            ):
                continue
            named.setdefault(path, set()).add(f)
    return named


def test_every_named_repository_path_exists():
    missing = {}
    for path, where in _named_paths().items():
        hits = list(REPO.glob(path)) if "*" in path else [REPO / path]
        if not any(h.exists() for h in hits):
            missing[path] = sorted(where)
    assert not missing, "\n".join(f"{p}  (named in {', '.join(w)})" for p, w in sorted(missing.items()))


def test_the_scan_finds_what_it_should():
    named = _named_paths()
    assert "workbench/suite.schema.json" in named and "scripts/system-deps.sh" in named
    assert any(w.startswith("docs/") for w in named["curate/recipes/default.yaml"])  # the docs are scanned
