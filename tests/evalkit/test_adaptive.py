"""Adaptive pairing (issue 20): which pairs are unsettled (by hand), the disconnected-graph warning, battles saved,
adaptive vs uniform in simulation, and an adaptive human session with simulated raters on a real SQLite store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures.ratings_sim import ALPHA, pairing_run
from scipy.special import expit

from evalkit import adaptive_sessions, sessions
from evalkit.ratings import leaderboard
from evalkit.ratings.adaptive import (
    battles_saved,
    disconnected_warning,
    pick_unsettled,
    tournament_savings,
    unsettled_pairs,
)


def test_unsettled_pairs_by_hand():
    ci = {"a": [1000, 1100], "b": [1050, 1080], "c": [1090, 1200], "d": [800, 900]}
    # overlaps: a-b 30, a-c 10, b-c -10 (settled), a-d -100, b-d, c-d settled; a model without an interval first
    assert unsettled_pairs(["a", "b", "c", "d"], ci) == [("a", "b"), ("a", "c")]
    assert unsettled_pairs(["a", "b", "e"], ci)[:2] == [("a", "e"), ("b", "e")] or set(
        unsettled_pairs(["a", "b", "e"], ci)[:2]
    ) == {("a", "e"), ("b", "e")}
    # equal overlap: fewer battles first
    same = {"a": [0, 10], "b": [0, 10], "c": [0, 10]}
    assert unsettled_pairs(["a", "b", "c"], same, counts={("a", "b"): 5, ("a", "c"): 1, ("b", "c"): 3})[0] == ("a", "c")


def test_disconnected_graph_is_warned_about():
    assert disconnected_warning(["a", "b", "c"], [("a", "b"), ("b", "c")]) is None
    msg = disconnected_warning(["a", "b", "c", "d"], [("a", "b"), ("c", "d")])
    assert "disconnected" in msg and "{a, b}" in msg and "{c, d}" in msg


def test_battles_saved_against_the_round_robin():
    # 4 contestants, 10 prompts: 6 pairs x 10 = 60 battles in a round-robin; 24 spent → 36 saved
    assert battles_saved(4, 10, 24) == {"round_robin": 60, "spent": 24, "saved": 36, "saved_share": 0.6}
    runs = [
        {
            "id": "r1",
            "name": "t",
            "config": {"adaptive": True, "contestants": ["a", "b", "c"], "prompts": 5},
            "summary": {"battles": 9, "stop_reason": "ranking settled"},
        },
        {"id": "r2", "config": {"adaptive": False, "contestants": ["a", "b"], "prompts": 5}, "summary": {"battles": 5}},
    ]
    (one,) = tournament_savings(runs)
    assert (one["round_robin"], one["saved"], one["saved_share"]) == (15, 6, 0.4)


def test_adaptive_pairing_needs_fewer_battles_than_uniform_in_simulation():
    """6 models 80 Elo apart, the true order as the target, 3 seeds: adaptive needs fewer battles on average (the
    20-model, 20-seed figure is benchmarks/bench_adaptive.py's)."""
    true = np.arange(6) * 80.0
    kw = dict(target=1.0, budget=2000, step=6)
    uni = [pairing_run(true, adaptive=False, rng=np.random.default_rng([s, 0]), **kw) for s in range(3)]
    ada = [pairing_run(true, adaptive=True, rng=np.random.default_rng([s, 1]), **kw) for s in range(3)]
    assert np.mean(ada) < np.mean(uni), (uni, ada)


def test_pick_unsettled_prefers_the_unplayed_then_the_overlapping():
    battles = pd.DataFrame({"model_a": ["a"] * 40, "model_b": ["b"] * 40, "winner": ["model_a"] * 38 + ["model_b"] * 2})
    # c never played: its pairs come first
    assert pick_unsettled([(1, "a", "b"), (2, "b", "c")], battles) == 2
    # a beats b 38-2: settled, nothing to hand out
    assert pick_unsettled([(1, "a", "b")], battles) is None


def test_adaptive_human_session_hands_out_only_unsettled_pairs(store):
    """Simulated raters vote by known strengths; before every item we recompute, from the stored votes, which pairs
    are unsettled (intervals overlap, or a model not yet rated), and check the item handed out is one of them."""
    models = ["m0", "m1", "m2", "m3"]
    strength = dict(zip(models, [0.0, 40.0, 300.0, 600.0]))
    items = [dict(item_id=f"q{i}", prompt=f"p{i}", outputs={m: f"{m} answer {i}" for m in models}) for i in range(12)]
    made = sessions.open_session(store, "adaptive", items, models=models, k=1, new_people=["P", "Q"], adaptive=True)
    sid, raters = made["session_id"], [p["id"] for p in made["people"]]
    with store.engine.connect() as conn:  # as the admin page's "Adaptive" box creates it
        assert adaptive_sessions.is_adaptive(conn, sid)
    rng = np.random.default_rng(0)
    votes: list[dict] = []
    handed = 0
    for _ in range(200):
        progressed = False
        for r in raters:
            item = sessions.next_item(store, sid, r)
            if item is None:
                continue
            revealed_pair = _pair_of(store, sid, r, item["item_id"])
            assert _unsettled(votes, revealed_pair, models)
            left, right = _shown(store, sid, r, item["item_id"])
            p_left = expit(ALPHA * (strength[left] - strength[right]))
            choice = "left" if rng.random() < p_left else "right"
            sessions.cast_vote(store, sid, r, item["item_id"], choice)
            winner = left if choice == "left" else right
            votes.append({"model_a": left, "model_b": right, "winner": "model_a" if winner == left else "model_b"})
            handed += 1
            progressed = True
        if not progressed:
            break
    total_units = 6 * 12
    assert 0 < handed < total_units  # it stopped handing out items once every pair left was settled
    lb = leaderboard(pd.DataFrame(votes), bootstrap=100, seed=0)
    assert lb["models"][0] == "m3"


def _assignment(store, sid, rater, item_id):
    import sqlalchemy as sa

    from workbench.store import schema

    a = schema.assignments
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(a).where(a.c.session_id == sid, a.c.rater_id == rater, a.c.item_id == item_id)
        ).first()


