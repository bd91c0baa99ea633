"""Multiple choice by loglikelihood: suites/enlighten-mc.yaml through evalkit and the same task through
lm-evaluation-harness 0.4.13, on the embedded default model, in one process. Target: evalkit ≥ 1.5x lm-eval's
requests/s.

Both score the same 4 x N (context, " " + choice) requests in float32 on the CPU with the same batch size; lm-eval
loads its own copy of the model from the converted directory. Reported per side: wall and CPU seconds for the whole
evaluation (lm-eval's simple_evaluate; evalkit's run_suites into a fresh store, cache writes included), requests/s,
acc and acc_norm, and the largest per-choice loglikelihood difference. CPU seconds (process time) are the fairer
figure on a shared machine. Writes benchmarks/results/mc.json.

    .venv/bin/python benchmarks/bench_mc.py [--limit N] [--batch-size 16] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "evalkit"))
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

TITLE = "Multiple choice by loglikelihood: evalkit vs lm-evaluation-harness"


def table_rows(d: dict) -> list[dict]:
    """The table rows of one run's figures: CPU and wall seconds, and acc_norm (the same on both sides)."""
    peer = f"lm-evaluation-harness {d['lm_eval']['version']}"
    size = f"enlighten-mc, {d['questions']} questions ({d['requests']:,} requests)"
    ours, theirs = d["evalkit"], d["lm_eval"]
    return [
        record.row(
            "cpu_s", f"{size}, CPU seconds", "s", ours["cpu_s"], theirs["cpu_s"], peer, ratio=d.get("speedup_cpu")
        ),
        record.row(
            "wall_s", f"{size}, wall seconds", "s", ours["wall_s"], theirs["wall_s"], peer, ratio=d.get("speedup_wall")
        ),
        record.row(
            "acc_norm", f"{size}, acc_norm", "", ours["acc_norm"], theirs["acc_norm"], peer, better=record.HIGHER
        ),
    ]


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _side(wall: float, cpu: float, n_req: int, acc: float, acc_norm: float) -> dict:
    """One side's figures: seconds, requests per second (wall and CPU), accuracy."""
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "requests_per_s_wall": round(n_req / wall, 2),
        "requests_per_s_cpu": round(n_req / cpu, 2),
        "acc": acc,
        "acc_norm": acc_norm,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="first N questions (default: all 269)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for both sides (default 1)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "mc.json"))
    args = ap.parse_args()
    started = record.begin()

    import torch
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from test_lm_eval_parity import lm_eval_task

    from evalkit.suites import load_suite, run_suites
    from workbench.models import load_model
    from workbench.models.convert import default_model_dir
    from workbench.store import open_store

    torch.set_num_threads(args.threads)
    suite = load_suite(REPO / "suites" / "enlighten-mc.yaml")
    n_q = min(args.limit or len(suite.cases), len(suite.cases))
    n_req = sum(len(c.choice_check.params["choices"]) for c in suite.cases[:n_q])

    ours_model = load_model("default")
    lm = HFLM(pretrained=str(default_model_dir()), batch_size=args.batch_size, device="cpu", dtype="float32")
    task = lm_eval_task(REPO / "data" / "enlighten-instruct" / "TestData.csv")

    theirs, t_wall, t_cpu = timed(
        lambda: simple_evaluate(model=lm, tasks=[task], limit=n_q, log_samples=True, verbosity="ERROR")
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        ours, o_wall, o_cpu = timed(
            lambda: run_suites([suite], [ours_model], store=store, limit=n_q, ll_batch_size=args.batch_size)
        )
        store.dispose()
    run = ours["runs"][0]
    samples = sorted(theirs["samples"]["enlighten_mc"], key=lambda s: s["doc_id"])
    max_diff = max(
        abs(a - r[0][0]) for s, c in zip(samples, run["cases"]) for a, r in zip(c["loglikelihoods"], s["resps"])
    )
    res_t = theirs["results"]["enlighten_mc"]
    result = {
        "benchmark": "enlighten-mc multiple choice (loglikelihood), default model, float32 CPU",
        "torch_threads": args.threads,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "questions": n_q,
        "requests": n_req,
        "batch_size": args.batch_size,
        "evalkit": _side(o_wall, o_cpu, n_req, run["metrics"]["acc"], run["metrics"]["acc_norm"]),
        "lm_eval": {"version": "0.4.13", **_side(t_wall, t_cpu, n_req, res_t["acc,none"], res_t["acc_norm,none"])},
        "speedup_wall": round(t_wall / o_wall, 2),
        "speedup_cpu": round(t_cpu / o_cpu, 2),
        "max_abs_loglikelihood_diff": max_diff,
    }
    record.append(
        args.out, started, title=TITLE, rows=table_rows(result), details=result, command=record.command_line()
    )
    print(json.dumps(result, indent=2))
    print(
        f"\nevalkit {result['evalkit']['requests_per_s_cpu']} req/s vs lm-eval {result['lm_eval']['requests_per_s_cpu']} "
        f"req/s per CPU second: {result['speedup_cpu']}x (wall clock {result['speedup_wall']}x); "
        f"acc {run['metrics']['acc']:.4f}/{res_t['acc,none']:.4f}, acc_norm {run['metrics']['acc_norm']:.4f}/"
        f"{res_t['acc_norm,none']:.4f}; max |Δ loglikelihood| {max_diff:.2e}"
    )


if __name__ == "__main__":
    main()
