"""Bootstrap Bradley-Terry ratings: ours vs the `evalica` package's Bradley-Terry, same battles, same run.

100,000 battles among 50 models (10 % ties, a tie half a win each), N bootstrap rounds (default 1,000) through
`evalkit.ratings.leaderboard`, against evalica.bradley_terry (Newman 2023's iteration, compiled in Rust) refitted on
each resample, given as multinomial weights over the battles (its fastest path; the same resampling as ours).
Both are run in full, nothing extrapolated. Writes benchmarks/results/ratings_evalica.json.

    .venv/bin/python benchmarks/bench_ratings_evalica.py [--rounds 1000] [--battles 100000]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.ratings import leaderboard

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from bench_ratings import A_WINS, B_WINS, battles  # noqa: E402

TITLE = "Bootstrap Bradley-Terry ratings: evalkit vs the evalica package, same battles, same run"


def evalica_elo(xs, ys, ws, index, weights=None) -> np.ndarray:
    """evalica's Bradley-Terry strengths on the Elo scale, centred on 1000, in `index` order."""
    import evalica

    res = evalica.bradley_terry(xs, ys, ws, index=index, weights=weights, tolerance=1e-8, limit=1000)
    r = np.log(res.scores.reindex(index).to_numpy()) * 400 / math.log(10)
    return r - r.mean() + 1000


def main() -> None:
    import evalica

    ap = argparse.ArgumentParser()
    ap.add_argument("--battles", type=int, default=100_000)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results") / "ratings_evalica.json"))
    args = ap.parse_args()

    started = record.begin()
    df, _ = battles(args.battles, args.models, seed=0)
    t0 = time.perf_counter()
    lb = leaderboard(df, bootstrap=args.rounds, seed=0, prior=0)
    ours_s = time.perf_counter() - t0

    to_w = {A_WINS: evalica.Winner.X, B_WINS: evalica.Winner.Y}
    xs, ys = df["model_a"].tolist(), df["model_b"].tolist()
    ws = [to_w.get(w, evalica.Winner.Draw) for w in df["winner"]]
    models = sorted(lb["models"])
    index = pd.Index(models)
    t0 = time.perf_counter()
    full = evalica_elo(xs, ys, ws, index)
    rng = np.random.default_rng(0)
    boots = np.empty((args.rounds, len(models)))
    for r in range(args.rounds):
        weights = rng.multinomial(len(df), np.full(len(df), 1 / len(df))).astype(float).tolist()
        boots[r] = evalica_elo(xs, ys, ws, index, weights)
    lo, hi = np.quantile(boots, 0.025, axis=0), np.quantile(boots, 0.975, axis=0)
    peer_s = time.perf_counter() - t0

    agree = max(abs(lb["ratings"][m] - full[i]) for i, m in enumerate(models))
    ci_diff = max(max(abs(lb["ci"][m][0] - lo[i]), abs(lb["ci"][m][1] - hi[i])) for i, m in enumerate(models))
    ratio = peer_s / ours_s
    print(
        f"{args.battles:,} battles, {args.models} models, {args.rounds:,} bootstrap rounds "
        f"({os.cpu_count()} cores, {platform.machine()})"
    )
    print(f"  ours     leaderboard with {args.rounds} bootstrap fits: {ours_s:.2f} s")
    print(f"  evalica  bradley_terry, full fit + {args.rounds} weighted refits: {peer_s:.2f} s")
    print(f"  ratio    {ratio:.1f}x; ratings agree to {agree:.3f} Elo, 95% bounds to {ci_diff:.2f} Elo")
    out = {
        "battles": args.battles,
        "models": args.models,
        "rounds": args.rounds,
        "ours_s": round(ours_s, 3),
        "peer": f"evalica {evalica.__version__} bradley_terry (pyo3), multinomial weights per round",
        "peer_s": round(peer_s, 3),
        "ratio": round(ratio, 2),
        "max_rating_diff_elo": round(agree, 4),
        "max_ci_bound_diff_elo": round(ci_diff, 3),
    }
    size = f"{args.battles:,} battles, {args.models} models"
    rows = [
        record.row(
            "bootstrap",
            f"Bradley-Terry + {args.rounds:,} bootstrap rounds, {size}, seconds",
            "s",
            out["ours_s"],
            out["peer_s"],
            out["peer"],
            ratio=ratio,
        ),
        record.row(
            "agreement", "largest rating difference from evalica, Elo", "Elo", out["max_rating_diff_elo"], None, None
        ),
    ]
    record.append(args.out, started, title=TITLE, rows=rows, details=out, command=record.command_line())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
