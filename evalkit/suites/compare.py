"""The regression compare report of two suite runs (one model before/after, or two models): flips, an exact McNemar
test, a bootstrap CI of the pass-rate delta, per-tag and per-metric deltas, and the verdict a CI gate reads.

The statistics are pure functions in `evalkit.suites.stats`; this module pairs the cases and assembles the report
(JSON-ready); `evalkit.suites.outputs.compare_markdown` renders it as text.
"""

from __future__ import annotations

import numpy as np

from evalkit.suites.records import case_statuses, resolve_run
from evalkit.suites.stats import bootstrap_delta_ci, flips, mcnemar_exact, mean_delta, tag_deltas
from workbench.errors import UserError
from workbench.messages import message
from workbench.store import Store

__all__ = ["MESSAGES", "VERDICTS", "compare_cases", "compare_runs", "verdict"]

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


def compare_cases(
    cases_a: dict[str, dict],
    cases_b: dict[str, dict],
    *,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    critical_tag: str = "critical",
) -> dict:
    """The compare report over two {case_id: {status, tags, details}} mappings (paired by case id)."""
    ids = [cid for cid in cases_a if cid in cases_b]
    a = np.array([cases_a[c]["status"] == "pass" for c in ids], dtype=float)
    b = np.array([cases_b[c]["status"] == "pass" for c in ids], dtype=float)
    p2f, f2p = flips(ids, a, b)
    n = len(ids)
    delta = float(b.mean() - a.mean()) if n else 0.0
    p = mcnemar_exact(len(p2f), len(f2p))
    ci = bootstrap_delta_ci(a, b, n_boot=n_boot, confidence=confidence, seed=seed)
    tags_of = {c: sorted(set(cases_a[c]["tags"]) | set(cases_b[c]["tags"])) for c in ids}
    critical = [c for c in p2f if critical_tag in tags_of[c]]
    significant_drop = delta < 0 and p < alpha
    said = verdict(delta, p, alpha, critical)
    return {
        "n": n,
        "only_a": sorted(set(cases_a) - set(cases_b)),
        "only_b": sorted(set(cases_b) - set(cases_a)),
        "delta": delta,
        "ci": list(ci),
        "confidence": confidence,
        "alpha": alpha,
        "mcnemar": {"pass_to_fail": len(p2f), "fail_to_pass": len(f2p), "p_value": p},
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


def compare_runs(store: Store, run_a: str, run_b: str, **settings) -> dict:
    """Compare two stored suite runs (A = baseline, B = candidate); `gate_failed` when B is significantly worse
    at `alpha` or a case tagged `critical` went from pass to fail. `settings` go to `compare_cases` as they are
    (alpha, confidence, n_boot, seed, critical_tag)."""
    ra, rb = resolve_run(store, run_a), resolve_run(store, run_b)
    ca, cb = case_statuses(store, ra["id"]), case_statuses(store, rb["id"])
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
