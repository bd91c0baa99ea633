"""MkDocs hooks: the pages written from the code and the measurements at build time, never stored in git.

- reference/cli.md: every command's `--help`, from the argparse parsers of curate, evalkit and finetune;
- benchmarks.md: one table per benchmarks/results/*.json (benchmarks/figures.py), the latest run of each.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HELP_WIDTH = 100  # columns the help is wrapped at on the page
# The console scripts ([project.scripts] in pyproject.toml) and the module whose `parser()` builds each one's parser.
SCRIPTS = {"curate": "curate.cli", "evalkit": "evalkit.cli", "finetune": "finetune.cli"}
GENERATED = {"reference/cli.md": lambda: cli_reference(), "benchmarks.md": lambda: benchmarks_page()}


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    """argparse wraps help at $COLUMNS; fix it while the pages are written, so a build never depends on a terminal."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def parser_of(script: str) -> argparse.ArgumentParser:
    """The argument parser of console script `script` (what `script --help` prints)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return importlib.import_module(SCRIPTS[script]).parser()


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    """(name, parser) of the parser's subcommands, in the order --help lists them (aliases once)."""
    out, seen = [], set()
    for action in parser._actions:  # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    out.append((name, sub))
    return out


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and every subcommand's parser below it, depth first, with the words that reach each."""
    yield path, parser
    for name, sub in subcommands(parser):
        yield from walk(sub, (*path, name))


def cli_reference() -> str:
    """The CLI reference page: for each console script, its help and every subcommand's, as `--help` prints them."""
    lines = [
        "# CLI reference",
        "",
        "Generated from the argparse parsers when this site is built, so each block is what `--help` prints (wrapped at "
        f"{HELP_WIDTH} columns). Activate the virtual environment first (`source .venv/bin/activate`) or call the "
        "scripts as `.venv/bin/curate`, `.venv/bin/evalkit` and `.venv/bin/finetune`.",
        "",
    ]
    with _columns(HELP_WIDTH):
        for script in SCRIPTS:
            for path, parser in walk(parser_of(script), (script,)):
                level = "#" * min(len(path) + 1, 6)
                lines += [f"{level} `{' '.join(path)}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def benchmarks_page() -> str:
    """The benchmarks page, from benchmarks/results/*.json."""
    if str(REPO / "benchmarks") not in sys.path:
        sys.path.insert(0, str(REPO / "benchmarks"))
    import figures

    return figures.benchmarks_page()


def on_files(files, config):
    """Add the generated pages to the site (replacing a stray file of the same name, should one appear), and keep
    this hook file out of it."""
    from mkdocs.structure.files import File

    for f in [f for f in files if f.src_uri.endswith((".py", ".pyc"))]:
        files.remove(f)
    for src_uri, render in GENERATED.items():
        old = files.get_file_from_path(src_uri)
        if old is not None:
            files.remove(old)
        files.append(File.generated(config, src_uri, content=render()))
    return files
