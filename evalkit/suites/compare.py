"""The regression compare report of two suite runs (one model before/after, or two models): flips, an exact McNemar
test, a bootstrap CI of the pass-rate delta, per-tag and per-metric deltas, and the verdict a CI gate reads.

The statistics are pure functions in `evalkit.suites.stats`; this module pairs the cases and assembles the report
(JSON-ready); `evalkit.suites.outputs.compare_markdown` renders it as text.
"""

from __future__ import annotations

import numpy as np

from evalkit.suites.gates import cluster_bootstrap_ci, gate_decision, paired_drop_test, unit_differences
from evalkit.suites.power import discordance, mde
from evalkit.suites.records import case_statuses, resolve_run
from evalkit.suites.stats import bootstrap_delta_ci, flips, mcnemar_exact, mean_delta, tag_deltas
from workbench.errors import UserError
from workbench.messages import message
from workbench.store import Store

__all__ = ["MESSAGES", "VERDICTS", "case_values", "compare_cases", "compare_runs", "power_line", "verdict"]

PLANNED_POWER = 0.8  # the power the MDE line is stated at (the usual 80%, Cohen 1988 §2.4)

# The verdict, as the CLI and JSON say it; the report also carries it as a message ("verdict_key", workbench.messages)
# so the app can say it in Korean from its catalogue under the same key.
VERDICTS = ("critical regression", "significant drop", "significant gain", "no significant change")
MESSAGES = {f"compare.verdict.{v.replace(' ', '_')}": v for v in VERDICTS}


def verdict(delta: float, p_value: float, alpha: float, critical: list[str]) -> str:
    """A critical case that now fails outranks everything; then a drop or a gain significant at `alpha`."""
    if critical:
        return VERDICTS[0]
    if p_value < alpha:
        if delta < 0:
            return VERDICTS[1]
        if delta > 0:
            return VERDICTS[2]
    return VERDICTS[3]


def _metric_deltas(cases_a: dict, cases_b: dict, ids: list[str]) -> dict:
    """acc and acc_norm (choice cases) in A and B over the cases that have them in both."""
    out = {}
    for k in ("acc", "acc_norm"):
        pairs = [
            (cases_a[c]["details"][k], cases_b[c]["details"][k])
            for c in ids
            if k in cases_a[c]["details"] and k in cases_b[c]["details"]
        ]
        if pairs:
            out[k] = mean_delta(pairs)
    return out


def case_values(cases: dict[str, dict], ids: list[str], metric: str = "pass_rate") -> np.ndarray:
    """Per case in `ids`: its pass rate over the repeats (or 1/0 for one sample), or its weighted score."""
    if metric == "score":
        return np.array([float(cases[c].get("score") or 0.0) for c in ids])
    return np.array([float(cases[c]["details"].get("pass_rate", cases[c]["status"] == "pass")) for c in ids])


def _groups(cases_a: dict, cases_b: dict, ids: list[str]) -> list[str] | None:
    """Each case's `group:` (a case alone is its own group), or None when no case has one."""
    found = [cases_b[c]["details"].get("group") or cases_a[c]["details"].get("group") for c in ids]
    return None if not any(found) else [g or f"case:{c}" for g, c in zip(found, ids)]


def _two_sided(test: dict) -> float:
    """The two-sided p-value of a one-sided paired t-test's statistic (1 with no spread and no change)."""
    from scipy import stats

    if test["t"] is None:
        return 1.0 if test["delta"] == 0 or test["n"] < 2 else 0.0
    return float(2 * stats.t.sf(abs(test["t"]), test["df"]))


def _power(a: np.ndarray, b: np.ndarray, groups, alpha: float) -> dict:
    """The smallest drop this comparison could detect (power 80% at `alpha`, one-sided), from its unit count and the
    discordance seen between the two runs (`evalkit.suites.power`)."""
    units = unit_differences(a, b, groups)
    psi = discordance(np.zeros(len(units)), units) if len(units) else 0.0
    return {
        "units": len(units),
        "unit": "group" if groups else "case",
        "discordance": psi,
        "alpha": alpha,
        "power": PLANNED_POWER,
        "mde": mde(len(units), psi, alpha, PLANNED_POWER) if len(units) > 1 and psi > 0 else None,
    }


def power_line(rep: dict) -> str:
    """ "this suite can detect drops of >= 4.1 points; the observed -2.0 is inside its noise" (or beyond it)."""
    pw, delta = rep["power"], 100 * rep["delta"]
    units = f"{pw['units']} {pw['unit']}{'' if pw['units'] == 1 else 's'}"
    if pw["mde"] is None:
        if pw["discordance"] == 0 and pw["units"] > 1:
            return f"no {pw['unit']} changed between the runs ({units}): no drop, and no noise to size one by"
        return f"this suite ({units}) is too small to detect a drop at α = {pw['alpha']:g} with power 80%"
    where = "inside its noise" if -delta < 100 * pw["mde"] else "beyond its noise"
    return (
        f"this suite can detect drops of ≥ {100 * pw['mde']:.1f} points ({units}, α = {pw['alpha']:g}, power 80%); "
        f"the observed {delta:+.1f} is {where}"
    )


