"""Does the demo's fine-tune help? `demo/30_finetune.sh` end to end (audit gate, one LoRA epoch on the cleaned
Enlighten pairs, both models scored on suites/enlighten-mc.yaml), timed, with acc and acc_norm before and after.

The peer is the base model itself: the row's ratio is tuned acc_norm over base acc_norm. Run it on an idle machine
(this VM's speed varies by a third over the day); the results file keeps every run, the machine and its load.

    .venv/bin/python benchmarks/bench_finetune_demo.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

REPO = record.REPO
OUT = REPO / "benchmarks" / "results" / "finetune_demo.json"
TITLE = "The demo's fine-tune: one LoRA epoch on the cleaned Enlighten pairs, enlighten-mc before and after"


def run_demo_step(work: Path) -> float:
    """Run demo/30_finetune.sh into `work` with its own store; wall seconds."""
    env = dict(os.environ, DEMO_OUT=str(work), WORKBENCH_STORE=str(work / "store.db"), PY=sys.executable)
    started = time.perf_counter()
    subprocess.run(["bash", "demo/30_finetune.sh"], cwd=REPO, env=env, check=True)
    return time.perf_counter() - started


def table_rows(details: dict) -> list[dict]:
    """The rows of one run from its details (also used to migrate the runs measured before this script)."""
    base, tuned = details["base"], details["tuned"]
    rows = [
        record.row(
            "acc_norm",
            "enlighten-mc acc_norm (269 questions), tuned vs the base model",
            "acc_norm",
            tuned["acc_norm"],
            base["acc_norm"],
            "the base model (default)",
            better=record.HIGHER,
        ),
        record.row(
            "acc_norm_gain",
            "acc_norm gain of the demo's LoRA epoch",
            "",
            round(tuned["acc_norm"] - base["acc_norm"], 4),
        ),
    ]
    if details.get("step_minutes") is not None:
        rows.append(
            record.row(
                "step_minutes",
                "the whole demo step (plan, refused audit, training, evals)",
                "min",
                details["step_minutes"],
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    started = record.begin()
    with tempfile.TemporaryDirectory(prefix="bench-finetune-") as tmp:
        seconds = run_demo_step(Path(tmp))
        runs = json.loads((Path(tmp) / "finetune-mc.json").read_text(encoding="utf-8"))["runs"]
    base, tuned = ({"acc": r["metrics"]["acc"], "acc_norm": r["metrics"]["acc_norm"]} for r in runs)
    details = {"base": base, "tuned": tuned, "step_minutes": round(seconds / 60, 1), "config": "demo/30_finetune.sh"}
    record.append(OUT, started, title=TITLE, rows=table_rows(details), details=details, command=record.command_line())
    print(f"acc_norm {base['acc_norm']:.4f} -> {tuned['acc_norm']:.4f} in {seconds / 60:.1f} min; wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
