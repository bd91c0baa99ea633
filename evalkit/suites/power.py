"""Power of the regression gate before a run: the smallest drop a suite can detect, and the cases a drop needs.

The gate (`evalkit.suites.gates.paired_drop_test`) is a one-sided paired t-test on per-unit differences d = B - A of
pass rates (a unit is a case, or a `group:` of cases). Its power follows from the unit count n, the drop δ and the
spread of d. Write ψ = E[d²] (the *discordance*: for one sample per case, the share of cases whose result differs
between two runs); then Var d = ψ - δ² and the test has the power of a one-sample t-test with effect size
δ / sqrt(ψ - δ²) (Miller 2024, "Adding Error Bars to Evals", §5 power analysis; Connor 1987 for the McNemar case).
Without past runs to measure ψ, independent results are assumed: ψ = 2p(1 - p) at baseline pass rate p, the most
spread two runs of that pass rate can show, so the figures err on the cautious side.

Pure functions; an argument they can't use raises `workbench.errors.InputError` (a ValueError).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from workbench.errors import InputError

__all__ = [
    "DEFAULT_DROPS",
    "cases_needed",
    "discordance",
    "independent_discordance",
    "mde",
    "power_plan",
    "power_paired",
]

DEFAULT_DROPS = (0.02, 0.05, 0.10)  # drops `evalkit power` sizes the suite for unless told others
_MAX_CASES = 10_000_000  # cases_needed gives up above this (None: not reachable at any practical size)


def _check(alpha: float, power: float | None = None) -> None:
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha}", hint="e.g. 0.05")
    if power is not None and not 0 < power < 1:
        raise InputError(f"power must be between 0 and 1, got {power}", hint="e.g. 0.8")


def independent_discordance(baseline_rate: float) -> float:
    """ψ = 2p(1 - p): the discordance of two runs at pass rate p whose results are independent (no past runs)."""
    if not 0 <= baseline_rate <= 1:
        raise InputError(f"baseline pass rate must be between 0 and 1, got {baseline_rate}", hint="e.g. 0.8")
    return 2 * baseline_rate * (1 - baseline_rate)


def discordance(a: Sequence[float], b: Sequence[float]) -> float:
    """ψ̂ = mean((b - a)²) over paired units: the share of flipped cases for one sample each, in general E[d²]."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise InputError(f"discordance needs two non-empty 1-D arrays of one length (got {a.shape}, {b.shape})")
    return float(np.mean((b - a) ** 2))


def power_paired(drop: float, n: int, psi: float, alpha: float = 0.05) -> float:
    """Power of the one-sided paired t-test at level `alpha` to detect a drop `drop` over `n` units of discordance
    `psi` (noncentral t with n - 1 degrees of freedom, as statsmodels' TTestPower)."""
    from scipy import stats

    _check(alpha)
    if n < 2:
        raise InputError(f"a paired test needs at least 2 units, got {n}")
    if drop <= 0:
        return alpha if drop == 0 else 0.0
    if drop**2 >= psi:  # every unit dropped by the same amount: no spread left, any test sees it
        return 1.0
    nc = drop * math.sqrt(n) / math.sqrt(psi - drop**2)
    crit = stats.t.ppf(1 - alpha, n - 1)
    return float(stats.nct.sf(crit, n - 1, nc))


def mde(n: int, psi: float, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """The smallest drop (a fraction, 0.041 = 4.1 points) the gate detects with `power` over `n` units; None when even
    the largest drop that discordance allows (δ = ψ: every discordant case a pass→fail) falls short."""
    from scipy.optimize import brentq

    _check(alpha, power)
    if psi <= 0 or n < 2:
        return None
    hi = psi * (1 - 1e-9)
    if power_paired(hi, n, psi, alpha) < power:
        return None
    return float(brentq(lambda d: power_paired(d, n, psi, alpha) - power, 1e-12, hi, xtol=1e-10))


def cases_needed(drop: float, psi: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """The fewest units for which the gate detects `drop` with `power` (bisection on n); None above 10 million or
    when the drop exceeds the discordance (it can't be that large)."""
    _check(alpha, power)
    if not 0 < drop <= 1:
        raise InputError(f"a drop is a fraction between 0 and 1, got {drop}", hint="0.05 = 5 points")
    if drop > psi:
        return None
    lo, hi = 2, 2
    while power_paired(drop, hi, psi, alpha) < power:
        lo, hi = hi, hi * 2
        if hi > _MAX_CASES:
            return None
    while lo < hi:
        mid = (lo + hi) // 2
        if power_paired(drop, mid, psi, alpha) >= power:
            hi = mid
        else:
            lo = mid + 1
    return hi


def power_plan(
    cases: int,
    baseline_rate: float,
    *,
    psi: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    drops: Sequence[float] = DEFAULT_DROPS,
) -> dict:
    """`evalkit power`'s report: {cases, mde, cases_needed: {drop: n}} with the assumptions it rests on."""
    psi_used = independent_discordance(baseline_rate) if psi is None else float(psi)
    if not 0 <= psi_used <= 1:
        raise InputError(f"discordance must be between 0 and 1, got {psi_used}")
    return {
        "cases": int(cases),
        "mde": mde(cases, psi_used, alpha, power),
        "cases_needed": {f"{d:g}": cases_needed(d, psi_used, alpha, power) for d in drops},
        "baseline_rate": float(baseline_rate),
        "discordance": psi_used,
        "discordance_from": "independence (2p(1-p))" if psi is None else "past runs",
        "alpha": alpha,
        "power": power,
        "test": "one-sided paired t-test on per-case pass rates",
    }