def compare_cases(
    cases_a: dict[str, dict],
    cases_b: dict[str, dict],
    *,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    critical_tag: str = "critical",
    gate: dict | None = None,
) -> dict:
    """The compare report over two {case_id: {status, tags, details}} mappings (paired by case id). A case with
    repeats is compared by its pass rate (a paired t-test on rates instead of McNemar); cases sharing a `group:`
    are resampled and tested together; `gate` (a suite's gate block) decides `gate_failed` when given."""
    ids = [cid for cid in cases_a if cid in cases_b]
    a, b = case_values(cases_a, ids), case_values(cases_b, ids)
    passed_a = np.array([cases_a[c]["status"] == "pass" for c in ids], dtype=float)
    passed_b = np.array([cases_b[c]["status"] == "pass" for c in ids], dtype=float)
    repeated = any("pass_rate" in x[c]["details"] for x in (cases_a, cases_b) for c in ids)
    groups = _groups(cases_a, cases_b, ids)
    p2f, f2p = flips(ids, passed_a, passed_b)
    n = len(ids)
    delta = float(b.mean() - a.mean()) if n else 0.0
    mc = mcnemar_exact(len(p2f), len(f2p))
    one_sided = paired_drop_test(unit_differences(a, b, groups))
    p = _two_sided(one_sided) if repeated or groups else mc
    if groups:
        ci = cluster_bootstrap_ci(a, b, groups, n_boot=n_boot, confidence=confidence, seed=seed)
    else:
        ci = bootstrap_delta_ci(a, b, n_boot=n_boot, confidence=confidence, seed=seed)
    tags_of = {c: sorted(set(cases_a[c]["tags"]) | set(cases_b[c]["tags"])) for c in ids}
    critical = [c for c in p2f if critical_tag in tags_of[c]]
    significant_drop = delta < 0 and p < alpha
    said = verdict(delta, p, alpha, critical)
    rep = {
        "n": n,
        "only_a": sorted(set(cases_a) - set(cases_b)),
        "only_b": sorted(set(cases_b) - set(cases_a)),
        "delta": delta,
        "ci": list(ci),
        "confidence": confidence,
        "alpha": alpha,
        "mcnemar": {"pass_to_fail": len(p2f), "fail_to_pass": len(f2p), "p_value": mc},
        "test": "paired t-test on pass rates" if repeated or groups else "exact McNemar",
        "p_value": p,
        "paired_test": one_sided,
        "power": _power(a, b, groups, alpha),
        "flips": {"pass_to_fail": p2f, "fail_to_pass": f2p},
        "errors": {
            "a": sum(cases_a[c]["status"] == "error" for c in ids),
            "b": sum(cases_b[c]["status"] == "error" for c in ids),
        },
        "by_tag": tag_deltas(a, b, [tags_of[c] for c in ids]),
        "metrics_delta": _metric_deltas(cases_a, cases_b, ids),
        "critical_regressions": critical,
        "significant_drop": bool(significant_drop),
        "gate_failed": bool(significant_drop or critical),
        "verdict": said,
        "verdict_key": message(f"compare.verdict.{said.replace(' ', '_')}"),
        "pass_rate_a": float(a.mean()) if n else 0.0,
        "pass_rate_b": float(b.mean()) if n else 0.0,
    }
    if repeated:
        rep["flaky"] = {
            k: sorted(c for c in ids if x[c]["details"].get("flaky")) for k, x in (("a", cases_a), ("b", cases_b))
        }
    if gate is not None:
        ga, gb = (
            case_values(cases_a, ids, gate.get("metric", "pass_rate")),
            case_values(cases_b, ids, gate.get("metric", "pass_rate")),
        )
        rep["gate"] = gate_decision(ga, gb, [tags_of[c] for c in ids], groups, config=gate)
        rep["gate_failed"] = bool(rep["gate"]["failed"] or critical)
    return rep


def compare_runs(store: Store, run_a: str, run_b: str, **settings) -> dict:
    """Compare two stored suite runs (A = baseline, B = candidate); `gate_failed` when B is significantly worse
    at `alpha` or a case tagged `critical` went from pass to fail. `settings` go to `compare_cases` as they are
    (alpha, confidence, n_boot, seed, critical_tag, gate); `use_suite_gate=True` takes the gate block B's suite
    had when it ran."""
    ra, rb = resolve_run(store, run_a), resolve_run(store, run_b)
    ca, cb = case_statuses(store, ra["id"]), case_statuses(store, rb["id"])
    if settings.get("gate") is None and settings.pop("use_suite_gate", False):
        settings["gate"] = (rb.get("config") or {}).get("gate")
    if not set(ca) & set(cb):
        raise UserError(
            f"runs {ra['id'][:8]} ({ra['name']}) and {rb['id'][:8]} ({rb['name']}) share no case ids",
            hint="compare two runs of the same suite (before/after, or two models)",
        )
    rep = compare_cases(ca, cb, **settings)
    for key, r in (("a", ra), ("b", rb)):
        rep[key] = {
            "run_id": r["id"],
            "suite": r["name"],
            "model": r["model"],
            "status": r["status"],
            "pass_rate": rep[f"pass_rate_{key}"],
            "created_at": str(r["created_at"]),
        }
    return rep
