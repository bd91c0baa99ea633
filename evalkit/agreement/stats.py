"""Agreement statistics: pure functions over small arrays, each citing its source and checked against an independent
implementation in the tests (scikit-learn, statsmodels, krippendorff, scipy).

% agreement with and without ties (MT-Bench), Cohen's and weighted kappa, Fleiss' kappa, Krippendorff's alpha,
Spearman and Kendall, a confusion matrix, position consistency, verbosity preference and a percentile bootstrap over
items. A statistic that is undefined on the data returns NaN; the report says why. Bad arguments raise ValueError.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from workbench import verdicts
from workbench.errors import InputError

__all__ = [
    "alpha_from_coincidences",
    "bootstrap_ci",
    "cohen_kappa",
    "confusion_matrix",
    "fleiss_kappa",
    "kendall",
    "krippendorff_alpha",
    "pair_counts",
    "percent_agreement",
    "position_consistency",
    "spearman",
    "unit_coincidences",
    "verbosity_preference",
]


def pair_counts(counts: np.ndarray, *, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per item: (agreeing pairs, all pairs) over all pairs of distinct raters; `exclude` marks values (ties) whose
    pairs are left out, as in MT-Bench's agreement "without tie" (Zheng et al. 2023, §4.2 and Table 8)."""
    c = counts if exclude is None else counts * ~exclude
    m = c.sum(axis=1)
    return (c * (c - 1) / 2).sum(axis=1), m * (m - 1) / 2


def percent_agreement(counts: np.ndarray, *, exclude: np.ndarray | None = None) -> float:
    """Probability that two distinct raters picked at random on a random pair give the same rating: the share of
    agreeing pairs among all distinct-rater pairs on the same item, computed exactly instead of by sampling."""
    agree, pairs = pair_counts(counts, exclude=exclude)
    return float(agree.sum() / pairs.sum()) if pairs.sum() else math.nan


def _weights(k: int, weights: str | None) -> np.ndarray:
    d = np.abs(np.subtract.outer(np.arange(k), np.arange(k))).astype(float)
    if weights is None:
        return (d > 0).astype(float)
    if weights == "linear":
        return d
    if weights == "quadratic":
        return d**2
    raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")


def cohen_kappa(a: Sequence, b: Sequence, *, weights: str | None = None, labels: Sequence | None = None) -> float:
    """Cohen's kappa for two raters over the same items, 1 − Σw·observed / Σw·expected (Cohen 1960; weighted:
    Cohen 1968). Weights use category positions in the sorted label order, as scikit-learn's cohen_kappa_score."""
    a, b = np.asarray(a), np.asarray(b)
    labels = np.unique(np.concatenate([a, b])) if labels is None else np.asarray(labels)
    k = len(labels)
    index = {v: i for i, v in enumerate(labels.tolist())}
    obs = np.zeros((k, k))
    np.add.at(obs, ([index[v] for v in a.tolist()], [index[v] for v in b.tolist()]), 1)
    n = obs.sum()
    if n == 0:
        return math.nan
    exp = np.outer(obs.sum(1), obs.sum(0)) / n
    w = _weights(k, weights)
    denom = (w * exp).sum()
    return float(1 - (w * obs).sum() / denom) if denom > 0 else math.nan


def fleiss_kappa(table: np.ndarray) -> float:
    """Fleiss' kappa for a complete design: `table` is items × categories counts, every item rated by the same
    number m ≥ 2 of raters (Fleiss 1971, eq. 1-9)."""
    table = np.asarray(table, dtype=float)
    n_items = table.shape[0]
    m = table.sum(axis=1)
    if n_items == 0 or not np.all(m == m[0]) or m[0] < 2:
        return math.nan
    m = m[0]
    p_j = table.sum(axis=0) / (n_items * m)
    p_i = ((table**2).sum(axis=1) - m) / (m * (m - 1))
    p_bar, p_e = p_i.mean(), (p_j**2).sum()
    return float((p_bar - p_e) / (1 - p_e)) if p_e < 1 else math.nan


