"""Adaptive pairing: the next battles go to the pairs of models whose rating intervals still overlap.

The rule of `evalkit tournament --adaptive` (and of adaptive human rating sessions), after Chatbot Arena's active
sampling (Chiang et al. 2024, §5.4: sample pairs in proportion to how much a battle would shrink their uncertainty):
a pair whose 95 % intervals overlap is unsettled, the more overlap the more it needs battles; pairs with no overlap
are settled and get none. Pure functions over the leaderboard's `ci` (model → [low, high]).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = [
    "battles_saved",
    "disconnected_warning",
    "drifting",
    "pick_unsettled",
    "tournament_savings",
    "unsettled_pairs",
]


def drifting(unbounded_groups: Sequence[Sequence[str]]) -> set[str]:
    """Models outside the largest group of `unbounded` (evalkit.ratings.battles.unbounded; the leaderboard's
    `unbounded`): their maximum-likelihood rating is infinite (Ford 1957), so their interval is the prior's."""
    return {m for g in list(unbounded_groups)[1:] for m in g}


def unsettled_pairs(
    models: Sequence[str],
    ci: Mapping[str, Sequence[float]] | None,
    *,
    counts: Mapping[tuple[str, str], int] | None = None,
    rng: np.random.Generator | None = None,
    candidates: Sequence[tuple[str, str]] | None = None,
    drifting: Collection[str] = (),
) -> list[tuple[str, str]]:
    """Pairs (x, y) in `models` order (or among `candidates`) whose intervals overlap or touch, most overlap first
    (then fewer battles in `counts`, then at random: one draw per candidate). Without intervals for a model (no fit
    yet, or it has not met the others) or one whose rating only the prior holds (`drifting`: it never won, or never
    lost, against the rest) every pair with it counts as unsettled, first: its interval says nothing yet."""
    ci = ci or {}
    counts = counts or {}
    rng = rng or np.random.default_rng(0)
    scored = []
    for x, y in itertools.combinations(models, 2) if candidates is None else candidates:
        tie_break = rng.random()
        if x in ci and y in ci and x not in drifting and y not in drifting:
            (lx, hx), (ly, hy) = ci[x], ci[y]
            overlap = min(hx, hy) - max(lx, ly)  # > 0: the intervals share this many Elo points
        else:
            overlap = np.inf
        if overlap >= 0:
            n = counts.get((x, y), 0) + counts.get((y, x), 0)
            scored.append((-overlap, n, tie_break, (x, y)))
    scored.sort()
    return [s[3] for s in scored]


def disconnected_warning(models: Sequence[str], pairs: Sequence[tuple[str, str]]) -> str | None:
    """A warning when the battles so far (`pairs`, one per battle) leave the comparison graph in pieces: ratings
    across the pieces mean nothing, and adaptive pairing can't tell which pairs are unsettled between them."""
    idx = {m: i for i, m in enumerate(models)}
    edges = [(idx[a], idx[b]) for a, b in pairs if a in idx and b in idx]
    m = len(models)
    if m < 2:
        return None
    rows, cols = (np.array([e[k] for e in edges], dtype=int) for k in (0, 1))
    g = sparse.coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(m, m))
    n, label = connected_components(g, directed=False)
    if n <= 1:
        return None
    parts = ["{" + ", ".join(models[i] for i in np.flatnonzero(label == c)) + "}" for c in range(n)]
    return f"the comparison graph is disconnected ({n} groups never met: {'; '.join(parts)}); add battles between them"


def battles_saved(n_models: int, per_pair: int, spent: int) -> dict:
    """What adaptive pairing saved against a round-robin of `per_pair` battles for every pair."""
    full = n_models * (n_models - 1) // 2 * per_pair
    saved = max(full - spent, 0)
    return {"round_robin": full, "spent": spent, "saved": saved, "saved_share": round(saved / full, 4) if full else 0.0}


def tournament_savings(runs: Sequence[Mapping]) -> list[dict]:
    """For each finished adaptive tournament among store runs (config: contestants, prompts, adaptive; summary:
    battles), the battles it spent against the round-robin on every prompt it had (`battles_saved`)."""
    out = []
    for run in runs:
        cfg, summary = run.get("config") or {}, run.get("summary") or {}
        if not cfg.get("adaptive") or not cfg.get("prompts") or summary.get("battles") is None:
            continue
        saved = battles_saved(len(cfg.get("contestants") or []), int(cfg["prompts"]), int(summary["battles"]))
        out.append(
            {"run_id": run.get("id"), "name": run.get("name"), **saved, "stop_reason": summary.get("stop_reason")}
        )
    return out


def pick_unsettled(options: Sequence[tuple], battles: pd.DataFrame, *, bootstrap: int = 100, seed: int = 0):
    """The key of the most unsettled option (key, model_x, model_y) given the battles so far (model_a, model_b,
    winner), recomputed on every call, so each vote counts; None when every offered pair is settled. Before the
    battles connect every model, every pair counts as unsettled and the least-played goes first."""
    from evalkit.ratings.battles import DisconnectedError
    from evalkit.ratings.leaderboard import leaderboard

    if not options:
        return None
    played = list(zip(battles["model_a"], battles["model_b"])) if len(battles) else []
    models = sorted({m for _, x, y in options for m in (x, y)} | {m for p in played for m in p})
    counts: dict[tuple[str, str], int] = {}
    for x, y in played:
        key = (x, y) if x < y else (y, x)
        counts[key] = counts.get(key, 0) + 1
    ci, drift = None, set()
    if played:
        try:
            lb = leaderboard(battles, bootstrap=bootstrap, seed=seed)
            ci, drift = lb.get("ci"), drifting(lb.get("unbounded", []))
        except DisconnectedError:
            ci = None
    pairs = {(x, y) if x < y else (y, x) for _, x, y in options}
    rng = np.random.default_rng(seed)
    order = unsettled_pairs(models, ci, counts=counts, rng=rng, candidates=sorted(pairs), drifting=drift)
    if not order:
        return None
    best = order[0]
    return next(k for k, x, y in options if {x, y} == set(best))
