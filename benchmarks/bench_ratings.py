"""Bootstrap Bradley-Terry ratings: ours vs Chatbot Arena's former logistic-regression bootstrap, same battles.

100,000 battles among 50 models (10 % ties), 1,000 bootstrap rounds through `evalkit.ratings.leaderboard`, against
scikit-learn's LogisticRegression on the duplicated battle matrix (a tie = one win each way), refitted on each
resample of the battles. The peer's 1,000 rounds would take minutes, so we time a few and extrapolate (said so in the
output). Writes benchmarks/results/ratings.json.

    .venv/bin/python benchmarks/bench_ratings.py [--rounds 1000] [--peer-rounds 5]
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
from scipy.special import expit

from evalkit.ratings import leaderboard
from workbench import verdicts

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

TITLE = "Bootstrap Bradley-Terry ratings: evalkit vs Chatbot Arena's former logistic-regression bootstrap"
A_WINS, B_WINS, TIE, BOTH_BAD = (verdicts.to_winner(v) for v in verdicts.PAIRWISE)


def battles(n: int, m: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.normal(1000, 150, m)
    a = rng.integers(0, m, n)
    b = rng.integers(0, m - 1, n)
    b = b + (b >= a)
    win = rng.random(n) < expit(math.log(10) / 400 * (true[a] - true[b]))
    tie = rng.random(n) < 0.1
    names = np.array([f"model-{i:02d}" for i in range(m)])
    return pd.DataFrame(
        {"model_a": names[a], "model_b": names[b], "winner": np.where(tie, TIE, np.where(win, A_WINS, B_WINS))}
    ), true


def lr_elo(df: pd.DataFrame, models: pd.Series):
    """Chatbot Arena's former compute_mle_elo: logistic regression on battles stacked twice, a tie = one win each."""
    from sklearn.linear_model import LogisticRegression

    d2 = pd.concat([df, df], ignore_index=True)
    n = len(d2)
    X = np.zeros((n, len(models)))
    X[np.arange(n), models[d2["model_a"]].to_numpy()] = math.log(10)
    X[np.arange(n), models[d2["model_b"]].to_numpy()] = -math.log(10)
    Y = np.array(d2["winner"] == A_WINS, dtype=float)
    tie = np.array(d2["winner"].isin([TIE, BOTH_BAD]))
    tie[len(tie) // 2 :] = False
    Y[tie] = 1.0
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-6, max_iter=1000).fit(X, Y)
    return 400 * lr.coef_[0] + 1000


def table_rows(d: dict) -> list[dict]:
    """The table rows of one run's figures: the whole bootstrap, and one fit."""
    size = f"{d['battles']:,} battles, {d['models']} models"
    peer = "scikit-learn LogisticRegression on the duplicated battle matrix"
    return [
        record.row(
            "bootstrap",
            f"Bradley-Terry + {d['rounds']:,} bootstrap rounds, {size}, seconds",
            "s",
            d["ours_s"],
            d["peer_extrapolated_s"],
            f"{peer} ({d['peer_rounds_timed']} rounds timed, extrapolated)",
            ratio=d.get("ratio"),
        ),
        record.row(
            "one_fit", f"one Bradley-Terry fit, {size}, seconds", "s", d["ours_one_fit_s"], d["peer_fit_s"], peer
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--battles", type=int, default=100_000)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--peer-rounds", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results") / "ratings.json"))
    args = ap.parse_args()

    started = record.begin()
    df, _ = battles(args.battles, args.models, seed=0)

    t0 = time.perf_counter()
    lb = leaderboard(df, bootstrap=args.rounds, seed=0)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    leaderboard(df, bootstrap=0)
    ours_fit_s = time.perf_counter() - t0

    models = pd.Series(np.arange(len(lb["models"])), index=sorted(lb["models"]))
    t0 = time.perf_counter()
    full = lr_elo(df, models)
    peer_fit_s = time.perf_counter() - t0
    full = full - full.mean() + 1000
    agree = max(abs(lb["ratings"][m] - full[i]) for m, i in models.items())

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(args.peer_rounds):
        lr_elo(df.sample(frac=1.0, replace=True, random_state=rng), models)
    peer_round_s = (time.perf_counter() - t0) / args.peer_rounds
    peer_s = peer_round_s * args.rounds
    ratio = peer_s / ours_s

    print(
        f"{args.battles:,} battles, {args.models} models, {args.rounds:,} bootstrap rounds "
        f"({os.cpu_count()} cores, {platform.machine()})"
    )
    print(
        f"  ours   leaderboard (prepare, fit, {args.rounds} bootstrap fits, CIs, ranks, matrices): {ours_s:.2f} s "
        f"(one fit {ours_fit_s:.2f} s)"
    )
    print(
        f"  peer   sklearn LogisticRegression on the duplicated battle matrix: {peer_round_s:.2f} s per round, "
        f"{args.peer_rounds} rounds timed, extrapolated to {args.rounds}: {peer_s:.0f} s"
    )
    print(f"  ratio  {ratio:.0f}x faster; full-data ratings agree to {agree:.3f} Elo")
    out = {
        "battles": args.battles,
        "models": args.models,
        "rounds": args.rounds,
        "ours_s": round(ours_s, 3),
        "ours_one_fit_s": round(ours_fit_s, 3),
        "peer": "sklearn LogisticRegression, duplicated battle matrix (Chatbot Arena's former bootstrap)",
        "peer_fit_s": round(peer_fit_s, 3),
        "peer_round_s": round(peer_round_s, 3),
        "peer_rounds_timed": args.peer_rounds,
        "peer_extrapolated_s": round(peer_s, 1),
        "ratio": round(ratio, 1),
        "max_rating_diff_elo": round(agree, 4),
    }
    record.append(args.out, started, title=TITLE, rows=table_rows(out), details=out, command=record.command_line())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
