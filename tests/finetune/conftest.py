"""Fixtures for finetune tests: a small Q/A file from the shipped data and a runner for the real CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FINETUNE = ["-m", "finetune"]  # the real CLI, as users run it


def write_pairs(path: Path, n: int, start: int = 0) -> Path:
    with open(REPO / "data" / "enlighten-instruct" / "TrainData.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[start : start + n]
    path.write_text("".join(json.dumps({"question": r["Q"], "answer": r["A"]}) + "\n" for r in rows))
    return path


@pytest.fixture()
def pairs(tmp_path) -> Path:
    return write_pairs(tmp_path / "pairs.jsonl", 48)


def cli_env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "TOKENIZERS_PARALLELISM": "false"}


def run_cli(*args, check=True, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, *FINETUNE, *map(str, args)], capture_output=True, text=True, env=cli_env(), cwd=REPO, **kw
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"finetune {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def tiny_args(model_dir, data, out, store, **extra) -> list[str]:
    """A fast, deterministic LoRA run on the tiny model."""
    base = {
        "model": model_dir,
        "data": data,
        "out": out,
        "store": store,
        "template": "qa",
        "batch-size": 4,
        "max-length": 96,
        "precision": "fp32",
        "lr": "3e-3",
        "eval-split": 0,
        "log-every": 1,
    }
    base.update({k.replace("_", "-"): v for k, v in extra.items()})
    args = ["train", "--no-audit", "--no-progress"]
    for k, v in base.items():
        args += [f"--{k}", str(v)]
    return args