def unit_coincidences(counts: np.ndarray) -> np.ndarray:
    """(N, K, K) each item's contribution to Krippendorff's coincidence matrix: value pairs from distinct raters,
    weighted 1/(m_u − 1); items with fewer than two ratings contribute nothing (Krippendorff 2011, §C)."""
    m = counts.sum(axis=1)
    pairs = counts[:, :, None] * counts[:, None, :]
    idx = np.arange(counts.shape[1])
    pairs[:, idx, idx] -= counts
    scale = np.where(m >= 2, 1.0 / np.maximum(m - 1, 1), 0.0)
    return pairs * scale[:, None, None]


def _delta2(values: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ordinal":  # (Σ_{g=c..k} n_g − (n_c + n_k)/2)²
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        lo = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
        hi = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
        return (cum[hi + 1] - cum[lo] - (n_c[:, None] + n_c[None, :]) / 2) ** 2
    raise InputError(f"unknown level {level!r}", hint="use nominal, ordinal or interval")


def alpha_from_coincidences(o: np.ndarray, values: np.ndarray, level: str) -> float:
    """α = 1 − D_o / D_e from a coincidence matrix (Krippendorff 2011, "Computing Krippendorff's alpha", §C-E)."""
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return math.nan
    d2 = _delta2(values, n_c, level)
    d_e = (np.outer(n_c, n_c) * d2).sum()
    return float(1 - (n - 1) * (o * d2).sum() / d_e) if d_e > 0 else math.nan


def krippendorff_alpha(data: np.ndarray, *, level: str = "nominal") -> float:
    """Krippendorff's alpha for a raters × items matrix of numbers (NaN = missing), any number of raters."""
    data = np.asarray(data, dtype=float)
    values = np.unique(data[~np.isnan(data)])
    counts = (
        np.stack([(data == v).sum(axis=0) for v in values], axis=1) if len(values) else np.zeros((data.shape[1], 0))
    )
    return alpha_from_coincidences(unit_coincidences(counts).sum(axis=0), values, level)


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (scipy.stats.spearmanr); NaN when either side is constant."""
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(stats.spearmanr(a, b).statistic)


def kendall(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b (scipy.stats.kendalltau), which corrects for ties; NaN when either side is constant."""
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(stats.kendalltau(a, b).statistic)


def confusion_matrix(a: Sequence, b: Sequence, labels: Sequence) -> list[list[int]]:
    """Counts of (rater a's label = row, rater b's label = column) over items both rated."""
    index = {v: i for i, v in enumerate(labels)}
    out = np.zeros((len(labels), len(labels)), dtype=int)
    for x, y in zip(a, b):
        out[index[x], index[y]] += 1
    return out.tolist()


def position_consistency(first: Sequence[str], swapped: Sequence[str]) -> float:
    """Share of items where a judge gives the same verdict when the two answers are swapped (Zheng et al. 2023,
    §3.3 "position bias", Table 2). `swapped` must already be mapped back to the first order's A/B."""
    pairs = [(x, y) for x, y in zip(first, swapped) if x not in verdicts.NO_VERDICT and y not in verdicts.NO_VERDICT]
    return sum(x == y for x, y in pairs) / len(pairs) if pairs else math.nan


def verbosity_preference(winners: Sequence[str], len_a: Sequence[int], len_b: Sequence[int]) -> float:
    """How often the longer answer wins among decisive verdicts (A or B) on answers of different length (Zheng et
    al. 2023, §3.3 "verbosity bias"): 0.5 means no preference."""
    wins = [
        (w == verdicts.A) == (la > lb)
        for w, la, lb in zip(winners, len_a, len_b)
        if w in (verdicts.A, verdicts.B) and la != lb
    ]
    return sum(wins) / len(wins) if wins else math.nan


def bootstrap_ci(
    stat: Callable[[np.ndarray], float], n_items: int, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float | None, float | None]:
    """Percentile bootstrap over items (resampled with replacement); resamples where the statistic is undefined
    are skipped, and None is returned when fewer than half of them are defined."""
    if n_boot <= 0 or n_items < 2:
        return None, None
    rng = np.random.default_rng(seed)
    draws = np.array([stat(rng.integers(0, n_items, n_items)) for _ in range(n_boot)], dtype=float)
    draws = draws[np.isfinite(draws)]
    if len(draws) < n_boot / 2:
        return None, None
    lo, hi = np.quantile(draws, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
