"""The leaderboard from a rater consensus (issue 18): one battle per item and model pair, by majority vote or
Dawid-Skene, checked by hand and against crowd-kit's Dawid-Skene on the same votes; `evalkit ratings --consensus`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evalkit.ratings.consensus import consensus_battles


def _vote(item, a, b, winner, judge):
    return {"item_id": item, "model_a": a, "model_b": b, "winner": winner, "judge": judge}


def test_majority_by_hand_whatever_the_side_each_rater_saw():
    df = pd.DataFrame(
        [
            _vote("q1", "alpha", "beta", "model_a", "kim"),
            _vote("q1", "beta", "alpha", "model_b", "lee"),  # alpha again, seen on the right
            _vote("q1", "alpha", "beta", "model_b", "park"),
            _vote("q2", "beta", "alpha", "tie", "kim"),
            _vote("q2", "alpha", "beta", "model_b", "lee"),
            _vote("q2", "beta", "alpha", "model_a", "park"),
        ]
    )
    out, info = consensus_battles(df, "majority")
    got = {r.item_id: (r.model_a, r.model_b, r.winner) for r in out.itertuples()}
    assert got == {"q1": ("alpha", "beta", "model_a"), "q2": ("alpha", "beta", "model_b")}
    assert info == {"method": "majority", "votes": 6, "raters": 3, "battles": 2}


def test_dawid_skene_labels_equal_crowdkit_on_the_same_votes():
    """Votes of 6 raters (two of them spammers) on 3 models' pairs; crowd-kit reads the same votes as (task, worker,
    label) with the winner named, so the orientation is done independently of ours."""
    from crowdkit.aggregation import DawidSkene

    rng = np.random.default_rng(5)
    models, strength = ["m1", "m2", "m3"], {"m1": 0.0, "m2": 1.0, "m3": 2.0}
    acc = {"r1": 0.9, "r2": 0.85, "r3": 0.8, "r4": 0.75, "spam1": 0.34, "spam2": 0.34}
    rows = []
    for i in range(160):
        a, b = rng.choice(models, 2, replace=False)
        truth = a if strength[a] + rng.normal(0, 1) > strength[b] else b
        for judge in rng.choice(list(acc), 3, replace=False):
            picked = truth if rng.random() < acc[judge] else rng.choice([a, b, "tie"])
            left, right = (a, b) if rng.random() < 0.5 else (b, a)
            winner = "tie" if picked == "tie" else ("model_a" if picked == left else "model_b")
            rows.append(_vote(f"q{i}", left, right, winner, judge))
    df = pd.DataFrame(rows)
    out, _ = consensus_battles(df, "dawid-skene")
    ours = {
        (r.item_id, r.model_a, r.model_b): {"model_a": r.model_a, "model_b": r.model_b}.get(r.winner, "tie")
        for r in out.itertuples()
    }
    said = np.where(df.winner == "model_a", df.model_a, np.where(df.winner == "model_b", df.model_b, "tie"))
    task = [(q, *sorted((a, b))) for q, a, b in zip(df.item_id, df.model_a, df.model_b)]
    # the label as a verdict on the pair in name order: "first" (the name sorted first won), "second" or "tie"
    label = ["tie" if w == "tie" else ("first" if w == t[1] else "second") for w, t in zip(said, task)]
    data = pd.DataFrame({"task": [str(t) for t in task], "worker": df.judge, "label": label})
    peer = DawidSkene(n_iter=100, tol=-np.inf).fit_predict(data)  # our default: 100 rounds unless converged
    named = {"first": 1, "second": 2}
    agree = [ours[t] == (t[named[peer[str(t)]]] if peer[str(t)] in named else "tie") for t in set(task)]
    assert len(agree) == len(out) and all(agree)


def test_a_vote_without_item_or_rater_is_refused_by_name():
    with pytest.raises(ValueError, match="no item_id column"):
        consensus_battles(
            pd.DataFrame([{"model_a": "a", "model_b": "b", "winner": "model_a", "judge": "x"}]), "majority"
        )


def test_cli_ratings_with_a_consensus(tmp_path):
    rows = [
        _vote(f"q{i}", a, b, w, j)
        for i in range(30)
        for (a, b, w, j) in (
            ("big", "small", "model_a", "kim"),
            ("small", "big", "model_b", "이서연"),
            ("big", "small", "model_b", "spam"),
        )
    ]
    battles = tmp_path / "votes.csv"
    pd.DataFrame(rows).to_csv(battles, index=False)
    out = tmp_path / "lb.json"
    cmd = [sys.executable, "-m", "evalkit", "ratings", str(battles), "--consensus", "dawid-skene", "--json", str(out)]
    env = {**os.environ, "COLUMNS": "200"}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    lb = json.loads(out.read_text("utf-8"))
    assert lb["battles"] == 30 and lb["models"][0] == "big"
    assert lb["consensus"] == {"method": "dawid-skene", "votes": 90, "raters": 3, "battles": 30}
    bare = tmp_path / "bare.csv"
    pd.DataFrame(rows).drop(columns=["item_id"]).to_csv(bare, index=False)
    r = subprocess.run(cmd[:4] + [str(bare), "--consensus", "majority"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "no item_id column" in r.stderr and "Traceback" not in r.stderr
