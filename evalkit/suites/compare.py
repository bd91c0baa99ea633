"""Regression compare of two suite runs (one model before/after, or two models): flips, exact McNemar, bootstrap CI.

McNemar's exact test (McNemar 1947; exact form: a two-sided binomial test on the discordant pairs, b ~ Bin(b + c, ½))
asks whether the pass→fail and fail→pass counts differ by more than chance. The pass-rate delta's interval is a
percentile bootstrap over paired cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa

from workbench.errors import UserError
from workbench.messages import message
from workbench.store import Store, schema

__all__ = ["compare_runs", "compare_cases", "mcnemar_exact", "bootstrap_delta_ci", "resolve_run", "MESSAGES"]

# The verdict, as the CLI and JSON say it; the report also carries it as a message ("verdict_key", workbench.messages)
# so the app can say it in Korean from its catalogue under the same key.
VERDICTS = ("critical regression", "significant drop", "significant gain", "no significant change")
MESSAGES = {f"compare.verdict.{v.replace(' ', '_')}": v for v in VERDICTS}


def mcnemar_exact(pass_to_fail: int, fail_to_pass: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of the discordant pairs against p = ½ (1.0 when none)."""
    from scipy.stats import binomtest

    n = pass_to_fail + fail_to_pass
    return 1.0 if n == 0 else float(binomtest(fail_to_pass, n, 0.5, alternative="two-sided").pvalue)


def bootstrap_delta_ci(
    a: np.ndarray, b: np.ndarray, *, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of mean(b) - mean(a), resampling paired cases."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    d = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    lo, hi = np.quantile(d, [(1 - confidence) / 2, 1 - (1 - confidence) / 2])
    return float(lo), float(hi)


def resolve_run(store: Store, ref: str) -> dict:
    """A suite run by id or unique id prefix; the message lists candidates when it isn't unique."""
    t = schema.runs
    with store.engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(t).where(t.c.id.like(f"{ref}%"), t.c.kind == "suite").order_by(t.c.created_at.desc())
            )
            .mappings()
            .all()
        )
    if not rows:
        raise UserError(f"no suite run {ref!r} in {store.url}", hint="list runs with `evalkit store runs --kind suite`")
    if len(rows) > 1:
        shown = ", ".join(f"{r['id'][:12]} ({r['name']}, {r['model']})" for r in rows[:5])
        raise UserError(f"run id {ref!r} is ambiguous: {shown}", hint="give more characters of the run id")
    return dict(rows[0])


def _cases(store: Store, run_id: str) -> dict[str, dict]:
    t = schema.case_results
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.case_id, t.c.status, t.c.tags, t.c.details).where(t.c.run_id == run_id)).all()
    return {r.case_id: {"status": r.status, "tags": list(r.tags or []), "details": r.details or {}} for r in rows}


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
    p2f = [c for c, x, y in zip(ids, a, b) if x == 1 and y == 0]
    f2p = [c for c, x, y in zip(ids, a, b) if x == 0 and y == 1]
    n = len(ids)
    delta = float(b.mean() - a.mean()) if n else 0.0
    p = mcnemar_exact(len(p2f), len(f2p))
    ci = bootstrap_delta_ci(a, b, n_boot=n_boot, confidence=confidence, seed=seed)
    tags_of = {c: sorted(set(cases_a[c]["tags"]) | set(cases_b[c]["tags"])) for c in ids}
    critical = [c for c in p2f if critical_tag in tags_of[c]]
    by_tag: dict[str, Any] = {}
    for tag in sorted({t for ts in tags_of.values() for t in ts}):
        sel = np.array([tag in tags_of[c] for c in ids])
        ta, tb = a[sel], b[sel]
        by_tag[tag] = {
            "n": int(sel.sum()),
            "pass_rate_a": float(ta.mean()),
            "pass_rate_b": float(tb.mean()),
            "delta": float(tb.mean() - ta.mean()),
            "pass_to_fail": int(((ta == 1) & (tb == 0)).sum()),
            "fail_to_pass": int(((ta == 0) & (tb == 1)).sum()),
        }
    metrics_delta = {}
    for k in ("acc", "acc_norm"):
        pairs = [
            (cases_a[c]["details"][k], cases_b[c]["details"][k])
            for c in ids
            if k in cases_a[c]["details"] and k in cases_b[c]["details"]
        ]
        if pairs:
            xa, xb = (float(np.mean(v)) for v in zip(*pairs))
            metrics_delta[k] = {"a": xa, "b": xb, "delta": xb - xa, "n": len(pairs)}
    significant_drop = delta < 0 and p < alpha
    verdict = VERDICTS[0 if critical else 1 if significant_drop else 2 if delta > 0 and p < alpha else 3]
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
        "by_tag": by_tag,
        "metrics_delta": metrics_delta,
        "critical_regressions": critical,
        "significant_drop": bool(significant_drop),
        "gate_failed": bool(significant_drop or critical),
        "verdict": verdict,
        "verdict_key": message(f"compare.verdict.{verdict.replace(' ', '_')}"),
        "pass_rate_a": float(a.mean()) if n else 0.0,
        "pass_rate_b": float(b.mean()) if n else 0.0,
    }


def compare_runs(
    store: Store,
    run_a: str,
    run_b: str,
    *,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    critical_tag: str = "critical",
) -> dict:
    """Compare two stored suite runs (A = baseline, B = candidate); `gate_failed` when B is significantly worse
    at `alpha` or a case tagged `critical` went from pass to fail."""
    ra, rb = resolve_run(store, run_a), resolve_run(store, run_b)
    ca, cb = _cases(store, ra["id"]), _cases(store, rb["id"])
    if not set(ca) & set(cb):
        raise UserError(
            f"runs {ra['id'][:8]} ({ra['name']}) and {rb['id'][:8]} ({rb['name']}) share no case ids",
            hint="compare two runs of the same suite (before/after, or two models)",
        )
    rep = compare_cases(ca, cb, alpha=alpha, confidence=confidence, n_boot=n_boot, seed=seed, critical_tag=critical_tag)
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
