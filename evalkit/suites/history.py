"""A suite's runs over time: each run's pass rate with its interval, the model and its fingerprint, whether its gate
accepted it, and a drop marked against the previous accepted run (`evalkit history`, the app's trend chart)."""

from __future__ import annotations

from evalkit.suites.compare import case_values, compare_cases
from evalkit.suites.gates import cluster_se
from evalkit.suites.records import case_statuses, suite_runs
from workbench.store import Store

__all__ = ["past_discordance", "run_pass_rate", "suite_history"]

Z95 = 1.959964  # two-sided 95% normal quantile: the interval is mean ± 1.96 SE (Miller 2024 §2.1)


def _interval(cases: dict) -> tuple[float, list[float], int]:
    """(pass rate, 95% interval clustered by group, cases) of one run's per-case values."""
    ids = list(cases)
    x = case_values(cases, ids)
    groups = [cases[c]["details"].get("group") or f"case:{c}" for c in ids]
    rate = float(x.mean()) if len(x) else 0.0
    se = cluster_se(x, groups if any(cases[c]["details"].get("group") for c in ids) else None)
    return rate, [max(0.0, rate - Z95 * se), min(1.0, rate + Z95 * se)], len(ids)


def _accepted(run: dict) -> bool:
    """A run is accepted unless a gate recorded on it failed."""
    return not ((run.get("summary") or {}).get("gate") or {}).get("failed", False)


def suite_history(store: Store, suite: str, model: str | None = None, *, alpha: float = 0.05) -> dict:
    """Every finished run of `suite` (of `model` when given) in time order, each compared with the previous accepted
    run: its delta, p-value and `drop` (a significant drop, or a critical case now failing, under the suite's gate
    when the run carries one)."""
    rows, prev = [], None
    for run in suite_runs(store, suite, model):
        cases = case_statuses(store, run["id"])
        rate, ci, n = _interval(cases)
        row = {
            "run_id": run["id"],
            "created_at": str(run["created_at"]),
            "model": run["model"],
            "fingerprint": run["fingerprint"],
            "cases": n,
            "repeats": (run.get("config") or {}).get("repeats") or 1,
            "pass_rate": rate,
            "ci": ci,
            "accepted": _accepted(run),
            "baseline": None,
            "delta": None,
            "p_value": None,
            "drop": False,
        }
        if prev is not None:
            gate = (run.get("config") or {}).get("gate")
            rep = compare_cases(prev[1], cases, alpha=alpha, gate=gate)
            if rep["n"]:
                row.update(baseline=prev[0], delta=rep["delta"], p_value=rep["p_value"])
                row["drop"] = bool(rep["gate_failed"])
        rows.append(row)
        if row["accepted"]:
            prev = (run["id"], cases)
    return {"suite": suite, "model": model, "alpha": alpha, "runs": rows}


def past_discordance(store: Store, suite: str) -> tuple[float | None, int]:
    """(ψ̂, pairs): the mean discordance E[(b - a)²] between consecutive finished runs of `suite` over the cases they
    share, which `evalkit power` uses instead of assuming independent results; (None, 0) with under two runs."""
    import numpy as np

    from evalkit.suites.power import discordance

    runs = [case_statuses(store, r["id"]) for r in suite_runs(store, suite)]
    found = []
    for a, b in zip(runs, runs[1:]):
        ids = [c for c in a if c in b]
        if ids:
            found.append(discordance(case_values(a, ids), case_values(b, ids)))
    return (float(np.mean(found)), len(found)) if found else (None, 0)


def run_pass_rate(store: Store, run_id: str) -> float:
    """A stored run's pass rate over its cases (the mean of per-case pass rates with repeats)."""
    cases = case_statuses(store, run_id)
    return float(case_values(cases, list(cases)).mean()) if cases else 0.0
