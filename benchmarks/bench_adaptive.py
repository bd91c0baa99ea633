"""Adaptive pairing vs uniform pairing, in simulation: battles needed to reach the same rank accuracy.

20 models with known strengths (50 Elo apart), a Bradley-Terry judge (tests/fixtures/ratings_sim.py). Uniform: each
battle a random pair. Adaptive (evalkit.ratings.adaptive, the rule of `evalkit tournament --adaptive`): one battle
per pair, then `--step` battles at a time to the pairs whose 95 % bootstrap intervals overlap most. Both stop when the
ratings order the models with rank accuracy (share of pairs ordered as the truth) >= `--target`; a run that never
gets there counts as the budget. Averaged over `--seeds` seeds. Writes benchmarks/results/ratings_adaptive.json.

    .venv/bin/python benchmarks/bench_adaptive.py [--seeds 20] [--models 20] [--target 0.99] [--workers 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

import record  # noqa: E402
from fixtures.ratings_sim import pairing_run  # noqa: E402

TITLE = "Adaptive vs uniform pairing (simulation, known strengths): battles to reach the same rank accuracy"


def one_seed(seed: int, *, models: int, gap: float, target: float, budget: int, step: int) -> tuple[int, int]:
    """(uniform battles, adaptive battles) for one seed; each policy has its own generator from the seed."""
    true = np.arange(models) * gap
    kw = dict(target=target, budget=budget, step=step)
    uni = pairing_run(true, adaptive=False, rng=np.random.default_rng([seed, 0]), **kw)
    ada = pairing_run(true, adaptive=True, rng=np.random.default_rng([seed, 1]), **kw)
    return uni, ada


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--models", type=int, default=20)
    ap.add_argument("--gap", type=float, default=50.0, help="Elo points between neighbouring models")
    ap.add_argument("--target", type=float, default=0.99, help="rank accuracy to reach")
    ap.add_argument("--budget", type=int, default=12_000)
    ap.add_argument("--step", type=int, default=40)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/ratings_adaptive.json"))
    args = ap.parse_args()

    started = record.begin()
    run = partial(one_seed, models=args.models, gap=args.gap, target=args.target, budget=args.budget, step=args.step)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        res = list(pool.map(run, range(args.seeds)))
    wall = time.perf_counter() - t0
    uni, ada = np.array([r[0] for r in res]), np.array([r[1] for r in res])
    saving = 1 - ada.mean() / uni.mean()
    print(f"{args.models} models {args.gap:g} Elo apart, rank accuracy >= {args.target}, {args.seeds} seeds")
    print(f"  uniform   {uni.mean():,.0f} battles on average (median {np.median(uni):,.0f})")
    print(f"  adaptive  {ada.mean():,.0f} battles on average (median {np.median(ada):,.0f})")
    print(f"  saving    {saving:.0%} fewer battles ({(ada < uni).sum()} of {args.seeds} seeds better); {wall:.0f} s")
    out = {
        "models": args.models,
        "gap_elo": args.gap,
        "target_accuracy": args.target,
        "seeds": args.seeds,
        "budget": args.budget,
        "step": args.step,
        "uniform_battles": uni.tolist(),
        "adaptive_battles": ada.tolist(),
        "saving": round(float(saving), 4),
        "wall_s": round(wall, 1),
    }
    rows = [
        record.row(
            "battles",
            f"battles to rank accuracy {args.target}, {args.models} models, mean of {args.seeds} seeds",
            "battles",
            float(ada.mean()),
            float(uni.mean()),
            "uniform pairing (random pairs), same judge",
            ours_rounds=[float(x) for x in ada],
            peer_rounds=[float(x) for x in uni],
        )
    ]
    record.append(
        args.out, started, title=TITLE, rows=rows, details=out, rounds=args.seeds, command=record.command_line()
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
