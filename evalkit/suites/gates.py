"""The regression gate's statistics: a paired test on per-unit pass rates, Holm's correction over tags, a cluster
bootstrap, and the one decision a CI reads.

A *unit* is a case, or a `group:` of cases that share a source (20 variants of one question count once: the test runs
on each group's mean difference, and the bootstrap resamples whole groups). With `--repeats` a case's value is its
pass rate over the repeats, so the same test is a paired test on rates (Miller 2024, "Adding Error Bars to Evals",
§2.2 clustered errors and §4 paired differences). Pure functions; bad arguments raise `InputError` (a ValueError).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.errors import InputError

__all__ = [
    "GATE_DEFAULTS",
    "cluster_bootstrap_ci",
    "cluster_se",
    "drop_p_values",
    "gate_decision",
    "holm",
    "paired_drop_test",
    "unit_differences",
]

# what a suite's `gate:` block may set, with what it means when left out
GATE_DEFAULTS = {"metric": "pass_rate", "tags": [], "critical": [], "allowed_drop": 0.0, "alpha": 0.05}
ALL = "(all cases)"  # the family member that stands for the whole suite


def unit_differences(a: Sequence[float], b: Sequence[float], groups: Sequence | None = None) -> np.ndarray:
    """d = b - a per case, or per group the mean over its cases (group order: first appearance)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(f"paired values need two 1-D arrays of one length (got {a.shape}, {b.shape})")
    d = b - a
    if groups is None:
        return d
    if len(groups) != len(d):
        raise InputError(f"{len(groups)} groups for {len(d)} cases", hint="one group per case (its id when alone)")
    _, first, inverse = np.unique(np.asarray(groups, dtype=str), return_index=True, return_inverse=True)
    sums = np.bincount(inverse, weights=d)
    means = sums / np.bincount(inverse)
    return means[np.argsort(first)]


def drop_p_values(d: np.ndarray, allowed_drop: float = 0.0) -> np.ndarray:
    """One-sided paired t-test p-values of H0: mean(d) >= -allowed_drop, one per row of a 2-D array of unit
    differences (Student 1908); a row with no spread gets 0 when it dropped beyond the allowed drop, else 1."""
    from scipy import stats

    d = np.atleast_2d(np.asarray(d, dtype=float))
    n = d.shape[1]
    if n < 2:
        return np.ones(d.shape[0])
    shifted = d.mean(axis=1) + allowed_drop
    se = d.std(axis=1, ddof=1) / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, shifted / np.where(se > 0, se, 1.0), np.where(shifted < 0, -np.inf, np.inf))
    return stats.t.cdf(t, n - 1)


def paired_drop_test(d: Sequence[float], allowed_drop: float = 0.0) -> dict:
    """One-sided paired t-test of H0: mean(d) >= -allowed_drop against a larger drop, on the unit differences d;
    p = 1 with under 2 units."""
    d = np.asarray(d, dtype=float)
    if not 0 <= allowed_drop < 1:
        raise InputError(f"allowed_drop is a fraction in [0, 1), got {allowed_drop}", hint="0.02 = 2 points")
    n = len(d)
    delta = float(d.mean()) if n else 0.0
    se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    t = (delta + allowed_drop) / se if se > 0 else None
    p = float(drop_p_values(d[None, :], allowed_drop)[0]) if n else 1.0
    return {"n": n, "delta": delta, "se": se, "t": t, "df": max(n - 1, 0), "p_value": p}


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979, "A simple sequentially rejective multiple test procedure"):
    the k-th smallest times (m - k + 1), made monotone, capped at 1; reject where adjusted < alpha."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or ((p < 0) | (p > 1)).any():
        raise InputError("Holm's correction needs p-values between 0 and 1")
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adj
    return out.tolist()


def cluster_bootstrap_ci(
    a: Sequence[float],
    b: Sequence[float],
    groups: Sequence,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile CI of mean(b) - mean(a) over cases, resampling whole groups with replacement (the cluster bootstrap,
    Davison & Hinkley 1997, §3.8), so cases that share a source move together."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(groups) != len(a):
        raise InputError(f"cluster bootstrap needs one group per paired case ({len(groups)} for {len(a)})")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}", hint="e.g. 0.95")
    if len(a) == 0:
        return (0.0, 0.0)
    _, inverse = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    sums, sizes = np.bincount(inverse, weights=b - a), np.bincount(inverse).astype(float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(sums), size=(n_boot, len(sums)))
    stat = sums[idx].sum(axis=1) / sizes[idx].sum(axis=1)
    lo, hi = np.quantile(stat, [(1 - confidence) / 2, 1 - (1 - confidence) / 2])
    return float(lo), float(hi)


def _tag_test(a, b, groups, tags_of, tag: str | None, allowed: float) -> dict:
    sel = np.array([tag is None or tag in ts for ts in tags_of], dtype=bool)
    g = None if groups is None else [x for x, s in zip(groups, sel) if s]
    return paired_drop_test(unit_differences(a[sel], b[sel], g), allowed) if sel.any() else paired_drop_test([])


def gate_decision(
    a: Sequence[float],
    b: Sequence[float],
    tags_of: Sequence[Sequence[str]],
    groups: Sequence | None = None,
    *,
    config: dict | None = None,
) -> dict:
    """The gate over paired per-case values: the whole suite and the gate's tags tested together with Holm's
    correction, each critical tag tested alone at alpha; `failed` with the reasons why."""
    cfg = {**GATE_DEFAULTS, **(config or {})}
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    alpha, allowed = float(cfg["alpha"]), float(cfg["allowed_drop"])
    family = [ALL, *cfg["tags"]]
    tests = {t: _tag_test(a, b, groups, tags_of, None if t == ALL else t, allowed) for t in family}
    for t, p_adj in zip(family, holm([tests[t]["p_value"] for t in family])):
        tests[t].update(p_holm=p_adj, failed=bool(p_adj < alpha))
    critical = {t: _tag_test(a, b, groups, tags_of, t, allowed) for t in cfg["critical"]}
    for res in critical.values():
        res["failed"] = bool(res["p_value"] < alpha)
    reasons = [
        f"{'the suite' if t == ALL else f'tag {t!r}'} dropped {-100 * r['delta']:.1f} points "
        f"(Holm-adjusted p = {r['p_holm']:.3g} < {alpha:g}, allowed drop {100 * allowed:g} points)"
        for t, r in tests.items()
        if r["failed"]
    ]
    reasons += [
        f"critical tag {t!r} dropped {-100 * r['delta']:.1f} points (p = {r['p_value']:.3g} < {alpha:g})"
        for t, r in critical.items()
        if r["failed"]
    ]
    return {"config": cfg, "tests": tests, "critical": critical, "failed": bool(reasons), "reasons": reasons}


def cluster_se(values: Sequence[float], groups: Sequence | None = None) -> float:
    """Standard error of a mean over cases, clustered by group (Liang & Zeger 1986; Miller 2024 §2.2): each group's
    summed residual counts as one draw; without groups the usual s/√n."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return 0.0
    if groups is None:
        return float(x.std(ddof=1) / np.sqrt(n))
    _, inverse = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    resid = np.bincount(inverse, weights=x - x.mean())
    g = len(resid)
    return float(np.sqrt(g / (g - 1) * (resid**2).sum()) / n) if g > 1 else 0.0
