"""How well a ranking separates models, and how far it agrees with a reference ranking.

Arena-Hard's measures (Li et al. 2024, "From Crowdsourced Data to High-Quality Benchmarks: Arena-Hard and BenchBuilder
Pipeline", arXiv:2406.11939, §3 "Evaluation metrics"): separability with confidence is the share of model pairs whose
confidence intervals do not overlap; agreement with confidence intervals scores each pair +1 when the intervals
separate it in the reference's order, -1 when they separate it in the opposite order and 0 when they don't separate
it, averaged over all pairs. A reference given as a plain list (a public leaderboard, another judge's ratings) has no
intervals: every pair it orders counts as separated by it, and a pair it ties scores 0. Spearman and Kendall (tau-b)
rank correlations stand beside them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats

from workbench.errors import InputError

__all__ = ["against", "agreement_with_ci", "reference_scores", "separability"]


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, k=1)


def separability(lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of model pairs whose intervals [lo, hi] do not overlap (touching intervals overlap)."""
    i, j = _pairs(len(lo))
    if not len(i):
        return float("nan")
    return float(np.mean((lo[i] > hi[j]) | (lo[j] > hi[i])))


def agreement_with_ci(lo: np.ndarray, hi: np.ndarray, reference: np.ndarray) -> float:
    """Mean over model pairs of +1 (intervals separate the pair in the reference's order), -1 (in the opposite
    order) or 0 (not separated, or tied in the reference); `reference` is higher-is-better."""
    i, j = _pairs(len(lo))
    if not len(i):
        return float("nan")
    ours = np.where(lo[i] > hi[j], 1, np.where(lo[j] > hi[i], -1, 0))
    return float(np.mean(ours * np.sign(reference[i] - reference[j])))


def against(ratings: Mapping[str, float], ci: Mapping[str, list], reference: Mapping[str, float]) -> dict:
    """`separability`, `agreement_with_ci`, `spearman`, `kendall` and the models compared, over the models both
    rank; `reference` maps model → higher-is-better score (negate ranks first). InputError with fewer than 2."""
    common = [m for m in ratings if m in reference]
    if len(common) < 2:
        raise InputError(
            f"the reference ranks {len(common)} of the rated models; at least 2 are needed",
            hint="the reference's model column must use the same names as the battles",
        )
    r = np.array([ratings[m] for m in common], dtype=np.float64)
    lo = np.array([ci[m][0] for m in common], dtype=np.float64)
    hi = np.array([ci[m][1] for m in common], dtype=np.float64)
    ref = np.array([reference[m] for m in common], dtype=np.float64)
    rho = stats.spearmanr(r, ref).statistic
    tau = stats.kendalltau(r, ref).statistic
    return {
        "separability": round(separability(lo, hi), 4),
        "agreement_with_ci": round(agreement_with_ci(lo, hi, ref), 4),
        "spearman": None if np.isnan(rho) else round(float(rho), 4),
        "kendall": None if np.isnan(tau) else round(float(tau), 4),
        "models_compared": len(common),
        "not_in_reference": [m for m in ratings if m not in reference],
    }


def reference_scores(rows: list[dict], where: list[str]) -> dict[str, float]:
    """A reference ranking's rows (model plus rating or rank) → model → higher-is-better score (a rank is negated).
    InputError naming the row for a missing column, a non-number or a model listed twice."""
    cols = set(rows[0]) if rows else set()
    key = "rating" if "rating" in cols else "rank" if "rank" in cols else None
    if not rows or "model" not in cols or key is None:
        raise InputError(
            "the reference needs columns model and rating (higher is better) or rank (1 is best)",
            hint="e.g. a CSV with the header model,rating; one row per model",
        )
    out: dict[str, float] = {}
    for row, at in zip(rows, where):
        name = str(row.get("model") or "").strip()
        try:
            value = float(row.get(key))
        except (TypeError, ValueError):
            value = float("nan")
        if not name or not np.isfinite(value):
            raise InputError(f"{at}: needs a model name and a numeric {key}", hint=f"got {row!r}")
        if name in out:
            raise InputError(f"{at}: model {name!r} is listed twice", hint="one row per model")
        out[name] = value if key == "rating" else -value
    return out
