"""Paired statistics of two runs over the same cases: exact McNemar, a bootstrap CI of the pass-rate delta, the
flips, per-tag and per-metric deltas.

Pure functions over pass (1.0) / fail (0.0) arrays in case order; an argument they can't use raises ValueError
(`workbench.errors.InputError`, with a hint), which a CLI shows as a message. The report that puts them together is
`evalkit.suites.compare`; its text is `evalkit.suites.outputs.compare_markdown`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.errors import InputError

__all__ = ["bootstrap_delta_ci", "flips", "mcnemar_exact", "mean_delta", "tag_deltas"]


def mcnemar_exact(pass_to_fail: int, fail_to_pass: int) -> float:
    """Two-sided exact McNemar p-value (McNemar 1947; exact form: the discordant pairs b ~ Bin(b + c, ½), a two-sided
    binomial test); 1.0 when no case flipped."""
    from scipy.stats import binomtest

    if pass_to_fail < 0 or fail_to_pass < 0:
        raise InputError(f"McNemar counts can't be negative (got {pass_to_fail}, {fail_to_pass})")
    n = pass_to_fail + fail_to_pass
    return 1.0 if n == 0 else float(binomtest(fail_to_pass, n, 0.5, alternative="two-sided").pvalue)


def bootstrap_delta_ci(
    a: np.ndarray, b: np.ndarray, *, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of mean(b) - mean(a), resampling paired cases (Efron & Tibshirani 1993, ch. 13);
    (0, 0) when there are no cases."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(
            f"paired bootstrap needs two 1-D arrays of the same length (got {a.shape} and {b.shape})",
            hint="pass one value per case, in the same case order",
        )
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}", hint="e.g. 0.95")
    if n_boot < 1:
        raise InputError(f"n_boot must be at least 1, got {n_boot}")
    if len(a) == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    d = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    lo, hi = np.quantile(d, [(1 - confidence) / 2, 1 - (1 - confidence) / 2])
    return float(lo), float(hi)


def flips(ids: Sequence[str], a: np.ndarray, b: np.ndarray) -> tuple[list[str], list[str]]:
    """(pass→fail ids, fail→pass ids): the discordant pairs McNemar counts, in case order."""
    if not len(ids) == len(a) == len(b):
        raise InputError(f"{len(ids)} case ids for {len(a)} and {len(b)} results", hint="one result per case id")
    pass_to_fail = [c for c, x, y in zip(ids, a, b) if x == 1 and y == 0]
    fail_to_pass = [c for c, x, y in zip(ids, a, b) if x == 0 and y == 1]
    return pass_to_fail, fail_to_pass


def tag_deltas(a: np.ndarray, b: np.ndarray, tags: Sequence[Sequence[str]]) -> dict[str, dict]:
    """Per tag (sorted): its cases' count, pass rates in A and B, their delta and the flips each way."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not len(tags) == len(a) == len(b):
        raise InputError(f"{len(tags)} tag lists for {len(a)} and {len(b)} results", hint="one tag list per case")
    out: dict[str, dict] = {}
    for tag in sorted({t for ts in tags for t in ts}):
        sel = np.array([tag in ts for ts in tags])
        ta, tb = a[sel], b[sel]
        out[tag] = {
            "n": int(sel.sum()),
            "pass_rate_a": float(ta.mean()),
            "pass_rate_b": float(tb.mean()),
            "delta": float(tb.mean() - ta.mean()),
            "pass_to_fail": int(((ta == 1) & (tb == 0)).sum()),
            "fail_to_pass": int(((ta == 0) & (tb == 1)).sum()),
        }
    return out


def mean_delta(pairs: Sequence[tuple[float, float]]) -> dict:
    """Means of a per-case metric (acc, acc_norm) in A and B over the cases that have it in both, and B - A."""
    if not pairs:
        raise InputError("no paired values to average", hint="keep only metrics that both runs recorded")
    xa, xb = (float(np.mean(v)) for v in zip(*pairs))
    return {"a": xa, "b": xb, "delta": xb - xa, "n": len(pairs)}
