"""Style control under an injected length bias: does it recover the true order where plain Bradley-Terry does not?

Simulated battles (tests/fixtures/ratings_sim.py): M models 30 Elo apart whose better ones write shorter answers,
judged by a judge that also prefers the longer answer (a log-odds bias of `--bias` per typical length difference, the
Arena's normalised covariate). Over `--seeds` seeds: Spearman's rho between the true strengths and the plain BT
ratings, and the style-controlled ones (Chatbot Arena's style control; evalkit.ratings.style), plus the time of one
style-controlled leaderboard with bootstrap intervals. Writes benchmarks/results/ratings_style.json.

    .venv/bin/python benchmarks/bench_style.py [--battles 20000] [--models 8] [--seeds 10] [--rounds 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

import record  # noqa: E402
from fixtures.ratings_sim import length_biased, pair_accuracy  # noqa: E402

from evalkit.ratings import leaderboard  # noqa: E402

TITLE = "Style control under an injected length bias: true order recovered (Spearman), plain BT vs style control"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--battles", type=int, default=20_000)
    ap.add_argument("--models", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--bias", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=200, help="bootstrap rounds of the timed style-controlled fit")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/ratings_style.json"))
    args = ap.parse_args()

    started = record.begin()
    names = [f"m{i}" for i in range(args.models)]
    true = np.arange(args.models)
    plain, styled, coef, acc_plain, acc_styled = [], [], [], [], []
    for seed in range(args.seeds):
        df = length_biased(args.models, args.battles, np.random.default_rng(seed), bias=args.bias)
        p = leaderboard(df, bootstrap=0)
        s = leaderboard(df, bootstrap=0, style_control=True)
        plain.append(stats.spearmanr(true, [p["ratings"][m] for m in names]).statistic)
        styled.append(stats.spearmanr(true, [s["ratings"][m] for m in names]).statistic)
        coef.append(s["style"]["length"]["coef"])
        acc_plain.append(pair_accuracy(true, np.array([p["ratings"][m] for m in names])))
        acc_styled.append(pair_accuracy(true, np.array([s["ratings"][m] for m in names])))
    df = length_biased(args.models, args.battles, np.random.default_rng(0), bias=args.bias)
    t0 = time.perf_counter()
    lb = leaderboard(df, bootstrap=args.rounds, style_control=True)
    fit_s = time.perf_counter() - t0

    print(f"{args.battles:,} battles, {args.models} models, length bias {args.bias} log-odds, {args.seeds} seeds")
    print(f"  Spearman with the true order: plain BT mean {np.mean(plain):+.3f} (min {min(plain):+.3f})")
    print(f"                                style control mean {np.mean(styled):+.3f} (min {min(styled):+.3f})")
    print(
        f"  share of pairs in the true order: plain {np.mean(acc_plain):.3f}, style control {np.mean(acc_styled):.3f}"
    )
    print(
        f"  length coefficient {np.mean(coef):.3f} (injected {args.bias}); style fit + {args.rounds} rounds {fit_s:.1f} s"
    )
    st = lb["style"]["length"]
    out = {
        "battles": args.battles,
        "models": args.models,
        "seeds": args.seeds,
        "bias": args.bias,
        "spearman_plain": [round(float(x), 4) for x in plain],
        "spearman_styled": [round(float(x), 4) for x in styled],
        "pair_accuracy_plain": [round(x, 4) for x in acc_plain],
        "pair_accuracy_styled": [round(x, 4) for x in acc_styled],
        "length_coef_mean": round(float(np.mean(coef)), 4),
        "length_coef_seed0": st,
        "style_fit_bootstrap_s": round(fit_s, 2),
        "rounds": args.rounds,
    }
    rows = [
        record.row(
            "rank_accuracy",
            f"share of model pairs in the true order, mean of {args.seeds} seeds (style control vs plain BT)",
            "",
            round(float(np.mean(acc_styled)), 4),
            round(float(np.mean(acc_plain)), 4),
            "plain Bradley-Terry on the same battles",
            better=record.HIGHER,
            ours_rounds=acc_styled,
            peer_rounds=acc_plain,
        ),
        record.row(
            "spearman",
            f"Spearman with the true order, mean of {args.seeds} seeds (plain BT's: {np.mean(plain):+.2f})",
            "rho",
            round(float(np.mean(styled)), 4),
        ),
        record.row(
            "style_fit",
            f"style-controlled leaderboard + {args.rounds} bootstrap rounds, {args.battles:,} battles, seconds",
            "s",
            out["style_fit_bootstrap_s"],
        ),
    ]
    record.append(
        args.out, started, title=TITLE, rows=rows, details=out, rounds=args.seeds, command=record.command_line()
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
