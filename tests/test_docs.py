"""The documentation site and the figures cannot drift: the site builds with --strict, the CLI reference is what
`--help` prints, the benchmarks page and the README's headline figures come from benchmarks/results/*.json, and every
benchmark writes its results through benchmarks/record.py."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "benchmarks"))

import figures  # noqa: E402
import record  # noqa: E402


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


hooks = _hooks()


def test_site_builds_strict(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "curate audit" in cli and "finetune plan" in cli
    bench = (site / "benchmarks" / "index.html").read_text(encoding="utf-8")
    assert "datasketch" in bench and "history" in bench
    assert not list(site.rglob("*.py")), "the hook file must not be published"


# -- the CLI reference is --help ---------------------------------------------------------------------------------


def _help(script: str, words: tuple[str, ...]) -> str:
    """What `script words --help` prints at the reference's width, from the installed console script."""
    env = {**os.environ, "COLUMNS": str(hooks.HELP_WIDTH)}
    proc = subprocess.run([str(BIN / script), *words, "--help"], capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _listed_commands(help_text: str) -> list[str]:
    """The subcommands a --help lists under "commands:" (each name at 4 spaces, aliases in parentheses)."""
    section = help_text.split("\ncommands:\n", 1)
    if len(section) < 2:
        return []
    names = []
    for line in section[1].split("\n\n", 1)[0].splitlines():
        m = re.match(r"^ {4}([\w-]+)(?: \(([\w, -]+)\))?(?:\s|$)", line)
        if m:
            names.append(m.group(1))
    return names


@pytest.mark.parametrize("script", list(hooks.SCRIPTS))
def test_cli_reference_has_every_command_as_help_prints_it(script):
    page = hooks.cli_reference()
    todo, seen = [(script,)], []
    while todo:
        path = todo.pop(0)
        text = _help(path[0], path[1:])
        heading = f"`{' '.join(path)}`"
        m = re.search(rf"^#+ {re.escape(heading)}$", page, re.M)
        assert m, f"no section for {' '.join(path)}"
        block = page[m.end() :].split("```text\n", 1)[1].split("\n```", 1)[0]
        assert block == text.rstrip(), f"{' '.join(path)}: the page differs from --help"
        seen.append(path)
        todo += [(*path, name) for name in _listed_commands(text)]
    assert len(seen) > 1, f"{script} --help lists no commands"


def test_listed_commands_parser():
    text = "commands:\n  COMMAND\n    run       go\n              on\n    a-b (c-d)\n              x\n\nexit codes:\n"
    assert _listed_commands("usage\n" + text) == ["run", "a-b"]


# -- benchmarks: one record format, the page and the README's figures from it ---------------------------------------


def test_every_bench_writes_through_record():
    for bench in sorted((REPO / "benchmarks").glob("bench_*.py")):
        src = bench.read_text(encoding="utf-8")
        assert "record.append(" in src and "record.begin()" in src, bench.name
        assert "write_json(" not in src and ".write_text(json" not in src, f"{bench.name} writes results itself"


def test_results_files_are_in_the_record_format():
    files = sorted((REPO / "benchmarks" / "results").glob("*.json"))
    assert len(files) >= 10
    page = figures.benchmarks_page()
    for path in files:
        data = figures.load(path)
        assert data["title"] and data["title"] in page, path.name
        for run in data["history"]:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", run["date"]), path.name
            assert run["machine"]["description"] and set(run["load"]) == {"before", "after"}
            assert run["rows"] and isinstance(run["details"], dict)
            for row in run["rows"]:
                assert row["better"] in (record.LOWER, record.HIGHER) and row["what"], (path.name, row)
                assert (row["peer"] is None) == (row["ratio"] is None), (path.name, row["key"])


def test_migrated_runs_keep_their_figures():
    dedup = figures.load(REPO / "benchmarks/results/dedup.json")["history"][0]
    assert dedup["date"] == "2026-11-28" and dedup["details"]["speedup_vs_datasketch"] == 16.35
    row = next(r for r in dedup["rows"] if r["key"] == "wall_vs_datasketch")
    assert (row["ours"], row["peer"], row["ratio"]) == (0.778, 12.725, 16.35)
    audit = figures.load(REPO / "benchmarks/results/audit.json")["history"][0]
    assert audit["load"] == {"before": None, "after": {"1min": 2.1}}  # the one load the old file recorded


def test_record_appends_runs_newest_last(tmp_path):
    out = tmp_path / "x.json"
    rows = [record.row("t", "thing, seconds", "s", 2.0, 5.0, "peer", ours_rounds=[2.0, 2.5], peer_rounds=[5.0, 6.0])]
    for n in (1, 2):
        started = record.begin()
        record.append(out, started, title="T", rows=rows, details={"n": n}, rounds=2, command="c")
    data = json.loads(out.read_text())
    assert [r["details"]["n"] for r in data["history"]] == [1, 2]
    run = data["history"][-1]
    assert run["rounds"] == 2 and set(run["load"]["before"]) == {"1min", "5min", "15min"}
    assert run["machine"]["cores"] == os.cpu_count()
    row = run["rows"][0]
    assert row["ratio"] == 2.5 and row["spread"] == {"ours": {"min": 2.0, "max": 2.5}, "peer": {"min": 5.0, "max": 6.0}}
    page = figures.file_section(out)
    assert "2.50x" in page and "2.00–2.50; 5.00–6.00" in page and "2 runs" in page


def test_record_ratio_is_ours_better_when_above_one():
    assert record.row("a", "w", "tokens/s", 300.0, 100.0, "p", better=record.HIGHER)["ratio"] == 3.0
    assert record.row("b", "w", "s", 4.0, 1.0, "p")["ratio"] == 0.25
    assert record.row("c", "w", "s", 4.0)["ratio"] is None


def test_record_refuses_an_old_flat_file(tmp_path):
    old = tmp_path / "old.json"
    old.write_text('{"date": "2026-11-28", "speedup": 2}')
    with pytest.raises(SystemExit, match="no 'history'"):
        record.append(old, record.begin(), title="T", rows=[], details={})


def test_readme_headline_figures_are_rendered_from_the_results():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- figures:start -->\n(.*?)<!-- figures:end -->", readme, re.S)
    assert m, "README.md needs the headline block; paste `.venv/bin/python benchmarks/figures.py` between the markers"
    assert m.group(1).strip() == figures.headline_table().strip(), (
        "README's headline figures differ from benchmarks/results: rerun `.venv/bin/python benchmarks/figures.py`"
    )


def test_headline_table_figures():
    table = figures.headline_table()
    lines = table.splitlines()
    assert len(lines) == 2 + len(figures.HEADLINE)  # every headline figure has its results file and row today
    for (stem, key, label), line in zip(figures.HEADLINE, lines[2:]):
        run, row = figures.latest_row(figures.RESULTS, stem, key)
        assert line.startswith(f"| {label} | {figures.number(row['ours'], row['unit'])} |")
        assert f"| {figures.ratio(row['ratio'])} | {run['date']}" in line


def test_number_formatting():
    assert [figures.number(x) for x in (25800.3, 12.725, 1.91, 0.778, 409)] == [
        "25,800",
        "12.7",
        "1.91",
        "0.778",
        "409",
    ]
    assert figures.number(0.778, "s") == "0.778 s" and figures.ratio(309.3) == "309x" and figures.ratio(None) == "—"
