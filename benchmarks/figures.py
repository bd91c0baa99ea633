"""Markdown tables from benchmarks/results/*.json (the format of benchmarks/record.py), so a figure is written once.

`benchmarks_page()` is the docs' benchmarks page (docs/hooks.py renders it at build time): one table per results file,
the latest run of each. `headline_table()` is the README's short table of headline figures, between its
`<!-- figures:start -->` and `<!-- figures:end -->` markers (tests/test_docs.py checks they are equal).
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# The README's headline figures: (results file, row key, label). A file or row that is missing is left out.
HEADLINE = [
    ("mc", "cpu_s", "Multiple-choice scoring (CPU seconds)"),
    ("dedup", "wall_vs_datasketch", "Near-duplicate detection (wall seconds)"),
    ("ratings", "bootstrap", "Bradley-Terry + 1,000 bootstrap rounds"),
    ("lora", "tokens_fp32", "LoRA fine-tuning speed, same settings"),
    ("lora", "memory_fp32", "LoRA fine-tuning peak memory, same settings"),
    ("finetune_demo", "acc_norm", "The demo's LoRA epoch: enlighten-mc acc_norm, tuned vs base"),
]


def load(path: str | Path) -> dict:
    """One results file in the record format."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("history"):
        raise ValueError(f"{path}: no 'history' of runs (see benchmarks/record.py)")
    return data


def number(x: float | int | None, unit: str = "") -> str:
    """A figure for a table: about 3 significant digits, thousands separated, with its unit."""
    if x is None:
        return "—"
    a = abs(x)
    if a >= 100 or (isinstance(x, int) and not isinstance(x, bool)):
        s = f"{x:,.0f}"
    elif a >= 10:
        s = f"{x:.1f}"
    elif a >= 1:
        s = f"{x:.2f}"
    else:
        s = f"{x:.3g}" if a >= 0.001 or a == 0 else f"{x:.2e}"
    return s + unit if unit == "x" else f"{s} {unit}".rstrip()


def ratio(r: float | None) -> str:
    """A ratio (> 1: ours is better), e.g. 16.4x."""
    return "—" if r is None else number(r) + "x"


def load_text(load: dict | None) -> str:
    """The 1-minute load average before → after, as far as it was recorded."""
    if not load:
        return "not recorded"

    def one(x):
        return "?" if not x or x.get("1min") is None else f"{x['1min']:.1f}"

    if not load.get("before") and not load.get("after"):
        return "not recorded"
    return f"{one(load.get('before'))} → {one(load.get('after'))}"


def spread_text(row: dict) -> str:
    """Min–max over the rounds, ours; peer's."""
    sp = row.get("spread")
    if not sp:
        return "—"
    parts = [f"{number(s['min'])}–{number(s['max'])}" if s else "—" for s in (sp.get("ours"), sp.get("peer"))]
    return "; ".join(parts)


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def run_table(run: dict) -> str:
    """The rows of one run as a markdown table."""
    head = (
        "| What | Ours | Peer | Ratio | Date | Machine | Load (1 min, before → after) | Rounds | Spread (ours; peer) |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in run["rows"]:
        peer = f"{number(r['peer'], r['unit'])}, {r['peer_name']}" if r.get("peer") is not None else "—"
        cells = [
            r["what"],
            number(r["ours"], r["unit"]),
            peer,
            ratio(r.get("ratio")),
            run["date"],
            run["machine"]["description"],
            load_text(run.get("load")),
            run.get("rounds") or "—",
            spread_text(r),
        ]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines)


def file_section(path: Path) -> str:
    """One results file: its title, the latest run's table, and where the earlier runs are."""
    data = load(path)
    runs = data["history"]
    latest = runs[-1]
    rel = f"benchmarks/results/{path.name}"
    where = f"`{rel}`, key `history` ({len(runs)} run{'s' if len(runs) != 1 else ''}, newest last)"
    out = [f"## {data['title']}", ""]
    src = f"`{data['script']}`" if data.get("script") else "no script (a one-off comparison)"
    cmd = f"; command: `{latest['command']}`" if latest.get("command") else ""
    out += [f"Latest run {latest['date']}, from {src}{cmd}. Every run: {where}.", ""]
    out += [run_table(latest), ""]
    return "\n".join(out)


INTRO = """# Benchmarks

Generated from `benchmarks/results/*.json` when the site is built: every figure here is written once, by the script
that measured it (each `benchmarks/bench_*.py` appends its run to its file through `benchmarks/record.py`). Each table
shows the latest run of one file. **Ratio** is how many times better ours is: the peer's time or memory over ours, or
our throughput over the peer's; below 1, the peer is better. **Load** is the machine's 1-minute load average before and
after the run (on a 2-core machine, a load above 2 means the run shared its cores). **Rounds** and **spread** appear
when the script ran interleaved rounds and kept the best: the spread is the min–max over those rounds. Files written
before the format existed have one run with what they recorded; "not recorded" and "—" mean the run did not record it.
Rerun a script (`.venv/bin/python benchmarks/bench_dedup.py`, etc.) to add a run; the older runs stay in the file.
"""


def benchmarks_page(results: Path = RESULTS) -> str:
    """The whole benchmarks page: the intro, then one section per results file (sorted by name)."""
    sections = [file_section(p) for p in sorted(Path(results).glob("*.json"))]
    return INTRO + "\n" + "\n".join(sections)


def latest_row(results: Path, stem: str, key: str) -> tuple[dict, dict] | None:
    """(latest run, its row `key`) of results file `stem`, or None when either is missing."""
    path = Path(results) / f"{stem}.json"
    if not path.exists():
        return None
    run = load(path)["history"][-1]
    row = next((r for r in run["rows"] if r["key"] == key), None)
    return None if row is None else (run, row)


def headline_table(results: Path = RESULTS) -> str:
    """The README's headline figures: a short markdown table from the latest runs (see HEADLINE)."""
    lines = ["| Figure | Ours | Peer | Ratio | Measured |", "|---|---|---|---|---|"]
    for stem, key, label in HEADLINE:
        found = latest_row(results, stem, key)
        if found is None:
            continue
        run, r = found
        peer = f"{r['peer_name']}: {number(r['peer'], r['unit'])}" if r.get("peer") is not None else "—"
        when = f"{run['date']}, {run['machine']['description']}"
        cells = [label, number(r["ours"], r["unit"]), peer, ratio(r.get("ratio")), when]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(headline_table(), end="")
