"""Does choosing the training data by a score beat choosing it at random? (issue 22, part 4)

The embedded model is LoRA-tuned (the demo's settings: template qa, r 16, lr 3e-3, batch 8, max_length 256) on
equal-size subsets of the cleaned Enlighten training pairs: three chosen at random (seeds 0, 1, 2), one by IFD, one
by the quality signals, one by diversity (`curate select`). Each tuned model is scored on suites/enlighten-mc.yaml,
the choice passing on acc_norm (`norm_suite`), and each selection is compared with each random subset by `evalkit
compare` (exact McNemar test on the paired questions); the untuned model is scored too, for scale. The table is
written whatever it shows. Writes benchmarks/results/select.json.

    .venv/bin/python benchmarks/bench_select.py            # keep 0.2 of the cleaned set, one epoch (~40 min, 2 cores)
    .venv/bin/python benchmarks/bench_select.py --quick    # a 200-pair pool, keep 0.2, 5 steps, the first 40 questions
    .venv/bin/python benchmarks/bench_select.py --quick --pool 100 --steps 3 --limit 20   # smaller still

Cost: IFD is two forward passes of the model per pair (with and without the question). On 2 cores with little else
running, the full run took about 40 minutes: 26 for the six fine-tunes and their scoring (`details.arms.*.minutes`),
most of the rest for IFD over the 1,740 pairs. Under a load of ~13 it is several times slower: run it idle.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

REPO = record.REPO
OUT = REPO / "benchmarks" / "results" / "select.json"
TITLE = "Selecting fine-tuning data by IFD, quality or diversity vs at random: enlighten-mc after LoRA on equal subsets"
TRAIN = REPO / "data" / "enlighten-instruct" / "TrainData.csv"
SUITE = REPO / "suites" / "enlighten-mc.yaml"
RANDOM_SEEDS = (0, 1, 2)
SCORES = ("ifd", "quality", "diverse")


def cli(*args, env: dict) -> subprocess.CompletedProcess:
    """One of the project's commands, as a user runs it; a failure stops the benchmark with its stderr."""
    proc = subprocess.run([sys.executable, "-m", *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 3):  # 3: evalkit compare's gate (a significant drop) is a result, not a failure
        raise SystemExit(f"{' '.join(map(str, args[:3]))} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def pool(work: Path, size: int | None, env: dict) -> Path:
    """The cleaned Enlighten pairs (curate clean, the demo's recipe) as JSONL; the first `size` when given."""
    clean = work / "clean.csv"
    cli("curate", "clean", TRAIN, "--recipe", "curate/recipes/enlighten.yaml", "--out", clean, env=env)
    with open(clean, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:size]
    out = work / "pool.jsonl"
    out.write_text("".join(json.dumps({"question": r["Q"], "answer": r["A"]}) + "\n" for r in rows))
    return out


def subsets(data: Path, keep: float, work: Path, env: dict) -> dict[str, Path]:
    """Arm name → subset file: random ones by seed, the others by `curate select`."""
    rows = data.read_text(encoding="utf-8").splitlines()
    k = max(1, int(np.ceil(keep * len(rows))))
    arms = {}
    for seed in RANDOM_SEEDS:
        chosen = sorted(np.random.default_rng(seed).choice(len(rows), k, replace=False).tolist())
        arms[f"random-{seed}"] = work / f"random-{seed}.jsonl"
        arms[f"random-{seed}"].write_text("".join(rows[i] + "\n" for i in chosen))
    for by in SCORES:
        cli("curate", "select", data, "--keep", keep, "--by", by, "--out", work / by, "--template", "qa", env=env)
        arms[by] = work / by / "subset.jsonl"
    return arms


def norm_suite(work: Path) -> Path:
    """suites/enlighten-mc.yaml with its choice assertion passing on acc_norm, the figure the table reports, so that
    `evalkit compare`'s paired test (exact McNemar on pass/fail) is on acc_norm too; its data path made absolute."""
    text = SUITE.read_text(encoding="utf-8")
    data = (SUITE.parent / "../data").resolve()
    out = text.replace("file: ../data/", f"file: {data}/").replace(
        '        delimiter: " "\n', '        delimiter: " "\n        metric: acc_norm\n'
    )
    if out.count("metric: acc_norm") != 1 or str(data) not in out:
        raise SystemExit(f"{SUITE} changed shape: update norm_suite()")
    path = work / "enlighten-mc-norm.yaml"
    path.write_text(out, encoding="utf-8")
    return path


def train_and_score(name: str, data: Path, work: Path, steps: int | None, limit: int | None, env: dict) -> dict:
    """LoRA on `data`, then the MC suite; the run id, metrics and minutes."""
    started = time.perf_counter()
    out = work / f"lora-{name}"
    cfg = work / f"{name}.yaml"
    cfg.write_text(
        f"model: default\ndata: {data}\ntemplate: qa\nmethod: lora\nlora_dropout: 0.0\nlr: 3.0e-3\nwarmup: 10\n"
        f"epochs: 1\nbatch_size: 8\nmax_length: 256\neval_split: 0\nsave_every: 100000\nout: {out}\n"
        + (f"max_steps: {steps}\n" if steps else "")
    )
    cli("finetune", "train", cfg, "--no-audit", "--no-progress", env=env)  # the pool is cleaned already
    return {
        **score(name, f"default+{out}", work, limit, env),
        "minutes": round((time.perf_counter() - started) / 60, 1),
    }


def score(name: str, model: str, work: Path, limit: int | None, env: dict) -> dict:
    """`evalkit run` of the acc_norm suite on `model`: its run id and metrics."""
    res = work / f"{name}-mc.json"
    cli("evalkit", "run", norm_suite(work), "--model", model, "--quiet", "--json", res,
        *(["--limit", limit] if limit else []), env=env)  # fmt: skip
    run = json.loads(res.read_text(encoding="utf-8"))["runs"][0]
    return {"run_id": run["run_id"], "metrics": run["metrics"]}


def compare(a: str, b: str, work: Path, env: dict) -> dict:
    """`evalkit compare A B`: the paired difference in pass rate and its exact McNemar p-value."""
    path = work / f"cmp-{a[:8]}-{b[:8]}.json"
    cli("evalkit", "compare", a, b, "--json", path, env=env)
    rep = json.loads(path.read_text(encoding="utf-8"))
    return {"delta": rep["delta"], "p_value": rep["p_value"], "mcnemar": rep["mcnemar"]}


def table_rows(d: dict) -> list[dict]:
    """One row per selection: its acc_norm against the mean of the random subsets, and the paired p-values."""
    rand = np.mean([d["arms"][f"random-{s}"]["metrics"]["acc_norm"] for s in RANDOM_SEEDS])
    rows = []
    for by in SCORES:
        arm = d["arms"][by]
        ps = ", ".join(f"{c['p_value']:.3g}" for c in d["compare"][by])
        rows.append(
            record.row(
                by,
                f"acc_norm on {d['questions']} enlighten-mc questions after LoRA on {d['kept']} of {d['pool']} pairs "
                f"chosen by {by}; exact McNemar p on the paired acc_norm pass/fail vs each random subset: {ps}",
                "acc_norm",
                arm["metrics"]["acc_norm"],
                round(float(rand), 4),
                "random subsets of the same size (mean of 3 seeds)",
                better=record.HIGHER,
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200-pair pool, 5 training steps, the first 40 questions")
    ap.add_argument("--keep", type=float, default=0.2, help="share of the pool each subset keeps (default 0.2)")
    ap.add_argument("--pool", type=int, help="pairs in the pool (default: all; --quick: 200)")
    ap.add_argument("--steps", type=int, help="training steps per subset (default: one epoch; --quick: 5)")
    ap.add_argument("--limit", type=int, help="enlighten-mc questions scored (default: all 269; --quick: 40)")
    args = ap.parse_args(argv)
    size, steps, limit = (200, 5, 40) if args.quick else (None, None, None)
    size, steps, limit = args.pool or size, args.steps or steps, args.limit or limit
    started = record.begin()
    with tempfile.TemporaryDirectory(prefix="bench-select-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "WORKBENCH_STORE": str(work / "store.db"), "TOKENIZERS_PARALLELISM": "false"}
        data = pool(work, size, env)
        arms = subsets(data, args.keep, work, env)
        base = score("base", "default", work, limit, env)  # the untuned model, for scale
        results = {name: train_and_score(name, path, work, steps, limit, env) for name, path in arms.items()}
        cmp = {
            by: [compare(results[f"random-{s}"]["run_id"], results[by]["run_id"], work, env) for s in RANDOM_SEEDS]
            for by in SCORES
        }
        n_pool = len(data.read_text(encoding="utf-8").splitlines())
        kept = len(arms["ifd"].read_text(encoding="utf-8").splitlines())
    details = {
        "mode": "quick" if args.quick or args.pool or args.steps or args.limit else "full",
        "pool": n_pool,
        "kept": kept,
        "steps": steps or "one epoch",
        "questions": limit or 269,
        "arms": {k: {"metrics": v["metrics"], "minutes": v["minutes"]} for k, v in results.items()},
        "compare": cmp,
        "note": "compare: evalkit compare RANDOM SELECTED on enlighten-mc with the choice passing on acc_norm "
        "(delta = selected - random acc_norm, exact McNemar p)",
        "base_model": base["metrics"],
    }
    record.append(OUT, started, title=TITLE, rows=table_rows(details), details=details, command=record.command_line())
    for name, r in results.items():
        print(
            f"{name:<10} acc {r['metrics']['acc']:.4f}  acc_norm {r['metrics']['acc_norm']:.4f}  ({r['minutes']} min)"
        )
    for by, cs in cmp.items():
        print(f"{by:<10} vs random: " + "; ".join(f"delta {c['delta']:+.3f} p {c['p_value']:.3g}" for c in cs))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