def _pair_of(store, sid, rater, item_id) -> tuple[str, str]:
    return tuple(_assignment(store, sid, rater, item_id).payload["models"])


def _shown(store, sid, rater, item_id) -> tuple[str, str]:
    p = _assignment(store, sid, rater, item_id).payload
    return tuple(p["models"]) if p["order"] == "AB" else tuple(reversed(p["models"]))


def _unsettled(votes: list[dict], pair: tuple[str, str], models: list[str]) -> bool:
    """Independently of evalkit.ratings.adaptive: the pair is unsettled when a model of it has no interval yet (no
    votes, or the votes don't connect every model) or its two 95 % intervals overlap."""
    if not votes:
        return True
    df = pd.DataFrame(votes)
    seen = set(df.model_a) | set(df.model_b)
    if not set(pair) <= seen:
        return True
    try:
        ci = leaderboard(df, bootstrap=100, seed=0)["ci"]
    except ValueError:  # disconnected: no intervals across the groups
        return True
    if set(pair) & _outside_largest_win_cycle(df):
        return True
    (lx, hx), (ly, hy) = ci[pair[0]], ci[pair[1]]
    return min(hx, hy) - max(lx, ly) >= 0


def _outside_largest_win_cycle(df: pd.DataFrame) -> set[str]:
    """Models outside the largest strongly connected group of the win graph (x → y when x beat y): their maximum
    likelihood rating is infinite (Ford 1957), only the prior holds it."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    names = sorted(set(df.model_a) | set(df.model_b))
    ix = {m: i for i, m in enumerate(names)}
    win = [(ix[a], ix[b]) if w == "model_a" else (ix[b], ix[a]) for a, b, w in zip(df.model_a, df.model_b, df.winner)]
    g = coo_matrix((np.ones(len(win)), ([w[0] for w in win], [w[1] for w in win])), shape=(len(names), len(names)))
    n, label = connected_components(g, directed=True, connection="strong")
    sizes = np.bincount(label)
    biggest = np.flatnonzero(sizes == sizes.max())
    if len(biggest) > 1:  # several groups of the same size: every model but those of the first (sorted by name)
        biggest = [min(biggest, key=lambda c: min(names[i] for i in np.flatnonzero(label == c)))]
    return {names[i] for i in range(len(names)) if label[i] != biggest[0]} if n > 1 else set()


@pytest.mark.parametrize("n", [0])
def test_no_options_no_pick(n):
    assert pick_unsettled([], pd.DataFrame(columns=["model_a", "model_b", "winner"])) is None
