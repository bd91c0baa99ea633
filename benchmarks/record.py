"""One record format for every benchmark: each benchmarks/bench_*.py writes its run through `append`.

A results file holds a title, the script, and `history`: every run so far, newest last, each with its date, command,
machine (CPU model, cores, GPU), load average before and after, rounds, the table rows, and the script's own figures
(`details`). A row is one thing measured: ours, the peer, which way is better, the ratio (> 1: ours is better) and,
when the script ran several rounds, the spread (min and max over the rounds). The benchmarks page of the docs and the
README's headline figures are rendered from these files (benchmarks/figures.py), so a figure is written once.

    started = record.begin()            # date, machine, load before
    ...                                  # measure
    record.append(path, started, title=..., rows=[record.row(...), ...], details={...}, rounds=3, command=...)
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from workbench.atomic import write_json  # noqa: E402

LOWER, HIGHER = "lower", "higher"  # which way a row's figure is better


def cpu_model() -> str | None:
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` knows, else None."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def gpu_names() -> str | None:
    """The GPUs `nvidia-smi` lists (", "-joined), or None without one."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    names = [n.strip() for n in out.stdout.splitlines() if n.strip()] if out.returncode == 0 else []
    return ", ".join(names) or None


def machine() -> dict:
    """What ran the benchmark: CPU model, cores, GPU, and a one-line description for tables."""
    cores, cpu, gpu = os.cpu_count(), cpu_model(), gpu_names()
    desc = f"{cores} cores" + (f", {cpu}" if cpu else f", CPU ({platform.machine()})") + (f", {gpu}" if gpu else "")
    return {"description": desc, "cpu": cpu, "cores": cores, "gpu": gpu}


def load() -> dict:
    """The load average now (1, 5 and 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return {"1min": round(one, 2), "5min": round(five, 2), "15min": round(fifteen, 2)}


def begin() -> dict:
    """Date, machine and load before the measurements; pass it to `append` when they are done."""
    return {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "load_before": load()}


def spread(values: list[float]) -> dict:
    """Min and max over the rounds."""
    return {"min": min(values), "max": max(values)}


def row(
    key: str,
    what: str,
    unit: str,
    ours: float,
    peer: float | None = None,
    peer_name: str | None = None,
    *,
    better: str = LOWER,
    ratio: float | None = None,
    ours_rounds: list[float] | None = None,
    peer_rounds: list[float] | None = None,
) -> dict:
    """One measured thing. `ratio` > 1 means ours is better (peer/ours when lower is better, ours/peer when higher);
    given, it is the script's own (computed before rounding); otherwise computed here. With per-round values, `ours`
    and `peer` should be the best round and the spread is recorded."""
    if better not in (LOWER, HIGHER):
        raise ValueError(f"better must be {LOWER!r} or {HIGHER!r}, not {better!r}")
    if ratio is None and peer is not None and ours and peer:
        ratio = peer / ours if better == LOWER else ours / peer
    out = {
        "key": key,
        "what": what,
        "unit": unit,
        "ours": ours,
        "peer": peer,
        "peer_name": peer_name,
        "better": better,
        "ratio": None if ratio is None else round(ratio, 3),
    }
    if ours_rounds or peer_rounds:
        out["spread"] = {
            "ours": spread(ours_rounds) if ours_rounds else None,
            "peer": spread(peer_rounds) if peer_rounds else None,
        }
    return out


def read(path: str | os.PathLike) -> dict:
    """A results file; one in the old flat shape (no `history`) is refused, not silently overwritten."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("history"), list):
        raise SystemExit(f"{path}: not in the record format (no 'history' list); see benchmarks/record.py")
    return data


def entry(started: dict, *, rows: list[dict], details: dict, rounds: int | None, command: str | None) -> dict:
    """One run, as it goes into a file's history."""
    return {
        "date": started["date"],
        "command": command,
        "machine": started["machine"],
        "load": {"before": started["load_before"], "after": load()},
        "rounds": rounds,
        "rows": rows,
        "details": details,
    }


def append(
    path: str | os.PathLike,
    started: dict,
    *,
    title: str,
    rows: list[dict],
    details: dict,
    rounds: int | None = None,
    command: str | None = None,
) -> Path:
    """Append this run to the file's history (newest last) and replace the file as a whole."""
    path = Path(path)
    data = read(path) if path.exists() else {"history": []}
    script = Path(sys.argv[0]).resolve()
    data = {
        "title": title,
        "script": str(script.relative_to(REPO)) if script.is_relative_to(REPO) else data.get("script"),
        "history": [*data["history"], entry(started, rows=rows, details=details, rounds=rounds, command=command)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json(path, data, indent=1)


def command_line() -> str:
    """How this benchmark was started, as a repository-relative command."""
    script = Path(sys.argv[0])
    try:
        script = script.resolve().relative_to(REPO)
    except ValueError:
        pass
    return " ".join([".venv/bin/python", str(script), *sys.argv[1:]])
